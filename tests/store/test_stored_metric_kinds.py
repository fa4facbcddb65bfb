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


def test_a_trial_and_the_notes_played_in_it_are_stored_together_or_not_at_all(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "store.db")
    try:
        store.add_child(ChildProfile(code="T-002"))
        stored = StoredSession.start(store, "T-002", sample_rate=RATE)
        with store._writing():  # the disk refuses the notes, as a full one would
            store.conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON events "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        params = {"variant": "cue", "trials": 1}
        played = ScriptedResponses.from_ms([(50.0, 60), (900.0, 62)], sample_rate=RATE)
        session = Session(
            get_activity("waiting"), params, sink=SilentSink(), inputs=[played],
            sample_rate=RATE, hooks=stored.hooks("waiting"),
        )  # fmt: skip
        with pytest.raises(Exception, match="disk is full"):
            session.run()
        # the trial was scored from notes the store does not hold: neither is kept
        assert store.trials(stored.session_id) == []
        assert store.events(stored.session_id) == []
        with store._writing():
            store.conn.execute("DROP TRIGGER refuse")
        stored.close()  # the notes were kept in memory and are stored with the session's end
        assert len(store.events(stored.session_id)) == 2
    finally:
        store.close()
