"""The engine's commands for a child's record, as the therapist's screen edits it: the profile
(code, name, volume cap, voice range, voice consent), goals from the library, each device's
player, instrument and playing aids, and the therapist's name.

The screen never opens the store: these run in the engine process against its store, and the
engine applies what changed at once. A change to the chosen child's volume cap is their new
ceiling and the cap now (louder or quieter, the therapist set it for them); a device saved for
the chosen child plays with its new player, instrument and aids from its next note. Every field
is checked by the command table (:mod:`soundness_live.live.commands`) before any of this runs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import load_settings, save_settings
from ..errors import ParameterError
from ..goals.goal import Goal, builtin_goals
from ..goals.words import criterion_words, help_words
from ..players.profiles import (
    ChildProfile,
    Consent,
    DeviceSettings,
    Instrument,
    ScaleLock,
    VelocityCurve,
)
from .engine_setup import apply_profile_devices

if TYPE_CHECKING:
    from .engine import Engine

Fields = dict[str, Any]
#: save_child field -> ChildProfile field (what the screen edits of a profile)
PROFILE_FIELDS = {
    "display_name": "display_name",
    "volume_cap_dbfs": "volume_cap_dbfs",
    "voice_range_hz": "voice_range_hz",
}
UNSET: Any = object()  # a save_child field left out (null is "clear it")


def goal_entry(goal: Goal) -> dict[str, Any]:
    """A goal as a page shows it: its fields and its rule and help in words."""
    data = goal.to_dict()
    return data | {"criterion": criterion_words(data), "help": help_words(goal.max_prompt_level)}


def child_profile(engine: Engine, fields: Fields) -> dict[str, Any]:
    """A child's profile (name included: for the therapist's screen only) and goals."""
    profile = engine.store.get_child(fields["child"])
    goals = engine.store.goals_for(profile.code)
    return {"profile": profile.to_dict(), "goals": [goal_entry(goal) for goal in goals]}


def save_child(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Add a child (``new``) or change theirs: the fields given, the others as they were.
    Withdrawing voice consent deletes the recordings kept of them (the reply counts them)."""
    code = fields["child"]
    changes = {PROFILE_FIELDS[k]: v for k, v in fields.items() if k in PROFILE_FIELDS}
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    consent = fields["voice_consent"]
    if fields["new"]:
        given = {k: v for k, v in changes.items() if v is not None}
        if consent is not None:
            given["consent"] = Consent(voice_recording=consent)
        engine.store.add_child(ChildProfile(code=code, **given))
        return {"child": code, "added": True, "deleted_recordings": 0}
    before = engine.store.get_child(code)
    edited = replace(before, **changes)  # checked whole before anything is written
    deleted = 0
    if consent is not None and consent != before.consent.voice_recording:
        deleted = engine.store.set_voice_consent(code, consent)  # erased from the files too
    if changes:
        profile = replace(edited, consent=engine.store.get_child(code).consent)
        engine.store.update_profile(profile, author=_author(engine))
    if code == engine.child:
        _apply_chosen(engine, before)
    return {"child": code, "added": False, "deleted_recordings": deleted}


def _apply_chosen(engine: Engine, before: ChildProfile) -> None:
    """The chosen child's record changed: a new own cap is their ceiling and the cap now."""
    profile = engine.store.get_child(before.code)
    engine.child_cap_dbfs = profile.volume_cap_dbfs
    if profile.volume_cap_dbfs != before.volume_cap_dbfs:
        engine.set_cap(profile.volume_cap_dbfs)
    else:
        engine.set_cap(engine.volume_cap_dbfs)  # never above the ceiling read again


def goal_library(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The built-in goals (of one activity when named), with their rule in words."""
    return {"goals": [goal_entry(goal) for goal in builtin_goals(fields["activity"])]}


def set_goals(engine: Engine, fields: Fields) -> dict[str, Any]:
    """The child's goals, by id: their own goals kept, the others from the library; a new
    version of the goals by the therapist when they change."""
    code = fields["child"]
    mine = {goal.id: goal for goal in engine.store.goals_for(code)}
    library = {goal.id: goal for goal in builtin_goals()}
    chosen = []
    for goal_id in fields["goals"]:
        goal = mine.get(goal_id) or library.get(goal_id)
        if goal is None:
            raise ParameterError(
                f"set_goals: field 'goals' must name the child's goals or the library's, "
                f"got {goal_id!r}"
            )
        chosen.append(goal)
    stored = engine.store.set_goals(code, chosen, author=_author(engine))
    return {"child": code, "goals": [goal.id for goal in stored]}


def _author(engine: Engine) -> str | None:
    """Who sets goals from the screen: the therapist of the open session, else this
    machine's (config.toml)."""
    if engine.stored is not None and engine.stored.therapist:
        return engine.stored.therapist
    return load_settings(engine.store.path.parent).therapist


def set_therapist(engine: Engine, fields: Fields) -> dict[str, Any]:
    """Who runs the sessions on this machine (config.toml's ``therapist``; null: nobody
    named). A session already open keeps the therapist it was opened by."""
    settings = save_settings(engine.store.path.parent, therapist=fields["name"])
    open_by = engine.stored.therapist if engine.stored is not None else None
    return {"therapist": settings.therapist, "open_session_therapist": open_by}


def save_device(engine: Engine, fields: Fields) -> dict[str, Any]:
    """A device's settings in the child's record (who plays it, its kind, instrument and
    playing aids); for the chosen child, applied now."""
    code = fields["child"] or engine.child
    if code is None:
        raise ParameterError(
            "save_device: no child is chosen and field 'child' is not given: a device's "
            "settings are kept with a child"
        )
    profile = engine.store.get_child(code)
    settings = device_settings(fields)
    settings.validate("device")
    devices = [d for d in profile.devices if d.device != settings.device] + [settings]
    profile = engine.store.update_profile(replace(profile, devices=tuple(devices)))
    if code == engine.child:
        apply_profile_devices(engine.live_input, profile)
    return {"child": code, "device": settings.device, "applied": code == engine.child}


def device_settings(fields: Fields) -> DeviceSettings:
    """The checked fields of ``save_device`` as a profile's device settings."""
    scale = fields["scale"]
    lock = None if scale is None else ScaleLock(key=fields["key"], scale=scale)
    return DeviceSettings(
        device=fields["device"],
        role=fields["player"],
        kind=fields["kind"],
        instrument=Instrument(program=fields["program"]),
        scale_lock=lock,
        transpose=fields["transpose"],
        velocity_curve=VelocityCurve(
            floor=fields["velocity_floor"], gamma=fields["velocity_gamma"]
        ),
    )
