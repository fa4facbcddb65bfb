"""What a page is sent of the engine's messages: never the laptop's own business.

The snapshot's ``remote`` (the pairing code, the paired devices) stays on the laptop. A
child's name never leaves it either, unless the therapist turned names on for that device:
the catalog's ``display_name`` is dropped for every other device (the state itself carries
codes only). Nor do the laptop's folders: a text naming a file (a plan that does not check,
a refusal) names it from the data directory on (``plans/shared/x.toml``), and any other path
in the user's home from ``~`` (:func:`hide_paths`), so a page never learns the laptop's user
name or where its records are kept.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

LAPTOP_ONLY = ("remote",)


def hidden_folders(data_dir: Path) -> list[tuple[str, str]]:
    """(a folder as texts may name it, what a page sees instead), longest first: the data
    directory (as given and resolved) drops out, the user's home becomes ``~``."""
    pairs = {}
    for folder in {data_dir, data_dir.resolve()}:
        pairs[str(folder) + os.sep] = ""
        pairs[str(folder)] = "the data directory"
    home = str(Path.home())
    if len(home) > 1:  # a home of / would hide every slash
        pairs.setdefault(home, "~")
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def hide_paths(value: Any, folders: list[tuple[str, str]]) -> Any:
    """``value`` with every text (keys kept) told without the folders of :func:`hidden_folders`."""
    if isinstance(value, str):
        for folder, shown in folders:
            if folder in value:
                value = value.replace(folder, shown)
        return value
    if isinstance(value, dict):
        return {key: hide_paths(item, folders) for key, item in value.items()}
    if isinstance(value, list):
        return [hide_paths(item, folders) for item in value]
    return value


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
        shown = {"type": "trial", "trial": msg.get("trial", {})}
        if msg.get("marked"):  # a stored trial's prompt level marked after it ended
            shown.update(marked=True, was=msg.get("was"))
        return shown
    if kind == "notice":
        return {"type": "notice", "text": str(msg.get("text", ""))}
    if kind == "engine":
        return {"type": "engine", "reachable": bool(msg.get("reachable"))}
    return None
