"""Fault tests: no sequence of profile edits from the therapist's pages lifts the volume cap
above the chosen child's own.

Children with caps are stored; a client sends a random sequence of ``save_child`` (any child,
any JSON value for the cap and the other fields), ``select_child`` and ``set_volume_cap`` (any
JSON value). After every command the engine's cap, the one its output stage applies, is at or
under the cap the chosen child's record holds now (the test follows the records from the edits
the engine accepted), a bad value is refused with one line naming the field, and nothing
refused changed the record. One engine serves every example.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soundness_live.live.commands import handle
from soundness_live.live.engine import Engine
from soundness_live.store.records import Store
from tests.faults import FAULTS
from tests.faults.capped_engine import CAPPED_CHILDREN, capped_engine
from tests.faults.capped_engine import json_values as any_json

START = CAPPED_CHILDREN


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with capped_engine(
        tmp_path_factory.mktemp("engine"), audio="null", synth="none", block_size=64
    ) as engine:
        yield engine


json_values = any_json(-3)
caps = st.floats(-60.0, 0.0) | st.sampled_from([-60, -45, -30, -21, -6, 0]) | json_values
children = st.sampled_from(sorted(START))
commands = st.one_of(
    st.builds(
        lambda c, v: {"type": "save_child", "child": c, "volume_cap_dbfs": v}, children, caps
    ),
    st.builds(
        lambda c, v: {"type": "save_child", "child": c, "display_name": v}, children, json_values
    ),  # fmt: skip
    st.builds(
        lambda c, v: {"type": "save_child", "child": c, "voice_range_hz": v}, children, json_values
    ),  # fmt: skip
    st.builds(lambda c: {"type": "select_child", "child": c}, children),
    st.builds(lambda v: {"type": "set_volume_cap", "dbfs": v}, caps),
)


def good_cap(value: Any) -> bool:
    return type(value) in (int, float) and -60 <= value <= 0


@FAULTS
@given(first=children, sequence=st.lists(commands, max_size=10))
def test_no_profile_edit_lifts_the_cap_above_the_chosen_childs_own(
    engine: Engine, first: str, sequence: list[dict[str, Any]]
) -> None:
    with Store.open(engine.options.data_dir / "soundness.db") as store:
        records = {child.code: child.volume_cap_dbfs for child in store.list_children()}
    assert handle(engine, {"type": "select_child", "child": first})["ok"]
    chosen = first
    for command in sequence:
        reply = handle(engine, command)
        if command["type"] == "save_child" and "volume_cap_dbfs" in command:
            value = command["volume_cap_dbfs"]
            assert reply["ok"] == (value is None or good_cap(value)), (command, reply)
            if reply["ok"] and value is not None:  # null: left as it was, as any field
                records[command["child"]] = float(value)
            elif not reply["ok"]:
                assert reply["error"].startswith(
                    "save_child: field 'volume_cap_dbfs' must be a number in -60..0 (dBFS), got"
                ), reply
        elif not reply["ok"]:
            assert reply["error"].startswith(f"{command['type']}: field "), (command, reply)
        if command["type"] == "select_child" and reply["ok"]:
            chosen = command["child"]
        state = engine.snapshot()
        assert state["child_cap_dbfs"] == records[chosen], (command, state["child_cap_dbfs"])
        assert state["volume_cap_dbfs"] <= records[chosen]
        assert engine.renderer.cap_dbfs == state["volume_cap_dbfs"]  # what the output applies
    with Store.open(engine.options.data_dir / "soundness.db") as store:
        kept = {child.code: child.volume_cap_dbfs for child in store.list_children()}
    assert kept == records
