"""The live side of a session: sound to the audio callback, the child's notes from MIDI ports.

Two axes. The *output axis* is the renderer's frame counter (it never stops). The *session
axis* is what activities and records see (frame 0 = the start of the stored session); it is the
output axis minus :attr:`LiveTimeline.offset_frames`. The offset only changes when the therapist
skips a trial, pauses or hits "quiet": the activity's time then jumps to "now", so it never plays
a backlog of late notes. Records stay consistent (prompts and responses share the session axis).

- :class:`LiveSink` (a ``SoundSink``) keeps the activity's events and hands them to the
  renderer's command queue a short look-ahead before their frame; ``advance_to`` waits (short
  sleeps on the activity thread, never in the audio callback) until the output reached a frame.
- :class:`LiveInput` (an ``InputSource``) runs in the MIDI callback: it applies the device's
  playing aids and role, pushes the SOUNDING note straight into the renderer queue (thru: the
  child's sound never waits for activity logic or a UI frame; placed at the next block or at a
  constant delay from its timestamp, see :mod:`soundness_live.thru`) and keeps the PLAYED note
  as a :class:`Response` on the session axis for scoring. ``take_until`` waits until every
  note up to a frame can have arrived (heard time + delivery margin).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import numpy as np

from .activities.base import Response, Show
from .aids import AidSettings, PlayingAids
from .clock import ClockMapping
from .devices import DeviceRole, DeviceRoles
from .errors import SoundnessError
from .events import DRUM_CHANNEL, AllNotesOff, ControlChange, NoteOff, NoteOn, SynthEvent
from .midi.input import DeviceChange, InputEvent
from .thru import IMMEDIATE, ThruTiming

LOOKAHEAD_S = 0.06  # events reach the renderer this long before their frame
POLL_S = 0.004  # the activity thread's wait step
INPUT_MARGIN_S = 0.015  # MIDI delivery (about one driver period) + scheduling slack


class LiveRenderer(Protocol):
    """The renderer surface the live side uses (``soundness_live.audio.renderer.Renderer``)."""

    @property
    def frame(self) -> int:
        """Output frames rendered so far."""
        ...

    def push(self, event: SynthEvent, immediate: bool = False) -> bool:
        """Queue ``event`` (thread-safe, bounded); ``immediate`` plays it at the next block."""
        ...

    def panic(self, fade_ms: float = 50.0) -> None:
        """All sound off with a short fade."""
        ...


class SessionStopped(SoundnessError):
    """The activity was stopped while it waited (raised on the activity thread)."""


class StandInRenderer:
    """A renderer that keeps the commands it gets and renders silence (tests, no synth).

    It has the live renderer's surface (``push``, ``render_into``, ``frame``, ``panic``), so the
    engine, the outputs and the tests run without a SoundFont synth.
    """

    def __init__(self, max_commands: int = 100_000) -> None:
        self.frame = 0
        self.commands: deque[tuple[SynthEvent, bool]] = deque(maxlen=max_commands)
        self.panics = 0
        self.cap_dbfs: float | None = None

    def push(self, event: SynthEvent, immediate: bool = False) -> bool:
        """Keep the command (thread-safe: deque appends are atomic)."""
        self.commands.append((event, immediate))
        return True

    def render_into(self, out: np.ndarray) -> None:
        """Silence; the frame counter moves."""
        out.fill(0.0)
        self.frame += len(out)

    def panic(self, fade_ms: float = 50.0) -> None:
        """Count the panic (there is no sound to fade)."""
        self.panics += 1


class LiveTimeline:
    """The session axis over a running output, and the therapist's interruptions.

    ``output_frame()`` reads the renderer's frame counter; ``mapping()`` the output's clock
    mapping. :meth:`skip` / :meth:`pause` / :meth:`stop` may be called from any thread; the
    activity thread notices them in its waits.
    """

    def __init__(
        self,
        output_frame: Callable[[], int],
        mapping: Callable[[], ClockMapping],
        sample_rate: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output_frame = output_frame
        self.mapping = mapping
        self.sample_rate = sample_rate
        self.clock = clock
        self.offset_frames = output_frame()
        self.paused = False
        self.stopped = False
        self.skips: list[float] = []  # session frames at which a trial was cut short
        self._skip = False
        self._wake = threading.Event()
        self.on_jump: Callable[[], None] | None = None  # the sink drops pending sounds
        self.feed: Callable[[], None] = lambda: None  # the sink hands on due events

    def now(self) -> int:
        """The render head on the session axis."""
        return self.output_frame() - self.offset_frames

    def to_output(self, session_frame: float) -> float:
        """Session axis -> output axis."""
        return session_frame + self.offset_frames

    def to_session(self, output_frame: float) -> float:
        """Output axis -> session axis."""
        return output_frame - self.offset_frames

    def skip(self) -> None:
        """Cut the trial in progress short (its record is marked void)."""
        self._skip = True
        self._wake.set()

    def pause(self) -> None:
        """Cut the trial in progress short and start nothing new until :meth:`resume`."""
        self.paused = True
        self.skip()

    def resume(self) -> None:
        """Carry on after a pause."""
        self.paused = False
        self._wake.set()

    def stop(self) -> None:
        """Make every wait raise :class:`SessionStopped`."""
        self.stopped = True
        self._wake.set()

    def restart(self) -> None:
        """Clear the stop flag (a new activity is about to run)."""
        self.stopped = self.paused = self._skip = False

    def wait_output(self, session_frame: float) -> None:
        """Wait until the output rendered ``session_frame`` (feeding the sink meanwhile)."""
        self._wait(lambda: self.output_frame() - self.to_output(session_frame), session_frame)

    def wait_heard(self, session_frame: float) -> None:
        """Wait until ``session_frame`` was heard and any input up to it had time to arrive."""
        margin = INPUT_MARGIN_S * self.sample_rate

        def ahead() -> float:
            mapping = self.mapping()
            heard = mapping.frame_at(self.clock())
            return heard - margin - self.to_output(session_frame)

        self._wait(ahead, session_frame)

    def _wait(self, ahead: Callable[[], float], target: float) -> None:
        while True:
            self.feed()
            if self.stopped:
                raise SessionStopped("the activity was stopped")
            if self._skip:
                self._jump(target)
                continue  # a pause holds here until resumed
            if self.paused:
                self._wake.wait(0.05)
                self._wake.clear()
                self.offset_frames = self.output_frame() - int(target)  # time stands still
                continue
            frames_ahead = ahead()
            if frames_ahead >= 0:
                return
            self._wake.wait(min(POLL_S, -frames_ahead / self.sample_rate))
            self._wake.clear()

    def _jump(self, target: float) -> None:
        self._skip = False
        self.skips.append(float(self.now()))
        self.offset_frames = self.output_frame() - int(target)
        if self.on_jump is not None:
            self.on_jump()


class LiveSink:
    """A ``SoundSink`` over a live renderer: events are fed a look-ahead before their frame."""

    def __init__(self, renderer: LiveRenderer, timeline: LiveTimeline, latency_s: float) -> None:
        self.renderer = renderer
        self.timeline = timeline
        self.output_latency_frames = latency_s * timeline.sample_rate
        self.lookahead_frames = int(LOOKAHEAD_S * timeline.sample_rate)
        self.dropped = 0
        self._pending: list[tuple[int, int, SynthEvent]] = []  # (output frame, seq, event)
        self._sequence = itertools.count()
        self._lock = threading.Lock()  # the activity thread and a therapist's command
        timeline.on_jump = self.drop_pending
        timeline.feed = self.feed

    @property
    def frame(self) -> int:
        """The render head on the session axis (what is scheduled earlier plays late)."""
        return self.timeline.now()

    def schedule(self, event: SynthEvent) -> None:
        """Play ``event`` at its session frame."""
        at = int(round(self.timeline.to_output(event.frame)))
        with self._lock:
            heapq.heappush(self._pending, (at, next(self._sequence), replace(event, frame=at)))
        self.feed()

    def advance_to(self, frame: int) -> None:
        """Return once the output has rendered session frame ``frame``."""
        self.timeline.wait_output(frame)

    def feed(self) -> None:
        """Hand the renderer every event due within the look-ahead."""
        horizon = self.timeline.output_frame() + self.lookahead_frames
        with self._lock:
            while self._pending and self._pending[0][0] < horizon:
                _, _, event = heapq.heappop(self._pending)
                if not self.renderer.push(event):
                    self.dropped += 1

    def drop_pending(self) -> None:
        """Forget sounds not yet handed on (a skip, pause or stop); what sounds fades out."""
        with self._lock:
            offs = [e for _, _, e in self._pending if isinstance(e, NoteOff)]
            self._pending.clear()
        for event in offs:  # their note-ons may have sounded already: never leave one stuck
            self.renderer.push(replace(event, frame=0), immediate=True)
        self.renderer.panic(50.0)


class LiveInput:
    """The child's (and therapist's) MIDI playing: thru to the renderer, responses for scoring.

    Feed it with ``MidiInputs(on_event=live.on_event, on_device_change=live.on_device_change,
    mapping=lambda: output.mapping)`` (or a ``ScriptedInput``). ``notify(text, change)`` tells
    the UI about devices; ``timeline`` is set while an activity runs (else notes only sound).
    ``thru`` places the sounding events (default: at the next block); in constant mode
    ``thru_late`` counts events that came too late for their frame and played at once.
    """

    sounds_itself = True

    def __init__(
        self,
        renderer: LiveRenderer,
        mapping: Callable[[], ClockMapping],
        sample_rate: int,
        default_player: str = "child",
        notify: Callable[[str, DeviceChange], None] | None = None,
        thru: ThruTiming = IMMEDIATE,
    ) -> None:
        self.renderer = renderer
        self.thru = thru
        self.thru_late = 0
        self._shift: dict[tuple[str, int, int], tuple[int, int]] = {}  # -> (on frame, lateness)
        self.mapping = mapping
        self.sample_rate = sample_rate
        self.notify = notify
        self.timeline: LiveTimeline | None = None
        self.connected: dict[str, bool] = {}
        self.roles = DeviceRoles(default_player)
        self._role_list: list[DeviceRole] = []
        self._aid_settings: dict[str, AidSettings] = {}
        self._aids: dict[str, PlayingAids | None] = {}
        self._held: dict[str, set[tuple[int, int]]] = {}  # device -> sounding (channel, note)
        self._arrived: deque[tuple[InputEvent, float]] = deque(maxlen=8192)
        self._taken: list[Response] = []

    # -- settings (engine thread) ------------------------------------------------------------
    def set_aids(self, match: str, settings: AidSettings) -> None:
        """Playing aids for the devices whose name contains ``match`` (case-insensitive, the
        newest setting first, as roles match); takes effect on their next note."""
        self._aid_settings = {match: settings} | {
            k: v for k, v in self._aid_settings.items() if k != match
        }
        self._aids = {}  # one assignment: the MIDI thread sees the old or the new table

    def _aids_for(self, device: str) -> PlayingAids | None:
        aids = self._aids.get(device)
        if aids is None and device not in self._aids:
            name = device.lower()
            found = next((v for k, v in self._aid_settings.items() if k.lower() in name), None)
            aids = PlayingAids(found, self.sample_rate) if found is not None else None
            self._aids[device] = aids
        return aids

    def set_role(self, role: DeviceRole) -> None:
        """A device's role (player, kind, instrument); instruments are set again at once."""
        self._role_list = [role] + [r for r in self._role_list if r.match != role.match]
        roles = DeviceRoles(self.roles.default.player)
        for each in self._role_list:
            roles.add(each)
        self.roles = roles  # one assignment: the MIDI thread sees the old or the new registry
        for device, connected in list(self.connected.items()):
            if connected:
                self.renderer.push(roles.program_change(device, 0), True)

    def reset(self) -> None:
        """Forget notes not yet taken (a new activity starts)."""
        self._arrived.clear()
        self._taken = []

    # -- the MIDI callback path (real-time ring: no I/O, no logging, no blocking) -------------
    def on_event(self, event: InputEvent) -> None:
        """Thru: push what sounds into the renderer now; keep what was played for scoring."""
        if event.device not in self.connected:
            self.connected[event.device] = True
        aids = self._aids_for(event.device)
        sounding = aids.apply(event).sounding if aids is not None else (event,)
        for sound in sounding:
            self._sound(sound, delayed=sound.time_s > event.time_s)
        if event.kind in ("note_on", "note_off"):
            heard = event.frame
            if heard is None:
                heard = self.mapping().frame_at(event.time_s)
            timeline = self.timeline
            frame = timeline.to_session(heard) if timeline is not None else heard
            self._arrived.append((event, frame))

    def _sound(self, event: InputEvent, delayed: bool) -> None:
        route = self.roles.route(event.device, event.channel, event.note)
        held = self._held.setdefault(event.device, set())
        if self.thru.constant:
            self._sound_at_constant_delay(event, route.channel, route.note)
            if event.kind == "note_on":
                held.add((route.channel, route.note))
            elif event.kind == "note_off":
                held.discard((route.channel, route.note))
        elif event.kind == "note_on":
            held.add((route.channel, route.note))
            self.renderer.push(NoteOn(0, route.channel, route.note, event.velocity), True)
        elif event.kind == "note_off":
            held.discard((route.channel, route.note))
            if delayed:  # minimum note length: the release has its own frame
                mapping = self.mapping()
                frame = int(mapping.frame_at(event.time_s) - mapping.latency_frames)
                self.renderer.push(NoteOff(frame, route.channel, route.note), False)
            else:
                self.renderer.push(NoteOff(0, route.channel, route.note), True)
        elif event.kind == "cc" and event.note not in (0, 32):  # bank select is the engine's
            self.renderer.push(ControlChange(0, route.channel, event.note, event.velocity), True)

    def _sound_at_constant_delay(self, event: InputEvent, channel: int, note: int) -> None:
        """Constant mode: every event at its timestamp + the thru delay (see ``thru``)."""
        frame = self.thru.frame_for(self.mapping(), event.time_s)
        key = (event.device, channel, note)
        if event.kind == "note_on":
            now = self.renderer.frame
            lateness = max(0, now - frame)
            self._shift[key] = (frame + lateness, lateness)
            self._place(NoteOn(frame + lateness, channel, note, event.velocity), lateness > 0)
        elif event.kind == "note_off":
            on_frame, lateness = self._shift.pop(key, (frame, 0))
            off_frame = max(frame + lateness, on_frame)  # a late note keeps its length
            self._place(NoteOff(off_frame, channel, note), off_frame < self.renderer.frame)
        elif event.kind == "cc" and event.note not in (0, 32):  # bank select is the engine's
            cc = ControlChange(frame, channel, event.note, event.velocity)
            self._place(cc, frame < self.renderer.frame)

    def _place(self, event: SynthEvent, late: bool) -> None:
        if late:  # its frame was rendered already: at once, rather than counted late
            self.thru_late += 1
            self.renderer.push(replace(event, frame=0), True)
        else:
            self.renderer.push(event, False)

    # -- devices (watcher thread) ----------------------------------------------------------
    def on_device_change(self, change: DeviceChange) -> None:
        """A device came or went: silence a lost device's notes; tell the UI."""
        self.connected[change.device] = change.connected
        if not change.connected:
            self.all_notes_off(change.device)
        else:
            self.renderer.push(self.roles.program_change(change.device, 0), True)
        if self.notify is not None:
            self.notify(device_message(self.roles.role_for(change.device), change), change)

    def all_notes_off(self, device: str | None = None) -> None:
        """Release every note a device (None: every device) holds; stuck notes impossible."""
        devices = list(self._held) if device is None else [device]
        channels: set[int] = set()
        for name in devices:
            for channel, note in sorted(self._held.pop(name, set())):
                on_frame, _ = self._shift.pop((name, channel, note), (-1, 0))
                if on_frame >= self.renderer.frame:  # its note-on is still to come
                    self.renderer.push(NoteOff(on_frame, channel, note), False)
                else:
                    self.renderer.push(NoteOff(0, channel, note), True)
                channels.add(channel)
        for channel in sorted(channels - {DRUM_CHANNEL}):  # drums are shared with the prompts
            self.renderer.push(AllNotesOff(0, channel, 20.0), True)

    def stop(self) -> None:
        """Every device's notes off."""
        self.all_notes_off(None)

    # -- the InputSource protocol (activity thread) ------------------------------------------
    def observe(self, cue: Show, now_frame: int) -> None:
        """Live players need no cue from the engine: they see the child view."""

    def take_until(self, until_frame: int) -> list[Response]:
        """Every note played before session frame ``until_frame`` (waits until it could arrive)."""
        if self.timeline is not None:
            self.timeline.wait_heard(until_frame)
        while self._arrived:
            event, frame = self._arrived.popleft()
            if event.kind == "note_on":
                self._taken.append(self._response(event, frame))
            else:
                self._close(event, frame)
        self._taken.sort(key=lambda r: r.frame)
        due = [r for r in self._taken if r.frame < until_frame]
        self._taken = [r for r in self._taken if r.frame >= until_frame]
        return due

    def _close(self, off: InputEvent, frame: float) -> None:
        for index in range(len(self._taken) - 1, -1, -1):
            on = self._taken[index]
            if (on.device, on.channel, on.note) == (off.device, off.channel, off.note):
                if on.duration_frames is None:
                    self._taken[index] = replace(on, duration_frames=max(0.0, frame - on.frame))
                return

    def _response(self, event: InputEvent, frame: float) -> Response:
        route = self.roles.route(event.device, event.channel, event.note)
        aids = self._aids_for(event.device)
        sounded = aids.sounding_note(event.note) if aids is not None else event.note
        return Response(
            frame=float(frame),
            note=event.note,
            velocity=event.velocity,
            device=event.device,
            player=route.player,
            clock=event.clock,
            channel=event.channel,
            sounded_note=route.note if route.drum else sounded,
        )


def device_message(role: DeviceRole, change: DeviceChange) -> str:
    """What the therapist reads: "drum pad disconnected", "keyboard connected"."""
    kind = "drum pad" if role.kind == "pad" else "keyboard"
    state = "connected" if change.connected else "disconnected"
    return f"{kind} {state} ({change.device})"
