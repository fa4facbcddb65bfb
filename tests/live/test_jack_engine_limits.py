"""A child's limits measured where the sound leaves the engine: its JACK output port.

The engine runs in its own process on a private JACK server (dummy driver), its sounddevice
output playing into JACK and its JACK MIDI input connected to a child's keyboard (an rtmidi
virtual port on the same server). A JACK client of the test's own records the engine's output
port block by block, each block placed at its own JACK frame (a skipped cycle leaves a gap, not
a shift), and reads it with the tests' BS.1770-4 Annex 2 meter, which shares no code with the
engine's output stage:

- a client asking for a 0 dBFS cap in the session of a child capped at -18 dBFS is told -18 was
  set, and a velocity-127 chord from the keyboard stays under -18 dBFS true peak at the port, in
  that activity and in the session's next one;
- the same from the moment the child is chosen (``select_child``), before any activity, and
  after ``end_session`` while the child stays chosen; choosing no child lifts the ceiling;
- ``stop`` with no activity running, and ``end_session``, silence a note the child still holds
  through thru: the port falls under -90 dBFS within 100 ms of the command being sent.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from soundness_live.live.client import EngineClient, EngineError
from soundness_live.live.protocol import ProtocolError
from tests.conftest import require
from tests.jackserver import JackServer, module_jack_server
from tests.live.test_engine_process import _attach, _home, _stop, _wait_for
from tests.true_peak import ANNEX_2_PHASES

pytestmark = pytest.mark.jack
PERIOD = 256  # non-realtime jackd on two busy cores xruns often at 64 frames
jack = module_jack_server(period_frames=PERIOD)
ENGINE_ARGS = ["--audio", "sounddevice", "--midi", "jack", "--block-size", str(PERIOD)]
ENGINE_ARGS += ["--snapshot-hz", "10"]
CHILD = "S-014"  # _home()'s child, capped at -18 dBFS
CHILD_CAP_DBFS = -18.0
KEYBOARD = "sl-child-keys"
CHORD = range(36, 84, 2)  # 24 keys, C2 up to A#5
PIANO, ORGAN = 0, 19  # GM programs: the loud chord's, and a held note's that never decays
SILENCE_DBFS = -90.0
SILENT_WITHIN_S = 0.100
REPLY_S = 30.0  # a loaded machine may answer slowly: that is not what is tested here
LONG_WAIT = {"variant": "cue", "trials": 50, "lead_in_ms": 0, "foreperiod_ms": 3000}
CALL_AND_RESPONSE = {"trials": 1, "start_level": 2, "adaptive": False, "lead_in_ms": 300}


@dataclass(frozen=True)
class Block:
    """One JACK cycle of the engine's output as the port carried it."""

    frame: int  # JACK's frame clock at the cycle's first frame
    cycle_s: float  # time.monotonic() at the cycle's start
    audio: np.ndarray  # (frames, channels) float32


class PortRecorder:
    """A JACK client recording the engine's output ports, one block per process cycle.

    The cycle's start on the monotonic clock is ``now - frames_since_cycle_start / rate``,
    taken in the callback (JACK's own frames-to-time estimate goes wrong after the xruns that
    non-realtime jackd has).
    """

    def __init__(self, name: str = "sl-port-meter", channels: int = 2) -> None:
        import jack as jack_client

        self.client = jack_client.Client(name, no_start_server=True)
        self.inputs = [self.client.inports.register(f"in_{i + 1}") for i in range(channels)]
        self.rate = self.client.samplerate
        self._blocks: list[Block] = []
        self._lock = threading.Lock()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def connect_engine(self, timeout_s: float = 30.0) -> list[str]:
        """Connect the ports the engine plays into system:playback_N to our in_N."""
        sources: list[str] = []
        for index, port in enumerate(self.inputs):
            playback = f"system:playback_{index + 1}"
            _wait_for(lambda p=playback: bool(self.client.get_all_connections(p)), timeout_s)
            (source,) = (p.name for p in self.client.get_all_connections(playback))
            self.client.connect(source, port)
            sources.append(source)
        return sources

    def take(self) -> list[Block]:
        """The blocks recorded since the last take."""
        with self._lock:
            blocks, self._blocks = self._blocks, []
        return blocks

    def close(self) -> None:
        """Deactivate and close the client."""
        self.client.deactivate()
        self.client.close()

    def _process(self, frames: int) -> None:
        cycle_s = time.monotonic() - self.client.frames_since_cycle_start / self.rate
        audio = np.stack([port.get_array() for port in self.inputs], axis=1)  # a copy
        with self._lock:
            self._blocks.append(Block(self.client.last_frame_time, cycle_s, audio))


