"""The child's MIDI playing in a live session: thru to the renderer, responses for scoring.

:class:`LiveInput` (an ``InputSource``) runs in the MIDI callback: it applies the device's
playing aids and role, pushes the SOUNDING note straight into the renderer queue (thru: the
child's sound never waits for activity logic or a UI frame; placed at the next block or at a
constant delay from its timestamp, see :mod:`soundness_live.live.thru`) and keeps the PLAYED
note as a :class:`Response` on the session axis for scoring (a controller, the pitch wheel
and channel pressure only sound: they are never played notes) (the axes:
:mod:`soundness_live.live.timeline`). ``take_until`` waits until every note up to a frame can
have arrived (heard time + delivery margin).

Each event is shaped (aids) and routed (roles) once, when it arrives: the sound the renderer
gets and the response the activity scores are made from the same route, so a role or an aid
changed before the activity reads the note cannot make the record say another note sounded.
A played note is queued once, for the activity thread, in a bounded queue; a note that finds
it full is dropped and counted (:attr:`LiveInput.dropped`, in the engine's snapshot).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import replace

from ..activities.base import Response, Show
from ..core.clock import ClockMapping
from ..core.events import (
    DRUM_CHANNEL,
    AllNotesOff,
    ChannelPressure,
    ControlChange,
    DeviceChange,
    InputEvent,
    NoteOff,
    NoteOn,
    PitchBend,
    ProgramChange,
    SynthEvent,
)
from ..players.aids import AidSettings, PlayingAids
from ..players.roles import DeviceRole, DeviceRoles, Route
from .thru import IMMEDIATE, ThruTiming
from .timeline import LiveRenderer, LiveTimeline

PLAYED_CAPACITY = 8192  # played notes waiting for the activity thread (minutes of a flood)
ONSETS_KEPT = 256  # the child's latest note-ons for the screen's live taps (a bounded ring)


class LiveInput:
    """The child's (and therapist's) MIDI playing: thru to the renderer, responses for scoring.

    Feed it with ``MidiInputs(on_event=live.on_event, on_device_change=live.on_device_change,
    mapping=lambda: output.mapping)`` (or a ``ScriptedInput``). ``notify(text, change)`` tells
    the UI about devices; ``timeline`` is set while an activity runs (else notes only sound).
    ``thru`` places the sounding events (default: at the next block); in constant mode
    ``thru_late`` counts events that came too late for their frame and played at once.
    """

    sounds_itself = True
    input_kind = "live"

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
        self.child_devices_lost = 0  # how many times a device a child plays was disconnected
        self.roles = DeviceRoles(default_player)
        self._role_list: list[DeviceRole] = []
        self._aid_settings: dict[str, AidSettings] = {}
        self._aids: dict[str, PlayingAids | None] = {}
        self._held: dict[str, set[tuple[int, int]]] = {}  # device -> sounding (channel, note)
        # played notes for the activity thread: (event, session frame, response of a note-on)
        self._arrived: deque[tuple[InputEvent, float, Response | None]] = deque()
        self.dropped = 0  # played notes the full queue had no room for
        # told of each instrument a role sets, before it reaches the renderer (the engine's
        # preparer lays its samples out off the audio thread)
        self.on_program: Callable[[ProgramChange], None] | None = None
        self._taken: list[Response] = []
        # the session frame of each note the child plays, as it is played: the therapist's
        # screen shows each tap as it lands (live/tap_marks.py empties it, off this path)
        self.onsets: deque[float] = deque(maxlen=ONSETS_KEPT)

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
        self._prepare(roles.program_change(role.match, 0))  # before its device plays
        for device, connected in list(self.connected.items()):
            if connected:
                self.renderer.push(self._prepare(roles.program_change(device, 0)), True)

    def _prepare(self, change: ProgramChange) -> ProgramChange:
        """Ask for ``change``'s program to be laid out; ``change``."""
        if self.on_program is not None:
            self.on_program(change)
        return change

    def clear_settings(self) -> None:
        """Every device back to the default role and no playing aids (another child is
        chosen: the last one's instruments and aids were theirs); instruments set at once."""
        self._role_list = []
        self.roles = DeviceRoles(self.roles.default.player)
        self._aid_settings = {}
        self._aids = {}
        for device, connected in list(self.connected.items()):
            if connected:
                self.renderer.push(self.roles.program_change(device, 0), True)

    def child_devices(self) -> list[str]:
        """The connected devices a child plays (a therapist's own device answers no trial)."""
        roles = self.roles
        return sorted(
            name
            for name, up in list(self.connected.items())
            if up and roles.role_for(name).player != "therapist"
        )

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
        roles = self.roles  # one registry for the whole event (set_role swaps it whole)
        sounded: Route | None = None
        for sound in sounding:
            route = roles.route(sound.device, sound.channel, sound.note)
            self._sound(sound, route, delayed=sound.time_s > event.time_s)
            if sound.kind == "note_on":
                sounded = route
        if event.kind in ("note_on", "note_off"):
            self._keep(event, sounded)

    def _keep(self, event: InputEvent, sounded: Route | None) -> None:
        """Queue a played note for the activity thread (dropped and counted when full)."""
        if len(self._arrived) >= PLAYED_CAPACITY:
            self.dropped += 1
            return
        heard = event.frame
        if heard is None:
            heard = self.mapping().frame_at(event.time_s)
        timeline = self.timeline
        frame = timeline.to_session(heard) if timeline is not None else heard
        response = None
        if event.kind == "note_on":
            if sounded is None:  # the aids sounded nothing: it is scored as played, unrouted
                sounded = _played_route(self.roles, event)
            response = _response(event, frame, sounded)
            if sounded.player != "therapist":
                self.onsets.append(frame)
        self._arrived.append((event, frame, response))

    def _sound(self, event: InputEvent, route: Route, delayed: bool) -> None:
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
        else:
            control = _control(event, 0, route.channel)
            if control is not None:
                self.renderer.push(control, True)

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
        else:
            control = _control(event, frame, channel)
            if control is not None:
                self._place(control, frame < self.renderer.frame)

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
            if self.roles.role_for(change.device).player != "therapist":
                self.child_devices_lost += 1  # the trial in progress cannot count
            self.all_notes_off(change.device)
        else:
            self.renderer.push(self._prepare(self.roles.program_change(change.device, 0)), True)
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
        self._collect()
        due = [r for r in self._taken if r.frame < until_frame]
        self._taken = [r for r in self._taken if r.frame >= until_frame]
        return due

    def drain(self, held_back: bool = False) -> list[Response]:
        """Every note played and not taken yet, at once (no activity is listening).

        ``held_back``: keep the notes still held (no note-off yet) for a later drain, so they
        are stored with their length.
        """
        self._collect()
        if held_back:
            played = [r for r in self._taken if r.duration_frames is not None]
            self._taken = [r for r in self._taken if r.duration_frames is None]
        else:
            played, self._taken = self._taken, []
        return played

    def _collect(self) -> None:
        while self._arrived:
            event, frame, response = self._arrived.popleft()
            if response is not None:
                self._taken.append(response)
            else:
                self._close(event, frame)
        self._taken.sort(key=lambda r: r.frame)

    def _close(self, off: InputEvent, frame: float) -> None:
        for index in range(len(self._taken) - 1, -1, -1):
            on = self._taken[index]
            if (on.device, on.channel, on.note) == (off.device, off.channel, off.note):
                if on.duration_frames is None:
                    self._taken[index] = replace(on, duration_frames=max(0.0, frame - on.frame))
                return


