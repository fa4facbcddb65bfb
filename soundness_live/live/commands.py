"""What each command of the engine protocol does: the :class:`EngineCommands` mixin.

:meth:`EngineCommands.handle` runs ``_cmd_<type>`` for a message of that type under the
engine's lock; a refusal comes back as ``ok: false`` with the reason. The engine's state (the
renderer, the timeline, the inputs, the store) is :class:`~soundness_live.live.engine.Engine`'s.

``start_activity`` plays the child's live input when a child is named and no ``input`` is
given (the virtual child only when asked for by name: its trials are stored as simulated and
never count toward the child's goals); without a child it defaults to the virtual child, as
nothing is stored. The session it opens records ``therapist`` (else the data directory's
config.toml), who ran it.

A child's limits hold from the moment the therapist chooses them (``select_child``, or
``start_activity`` naming a child), before any activity and after ``end_session`` while they stay
chosen; only choosing another child, or none (``child: null``), changes them: their own volume
cap is the ceiling of every ``set_volume_cap`` (the reply says the cap set), their devices play
with the roles and playing aids of their record.

Therapist actions: ``next_trial`` cuts the trial in progress short (its record is kept, marked
``void``, ``void_reason: "skipped"``); ``pause`` does the same and starts nothing new until
``resume``; ``panic`` (the big "quiet" button) fades every sound at once and pauses the
activity; ``stop`` and ``end_session`` silence everything at once, with or without an activity
(notes a child holds through thru too). A live activity that listens to MIDI (every one but
vocal prompts, which listens to the microphone) does not start with no device of the child's
connected; a trial during which one was disconnected is kept, ``void`` with ``void_reason:
"input device disconnected"``. ``set_prompt_level`` applies to the trial in
progress (the level is written into the next trial record) and falls back to ``independent``
after it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..activities.common import PROMPT_LEVELS
from ..activities.contract import Answer
from ..activities.params import resolve_params
from ..activities.registry import all_activities, get_activity
from ..config import check_therapist, load_settings
from ..core.events import ControlChange, ProgramChange
from ..core.session import Session
from ..errors import DeviceError, ParameterError, SoundnessError
from ..players.child_sound import child_sound
from ..players.profile_aids import aids_from_dict
from ..players.profiles import CODE_PATTERN, ChildProfile, profile_params
from ..players.virtual_child import ChildTraits, virtual_inputs
from ..players.volume_cap import check_cap_dbfs, clamp_cap_dbfs
from ..store.session import StoredSession
from ..voice.prompts import load_voice_analysis, prepare_prompts
from ..voice.scoring import VOICE_SCORING
from .engine_setup import apply_profile_devices
from .voice import live_voice, meter_for

if TYPE_CHECKING:
    from ..core.clock import ClockMapping
    from ..core.session import SessionHooks
    from ..store.records import Store
    from .input import LiveInput
    from .timeline import LiveSink, LiveTimeline
    from .voice import LiveVoiceMeter

log = logging.getLogger(__name__)


class EngineCommands:
    """The protocol's commands, as methods of the :class:`~soundness_live.live.engine.Engine`
    they are mixed into (``self`` is that engine)."""

    # the engine's state the commands act on (set by Engine.__init__)
    sample_rate: int
    renderer: Any
    programs: Any  # the ProgramPreparer (None: no synth)
    output: Any
    soundfont: dict[str, Any]
    timeline: LiveTimeline
    sink: LiveSink
    live_input: LiveInput
    store: Store
    stored: StoredSession | None
    child: str | None
    volume_cap_dbfs: float
    child_cap_dbfs: float | None  # the chosen child's own cap: the ceiling of any cap
    prompt_level: str
    changed: threading.Event
    _lock: threading.RLock
    _thread: threading.Thread | None
    _state: dict[str, Any]
    _cue_generation: int
    _seen_skips: int
    voice_meter: LiveVoiceMeter | None
    microphone: str | None
    open_microphone: Callable[[int, Callable[[], ClockMapping]], Any] | None

    if TYPE_CHECKING:  # the engine's own methods the commands call

        def snapshot(self) -> dict[str, Any]: ...
        def _run(self, session: Session) -> None: ...
        def _stop_activity(self) -> None: ...
        def _hooks(self, activity: str, listens_to_devices: bool) -> SessionHooks: ...
        def _midi_status(self) -> str: ...
        def broadcast_notice(self, text: str) -> None: ...

    def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Carry out one command; the reply fields (``ok``, and ``error`` when it failed)."""
        handler = getattr(self, f"_cmd_{msg['type']}", None)
        if handler is None:
            return {"ok": False, "error": f"the engine cannot {msg['type']!r}"}
        try:
            with self._lock:
                reply = handler(msg) or {}
        except SoundnessError as error:
            return {"ok": False, "error": str(error)}
        except Exception as error:  # a bug must not take the session down with it
            log.exception("command %s failed", msg["type"])
            return {"ok": False, "error": f"{type(error).__name__}: {error}"}
        self.changed.set()
        return {"ok": True, **reply}

    def _cmd_hello(self, msg: dict[str, Any]) -> dict[str, Any]:
        # the process's id: whoever stops the engine can tell when it has exited
        return {"engine_version": __version__, "state": self.snapshot(), "pid": os.getpid()}

    def _cmd_snapshot(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"state": self.snapshot()}

    def _cmd_catalog(self, msg: dict[str, Any]) -> dict[str, Any]:
        children = [
            {"code": c.code, "display_name": c.display_name, "volume_cap_dbfs": c.volume_cap_dbfs}
            for c in self.store.list_children()
        ]
        activities = [
            {"name": a.name, "summary": a.summary, "variants": list(a.variants)}
            for a in all_activities().values()
        ]
        prompts = self.store.prompt_asset_names()
        return {"children": children, "activities": activities, "prompt_assets": prompts}

    def _cmd_start_activity(self, msg: dict[str, Any]) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise ParameterError(
                f"activity {self._state['activity']!r} is running; stop it before starting another"
            )
        activity = get_activity(str(msg.get("activity", "")))
        params = dict(msg.get("params") or {})
        child = msg.get("child")
        source = str(msg.get("input") or ("live" if child else "virtual"))
        if source not in ("virtual", "live"):
            raise ParameterError(f"input must be 'virtual' or 'live', got {source!r}")
        therapist = check_therapist(msg.get("therapist"))
        if source == "live" and activity.answers_with is not Answer.VOICE:
            self._check_input_device()
        if child:
            profile = self.store.get_child(str(child))
            params = profile_params(profile, [spec.name for spec in activity.specs], params)
        resolved = resolve_params(activity.name, activity.specs, params)  # before any session
        if child:
            self._open_session(str(child), therapist)
        elif self.stored is None:
            self.timeline.offset_frames = self.renderer.frame  # an unstored run starts at 0
        session = self._session(activity, params, resolved, source, msg)
        self._state.update(activity=activity.name, variant=resolved.get("variant"), cue=None)
        self._state.update(trials_total=resolved.get("trials"), trials_done=0, input=source)
        self._thread = threading.Thread(target=self._run, args=(session,), name="activity")
        self._thread.start()

    def _check_input_device(self) -> None:
        """A live activity listens to the child's keyboard or drum pad: with none connected,
        every trial would be stored as the child not answering, so it does not start."""
        if not self.live_input.child_devices():
            status = self._midi_status()
            raise ParameterError(
                "no input device connected for the child (MIDI input: "
                f"{status}); connect their keyboard or drum pad, or choose the virtual child"
            )

    def _session(
        self, activity: Any, params: dict, resolved: dict, source: str, msg: dict
    ) -> Session:
        seed = int(msg.get("seed", 0))
        self._store_playing_between()
        self.timeline.restart()
        self.live_input.reset()
        self.sink.output_latency_frames = self.output.latency_s * self.sample_rate
        if source == "live":
            inputs: list[Any] = [self.live_input]
            self.live_input.timeline, programs = self.timeline, {}
        else:
            traits = ChildTraits.from_strings(dict(msg.get("traits") or {}))
            inputs = virtual_inputs(
                activity, resolved, seed=seed, sample_rate=self.sample_rate, traits=traits
            )
            sound = child_sound(activity, resolved)
            programs = {sound.channel: (sound.program, sound.bank)}
        for channel, (program, bank) in programs.items():  # laid out before the first note
            if self.programs is not None:
                self.programs.request_change(ProgramChange(0, channel, program, bank))
        self._seen_skips = len(self.timeline.skips)
        self._cue_generation += 1
        prompts, params = self._prompt_sounds(activity, params, resolved)
        try:
            voice = live_voice(
                activity, resolved, source, sample_rate=self.sample_rate, seed=seed,
                mapping=lambda: self.output.mapping, to_output=self.timeline.to_output,
                open_microphone=self.open_microphone,
            )  # fmt: skip
        except DeviceError as error:  # the status panel keeps saying so, not only this refusal
            self.microphone = f"none: {error}"
            raise
        session = Session(
            activity,
            params,
            sink=self.sink,
            inputs=inputs,
            sample_rate=self.sample_rate,
            seed=seed,
            soundfont=self.soundfont,
            hooks=self._hooks(
                activity.name, source == "live" and activity.answers_with is not Answer.VOICE
            ),
            prompt_level=lambda: self.prompt_level,
            child_programs=programs,
            voice=voice,
            prompt_sounds=prompts,
            voice_scoring=VOICE_SCORING,
        )
        self.voice_meter = meter_for(voice, self.sample_rate, self.changed.set)
        return session

    def _prompt_sounds(self, activity: Any, params: dict, resolved: dict) -> tuple[Any, dict]:
        """Spoken or recorded prompts, made before the activity starts: (sounds, params).

        Without espeak-ng the synth sings the prompts instead, and the therapist is told.
        """
        if activity.answers_with is not Answer.VOICE:
            return None, params
        # the voice analysis (scipy.signal alone loads in about a second) is loaded on a
        # thread now, not when the first prompt or answer needs it during the lead-in
        loading = threading.Thread(target=load_voice_analysis, name="load-voice", daemon=True)
        loading.start()
        prompts, used, message = prepare_prompts(resolved, self.sample_rate, self.store)
        if message:
            self.broadcast_notice(message)
        return prompts, dict(params, prompt_source=used["prompt_source"])

    def _open_session(self, child: str, therapist: str | None) -> ChildProfile:
        profile = self._choose_child(child)  # refused while another child's session is open
        if self.stored is not None and therapist not in (None, self.stored.therapist):
            raise ParameterError(
                f"the session of {child} is run by {self.stored.therapist or 'nobody named'}, "
                f"not {therapist}; end it before starting one for {therapist}"
            )
        if self.stored is None:
            therapist = therapist or load_settings(self.store.path.parent).therapist
            self.stored = StoredSession.start(
                self.store, child, sample_rate=self.sample_rate, params={"live": True},
                therapist=therapist,
            )  # fmt: skip
            self.stored.tell = self.broadcast_notice  # how the clinic sync went, after
            self.timeline.offset_frames = self.renderer.frame  # the session axis starts now
            self.live_input.timeline = self.timeline  # notes are placed on the session axis
            self.live_input.reset()  # what was played before the session is not its own
        assert profile is not None
        return profile

    def _cmd_select_child(self, msg: dict[str, Any]) -> dict[str, Any]:
        if "child" not in msg:
            raise ParameterError("select_child needs 'child': a child's code, or null for none")
        child = msg["child"]
        if child is not None and not (isinstance(child, str) and CODE_PATTERN.match(child)):
            raise ParameterError(f"child must be a child's code or null, got {child!r}")
        self._choose_child(child)
        return {
            "child": self.child,
            "volume_cap_dbfs": self.volume_cap_dbfs,
            "child_cap_dbfs": self.child_cap_dbfs,
        }

    def _choose_child(self, code: str | None) -> ChildProfile | None:
        """Make ``code`` the chosen child (None: no child) and enforce their limits from now
        on, in a session or not: their own cap is the ceiling of every cap asked for, their
        devices play with their roles and playing aids. A child newly chosen starts at their
        own cap; the same child chosen again keeps the cap set, under their own cap read
        again (their record may have been edited). Refused while another child's session is
        open: it keeps its child until ``end_session``."""
        if self.stored is not None and code != self.child:
            raise ParameterError(
                f"the session of {self.child} is open; end it before choosing "
                f"{'no child' if code is None else code}"
            )
        profile = self.store.get_child(code) if code is not None else None
        ceiling_dbfs = profile.volume_cap_dbfs if profile is not None else None
        newly_chosen = code != self.child
        self.child, self.child_cap_dbfs = code, ceiling_dbfs
        if newly_chosen:
            apply_profile_devices(self.live_input, profile)
        start_dbfs = ceiling_dbfs if newly_chosen and ceiling_dbfs is not None else None
        self._set_cap(self.volume_cap_dbfs if start_dbfs is None else start_dbfs)
        return profile

    def _cmd_stop(self, msg: dict[str, Any]) -> None:
        self._cue_generation += 1
        self._stop_activity()
        self._silence()

    def _silence(self) -> None:
        """Every sound fades out now, with or without an activity: scheduled sounds, prompts
        and the notes a child still holds through thru (their keys may stay down)."""
        self.sink.drop_pending()  # the activity's sounds not yet handed on, then a panic
        self.live_input.all_notes_off(None)
        self.renderer.panic(50.0)  # after the thru note-offs: nothing queued before survives

    def _cmd_pause(self, msg: dict[str, Any]) -> None:
        self._cue_generation += 1
        self.timeline.pause()
        self.sink.drop_pending()
        self._state["paused"] = True

    def _cmd_resume(self, msg: dict[str, Any]) -> None:
        self.timeline.resume()
        self._state["paused"] = self._state["quiet"] = False

    def _cmd_next_trial(self, msg: dict[str, Any]) -> None:
        self._cue_generation += 1
        self.timeline.skip()

    def _cmd_panic(self, msg: dict[str, Any]) -> None:
        self.renderer.panic(50.0)
        self.live_input.all_notes_off(None)
        if self._thread is not None and self._thread.is_alive():
            self._cmd_pause(msg)
        self._state["quiet"] = True

    def _cmd_set_prompt_level(self, msg: dict[str, Any]) -> None:
        level = msg.get("level")
        if level not in PROMPT_LEVELS:
            raise ParameterError(f"level must be one of {', '.join(PROMPT_LEVELS)}, got {level!r}")
        self.prompt_level = str(level)

    def _cmd_set_volume_cap(self, msg: dict[str, Any]) -> dict[str, Any]:
        requested = check_cap_dbfs(msg.get("dbfs"))
        cap = self._set_cap(requested)
        return {
            "volume_cap_dbfs": cap,
            "requested_dbfs": requested,
            "child_cap_dbfs": self.child_cap_dbfs,
        }

    def _cmd_set_device(self, msg: dict[str, Any]) -> None:
        from ..players.roles import DeviceRole

        device = str(msg.get("device") or "")
        if not device:
            raise ParameterError("set_device needs 'device' (part of a device's name), got ''")
        role = DeviceRole(
            device,
            str(msg.get("player") or self.child or "child"),
            str(msg.get("kind", "keyboard")),
            int(msg.get("program", 0)),
        )
        self.live_input.set_role(role)
        if msg.get("aids") is not None:
            self.live_input.set_aids(device, aids_from_dict(msg["aids"]))
        if msg.get("volume") is not None:
            self._device_volume(device, msg["volume"])

    def _device_volume(self, device: str, volume: Any) -> None:
        if not isinstance(volume, int) or isinstance(volume, bool) or not 0 <= volume <= 127:
            raise ParameterError(f"volume must be a MIDI value 0..127, got {volume!r}")
        roles = self.live_input.roles
        for name in list(self.live_input.connected) or [device]:
            if device.lower() in name.lower():
                channel = roles.route(name, 0, 60).channel
                self.renderer.push(ControlChange(0, channel, 7, volume), True)

    def _cmd_add_note(self, msg: dict[str, Any]) -> None:
        if self.stored is None:
            raise ParameterError("no session is open: a note belongs to a child's session")
        self.store.add_note(self.stored.session_id, str(msg.get("text", "")))

    def _cmd_end_session(self, msg: dict[str, Any]) -> dict[str, Any]:
        self._stop_activity()
        self._silence()
        ended = None
        if self.stored is not None:
            self._store_playing_between()
            self.stored.close(ok=True)
            ended, self.stored = self.stored.session_id, None
            self.live_input.timeline = None  # the child stays chosen, and their limits with them
        return {"session_id": ended}

    def _store_playing_between(self, held_back: bool = False) -> None:
        """Notes played while no activity listened (before the first, between two, after the
        last) go into the open session's input events: nothing scores them, but the log shows
        the child played. Outside a stored session they only sounded. ``held_back``: notes
        still held wait for their note-off (see ``LiveInput.drain``)."""
        played = [r for r in self.live_input.drain(held_back) if r.frame >= 0]  # < 0: before
        if self.stored is not None and played:
            self.stored.record_responses(played, self.live_input.input_kind)

    def _cmd_shutdown(self, msg: dict[str, Any]) -> dict[str, Any]:
        return self._cmd_end_session(msg)

    def _set_cap(self, dbfs: Any) -> float:
        """Set the volume cap, never above the chosen child's own; the cap set."""
        cap = clamp_cap_dbfs(dbfs, self.child_cap_dbfs)
        stage = getattr(self.renderer, "output_stage", None)
        if stage is not None:
            stage.set_cap_dbfs(cap)
        else:
            self.renderer.cap_dbfs = cap
        self.volume_cap_dbfs = cap
        return cap