def runs(blocks: list[Block]) -> list[list[Block]]:
    """The blocks split where a frame is missing between two (a cycle the recorder missed)."""
    split: list[list[Block]] = []
    for block in blocks:
        if split and split[-1][-1].frame + len(split[-1][-1].audio) == block.frame:
            split[-1].append(block)
        else:
            split.append([block])
    return split


def interpolated_peaks(run: list[Block]) -> tuple[np.ndarray, np.ndarray]:
    """(frames, peak): the largest magnitude of the four Annex 2 interpolated samples at each
    frame of a gap-free run, over the channels, stamped with the last frame they read. Only
    interpolated samples whose 12 input samples were recorded are measured (a run may start
    mid-sound: assuming silence before it would invent a step)."""
    audio = np.concatenate([block.audio for block in run]).astype(np.float64)
    peak = np.zeros(len(audio) - (ANNEX_2_PHASES.shape[1] - 1))
    for channel in audio.T:
        for taps in ANNEX_2_PHASES:
            peak = np.maximum(peak, np.abs(np.convolve(channel, taps, mode="valid")))
    first = run[0].frame + ANNEX_2_PHASES.shape[1] - 1
    return np.arange(first, first + len(peak)), peak


def true_peak_dbfs(blocks: list[Block]) -> float:
    """The true peak of the recorded blocks (dBFS), each gap-free run measured on its own."""
    peak = max(float(interpolated_peaks(run)[1].max(initial=0.0)) for run in runs(blocks))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def silent_from_s(blocks: list[Block], rate: int, threshold_dbfs: float) -> float | None:
    """The monotonic time of the first frame after which the port stays under
    ``threshold_dbfs`` true peak to the end of the recording (None if it never goes under)."""
    threshold = 10.0 ** (threshold_dbfs / 20.0)
    last_loud = None
    for run in runs(blocks):
        frames, peak = interpolated_peaks(run)
        loud = np.flatnonzero(peak >= threshold)
        if len(loud):
            last_loud = int(frames[loud[-1]])
    if last_loud is None:
        return blocks[0].cycle_s
    end = blocks[-1].frame + len(blocks[-1].audio)
    if last_loud + 1 >= end:
        return None
    quiet = last_loud + 1
    block = next(b for b in blocks if b.frame + len(b.audio) > quiet)  # or the one after a gap
    return block.cycle_s + max(0, quiet - block.frame) / rate


@dataclass
class LiveEngine:
    """The engine process, a client attached to it, the child's keyboard and the port meter."""

    client: EngineClient
    keyboard: Any  # rtmidi.MidiOut
    meter: PortRecorder

    def ask(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The engine's reply to a command (EngineError if it refused it)."""
        return self.client.request(kind, timeout_s=REPLY_S, **fields)

    def play(self, notes: range, velocity: int, hold_s: float | None) -> None:
        """Press ``notes`` on the keyboard (channel 1); release them after ``hold_s``
        (None: keep them held)."""
        for note in notes:
            self.keyboard.send_message([0x90, note, velocity])
        if hold_s is not None:
            time.sleep(hold_s)
            self.release(notes)

    def release(self, notes: range) -> None:
        """Let go of ``notes``."""
        for note in notes:
            self.keyboard.send_message([0x80, note, 0])

    def reset(self) -> None:
        """No activity, no session, no child chosen, nothing held, the default cap."""
        self.release(CHORD)
        self.ask("end_session")
        self.ask("select_child", child=None)
        _wait_for(lambda: self.client.state["session_id"] is None, REPLY_S)
        self.ask("set_volume_cap", dbfs=-12)


@pytest.fixture(scope="module")
def live(jack: JackServer) -> Iterator[LiveEngine]:
    try:
        import jack as jack_client  # noqa: F401  (JACK-Client, for the port meter)
    except ImportError:
        require(False, "JACK-Client not installed (pip install JACK-Client)")
    import rtmidi

    from soundness_live.live.client import start_engine

    home = _home()
    process = start_engine(home, ENGINE_ARGS)
    keyboard = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, KEYBOARD)
    keyboard.open_virtual_port("out")
    meter = PortRecorder()
    client = None
    try:
        client = _attach(home, timeout_s=60.0)
        assert "JACK" in client.state["output"], client.state["output"]
        meter.connect_engine()
        _wait_for(
            lambda: any(KEYBOARD in d["device"] for d in client.state.get("devices", [])), 30.0
        )
        yield LiveEngine(client, keyboard, meter)
    finally:
        try:
            if client is not None:
                shut_down(client, process)
        finally:
            meter.close()
            keyboard.close_port()
            keyboard.delete()  # its JACK client goes with it, before the server stops
            _stop(process)
            shutil.rmtree(home, ignore_errors=True)


