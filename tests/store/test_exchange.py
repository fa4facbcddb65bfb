"""What a laptop's store sends to the clinic and keeps from it (SQLite side, no server)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from soundness_live.errors import StoreError
from soundness_live.store.records import Store
from tests.store.test_store import Clock, trial


@pytest.fixture
def laptops(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with (
        Store.open(tmp_path / "a" / "soundness.db", now=Clock()) as a,
        Store.open(tmp_path / "b" / "soundness.db", now=Clock()) as b,
    ):
        a.add_child({"code": "S-014", "display_name": "Sam", "goal_ids": ["wait-turn"]})
        yield a, b


def _session(store: Store, trials: int = 3, *, simulated: bool = False, end: bool = True) -> int:
    sid = store.start_session("S-014", therapist="Mia Berger")
    store.mark_input(sid, "virtual" if simulated else "live")
    for index in range(trials):
        store.record_trial(sid, trial(index))
    store.record_events(sid, [{"onset_ms": 10.0, "kind": "note_on", "note": 36, "input": "live"}])
    if end:
        store.end_session(sid)
    return sid


def test_only_finished_real_sessions_wait_to_be_sent(laptops: tuple[Store, Store]) -> None:
    a, _ = laptops
    done = _session(a)
    simulated = _session(a, simulated=True)
    _session(a, end=False)  # still running
    partly = a.start_session("S-014")  # the virtual child showed it, then the child played
    a.mark_input(partly, "virtual")
    a.record_trial(partly, trial(0, input="virtual", simulated=True))
    a.mark_input(partly, "live")
    a.record_trial(partly, trial(1, input="live", simulated=False))
    a.end_session(partly)
    assert a.sessions_to_send() == [done, partly]  # its live trial is the child's
    assert a.sessions_to_send(include_simulated=True) == [done, simulated, partly]
    assert a.unsent_counts() == {
        "sessions": 2, "simulated sessions": 1, "running sessions": 1, "notes": 0,
        "goal versions": 1,
    }  # fmt: skip
    shared = a.shared_session(partly, "id-a", "Room 2")
    assert shared.input == "mixed" and shared.simulated
    assert ['"simulated": true' in t[4] for t in shared.trials] == [True, False]
    a.add_note(done, "settled quickly")
    assert a.notes_to_send() == []  # a note travels once its session has
    a.mark_sessions_sent([a.shared_session(done, "id-a", "Room 2").uuid])
    assert a.sessions_to_send() == [partly]
    assert [note.text for note in a.notes_to_send()] == ["settled quickly"]


def test_a_session_kept_from_the_clinic_is_whole_once_and_read_only(
    laptops: tuple[Store, Store],
) -> None:
    a, b = laptops
    sid = _session(a, trials=4)
    shared = a.shared_session(sid, "id-a", "Room 2")
    assert len(shared.trials) == 4 and len(shared.events) == 1
    b.add_clinic_child(replace(a.get_child("S-014"), display_name=None))
    b.keep_goal_versions(a.goal_versions_to_send("id-a", "Room 2"))
    assert b.goals_for("S-014") == a.goals_for("S-014")
    assert b.keep_sessions([shared]) == 1
    assert b.keep_sessions([shared]) == 0  # by UUID: twice is once
    (kept,) = b.sessions("S-014")
    assert kept["uuid"] == shared.uuid and kept["from_clinic"] and kept["laptop"] == "Room 2"
    assert b.trials(kept["id"]) == [t | {"session_id": kept["id"]} for t in a.trials(sid)]
    assert len(b.events(kept["id"])) == 1
    with pytest.raises(StoreError, match="read-only here"):
        b.add_note(kept["id"], "hello")
    with pytest.raises(StoreError, match="not a finished session of this laptop"):
        b.shared_session(kept["id"], "id-b", "Room 5")  # never sent on as b's own
    assert b.sessions_to_send() == []
    assert not b.get_child("S-014").consent.voice_recording  # consent is given on each laptop
