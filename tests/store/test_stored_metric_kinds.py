"""A stored trial is read back against the kinds its activity declares for its metrics: the
turns game's table of each player's plays is a list of objects, and it reads back whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundness_live.activities.registry import get_activity
from soundness_live.core.session import Session, SilentSink
from soundness_live.errors import StoreError
from soundness_live.players.profiles import ChildProfile
from soundness_live.players.scripted import ScriptedResponses
from soundness_live.store.records import Store
from soundness_live.store.session import StoredSession
from tests.activity_helpers import RATE


def test_a_turns_trial_reads_back_with_each_players_plays(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.db")
    try:
        store.add_child(ChildProfile(code="T-001"))
        stored = StoredSession.start(store, "T-001", sample_rate=RATE)
        params = {"variant": "turns", "trials": 1, "lead_in_ms": 0, "turn_ms": 1000}
        session = Session(
            get_activity("waiting"), params, sink=SilentSink(), inputs=[ScriptedResponses([])],
            sample_rate=RATE, hooks=stored.hooks("waiting"),
        )  # fmt: skip
        session.run()
        stored.close()
        (back,) = store.trials(stored.session_id)
        assert back["metrics"]["per_player"] == [
            {"player": "child", "plays_in_turn": 0, "plays_out_of_turn": 0, "waited": True},
            {"player": "partner", "plays_in_turn": 0, "plays_out_of_turn": 0, "waited": True},
        ]
        with store._writing():  # a table that is not one is still damage
            store.conn.execute(
                "UPDATE trials SET record = json_set(record, '$.metrics.per_player', json('[1]'))"
            )
        with pytest.raises(StoreError, match="'metrics.per_player' must be a list of objects"):
            store.trials(stored.session_id)
    finally:
        store.close()