def shut_down(client: EngineClient, process: subprocess.Popen) -> None:
    """Ask the engine to stop and wait for it (the fixture kills it if it does not)."""
    try:
        client.request("shutdown", timeout_s=REPLY_S)
        process.wait(timeout=REPLY_S)
    except (EngineError, ProtocolError, subprocess.TimeoutExpired) as error:
        print(f"the engine did not shut down: {error}")
    finally:
        client.close()


def open_session(live: LiveEngine, activity: str, params: dict[str, Any]) -> None:
    """Start ``activity`` for the child on live input (opening their session if none is)."""
    live.ask("start_activity", activity=activity, params=params, input="live", child=CHILD)
    _wait_for(lambda: live.client.state["activity"] == activity, REPLY_S)


def loud_chord_peak_dbfs(live: LiveEngine) -> float:
    """The port's true peak while the child plays a velocity-127 chord at full device volume."""
    live.ask("set_device", device=KEYBOARD, program=PIANO, volume=127)
    live.meter.take()
    live.play(CHORD, 127, hold_s=1.5)
    time.sleep(0.5)  # the release tails
    blocks = live.meter.take()
    peak_dbfs = true_peak_dbfs(blocks)
    if peak_dbfs < SILENCE_DBFS:  # seen once in a full run, not since: say what the engine saw
        runs_seen = len(runs(blocks))
        print(
            f"\na silent chord: {len(blocks)} blocks in {runs_seen} runs; {engine_counters(live)}"
        )
    return peak_dbfs


def engine_counters(live: LiveEngine) -> str:
    """The engine's MIDI, thru and output counters and devices, as its snapshot says them."""
    state = live.client.state
    names = ("midi_status", "output", "output_errors", "thru_late", "late_events",
             "cancelled_events", "dropped_commands", "midi_flood_dropped", "midi_queue_dropped",
             "jack_frame_errors", "midi_failures", "devices")  # fmt: skip
    return ", ".join(f"{name}={state.get(name)!r}" for name in names)


def test_a_cap_asked_above_the_childs_holds_at_the_jack_port(live: LiveEngine) -> None:
    live.reset()
    try:
        open_session(live, "waiting", LONG_WAIT)
        assert live.client.state["volume_cap_dbfs"] == CHILD_CAP_DBFS
        reply = live.ask("set_volume_cap", dbfs=0)
        first_dbfs = loud_chord_peak_dbfs(live)
        cap_after = live.client.state["volume_cap_dbfs"]
        live.ask("stop")
        _wait_for(lambda: live.client.state["activity"] is None, REPLY_S)
        open_session(live, "call-and-response", CALL_AND_RESPONSE)  # the session's next
        next_dbfs = loud_chord_peak_dbfs(live)
        cap_next = live.client.state["volume_cap_dbfs"]
        print(
            f"\nasked 0 dBFS, set {reply.get('volume_cap_dbfs')}; true peak at the JACK port: "
            f"{first_dbfs:.2f} dBFS, next activity {next_dbfs:.2f} dBFS"
        )
        assert first_dbfs <= CHILD_CAP_DBFS and next_dbfs <= CHILD_CAP_DBFS
        assert reply["volume_cap_dbfs"] == CHILD_CAP_DBFS and reply["requested_dbfs"] == 0.0
        assert reply["child_cap_dbfs"] == CHILD_CAP_DBFS
        assert cap_after == CHILD_CAP_DBFS and cap_next == CHILD_CAP_DBFS
        # the chord is loud enough to test the cap: the limiter holds it near the ceiling
        assert first_dbfs > CHILD_CAP_DBFS - 3.0 and next_dbfs > CHILD_CAP_DBFS - 3.0
    finally:
        live.reset()


