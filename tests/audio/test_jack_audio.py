"""Audio through a private JACK server: paced callbacks, the clock mapping, notes to sound."""

from __future__ import annotations

import time

import numpy as np
import pytest

from soundness_live.audio.backends import open_output
from soundness_live.audio.output import SoundDeviceOutput
from tests.jackserver import ClickSource, JackServer, module_jack_server, require_jack_client

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
    require_jack_client()
    from bench.bench_latency import report, run_loopback

    # notes played again when the server x-ran or the engine was held up past a note's frame
    # (a loaded machine): the figures are of 8 undisturbed notes (as in tests/live/test_jack_thru)
    result = run_loopback(PERIOD, notes=8, redo=32)
    print("\n" + report(result))
    kept = ~result.redone
    assert result.notes_sent == len(kept) == 8 + result.redone.sum()
    latency_ms, delta_error_ms = result.latency_ms[kept], result.delta_error_ms[kept]
    assert len(latency_ms) == 8 and np.all(latency_ms >= 0) and np.all(latency_ms < 50.0)
    assert len(delta_error_ms) == 8 and np.all(np.abs(delta_error_ms) < 20.0)  # NaN: not found
