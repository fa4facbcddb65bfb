"""The JACK-native MIDI input through a private JACK server: frame stamps, hot-plug, fallback."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import rtmidi

from soundness_live.core.events import DeviceChange
from soundness_live.errors import DeviceError
from soundness_live.midi.jack_input import JackMidiInputs
from soundness_live.midi.open_input import open_midi_input
from soundness_live.midi.ports import MidiInputs
from tests.conftest import require
from tests.jack_midi_source import JackMidiSource
from tests.jackserver import JackProbe, JackServer, module_jack_server, require_jack_client

pytestmark = pytest.mark.jack
PERIOD = 256  # non-realtime jackd on two busy cores xruns often at 64 frames
jack = module_jack_server(period_frames=PERIOD)
ARRIVAL_S = 10.0  # for a note to arrive when the server did not x-run
MAX_SENDS = 20  # sends of one note lost in x-runs before the test gives up


@pytest.fixture
def probe(jack: JackServer) -> Iterator[JackProbe]:
    require_jack_client()
    client = JackProbe("sl-probe").activate()
    yield client
    client.close()


def wait_until(condition: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until ``condition()`` held (fails the test after ``timeout_s``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(0.005)
    return time.monotonic() - start


def test_notes_are_stamped_at_the_jack_frames_they_were_sent(probe: JackProbe) -> None:
    inputs = JackMidiInputs().start()
    try:
        # the server's x-runs, from a process of its own (see tests/jack_midi_source.py)
        with JackMidiSource("sl-xrun-watch") as watch:
            wait_until(lambda: "sl-probe:midi_out" in inputs.ports, 2.0)
            rng = np.random.default_rng(7)
            for k in range(24):
                send_until_stamped(probe, inputs, watch, 36 + k, int(rng.integers(0, PERIOD)))
        events, stamps = inputs.drain(), list(inputs.stamps)
    finally:
        inputs.stop()
    # a note's last send is the one that arrived
    last = {note: (frame, true_s, note) for frame, true_s, note in probe.sent}
    sent = [last[note] for note in range(36, 60)]
    assert [e.note for e in events] == [note for _, _, note in sent] == list(range(36, 60))
    assert {e.clock for e in events} == {"jack-frame"} and {e.device for e in events} == {
        "sl-probe:midi_out"
    }
    # an xrun can make the probe's note reach the input a cycle late: that is the source's
    # lateness, not the stamp's; every other note is stamped within a frame of its frame
    frame_error = np.array([s.jack_frame for s in stamps]) - [frame for frame, _, _ in sent]
    print(f"\nJACK {PERIOD}: frame errors {sorted(set(frame_error.tolist()))}")
    on_time = np.abs(frame_error) <= 1
    assert on_time.sum() >= len(sent) - 2 and np.all(frame_error[~on_time] % PERIOD == 0)
    error_ms = (np.array([e.time_s for e in events]) - [true_s for _, true_s, _ in sent]) * 1000
    assert np.all(np.abs(error_ms[on_time]) < 0.25), error_ms  # read skew of two clocks


def send_until_stamped(
    probe: JackProbe, inputs: JackMidiInputs, watch: JackMidiSource, note: int, offset: int
) -> None:
    """Send ``note`` at ``offset`` until the input stamps it: again only when the server x-ran
    meanwhile (a client late for a cycle loses that cycle's events); without an x-run it must
    arrive within :data:`ARRIVAL_S` (a busy machine delays a note, it loses none)."""
    stamped = len(inputs.stamps)
    for _ in range(MAX_SENDS):
        xruns = watch.send([])
        probe.send(bytes([0x99, note, 100]), offset)
        sent_s = time.monotonic()
        while len(inputs.stamps) == stamped:
            waited_s = time.monotonic() - sent_s
            if waited_s > 1.0 and watch.send([]) > xruns:
                break  # lost in an x-run: sent again
            assert waited_s < ARRIVAL_S, f"note {note} never arrived (and no x-run)"
            time.sleep(0.005)
        else:
            return
    pytest.fail(f"note {note} was lost in {MAX_SENDS} x-runs")


def test_a_source_that_vanishes_and_returns_is_reconnected(probe: JackProbe) -> None:
    changes: list[DeviceChange] = []
    inputs = JackMidiInputs(on_device_change=changes.append).start()
    pad: JackProbe | None = JackProbe("sl-pad").activate()
    try:
        wait_until(lambda: "sl-pad:midi_out" in inputs.ports, 2.0)
        pad.close()  # the pad is kicked off the table
        pad = None
        wait_until(lambda: not changes[-1].connected, 2.0)
        assert changes[-1].device == "sl-pad:midi_out" and "sl-pad:midi_out" not in inputs.ports
        pad = JackProbe("sl-pad").activate()  # ... and plugged back in
        back_s = wait_until(lambda: changes[-1].connected, 2.0)
        assert "sl-pad:midi_out" in inputs.ports and back_s < 2.0
        time.sleep(0.05)
        pad.send(bytes([0x99, 38, 90]), 10)
        wait_until(lambda: len(inputs._queue) >= 1, 2.0)
        assert inputs.drain()[0].note == 38
    finally:
        inputs.stop()
        if pad is not None:
            pad.close()
    pad_changes = [c for c in changes if c.device == "sl-pad:midi_out"]
    assert [c.connected for c in pad_changes] == [True, False, True]
    assert [c.reason for c in pad_changes] == ["port connected", "port vanished", "port connected"]
    assert probe.client.name == "sl-probe"  # the other source was never touched


def test_without_jack_client_the_input_falls_back_to_rtmidi_in_one_line(
    jack: JackServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "jack", None)  # "import jack" raises ImportError
    with caplog.at_level(logging.WARNING, logger="soundness_live.midi.open_input"):
        inputs = open_midi_input("jack")
    try:
        assert isinstance(inputs, MidiInputs) and inputs.available
        assert inputs.api == rtmidi.API_UNIX_JACK  # the server runs: rtmidi's JACK API
    finally:
        inputs.stop()
    (record,) = [r for r in caplog.records if r.name == "soundness_live.midi.open_input"]
    text = record.getMessage()
    assert "\n" not in text and "JACK-Client is not installed" in text
    assert "falling back to python-rtmidi (jack API" in text


def test_without_a_server_the_jack_input_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    require_jack_client()
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "sl-no-such-server")
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    inputs = JackMidiInputs()
    with pytest.raises(DeviceError, match="no JACK server answered"):
        inputs.start()
    assert not inputs.available


def test_constant_thru_on_jack_frame_stamps_is_sample_exact(jack: JackServer) -> None:
    require_jack_client()
    from bench.bench_latency import JACK, report, run_loopback

    result = run_loopback(PERIOD, notes=8, modes=(JACK,), redo=32)  # see test_jack_thru's REDO
    print("\n" + report(result))
    require("renderer" in result.source, f"the engine's synth is unavailable: {result.source}")
    latency_ms = result.latency_of(JACK)
    assert len(latency_ms) == 8 and result.late_kept == 0
    # every note sounds the thru delay (+ the hi-hat's own attack: at least the synth's
    # shortest, a 64-frame ramp of 1.33 ms) after it was played, to the frame; an xrun of the
    # non-realtime server may push one note a whole period later
    frame_ms = 1000 / 48_000
    median_ms = float(np.median(latency_ms))
    assert result.added_delay_ms <= median_ms <= result.added_delay_ms + 1.5
    assert np.sum(np.abs(latency_ms - median_ms) <= frame_ms) >= 7, latency_ms
    assert np.all(np.abs(result.jack_frame_error) <= 1)