def test_a_chosen_childs_cap_holds_at_the_jack_port_before_any_activity_and_after_the_session(
    live: LiveEngine,
) -> None:
    live.reset()
    try:
        nobody_dbfs = loud_chord_peak_dbfs(live)  # no child chosen: the default cap, -12
        chosen = live.ask("select_child", child=CHILD)
        asked = live.ask("set_volume_cap", dbfs=0)
        _wait_for(lambda: live.client.state["child_cap_dbfs"] == CHILD_CAP_DBFS, REPLY_S)
        cap_shown = live.client.state["volume_cap_dbfs"]
        before_dbfs = loud_chord_peak_dbfs(live)  # he plays freely before any activity
        open_session(live, "waiting", LONG_WAIT)
        live.ask("stop")
        live.ask("end_session")
        ended = live.ask("set_volume_cap", dbfs=0)
        after_dbfs = loud_chord_peak_dbfs(live)  # still at the keyboard
        unchosen = live.ask("select_child", child=None)
        lifted = live.ask("set_volume_cap", dbfs=0)
        print(
            f"\ntrue peak at the JACK port: no child {nobody_dbfs:.2f} dBFS; {CHILD} chosen, "
            f"0 asked, {asked['volume_cap_dbfs']} set: {before_dbfs:.2f} dBFS before any "
            f"activity, {after_dbfs:.2f} dBFS after end_session ({ended['volume_cap_dbfs']} set)"
        )
        assert chosen["volume_cap_dbfs"] == CHILD_CAP_DBFS == chosen["child_cap_dbfs"]
        assert asked["volume_cap_dbfs"] == CHILD_CAP_DBFS == cap_shown
        assert ended["volume_cap_dbfs"] == CHILD_CAP_DBFS == ended["child_cap_dbfs"]
        assert before_dbfs <= CHILD_CAP_DBFS and after_dbfs <= CHILD_CAP_DBFS
        # the chord is loud enough to test the cap: near -12 with no child, near -18 with him
        assert nobody_dbfs > CHILD_CAP_DBFS + 3.0
        assert before_dbfs > CHILD_CAP_DBFS - 3.0 and after_dbfs > CHILD_CAP_DBFS - 3.0
        assert unchosen["child_cap_dbfs"] is None and lifted["volume_cap_dbfs"] == 0.0
    finally:
        live.reset()


@pytest.mark.parametrize("command", ["stop", "end_session"])
def test_stop_and_end_session_silence_a_held_thru_note_at_the_jack_port(
    live: LiveEngine, command: str
) -> None:
    live.reset()
    held = range(48, 49)
    try:
        open_session(live, "waiting", LONG_WAIT)
        live.ask("stop")  # the session stays open, no activity runs
        _wait_for(lambda: live.client.state["activity"] is None, REPLY_S)
        live.ask("set_device", device=KEYBOARD, program=ORGAN)
        live.meter.take()
        live.play(held, 100, hold_s=None)  # pressed and held: no note-off comes
        time.sleep(1.0)
        before = live.meter.take()
        sent_s = time.monotonic()
        live.ask(command)
        time.sleep(1.5)
        after = live.meter.take()
        sounding_dbfs = true_peak_dbfs([b for b in before if b.cycle_s > sent_s - 0.25])
        silent_s = silent_from_s(after, live.meter.rate, SILENCE_DBFS)
        took = "never" if silent_s is None else f"{1000 * (silent_s - sent_s):.1f} ms"
        gaps = len(runs(after)) - 1
        print(f"\n{command}: held note {sounding_dbfs:.1f} dBFS, silent after {took} ({gaps} gaps)")
        assert sounding_dbfs > -40.0  # over its last 250 ms the held note sounded through thru
        assert silent_s is not None, f"the held note still sounds 1.5 s after {command}"
        assert silent_s - sent_s <= SILENT_WITHIN_S, took
    finally:
        live.release(held)
        live.reset()
