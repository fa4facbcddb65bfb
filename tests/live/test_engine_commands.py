"""The engine's commands are one table of plain functions, each checking its fields at the
boundary: a refusal names the command, the field, what it takes and what came."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from soundness_live.live.commands import COMMANDS, Command, handle
from soundness_live.live.engine import Engine
from soundness_live.live.protocol import ProtocolError, decode, encode, message

REFUSALS = [  # (message, the error)
    ({"type": "set_device", "device": "keys", "volume": True},
     "set_device: field 'volume' must be an integer 0..127, got true"),
    ({"type": "set_device", "device": "keys", "program": "12"},
     "set_device: field 'program' must be an integer 0..127, got \"12\""),
    ({"type": "set_device", "device": "keys", "kind": "harp"},
     "set_device: field 'kind' must be one of keyboard, pad, got \"harp\""),
    ({"type": "set_device", "volume": 90},
     "set_device: field 'device' is needed: part of a device's name"),
    ({"type": "set_device", "device": "keys", "aids": {"tempo": 2}},
     "set_device: field 'aids' is not playing aids: unknown playing aid 'tempo'; known: "
     "key, min_note_ms, scale, scale_mode, transpose_semitones, velocity_ceiling, "
     "velocity_floor, velocity_gamma"),
    ({"type": "set_device", "device": "keys", "volum": 90},
     "set_device: unknown field 'volum' (its fields: aids, device, kind, player, program, "
     "volume)"),
    ({"type": "set_volume_cap", "dbfs": "loud"},
     "set_volume_cap: field 'dbfs' must be a number in -60..0 (dBFS), got \"loud\""),
    ({"type": "start_activity", "activity": "waiting", "seed": 1.5},
     "start_activity: field 'seed' must be an integer 0..4294967295, got 1.5"),
    ({"type": "start_activity", "activity": "waiting", "input": "mind"},
     "start_activity: field 'input' must be 'virtual' or 'live', got \"mind\""),
    ({"type": "start_activity", "activity": "waiting", "params": [3]},
     "start_activity: field 'params' must be an object of the activity's parameters, got [3]"),
    ({"type": "add_note", "text": 42}, "add_note: field 'text' must be text, got 42"),
    ({"type": "stop", "now": True}, "stop: unknown field 'now' (its fields: none)"),
    ({"type": "format_disk"}, "the engine cannot 'format_disk'"),
]  # fmt: skip


@pytest.mark.parametrize(("msg", "error"), REFUSALS)
def test_a_bad_field_is_refused_with_the_command_and_field_named(
    engine_here: Engine, msg: dict[str, Any], error: str
) -> None:
    assert handle(engine_here, msg) == {"ok": False, "error": error}


def test_a_refused_command_changes_nothing(engine_here: Engine) -> None:
    roles, sent = engine_here.live_input.roles, list(engine_here.renderer.commands)
    handle(engine_here, {"type": "set_device", "device": "keys", "program": 12, "volume": 300})
    assert engine_here.live_input.roles is roles  # refused before the role was set
    assert list(engine_here.renderer.commands) == sent


def test_good_fields_reach_the_command(engine_here: Engine) -> None:
    reply = handle(
        engine_here,
        {"v": 1, "type": "set_device", "id": 4, "device": "keys", "kind": "pad", "volume": 90},
    )
    assert reply == {"ok": True}
    assert engine_here.live_input.roles.role_for("keys").kind == "pad"
    assert handle(engine_here, {"type": "set_volume_cap", "dbfs": -20})["volume_cap_dbfs"] == -20


def test_the_table_is_the_one_list_of_commands_and_holds_plain_functions() -> None:
    assert all(isinstance(c, Command) and c.name == name for name, c in COMMANDS.items())
    assert all(inspect.isfunction(c.run) and c.summary for c in COMMANDS.values())
    assert [p for p in inspect.signature(COMMANDS["stop"].run).parameters] == ["engine", "fields"]
    assert Engine.__mro__[1].__name__ == "EngineCues"  # no commands mixin
    for name in COMMANDS:  # the engine's server reads exactly the table's names
        assert decode(encode(message(name)), tuple(COMMANDS))["type"] == name
    with pytest.raises(ProtocolError, match="message type must be one of hello, catalog"):
        decode(encode(message("format_disk")), tuple(COMMANDS))


def test_a_refusal_shows_enough_of_a_huge_value_to_recognise_it_never_all_of_it(
    engine_here: Engine,
) -> None:
    note = "the child played " * 3600  # 61,200 characters: past a note's 10,000
    reply = handle(engine_here, {"type": "add_note", "text": note})
    assert not reply["ok"] and len(reply["error"]) < 400, len(reply["error"])
    assert reply["error"].startswith("add_note: field 'text' must be ")
    assert reply["error"].endswith("... (61202 characters)")  # its JSON, quotes and all
    huge = {"type": "x" * 50_000}
    assert handle(engine_here, huge)["error"] == (
        f"the engine cannot '{'x' * 119}... (50002 characters)"
    )
