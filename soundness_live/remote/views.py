"""What a page is sent of the engine's messages: never the laptop's own business.

The snapshot's ``remote`` (the pairing code, the paired devices) stays on the laptop. A
child's name never leaves it either, unless the therapist turned names on for that device:
the catalog's ``display_name`` is dropped for every other device (the state itself carries
codes only).
"""

from __future__ import annotations

from typing import Any

LAPTOP_ONLY = ("remote",)


def page_state(state: dict[str, Any]) -> dict[str, Any]:
    """The engine's snapshot as a page sees it."""
    return {key: value for key, value in state.items() if key not in LAPTOP_ONLY}


def page_reply(kind: str, reply: dict[str, Any], show_names: bool) -> dict[str, Any]:
    """A command's reply as a page sees it (the catalog without names unless allowed)."""
    shown = {key: value for key, value in reply.items() if key not in ("v", "type", "id")}
    if "state" in shown and isinstance(shown["state"], dict):
        shown["state"] = page_state(shown["state"])
    if kind == "catalog" and not show_names:
        shown["children"] = [
            {key: value for key, value in child.items() if key != "display_name"}
            for child in shown.get("children", [])
        ]
    return shown


def page_message(msg: dict[str, Any]) -> dict[str, Any] | None:
    """An engine message as a page sees it (None: not for pages)."""
    kind = msg.get("type")
    if kind == "state":
        return {"type": "state", "state": page_state(msg.get("state", {}))}
    if kind == "trial":
        return {"type": "trial", "trial": msg.get("trial", {})}
    if kind == "notice":
        return {"type": "notice", "text": str(msg.get("text", ""))}
    if kind == "engine":
        return {"type": "engine", "reachable": bool(msg.get("reachable"))}
    return None
