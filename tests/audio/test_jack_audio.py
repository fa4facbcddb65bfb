"""Audio through a private JACK server: paced callbacks, the clock mapping, notes to sound."""

from __future__ import annotations

import time

import numpy as np
import pytest

from soundness_live.audio.output import SoundDeviceOutput, open_output
from tests.conftest import require
from tests.jackserver import ClickSource, JackServer, module_jack_server

pytestmark = pytest.mark.jack
# 256-frame periods: non-realtime jackd on two busy cores xruns often at 64 (see the bench)
PERIOD = 256
jack = module_jack_server(period_frames=PERIOD)


def test_sounddevice_on_jack_is_paced_and_mapped(jack: JackServer) -> None:
    source = ClickSource()
    with open_output(source, "sounddevice", device="JACK", block_size=PERIOD) as out:
        assert isinstance(out, SoundDeviceOutput) and "JACK" in out.name
        time.sleep(0.5)
        mapping, now_s = out.mapping, time.monotonic()
    expected_blocks = 0.5 * 48_000 / PERIOD
    assert 0.6 * expected_blocks < out.blocks < 1.4 * expected_blocks
    assert out.underruns >= 0 and out.errors == 0
    assert 0 < out.latency_s < 0.05
    # the block being rendered now is the one heard latency_s from now (within a few blocks)
    rendered_now = mapping.frame_at(now_s) - mapping.latency_frames
    print(f"\nJACK {PERIOD}: {out.blocks} blocks, {out.underruns} under-runs, {out.latency_s} s")
    assert abs(rendered_now - source.frame) < 4 * PERIOD


def test_notes_into_the_midi_port_come_out_as_sound(jack: JackServer) -> None:
    try:
        import jack as jack_client  # noqa: F401  (JACK-Client, for the frame-exact probe)
    except ImportError:
        require(False, "JACK-Client not installed (pip install JACK-Client)")
    from bench.bench_latency import report, run_loopback

    result = run_loopback(PERIOD, notes=8)
    print("\n" + report(result))
    assert result.notes_sent == 8 and len(result.latency_ms) == 8
    assert np.all(result.latency_ms >= 0) and np.all(result.latency_ms < 50.0)
    assert len(result.delta_error_ms) == 8 and np.all(np.abs(result.delta_error_ms) < 20.0)
