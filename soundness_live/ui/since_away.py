"""What the therapist's screen says once the engine answers again: what became of the
session that was open before the engine was lost.

The engine stores each trial as it ends, so what it kept is in the store whatever happened.
An engine that went on running (the connection broke, the laptop slept) still has the session
open: it goes on. An engine that stopped with the session open closed it: stopped on purpose
(``soundness-live engine --stop``) it ended the session as complete; stopped by a signal it
stored it as interrupted as it closed; one that crashed left it "running" in the store, and
the next engine to open the store marks it interrupted (its process is gone). Whichever it
was, the screen asks the engine for that session's summary and says how many trials were
saved and how the session is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BACK = "Connected to the sound engine again."
#: How a closed session is stored, in a therapist's words (the store's status).
STORED_AS = {
    "complete": "The session was ended while the engine was away",
    "interrupted": "The session was closed while the engine was away and is stored as interrupted",
}


def trials_words(count: int) -> str:
    """ "1 trial was saved", "6 trials were saved"."""
    return "1 trial was saved" if count == 1 else f"{count} trials were saved"


def since_away_words(
    before: dict[str, Any], now: dict[str, Any], request: Callable[..., dict[str, Any]]
) -> str:
    """The notice once connected again: ``before`` is the engine's last state before the loss,
    ``now`` its state on connecting again, ``request`` asks the engine (the session's summary)."""
    session = before.get("session_id")
    if session is None:
        return BACK
    if now.get("session_id") == session:
        return f"{BACK} The session goes on."
    child = before.get("child")
    try:
        summary = request("session_summary", child=child, session=session)
    except Exception as error:  # refused, or the engine went away again
        return (f"The session open before was closed while the engine was away; "
                f"its trials could not be counted: {error}")  # fmt: skip
    status = str(summary.get("status"))
    closed = STORED_AS.get(status, f"The session was closed while the engine was away ({status})")
    return f"{closed}: {trials_words(int(summary.get('trials') or 0))}."


REMOTE_GONE = (
    "The browser remote stopped with the engine: tablets show it unreachable until it is "
    "turned on again on the remote page."
)


def remote_words(before: dict[str, Any], now: dict[str, Any]) -> str:
    """What the notice adds when a browser remote served before the loss and none serves now
    (a remote ends with its engine: an engine started again starts none by itself)."""
    served_before = (before.get("remote") or {}).get("served")
    served_now = (now.get("remote") or {}).get("served")
    return REMOTE_GONE if served_before and not served_now else ""
