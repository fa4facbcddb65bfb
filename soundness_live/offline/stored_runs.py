"""Running activities for a stored child: their profile applied, the session kept in the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..activities.registry import get_activity
from ..config import check_therapist, load_settings
from ..core.session import RunResult, SessionHooks
from ..players.profiles import ChildProfile, profile_params
from ..store.records import Store
from ..store.session import StoredSession
from .runs import PlayOptions, prepare_run


def apply_profile(options: PlayOptions, profile: ChildProfile) -> PlayOptions:
    """The child's settings under the therapist's explicit parameters: the volume cap always
    (it is a safety limit); the preferred tempo and voice range where none was given."""
    accepted = [spec.name for spec in get_activity(options.activity).specs]
    params = profile_params(profile, accepted, options.params)
    cap = profile.volume_cap_dbfs
    if options.cap_dbfs is not None:
        cap = min(cap, options.cap_dbfs)  # a lower cap may be asked for, never a higher one
    return PlayOptions(**{**options.__dict__, "params": params, "cap_dbfs": cap})


@contextmanager
def stored_session(
    store: Store,
    child_code: str,
    *,
    sample_rate: int,
    params: dict[str, Any] | None = None,
    therapist: str | None = None,
) -> Iterator[StoredSession]:
    """A running stored session, marked complete on success and interrupted on failure."""
    session = StoredSession.start(
        store, child_code, sample_rate=sample_rate, params=params, therapist=therapist
    )
    session.wait_for_sync = True  # the command ends with the session: its sync first
    try:
        yield session
    except BaseException:
        session.close(ok=False)
        raise
    session.close(ok=True)


def run_for_child(
    options: PlayOptions,
    child_code: str,
    store: Store | None = None,
    *,
    therapist: str | None = None,
) -> tuple[RunResult, dict[str, Any], int]:
    """Run one activity for ``child_code`` and store it as a session; returns its id too.
    ``therapist`` ran it (default: the data directory's config.toml).

    Everything is checked before the session opens (the child, the parameters, the input, the
    WAV file's folder): a bad option stores nothing, not even an empty session."""
    own = store is None
    store = store or Store.open()
    try:
        options = apply_profile(options, store.get_child(child_code))
        therapist = check_therapist(therapist, "--therapist")
        therapist = therapist or load_settings(store.path.parent).therapist
        prepared = prepare_run(options)
        meta = {"activity": options.activity, "seed": options.seed, "input": str(options.input)}
        try:
            with stored_session(
                store, child_code, sample_rate=options.sample_rate, params=meta,
                therapist=therapist,
            ) as session:  # fmt: skip
                hooks = session.hooks(options.activity, SessionHooks())
                result, sound = prepared.run(hooks)
        finally:
            prepared.discard()  # a session that could not open writes no WAV either
        return result, sound, session.session_id
    finally:
        if own:
            store.close()
