"""Sharing with the clinic: send what this laptop has, fetch what other laptops sent.

One sync, in this order, each step in batches that are each one transaction on either side:

1. send: the children's codes (and their settings when they changed; names only when the
   clinic shares names), the goal versions made here, the finished sessions not yet sent
   (simulated ones only with ``include_simulated``; a running one waits until it ends; voice
   recordings never), then notes on sent sessions when ``clinic_share_notes`` allows;
2. fetch, for the children on this laptop (and those asked for by code, new here): goal
   versions (the newest becomes the child's goals), other laptops' sessions, read-only here,
   and their notes.

Every record is named by its UUID, and the server keeps the first copy of each: sending
again what it has changes nothing, fetching again what this laptop has changes nothing. A
batch is marked sent here only after the server committed it, so a sync stopped anywhere
(the server gone, the network lost, the program killed) loses nothing, and the next one
sends again the batch in doubt, which the server then recognises. A child deleted here was
deleted with everything of theirs, so nothing of theirs is ever sent again, and nothing of
theirs is fetched again unless asked for by code; what the server already holds stays there
(the laptops' role cannot delete: the clinic's administrator can).

:func:`sync_after_session` runs a sync in the background when a session ends: the session
never waits for it, and its failure is one line for the therapist, not an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soundness_live.config import ensure_installation, load_settings
from soundness_live.errors import SoundnessError
from soundness_live.store.exchange import batches

__all__ = ["SyncReport", "sync", "sync_after_session"]

#: Sessions sent or fetched per transaction (one session is ~60 trials).
SESSION_BATCH = 50


@dataclass
class SyncReport:
    """What a sync did, and what it did not do and why."""

    sent: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    held_back: dict[str, int] = field(default_factory=dict)

    def add(self, part: dict[str, int], kind: str, number: int) -> None:
        """Count ``number`` more of ``kind`` in ``part``."""
        part[kind] = part.get(kind, 0) + number

    def lines(self) -> list[str]:
        """The report in sentences."""
        return [
            "sent: " + _listed(self.sent),
            "received: " + _listed(self.received),
            *(f"not sent: {number} {kind} ({_WHY[kind]})"
              for kind, number in self.held_back.items() if number),
        ]  # fmt: skip


_WHY = {
    "simulated sessions": "simulated; send them with --include-simulated",
    "running sessions": "still running; they are sent once they end",
    "notes": "clinic_share_notes is off in config.toml",
}


def _listed(counts: dict[str, int]) -> str:
    shown = [f"{number} {kind}" for kind, number in counts.items() if number]
    return ", ".join(shown) or "nothing new"


def sync(
    store: Any,
    clinic: Any,
    *,
    include_simulated: bool = False,
    children: Sequence[str] = (),
    after_batch: Callable[[str], None] | None = None,
) -> SyncReport:
    """Send to and fetch from ``clinic`` (a :class:`~.server.ClinicStore`) for ``store``
    (this laptop's :class:`~soundness_live.store.records.Store`); ``children``: codes of
    children new to this laptop to fetch too. ``after_batch(step)`` is called after each
    batch is done on both sides."""
    home = store.path.parent
    me = ensure_installation(home)
    assert me.installation_id is not None and me.laptop is not None
    settings = load_settings(home)
    report = SyncReport()
    done = after_batch or (lambda step: None)
    _send(store, clinic, me.installation_id, me.laptop, report, include_simulated, done,
          bool(settings.clinic_share_notes))  # fmt: skip
    _fetch(store, clinic, me.installation_id, report, children, done)
    return report


def _send(
    store: Any, clinic: Any, laptop_id: str, laptop: str, report: SyncReport,
    include_simulated: bool, done: Callable[[str], None], share_notes: bool,
) -> None:  # fmt: skip
    for child in store.list_children():
        clinic.add_child(child.code, laptop_id)
        settings = store.profile_to_send(child.code)
        if settings is not None:
            clinic.add_profile(child, settings, laptop_id, laptop)
            store.mark_profile_sent(child.code, settings)
    versions = store.goal_versions_to_send(laptop_id, laptop)
    for batch in batches(versions, 500):
        clinic.add_goal_versions(batch)
        store.mark_goal_versions_sent([v.uuid for v in batch])
        report.add(report.sent, "goal versions", len(batch))
        done("goal versions sent")
    for ids in batches(store.sessions_to_send(include_simulated), SESSION_BATCH):
        shared = [store.shared_session(sid, laptop_id, laptop) for sid in ids]
        clinic.add_sessions(shared)
        store.mark_sessions_sent([s.uuid for s in shared])
        report.add(report.sent, "sessions", len(shared))
        done("sessions sent")
    counts = store.unsent_counts()
    if not include_simulated:
        report.add(report.held_back, "simulated sessions", counts["simulated sessions"])
    report.add(report.held_back, "running sessions", counts["running sessions"])
    notes = store.notes_to_send()
    if not share_notes:
        report.add(report.held_back, "notes", len(notes))
        return
    for batch in batches(notes, 500):
        clinic.add_notes(batch, laptop_id)
        store.mark_notes_sent([n.uuid for n in batch])
        report.add(report.sent, "notes", len(batch))
        done("notes sent")


def _fetch(
    store: Any, clinic: Any, laptop_id: str, report: SyncReport, asked: Iterable[str],
    done: Callable[[str], None],
) -> None:  # fmt: skip
    here = [child.code for child in store.list_children()]
    new = [code for code in dict.fromkeys(asked) if code not in here]
    for code in new:
        store.add_clinic_child(clinic.get_child(code))  # StoreError when the clinic has none
        report.add(report.received, "children", 1)
    codes = here + new
    if not codes:
        return
    known = store.known_uuids("goal_versions", codes)
    versions = [v for v in clinic.fetch_goal_versions(codes) if v.uuid not in known]
    if versions:
        report.add(report.received, "goal versions", store.keep_goal_versions(versions))
        done("goal versions received")
    known = store.known_uuids("sessions", codes)
    missing = [uuid for uuid in clinic.session_uuids(codes, laptop_id) if uuid not in known]
    for batch in batches(missing, SESSION_BATCH):
        report.add(report.received, "sessions", store.keep_sessions(clinic.fetch_sessions(batch)))
        done("sessions received")
    known = store.known_uuids("notes", codes)
    notes = [n for n in clinic.fetch_notes(codes, laptop_id) if n.uuid not in known]
    if notes:
        report.add(report.received, "notes", store.keep_notes(notes))
        done("notes received")


def sync_after_session(
    db_path: Path, tell: Callable[[str], None], *, wait: bool = False
) -> threading.Thread | None:
    """When this laptop is connected to a clinic and ``clinic_auto_sync`` is not off, send
    and fetch in a background thread (its own connections) and ``tell`` the therapist how it
    went in one line; None when not connected. The session never waits for it (``wait``:
    tests and commands that end right after may)."""
    try:
        settings = load_settings(db_path.parent)
    except SoundnessError as error:  # a damaged config.toml: the session is stored anyway
        tell(f"clinic sync not started: {error}")
        return None
    if settings.clinic_url is None or settings.clinic_auto_sync is False:
        return None
    thread = threading.Thread(
        target=_sync_quietly, args=(db_path, settings.clinic_url, tell), name="clinic-sync",
        daemon=True,
    )  # fmt: skip
    thread.start()
    if wait:
        thread.join()
    return thread


def _sync_quietly(db_path: Path, url: str, tell: Callable[[str], None]) -> None:
    from soundness_live.store.clinic.server import ClinicStore
    from soundness_live.store.records import Store

    try:
        with (
            Store.open(db_path, recover=False) as store,
            ClinicStore.open(url, db_path.parent) as clinic,
        ):
            report = sync(store, clinic)
        tell("clinic sync: " + "; ".join(report.lines()))
    except SoundnessError as error:
        tell(f"clinic sync did not finish, the sessions stay here and go next time: {error}")
    except Exception as error:  # never a silent death of the thread, never the session's
        tell(f"clinic sync failed unexpectedly ({type(error).__name__}: {error}); "
             "the sessions stay here and go next time")  # fmt: skip
