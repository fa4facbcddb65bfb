"""The engine's commands: one table (:data:`COMMANDS`), a command's name -> its fields and the
plain function that carries it out over the :class:`~soundness_live.live.engine.Engine`.

The table is the one place a command's name, fields and validation live: the engine's server
accepts the names it holds, :func:`handle` checks every field at the boundary before the
function runs (a refusal names the command and the field: "set_device: field 'volume' must be
an integer 0..127, got true"), and a client of the engine — the therapist's screen, the CLI, a
browser remote — is one more caller of it. A refusal comes back as ``ok: false`` with the
reason; the function runs under the engine's lock (the session summary and the export take it
for their quick part only: writing the files must not hold up the child's cues).

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
"input device disconnected"``.

``set_prompt_level`` marks the help a trial was given: while a trial is in progress, that trial
(the level is written into its record, and falls back to ``independent`` after it); between
trials, or with ``trial: "last"``, the last trial stored in the open session (its stored record
is changed and keeps ``prompt_level_marked_at`` and ``prompt_level_recorded``, the level it was
stored with); the reply says which trial.

The browser remote's commands (``remote_status``, ``pair_device``, ``new_pairing_code``,
``revoke_device``, ``show_device_names``) are carried out by
:mod:`soundness_live.live.remote_link`; starting and stopping it from the therapist's screen
(``remote_addresses``, ``start_remote``, ``stop_remote``) by
:mod:`soundness_live.live.remote_process`.

A session plan's commands (``start_plan``, ``next_step``, ``skip_step``, ``repeat_step``,
``plans``) are carried out by :mod:`soundness_live.live.plan_play`; a child's record as the
therapist's screen edits it (``child_profile``, ``save_child``, ``goal_library``, ``set_goals``,
``save_device``, ``set_therapist``) by :mod:`soundness_live.live.profile_commands`; the end of a
session (``session_summary``, ``export_places``, ``export_session``) by
:mod:`soundness_live.live.export_commands`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
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
from ..players.aids import SCALES
from ..players.child_sound import child_sound
from ..players.profile_aids import aids_from_dict
from ..players.profiles import CODE_PATTERN, KEYS, ChildProfile, profile_params
from ..players.roles import DEVICE_KINDS, DeviceRole
from ..players.virtual_child import ChildTraits, virtual_inputs
from ..players.volume_cap import CAP_RANGE_DBFS, check_cap_dbfs
from ..store.session import StoredSession
from ..voice.prompts import load_voice_analysis, prepare_prompts
from ..voice.scoring import VOICE_SCORING
from . import export_commands, plan_play, profile_commands, remote_link, remote_process
from .engine_setup import apply_profile_devices
from .voice import live_voice, meter_for

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)

Fields = dict[str, Any]  # a command's fields, checked
PROTOCOL_FIELDS = ("v", "type", "id")  # every message's own: not a command's fields


class FieldError(ValueError):
    """A value that is not what its field takes (the field's check says what it expected)."""


@dataclass(frozen=True)
class Field:
    """One field of a command: its name, what it takes (``expected``, in words) and the check
    turning what came into that (raising :class:`FieldError` or ParameterError otherwise).

    An absent field, or one sent as null, is ``default``; ``required`` refuses that.
    ``nullable``: null is a value of its own (None), not the field left out.
    """

    name: str
    expected: str
    check: Callable[[Any], Any]
    required: bool = False
    default: Any = None
    nullable: bool = False


@dataclass(frozen=True)
class Command:
    """A command of the engine: its name, fields, and the function carrying it out."""

    name: str
    run: Callable[[Engine, Fields], dict[str, Any] | None]
    fields: tuple[Field, ...] = ()
    summary: str = ""
    #: False: the function takes the engine's lock itself, for its quick part only (an export
    #: writes files for seconds: the child's cues and the snapshots must not wait for it)
    locked: bool = True
    #: False: :func:`handle` does not wake the snapshot broadcast after it, because the command
    #: only reads (the next periodic snapshot shows the same), or wakes it itself when what a
    #: snapshot shows did change (``remote_status``, said again every few seconds). A snapshot
    #: sent to every client for each read would cost the engine, whose audio callback waits for
    #: the GIL, one snapshot built and encoded per page view.
    wakes_broadcast: bool = True

    def checked(self, msg: dict[str, Any]) -> Fields:
        """The fields of ``msg``, each checked; ParameterError naming the first bad one."""
        known = {f.name for f in self.fields}
        unknown = sorted(k for k in msg if k not in known and k not in PROTOCOL_FIELDS)
        if unknown:
            takes = ", ".join(sorted(known)) or "none"
            raise ParameterError(
                f"{self.name}: unknown field {cut(repr(unknown[0]))} (its fields: {takes})"
            )
        fields: Fields = {}
        for field in self.fields:
            value = msg.get(field.name)
            if value is None and field.nullable and field.name in msg:
                fields[field.name] = None
                continue
            if value is None:
                if field.required:
                    raise ParameterError(
                        f"{self.name}: field {field.name!r} is needed: {field.expected}"
                    )
                fields[field.name] = field.default
                continue
            try:
                fields[field.name] = field.check(value)
            except (FieldError, ParameterError) as error:
                why = str(error) if str(error) else f"must be {field.expected}, got {shown(value)}"
                raise ParameterError(f"{self.name}: field {field.name!r} {why}") from None
        return fields


#: How much of a refused value a refusal shows: enough to recognise it, never the whole of a
#: 60 KB note sent back to every screen.
SHOWN_CHARS = 120


def shown(value: Any) -> str:
    """A value as the message carried it (JSON: true, null, "text"), :func:`cut`."""
    try:
        return cut(json.dumps(value))
    except (TypeError, ValueError):
        return cut(repr(value))


def cut(text: str) -> str:
    """``text`` cut to :data:`SHOWN_CHARS`, with its length said when it was longer."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


# -- field checks: each returns the value to use, or raises FieldError ---------------------------
def integer(low: int, high: int) -> Callable[[Any], int]:
    """An integer ``low..high`` (true and false are not integers)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FieldError()
        return value

    return check


def text(max_chars: int = 10_000, empty: bool = True) -> Callable[[Any], str]:
    """Text of at most ``max_chars`` characters (``empty=False``: at least one, not blank)."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_chars:
            raise FieldError()
        if not empty and not value.strip():
            raise FieldError()
        return value

    return check


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    """One of ``choices``."""

    def check(value: Any) -> str:
        if value not in choices:
            raise FieldError()
        return str(value)

    return check


def child_code(value: Any) -> str:
    """A child's pseudonymous code."""
    if not isinstance(value, str) or not CODE_PATTERN.match(value):
        raise FieldError()
    return value


def json_object(value: Any) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise FieldError()
    return dict(value)


def cap_dbfs(value: Any) -> float:
    """A volume cap in dBFS (its range is the volume cap's own)."""
    try:
        return check_cap_dbfs(value, "x")
    except ParameterError:
        raise FieldError() from None


def therapist_name(value: Any) -> str | None:
    """A therapist's name or initials."""
    try:
        return check_therapist(value)
    except ParameterError:
        raise FieldError() from None


def flag(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise FieldError()
    return value


def number(low: float, high: float) -> Callable[[Any], float]:
    """A number ``low..high`` (true and false are not numbers)."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError()
        if not low <= value <= high:
            raise FieldError()
        return float(value)

    return check


def voice_range(value: Any) -> tuple[float, float]:
    """[lowest, highest] pitch in Hz, as a child's profile takes it."""
    if not isinstance(value, list) or len(value) != 2:
        raise FieldError()
    low, high = number(50.0, 800.0)(value[0]), number(200.0, 2000.0)(value[1])
    if low >= high:
        raise FieldError()
    return low, high


def display_name(value: Any) -> str:
    """A child's name for the therapist's screen: 1..64 characters, trimmed."""
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 64:
        raise FieldError()
    return value.strip()


def names(check: Callable[[Any], Any], most: int) -> Callable[[Any], list[Any]]:
    """A list of 0..``most`` values each passing ``check``, none twice."""

    def check_all(value: Any) -> list[Any]:
        if not isinstance(value, list) or len(value) > most:
            raise FieldError()
        checked = [check(item) for item in value]
        if len(set(checked)) != len(checked):
            raise FieldError()
        return checked

    return check_all


def formats(value: Any) -> list[str]:
    """One or more of the screen's export formats."""
    chosen = names(one_of(export_commands.EXPORT_FORMATS), 3)(value)
    if not chosen:
        raise FieldError()
    return chosen


def aids(value: Any) -> Any:
    """Playing aids: an object of AidSettings fields (its own error names the setting)."""
    try:
        return aids_from_dict(value)
    except ParameterError as error:
        raise FieldError(f"is not playing aids: {error}") from None


# -- the commands ----------------------------------------------------------------------------------
def hello(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The engine's version and state: a client's greeting."""
    # the process's id: whoever stops the engine can tell when it has exited
    return {"engine_version": __version__, "state": engine.snapshot(), "pid": os.getpid()}


def snapshot(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The engine's state now."""
    return {"state": engine.snapshot()}


def catalog(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The children, the activities and the recorded prompts a session can use, and who runs
    the sessions on this machine (config.toml's therapist)."""
    children = [
        {"code": c.code, "display_name": c.display_name, "volume_cap_dbfs": c.volume_cap_dbfs}
        for c in engine.store.list_children()
    ]
    activities = [
        {"name": a.name, "summary": a.summary, "variants": list(a.variants)}
        for a in all_activities().values()
    ]
    prompts = engine.store.prompt_asset_names()
    therapist = load_settings(engine.store.path.parent).therapist
    return {"children": children, "activities": activities, "prompt_assets": prompts,
            "therapist": therapist}  # fmt: skip


def start_activity(engine: Engine, fields: Fields) -> None:
    """Run an activity (for a child's stored session when one is named)."""
    if engine.activity_running:
        raise ParameterError(
            f"activity {engine.state_of('activity')!r} is running; stop it before starting another"
        )
    activity = get_activity(fields["activity"])
    params, child = dict(fields["params"]), fields["child"]
    source = fields["input"] or ("live" if child else "virtual")
    therapist = fields["therapist"]
    if source == "live" and activity.answers_with is not Answer.VOICE:
        _check_input_device(engine)
    if child:
        profile = engine.store.get_child(child)
        params = profile_params(profile, [spec.name for spec in activity.specs], params)
    resolved = resolve_params(activity.name, activity.specs, params)  # before any session
    if child:
        _open_session(engine, child, therapist)
    elif engine.stored is None:
        engine.timeline.offset_frames = engine.renderer.frame  # an unstored run starts at 0
    session = _session(engine, activity, params, resolved, source, fields)
    plan_play.activity_starting(engine)  # one started by hand holds a plan's countdown
    engine.begin(
        session,
        activity=activity.name, variant=resolved.get("variant"), cue=None,
        trials_total=resolved.get("trials"), trials_done=0, input=source,
    )  # fmt: skip


def _check_input_device(engine: Engine) -> None:
    """A live activity listens to the child's keyboard or drum pad: with none connected,
    every trial would be stored as the child not answering, so it does not start."""
    if not engine.live_input.child_devices():
        status = engine.midi_status()
        raise ParameterError(
            "no input device connected for the child (MIDI input: "
            f"{status}); connect their keyboard or drum pad, or choose the virtual child"
        )


def _session(
    engine: Engine, activity: Any, params: dict, resolved: dict, source: str, fields: Fields
) -> Session:
    seed = fields["seed"]
    engine.store_playing_between()
    engine.timeline.restart()
    engine.live_input.reset()
    engine.sink.output_latency_frames = engine.output.latency_s * engine.sample_rate
    if source == "live":
        inputs: list[Any] = [engine.live_input]
        engine.live_input.timeline, programs = engine.timeline, {}
    else:
        traits = ChildTraits.from_strings(dict(fields["traits"]))
        inputs = virtual_inputs(
            activity, resolved, seed=seed, sample_rate=engine.sample_rate, traits=traits
        )
        sound = child_sound(activity, resolved)
        programs = {sound.channel: (sound.program, sound.bank)}
    for channel, (program, bank) in programs.items():  # laid out before the first note
        if engine.programs is not None:
            engine.programs.request_change(ProgramChange(0, channel, program, bank))
    engine.new_cue_run()
    prompts, params = _prompt_sounds(engine, activity, params, resolved)
    try:
        voice = live_voice(
            activity, resolved, source, sample_rate=engine.sample_rate, seed=seed,
            mapping=lambda: engine.output.mapping, to_output=engine.timeline.to_output,
            open_microphone=engine.open_microphone,
        )  # fmt: skip
    except DeviceError as error:  # the status panel keeps saying so, not only this refusal
        engine.microphone = f"none: {error}"
        raise
    session = Session(
        activity,
        params,
        sink=engine.sink,
        inputs=inputs,
        sample_rate=engine.sample_rate,
        seed=seed,
        soundfont=engine.soundfont,
        hooks=engine.hooks(
            activity.name, source == "live" and activity.answers_with is not Answer.VOICE
        ),
        prompt_level=lambda: engine.prompt_level,
        child_programs=programs,
        voice=voice,
        prompt_sounds=prompts,
        voice_scoring=VOICE_SCORING,
    )
    engine.voice_meter = meter_for(voice, engine.sample_rate, engine.changed.set)
    return session


def _prompt_sounds(engine: Engine, activity: Any, params: dict, resolved: dict) -> tuple[Any, dict]:
    """Spoken or recorded prompts, made before the activity starts: (sounds, params).

    Without espeak-ng the synth sings the prompts instead, and the therapist is told.
    """
    if activity.answers_with is not Answer.VOICE:
        return None, params
    # the voice analysis (scipy.signal alone loads in about a second) is loaded on a
    # thread now, not when the first prompt or answer needs it during the lead-in
    loading = threading.Thread(target=load_voice_analysis, name="load-voice", daemon=True)
    loading.start()
    prompts, used, message = prepare_prompts(resolved, engine.sample_rate, engine.store)
    if message:
        engine.broadcast_notice(message)
    return prompts, dict(params, prompt_source=used["prompt_source"])


def _open_session(engine: Engine, child: str, therapist: str | None) -> ChildProfile:
    profile = _choose_child(engine, child)  # refused while another child's session is open
    if engine.stored is not None and therapist not in (None, engine.stored.therapist):
        raise ParameterError(
            f"the session of {child} is run by {engine.stored.therapist or 'nobody named'}, "
            f"not {therapist}; end it before starting one for {therapist}"
        )
    if engine.stored is None:
        therapist = therapist or load_settings(engine.store.path.parent).therapist
        engine.stored = StoredSession.start(
            engine.store, child, sample_rate=engine.sample_rate, params={"live": True},
            therapist=therapist,
        )  # fmt: skip
        engine.stored.tell = engine.broadcast_notice  # how the clinic sync went, after
        engine.timeline.offset_frames = engine.renderer.frame  # the session axis starts now
        engine.live_input.timeline = engine.timeline  # notes are placed on the session axis
        engine.live_input.reset()  # what was played before the session is not its own
        engine.forget_recent_trials()  # the last session's trials are not this one's
    assert profile is not None
    return profile


def select_child(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Choose a child (or none): their limits hold from now on, in a session or not."""
    _choose_child(engine, fields["child"])
    return {
        "child": engine.child,
        "volume_cap_dbfs": engine.volume_cap_dbfs,
        "child_cap_dbfs": engine.child_cap_dbfs,
    }


def _choose_child(engine: Engine, code: str | None) -> ChildProfile | None:
    """Make ``code`` the chosen child (None: no child) and enforce their limits from now
    on, in a session or not: their own cap is the ceiling of every cap asked for, their
    devices play with their roles and playing aids. A child newly chosen starts at their
    own cap; the same child chosen again keeps the cap set, under their own cap read
    again (their record may have been edited). Refused while another child's session is
    open: it keeps its child until ``end_session``."""
    if engine.stored is not None and code != engine.child:
        raise ParameterError(
            f"the session of {engine.child} is open; end it before choosing "
            f"{'no child' if code is None else code}"
        )
    profile = engine.store.get_child(code) if code is not None else None
    ceiling_dbfs = profile.volume_cap_dbfs if profile is not None else None
    newly_chosen = code != engine.child
    engine.child, engine.child_cap_dbfs = code, ceiling_dbfs
    if newly_chosen:
        apply_profile_devices(engine.live_input, profile)
        engine.forget_recent_trials()  # the last child's trials are not shown for this one
    start_dbfs = ceiling_dbfs if newly_chosen and ceiling_dbfs is not None else None
    engine.set_cap(engine.volume_cap_dbfs if start_dbfs is None else start_dbfs)
    return profile


def stop(engine: Engine, fields: Fields) -> None:
    """Stop the activity; every sound fades out now."""
    engine.new_cue_run()
    engine.stop_activity()
    engine.silence()


def pause(engine: Engine, fields: Fields) -> None:
    """Cut the trial short and start nothing new until ``resume``."""
    engine.new_cue_run()
    engine.timeline.pause()
    engine.sink.drop_pending()
    engine.update_state(paused=True)
    plan_play.hold(engine)  # a plan's countdown waits for the therapist's next


def resume(engine: Engine, fields: Fields) -> None:
    """Go on after ``pause`` or ``panic``."""
    engine.timeline.resume()
    engine.update_state(paused=False, quiet=False)


def next_trial(engine: Engine, fields: Fields) -> None:
    """Cut the trial in progress short (kept, void, "skipped")."""
    engine.new_cue_run()
    engine.timeline.skip()


def panic(engine: Engine, fields: Fields) -> None:
    """Quiet: every sound fades at once and the activity pauses."""
    engine.renderer.panic(50.0)
    engine.live_input.all_notes_off(None)
    if engine.activity_running:
        pause(engine, fields)
    plan_play.hold(engine)  # no step starts by itself after the quiet button
    engine.update_state(quiet=True)


def set_prompt_level(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The prompt level of the trial in progress, or (between trials, or ``trial: "last"``)
    of the last trial stored in the open session; the reply says which trial was marked."""
    level = fields["level"]
    if fields["trial"] is None and engine.trial_in_progress():
        engine.prompt_level = level  # written into the trial's record when it ends
        index = engine.stored.next_index if engine.stored is not None else None
        return {"marked": "trial in progress", "index": index, "prompt_level": level}
    return _mark_last_trial(engine, level)


def _mark_last_trial(engine: Engine, level: str) -> dict[str, Any]:
    """Mark the last trial stored in the open session with ``level`` (its stored record
    keeps when it was marked and the level it was stored with)."""
    stored = engine.stored
    trials = engine.store.trials(stored.session_id) if stored is not None else []
    if stored is None or not trials:
        where = "no session is open" if stored is None else "the open session has no trial yet"
        raise ParameterError(
            f"set_prompt_level: no trial to mark ({where}); the level of a trial in progress "
            "is marked while it runs"
        )
    last = trials[-1]
    if last.get("outcome") == "void":  # skipped or stopped: not scored, so helped with nothing
        raise ParameterError(
            f"set_prompt_level: the last trial ({last['index']}) is void "
            f"({last.get('void_reason') or 'not scored'}); a void trial takes no prompt level"
        )
    record = engine.store.mark_prompt_level(stored.session_id, last["index"], level)
    summary = engine.trial_marked(record, last.get("prompt_level"))
    return {
        "marked": "last trial",
        "index": summary["index"],
        "prompt_level": level,
        "was": last.get("prompt_level"),
        "simulated": bool(record.get("simulated")),
    }


def set_volume_cap(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The volume cap, never above the child's own; the reply says the cap set."""
    requested = fields["dbfs"]
    was_dbfs = engine.volume_cap_dbfs
    cap = engine.set_cap(requested)
    if cap != was_dbfs:  # the same cap again (a page's louder at the cap) shows nothing new
        engine.changed.set()
    return {
        "volume_cap_dbfs": cap,
        "requested_dbfs": requested,
        "child_cap_dbfs": engine.child_cap_dbfs,
    }


def set_device(engine: Engine, fields: Fields) -> None:
    """A device's role (player, kind, instrument), playing aids and volume."""
    device = fields["device"]
    player = fields["player"] or engine.child or "child"
    role = DeviceRole(device, player, fields["kind"], fields["program"])
    engine.live_input.set_role(role)
    if fields["aids"] is not None:
        engine.live_input.set_aids(device, fields["aids"])
    if fields["volume"] is not None:
        _device_volume(engine, device, fields["volume"])


def _device_volume(engine: Engine, device: str, volume: int) -> None:
    roles = engine.live_input.roles
    for name in list(engine.live_input.connected) or [device]:
        if device.lower() in name.lower():
            channel = roles.route(name, 0, 60).channel
            engine.renderer.push(ControlChange(0, channel, 7, volume), True)


def add_note(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The therapist's note, in the open session, or (``session``) in one of the chosen
    child's sessions, ended ones too (notes are often written after a session); the session's
    id."""
    session_id = fields["session"]
    if session_id is not None:
        _check_childs_session(engine, session_id)
    elif engine.stored is not None:
        session_id = engine.stored.session_id
    else:
        raise ParameterError("no session is open: a note belongs to a child's session")
    engine.store.add_note(session_id, fields["text"])
    return {"session_id": session_id}


def _check_childs_session(engine: Engine, session_id: int) -> None:
    """A note for an earlier session goes only to one of the chosen child's."""
    mine = {s["id"] for s in engine.store.sessions(engine.child)} if engine.child else set()
    if session_id not in mine:
        who = f"the chosen child ({engine.child})" if engine.child else "a chosen child"
        raise ParameterError(
            f"add_note: field 'session' must be a session of {who}, got {session_id}"
        )


def end_session(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Stop, silence and close the open session (and its plan); its id."""
    plan_play.end_plan(engine)
    engine.stop_activity()
    engine.silence()
    ended = None
    if engine.stored is not None:
        engine.store_playing_between()
        engine.stored.close(ok=True)
        ended, engine.stored = engine.stored.session_id, None
        engine.live_input.timeline = None  # the child stays chosen, and their limits with them
    return {"session_id": ended}


def start_plan(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Play a session plan: each of its steps is this table's ``start_activity``."""
    return plan_play.start_plan(engine, fields, lambda msg: handle(engine, msg))


def shutdown(engine: Engine, fields: Fields) -> dict[str, Any]:
    """End the session; the engine process then stops."""
    return end_session(engine, fields)


_NONE: tuple[Field, ...] = ()
CAP_WORDS = "a number in {:g}..{:g} (dBFS)".format(*CAP_RANGE_DBFS)
_UNSET = profile_commands.UNSET
CODE_WORDS = "a child's code (letters, digits, - or _, at most 32)"
CHILD = Field("child", CODE_WORDS, child_code)
SESSION = Field("session", "a session's id (an integer)", integer(1, 2**62))
KEY_WORDS = "one of " + ", ".join(KEYS)
RECORD_COMMANDS = (
    Command(
        "child_profile",
        profile_commands.child_profile,
        (Field("child", CODE_WORDS, child_code, True),),
        "a child's profile and goals",
        wakes_broadcast=False,
    ),
    Command(
        "save_child",
        profile_commands.save_child,
        (
            Field("child", CODE_WORDS, child_code, True),
            Field("new", "true (add the child) or false (change theirs)", flag, False, False),
            Field("display_name", "a name of 1..64 characters, or null for none", display_name,
                  default=_UNSET, nullable=True),
            Field("volume_cap_dbfs", CAP_WORDS, cap_dbfs, default=_UNSET),
            Field("voice_range_hz", "[lowest, highest] in Hz (50..800, 200..2000), or null",
                  voice_range, default=_UNSET, nullable=True),
            Field("voice_consent", "true or false", flag),
        ),
        "add a child, or change their name, volume cap, voice range or voice consent",
    ),
    Command(
        "goal_library",
        profile_commands.goal_library,
        (Field("activity", "an activity's name", text(200, empty=False)),),
        "the built-in goals, with their rules in words",
        wakes_broadcast=False,
    ),
    Command(
        "set_goals",
        profile_commands.set_goals,
        (
            Field("child", CODE_WORDS, child_code, True),
            Field("goals", "a list of at most 64 goal ids, none twice",
                  names(text(64, empty=False), 64), True),
        ),
        "a child's goals, from theirs and the library",
    ),
    Command(
        "save_device",
        profile_commands.save_device,
        (
            CHILD,
            Field("device", "part of a device's name (1..128 characters)",
                  text(128, empty=False), True),
            Field("player", "'child' or 'therapist'", one_of(("child", "therapist")), False,
                  "child"),
            Field("kind", "one of " + ", ".join(DEVICE_KINDS), one_of(DEVICE_KINDS), False,
                  "keyboard"),
            Field("program", "an integer 0..127", integer(0, 127), False, 0),
            Field("scale", "one of " + ", ".join(SCALES) + ", or null (no scale lock)",
                  one_of(tuple(SCALES))),
            Field("key", KEY_WORDS, one_of(KEYS), False, "C"),
            Field("transpose", "an integer -24..24 (semitones)", integer(-24, 24), False, 0),
            Field("velocity_floor", "an integer 1..127", integer(1, 127), False, 1),
            Field("velocity_gamma", "a number 0.1..10", number(0.1, 10.0), False, 1.0),
        ),
        "keep a device's player, instrument and playing aids with the child; apply them now",
    ),
    Command(
        "set_therapist",
        profile_commands.set_therapist,
        (Field("name", "a name of 1..64 characters, or null for none", therapist_name, True,
               nullable=True),),
        "who runs the sessions on this machine",
    ),
    Command(
        "session_summary",
        export_commands.session_summary,
        (CHILD, SESSION),
        "a session against the child's earlier ones, per goal",
        locked=False,
        wakes_broadcast=False,
    ),
    Command("export_places", export_commands.export_places_command, _NONE,
            "the exports folder and the removable drives mounted now", wakes_broadcast=False),
    Command(
        "export_session",
        export_commands.export_session,
        (
            CHILD,
            SESSION,
            Field("all_sessions", "true or false", flag, False, False),
            Field("formats", "a list of csv, midi, html", formats, False, ["csv", "midi", "html"]),
            Field("place", "a place's key from export_places", text(4096, empty=False), True),
            Field("identified", "true (names and notes in) or false (de-identified)", flag,
                  False, False),
        ),
        "write a session's exports to the exports folder or a removable drive",
        locked=False,
    ),
)  # fmt: skip
COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command("hello", hello, _NONE, "the engine's version and state", wakes_broadcast=False),
        Command(
            "catalog",
            catalog,
            _NONE,
            "children, activities, recorded prompts",
            wakes_broadcast=False,
        ),
        Command(
            "select_child",
            select_child,
            (Field("child", "a child's code, or null for none", child_code, True, nullable=True),),
            "choose a child (or none): their limits hold from now on",
        ),
        Command(
            "start_activity",
            start_activity,
            (
                Field("activity", "an activity's name", text(200), required=True),
                Field("params", "an object of the activity's parameters", json_object, False, {}),
                Field("child", "a child's code", child_code),
                Field("input", "'virtual' or 'live'", one_of(("virtual", "live"))),
                Field("therapist", "a name of 1..64 characters", therapist_name),
                Field("seed", "an integer 0..4294967295", integer(0, 2**32 - 1), False, 0),
                Field("traits", "an object of the virtual child's traits", json_object, False, {}),
            ),
            "run an activity",
        ),
        Command(
            "start_plan",
            start_plan,
            (
                Field("plan", "a plan's name", text(64, empty=False), required=True),
                Field("child", "a child's code", text(64, empty=False)),
                Field("input", "'virtual' or 'live'", one_of(("virtual", "live"))),
                Field("therapist", "a name of 1..64 characters", therapist_name),
                Field("seed", "an integer 0..4294967295", integer(0, 2**32 - 1), False, 0),
                Field("traits", "an object of the virtual child's traits", json_object, False, {}),
            ),
            "play a session plan: its first step now, the next after a countdown",
        ),
        Command("next_step", plan_play.next_step, _NONE, "the plan's next step (now)"),
        Command("skip_step", plan_play.skip_step, _NONE, "leave out the plan's step"),
        Command("repeat_step", plan_play.repeat_step, _NONE, "play the plan's step again"),
        Command(
            "plans",
            plan_play.plans_for,
            (Field("child", "a child's code", text(64, empty=False)),),
            "the plans a child (or any child) can run",
            wakes_broadcast=False,
        ),
        *RECORD_COMMANDS,
        Command("stop", stop, _NONE, "stop the activity, silence everything"),
        Command("pause", pause, _NONE, "cut the trial short, start nothing new"),
        Command("resume", resume, _NONE, "go on after pause or panic"),
        Command("next_trial", next_trial, _NONE, "cut the trial in progress short"),
        Command(
            "set_prompt_level",
            set_prompt_level,
            (
                Field("level", "one of " + ", ".join(PROMPT_LEVELS), one_of(PROMPT_LEVELS), True),
                Field("trial", '"last" (the last trial stored)', one_of(("last",))),
            ),
            "the prompt level of the trial in progress, or of the last trial stored",
        ),
        Command(
            "set_device",
            set_device,
            (
                Field("device", "part of a device's name", text(200, empty=False), True),
                Field("player", "a child's code or 'therapist'", text(64, empty=False)),
                Field(
                    "kind",
                    "one of " + ", ".join(DEVICE_KINDS),
                    one_of(DEVICE_KINDS),
                    False,
                    "keyboard",
                ),
                Field("program", "an integer 0..127", integer(0, 127), False, 0),
                Field("aids", "an object of playing-aid settings", aids),
                Field("volume", "an integer 0..127", integer(0, 127)),
            ),
            "a device's role, playing aids and volume",
        ),  # fmt: skip
        Command(
            "set_volume_cap",
            set_volume_cap,
            (
                Field(
                    "dbfs", "a number in {:g}..{:g} (dBFS)".format(*CAP_RANGE_DBFS), cap_dbfs, True
                ),
            ),
            "the volume cap",
            wakes_broadcast=False,  # it wakes the broadcast itself, when the cap changed
        ),
        Command("panic", panic, _NONE, "quiet: every sound fades, the activity pauses"),
        Command(
            "add_note",
            add_note,
            (Field("text", "text", text(), False, ""), SESSION),
            "a note, in the open session or one of the chosen child's",
        ),
        Command("end_session", end_session, _NONE, "close the open session"),
        Command("snapshot", snapshot, _NONE, "the engine's state", wakes_broadcast=False),
        Command(
            "remote_status",
            remote_link.remote_status,
            (Field("status", "the remote's status", remote_link.check_status, nullable=True),),
            "where the browser remote serves, its pairing code (null: stopped)",
            wakes_broadcast=False,  # it wakes the broadcast itself, when the status changed
        ),
        Command(
            "pair_device",
            remote_link.pair_device,
            (
                Field("token_sha256", "a token's SHA-256", remote_link.token_sha256, True),
                Field("name", "a device's name", text(200), False, ""),
                Field("replaces", "the id of the paired device pairing again", text(64)),
            ),
            "keep a device paired with the browser remote, or one pairing again",
        ),
        Command(
            "new_pairing_code",
            remote_link.new_pairing_code,
            _NONE,
            "a new pairing code for the browser remote, ending a lock after wrong codes "
            "(the therapist's screen only)",
        ),
        Command(
            "revoke_device",
            remote_link.revoke_device,
            (Field("device", "a paired device's id", text(64, empty=False), True),),
            "forget a paired device: its token opens nothing from now on",
        ),
        Command(
            "show_device_names",
            remote_link.show_device_names,
            (
                Field("device", "a paired device's id", text(64, empty=False), True),
                Field("on", "true or false", flag, True),
            ),
            "let children's names show on a paired device, or not",
        ),
        Command(
            "remote_addresses",
            remote_process.remote_addresses,
            _NONE,
            "where the browser remote may serve: loopback and this laptop's network addresses",
            locked=False,  # looking up this laptop's name must not hold up the child's cues
            wakes_broadcast=False,
        ),
        Command(
            "start_remote",
            remote_process.start_remote,
            (
                Field(
                    "host",
                    "127.0.0.1 or one of this laptop's addresses",
                    remote_process.check_host,
                    True,
                ),
                Field("port", "a port 0..65535 (0: any free one)", integer(0, 65535)),
                Field("tls", "true or false (null: config.toml's)", flag),
            ),
            "start the browser remote there (the therapist's screen only)",
            locked=False,  # the remote says where it serves with a command: nothing may wait
        ),
        Command(
            "stop_remote",
            remote_process.stop_remote,
            _NONE,
            "stop the browser remote (the therapist's screen only)",
            locked=False,
        ),
        Command("shutdown", shutdown, _NONE, "end the session, stop the engine"),
    )
}


def handle(engine: Engine, msg: dict[str, Any]) -> dict[str, Any]:
    """Carry out the command ``msg`` on ``engine``, holding its lock; the reply fields
    (``ok``, and ``error`` when it was refused or failed)."""
    command = COMMANDS.get(str(msg.get("type")))
    if command is None:
        return {"ok": False, "error": f"the engine cannot {cut(repr(msg.get('type')))}"}
    try:
        fields = command.checked(msg)
        if command.locked:
            with engine.lock:
                reply = command.run(engine, fields) or {}
        else:
            reply = command.run(engine, fields) or {}
    except SoundnessError as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:  # a bug must not take the session down with it
        log.exception("command %s failed", command.name)
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    if command.wakes_broadcast:
        engine.changed.set()
    return {"ok": True, **reply}
