"""The engine on JACK as one client: a note is placed at its own frame before its block renders.

A probe writes note-ons at known JACK frames into the JACK MIDI input sharing the JACK
output's client; the live thru path (constant, no added delay: what ``--thru auto`` picks on
one client) must hand each note to the renderer at the frame the note was written at, while
the block holding that frame is still to be rendered, and the sound must come out the same
number of frames after every note.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soundness_live.audio.jack_output import JackOutput
from soundness_live.core.events import NoteOn
from soundness_live.live.engine import Engine, EngineOptions
from soundness_live.live.engine_setup import exact_thru
from soundness_live.live.input import LiveInput
from soundness_live.midi.jack_frames import OutputFrameTap
from soundness_live.midi.jack_input import JackMidiInputs
from soundness_live.players.roles import DeviceRole
from tests.conftest import wait_until
from tests.jackserver import JackProbe, JackServer, module_jack_server, require_jack_client

pytestmark = pytest.mark.jack
PERIOD = 256  # non-realtime jackd on two busy cores xruns often at 64 frames
RATE = 48_000
CLICK_FRAMES = 32
jack = module_jack_server(period_frames=PERIOD)


@pytest.fixture(autouse=True)
def jack_client_package(jack: JackServer) -> None:
    """Skip (fail under CI=true) without the JACK-Client package or libjack."""
    require_jack_client()


class PlacingSource:
    """A renderer stand-in: silence, and a click at the exact frame of each note-on pushed.
    ``pushed`` keeps (event, the next block's frame when it was pushed, immediate)."""

    delay_frames = 0

    def __init__(self) -> None:
        self.frame = 0
        self.pushed: list[tuple[Any, int, bool]] = []
        self._due: list[int] = []

    def push(self, event: Any, immediate: bool = False) -> bool:
        """Keep the event; a note-on clicks at its frame (at once when immediate)."""
        self.pushed.append((event, self.frame, immediate))
        if isinstance(event, NoteOn):
            self._due.append(self.frame if immediate else event.frame)
        return True

    def render_into(self, out: np.ndarray) -> None:
        """Silence, with each due click from its frame on."""
        out.fill(0.0)
        for frame in [f for f in self._due if f < self.frame + len(out)]:
            offset = max(0, frame - self.frame)
            out[offset : offset + CLICK_FRAMES] = 0.5
            self._due.remove(frame)
        self.frame += len(out)


def test_a_note_is_placed_at_its_frame_before_its_block_renders(jack: JackServer) -> None:
    source = PlacingSource()
    tap = OutputFrameTap(source)
    out = JackOutput(tap, PERIOD, RATE).start()
    live = LiveInput(source, lambda: out.mapping, RATE)
    live.set_role(DeviceRole("sl-probe", "child", "pad"))
    options = EngineOptions(Path("."), block_size=PERIOD)
    live.thru = exact_thru(options, out)
    inputs = JackMidiInputs(live.on_event, mapping=lambda: out.mapping, frame_tap=tap, host=out)
    inputs.start()
    probe = JackProbe("sl-probe", threshold=0.25, quiet_frames=PERIOD)
    xruns = [0]
    probe.client.set_xrun_callback(lambda _us: xruns.__setitem__(0, xruns[0] + 1))
    probe.activate()
    try:
        assert live.thru.constant and live.thru.added_frames == 0
        wait_until(lambda: "sl-probe:midi_out" in inputs.ports, 10.0)
        probe.client.connect("soundness-live:out_1", "sl-probe:in")
        time.sleep(0.2)
        for offset in (0, 17, 101, 200, 255, 64, 128, 3):
            probe.send(bytes([0x99, 42, 100]), offset)
            time.sleep(0.08)
            probe.send(bytes([0x89, 42, 0]), 0)
            time.sleep(0.08)
        time.sleep(0.2)
    finally:
        probe.close()
        inputs.stop()
        out.stop()
    stamped = {stamp.frame for stamp in inputs.stamps if stamp.route == "output-frame"}
    notes = [(event, block) for event, block, _ in source.pushed if isinstance(event, NoteOn)]
    # every note (a cycle the loaded server skipped may lose one: JACK drops its MIDI)
    assert 8 - xruns[0] <= len(notes) <= 8 and live.thru_late == 0
    for event, next_block in notes:
        assert event.frame in stamped  # the note's own frame, no delay added
        assert next_block <= event.frame < next_block + PERIOD  # its block still to render
    sent = [frame for frame, _, _ in probe.sent][::2]
    heard = [min((o for o in probe.onsets if o >= frame), default=-1) - frame for frame in sent]
    # every note sounds the same frames after it was written: the output's one cycle in the
    # graph (the probe hears a cycle late what it feeds); a server x-run may move one
    usual = max(set(heard), key=heard.count)
    assert usual in (0, PERIOD) and heard.count(usual) >= len(heard) - xruns[0]


def test_the_engine_on_jack_with_jack_midi_is_one_client(jack: JackServer, tmp_path: Path) -> None:
    options = EngineOptions(tmp_path, audio="auto", midi="jack", synth="none", block_size=PERIOD)
    engine = Engine(options)
    try:
        engine.start()
        assert engine.output.backend == "jack"
        assert isinstance(engine.midi, JackMidiInputs) and engine.midi.host is engine.output
        assert engine.live_input.thru.constant and engine.live_input.thru.added_frames == 0
        wait_until(lambda: engine.output.cycles > 0, 5.0)  # the snapshot then has a cycle
        state = engine.snapshot()
        assert state["output"] == "jack: soundness-live -> system:playback_1, system:playback_2"
        assert state["output_cycles"] > 0 and state["output_callback_max_us"] > 0
        clients = {line.split(":")[0] for line in _ports().split()}
        assert clients == {"system", "soundness-live"}  # its sound and its MIDI: one client
    finally:
        engine.close()
    assert "soundness-live" not in _ports()


def _ports() -> str:
    return subprocess.run(["jack_lsp"], capture_output=True, text=True).stdout


def test_the_engine_on_jack_keeps_no_portaudio_client_beside_its_own(tmp_path: Path) -> None:
    """PortAudio lists the microphone, then stops: its JACK host API would otherwise keep an
    active client of its own in the engine's process, woken every cycle (an x-run whenever
    it is late), while the engine's sound and MIDI are one client."""
    import jack as jack_module

    from soundness_live.live.client import start_engine
    from tests.jackserver import jack_server
    from tests.live.test_engine_process import _attach, _home, _stop

    home = _home()
    options = ["--audio", "jack", "--midi", "jack", "--synth", "none", "--snapshot-hz", "10"]
    # a server of its own, which this process's PortAudio never saw: every client is the engine's
    with jack_server(PERIOD, portaudio=False):
        process = start_engine(home, options)
        try:
            with _attach(home) as client:
                wait_until(lambda: client.state.get("microphone") is not None, 15.0)
                assert client.state["microphone"] == "ok: system"  # the server's capture ports
                assert client.state["output"].startswith("jack: soundness-live")
            looking = jack_module.Client("sl-looking", no_start_server=True)
            try:
                assert looking.get_uuid_for_client_name("soundness-live")
                for name in ("PortAudio", "PortAudio-01"):
                    with pytest.raises(jack_module.JackError):
                        looking.get_uuid_for_client_name(name)
            finally:
                looking.close()
        finally:
            _stop(process)


def test_a_childs_note_behind_a_controller_flood_waits_no_more_than_a_cycle_or_two(
    jack: JackServer,
) -> None:
    from tests.jack_midi_source import JackMidiSource

    out = JackOutput(PlacingSource(), PERIOD, RATE).start()
    waits: list[int] = []  # cycles between a note's JACK frame and the cycle delivering it

    def on_event(event: Any) -> None:
        if event.kind == "note_on":  # delivered in JACK's thread, in the cycle taking it
            stamp = inputs.stamps[-1]
            waits.append((out.jack_client.last_frame_time - stamp.jack_frame) // PERIOD)

    inputs = JackMidiInputs(on_event, host=out, queue_size=0)
    inputs.start()
    try:
        with JackMidiSource("sl-flood-kbd") as keyboard:
            wait_until(lambda: "sl-flood-kbd:out" in inputs.ports, 10.0)
            # a stuck mod wheel at 30,000 a second (117 a 256-frame cycle), the child's note
            # every quarter second in the middle of it
            sent, notes = keyboard.flood(
                30_000.0, 2.0, bytes([0xB0, 1, 64]), 0.25, bytes([0x90, 60, 90])
            )
            time.sleep(0.2)
    finally:
        inputs.stop()
        out.stop()
    print(f"\n{sent} control changes, {notes} notes: waited {waits} cycles")
    assert sent > 50_000 and notes == 7
    assert len(waits) >= notes - 2  # a note the busy server lost in an x-run never arrives
    assert max(waits) <= 2  # it waited 15-16 cycles behind the flood's backlog