def _control(event: InputEvent, frame: int, channel: int) -> SynthEvent | None:
    """What a controller, pitch wheel or pressure message sounds as on ``channel`` (the
    device's route), or None: bank select is the engine's, a program the role's."""
    if event.kind == "cc" and event.note not in (0, 32):
        return ControlChange(frame, channel, event.note, event.velocity)
    if event.kind == "bend":
        return PitchBend(frame, channel, event.bend_value)
    if event.kind == "pressure":
        return ChannelPressure(frame, channel, event.velocity)
    return None


def _played_route(roles: DeviceRoles, event: InputEvent) -> Route:
    """The route of the key as played (for a note whose aids sounded nothing)."""
    return roles.route(event.device, event.channel, event.note)


def _response(event: InputEvent, frame: float, sounded: Route) -> Response:
    """What the child played, as the activity scores it, with the note it sounded."""
    return Response(
        frame=float(frame),
        note=event.note,
        velocity=event.velocity,
        device=event.device,
        player=sounded.player,
        clock=event.clock,
        channel=event.channel,
        sounded_note=sounded.note,
    )


def device_message(role: DeviceRole, change: DeviceChange) -> str:
    """What the therapist reads: "drum pad disconnected", "keyboard connected"."""
    kind = "drum pad" if role.kind == "pad" else "keyboard"
    state = "connected" if change.connected else "disconnected"
    return f"{kind} {state} ({change.device})"
