"""Device roles registry and routing (pure), and scripted input replay."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from soundness_live.core.clock import ClockMapping
from soundness_live.core.events import ProgramChange
from soundness_live.errors import ParameterError
from soundness_live.midi.fake import ScriptedInput, ScriptedNote, script_events
from soundness_live.players.roles import GM_DRUMS, DeviceRole, DeviceRoles, Route


def roles() -> DeviceRoles:
    registry = DeviceRoles(default_player="S-014")
    registry.add(DeviceRole("nanopad", "S-014", kind="pad", pad_map={36: 38}))
    registry.add(DeviceRole("Keystation", "therapist", program=0))
    registry.add(DeviceRole("key", "S-014", program=12))
    return registry


def test_roles_match_by_substring_in_order() -> None:
    registry = roles()
    assert registry.role_for("nanoPAD2:nanoPAD2 MIDI 1").kind == "pad"
    assert registry.role_for("Keystation 49:Keystation 49 MIDI 1").player == "therapist"
    assert registry.role_for("microKEY-25").program == 12
    assert registry.role_for("unknown synth").player == "S-014"


def test_pad_notes_route_to_gm_drums() -> None:
    route = roles().route("nanoPAD2", 0, 36)
    assert route == Route("S-014", 9, 128, 0, 38, True)
    assert GM_DRUMS[route.note] == "acoustic snare"


def test_channel_10_notes_are_drums_on_any_device() -> None:
    assert roles().route("microKEY-25", 9, 42).drum


def test_keyboards_get_their_own_melodic_channels() -> None:
    registry = roles()
    first = registry.route("microKEY-25", 0, 60)
    second = registry.route("Keystation 49", 0, 60)
    assert (first.channel, first.program, first.drum) == (0, 12, False)
    assert (second.channel, second.program) == (1, 0)
    assert registry.route("microKEY-25", 3, 62).channel == 0
    channels = [registry.synth_channel(f"dev{k}") for k in range(14)]
    assert 9 not in channels


def test_program_change_sets_up_the_device() -> None:
    registry = roles()
    assert registry.program_change("microKEY-25", 10) == ProgramChange(10, 0, 12, 0)
    assert registry.program_change("nanoPAD2", 10) == ProgramChange(10, 9, 0, 128)


@pytest.mark.parametrize(
    "kwargs", [{"kind": "guitar"}, {"program": 128}, {"player": ""}, {"pad_map": {36: 200}}]
)
def test_bad_roles_raise(kwargs: dict) -> None:
    fields = {"match": "pad", "player": "S-1"} | kwargs
    with pytest.raises(ParameterError):
        DeviceRole(**fields)


def test_script_events_order_and_fields() -> None:
    events = script_events([ScriptedNote(0.5, 62, duration_s=0.5), ScriptedNote(0.0, 60)])
    assert [(e.kind, e.note, e.time_s) for e in events] == [
        ("note_on", 60, 0.0),
        ("note_off", 60, 0.2),
        ("note_on", 62, 0.5),
        ("note_off", 62, 1.0),
    ]
    assert {e.clock for e in events} == {"virtual"}


def test_scripted_input_on_simulated_clock_is_exact() -> None:
    mapping = ClockMapping(48_000)
    heard = []
    script = ScriptedInput(
        script_events([ScriptedNote(0.25, 60)]), on_event=heard.append, mapping=lambda: mapping
    )
    assert script.due(0.2) == []
    (note_on,) = script.due(0.25)
    assert note_on.frame == 12_000.0 and heard == [note_on]
    assert [e.kind for e in script.due(10.0)] == ["note_off"] and script.finished
    assert [e.kind for e in script.drain()] == ["note_on", "note_off"]


def test_scripted_input_replays_live_in_real_time() -> None:
    notes = [ScriptedNote(0.02 * k, 60 + k, duration_s=0.01) for k in range(5)]
    with ScriptedInput(script_events(notes)) as script:
        start = time.monotonic()
        while not script.finished and time.monotonic() - start < 2.0:
            time.sleep(0.005)
    events = script.drain()
    assert [e.note for e in events if e.kind == "note_on"] == [60, 61, 62, 63, 64]
    onsets = [e.time_s for e in events if e.kind == "note_on"]
    assert [b - a for a, b in pairwise(onsets)] == pytest.approx([0.02] * 4)
    assert all(e.arrival_s >= e.time_s - 1e-6 for e in events)
