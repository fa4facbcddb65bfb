"""The remote's connection to the engine, shared by every page it serves.

One :class:`~soundness_live.live.client.EngineClient` carries every page's commands (the
engine's own command table checks them, with the child's limits) and brings the engine's
state, trials and notices, which :class:`EngineBridge` hands to the web server's event loop
for each page's socket: each message is made into what a page sees, and into its JSON text,
once for every page (ten pages cost the engine nothing more than one, and the remote one
encoding). A page that comes back (a resync, the polling fallback) is given the state the
bridge already holds, never a question to the engine. Pages may send only
:data:`PAGE_COMMANDS`: the commands of the therapist's controls, never the engine's own
(``shutdown``) nor those that pair or revoke devices. When the engine goes away the bridge
says so to every page, and the remote stops; when it stops answering while its connection
stays open (hung, or its process suspended), the pages are told it is unreachable as well,
and reachable again with its next message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SoundnessError
from ..live.client import EngineClient, EngineError
from .views import hidden_folders, hide_paths, page_message, page_state

log = logging.getLogger(__name__)
COMMAND_TIMEOUT_S = 10.0
#: The engine sends its state several times a second: this long without a word (or four
#: snapshot periods, when it sends fewer) is an engine that stopped answering.
SILENT_S = 2.0

#: What a page may ask of the engine: the therapist's controls of the pygame screen.
PAGE_COMMANDS = frozenset(
    {
        "snapshot", "catalog", "plans", "select_child", "start_plan", "start_activity",
        "next_step", "skip_step", "repeat_step", "stop", "pause", "resume", "next_trial",
        "set_prompt_level", "set_volume_cap", "panic", "add_note", "end_session",
    }
)  # fmt: skip

#: Called with each message for the pages, as the JSON text every page is sent.
Listener = Callable[[str], None]


def page_text(shown: dict[str, Any]) -> str:
    """A message for a page as the JSON text its socket sends."""
    return json.dumps(shown, separators=(",", ":"), ensure_ascii=False)


class EngineBridge:
    """The engine, as the web server's handlers use it (from any thread)."""

    def __init__(self, data_dir: Path, timeout_s: float = 10.0) -> None:
        self.listeners: set[Listener] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.on_lost: Callable[[], None] = lambda: None
        #: called on the engine client's reader thread with each state the engine sends
        self.on_state: Callable[[dict[str, Any]], None] = lambda state: None
        self._lock = threading.Lock()
        self.silent = False  # the engine's connection is open but it stopped answering
        self.folders = hidden_folders(data_dir)  # never named to a page
        # the engine's state the page's view was made from, and that view
        self._state_view: tuple[dict[str, Any], dict[str, Any]] | None = None
        self.client = EngineClient.connect(data_dir, timeout_s, on_message=self._arrived)
        self._watch = threading.Thread(target=self._watch_engine, name="remote-engine", daemon=True)
        self._watch.start()

    @property
    def connected(self) -> bool:
        """Whether the engine's connection is open (a command may still be tried)."""
        return not self.client.closed

    @property
    def reachable(self) -> bool:
        """Whether the engine's connection is open and the engine answers on it."""
        return self.connected and not self.silent

    def state(self) -> dict[str, Any]:
        """The engine's latest state as a page sees it (no folder of the laptop named in it,
        nothing of :data:`~.views.LAPTOP_ONLY`), made once for each state the engine sends:
        every page shares it, so no caller may change it."""
        source = self.client.state
        made = self._state_view
        if made is None or made[0] is not source:
            made = (source, hide_paths(page_state(source), self.folders))
            self._state_view = made
        return made[1]

    def request(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        """A command's reply (``ok`` false with the engine's reason when refused). The
        fields travel as one mapping: a page's field is never taken for the client's own
        argument (``timeout_s``) nor the message's own key (``type``, ``v``, ``id``). No
        folder of the laptop is named in it (a refusal may name a file)."""
        try:
            reply = self.client.ask(kind, fields, COMMAND_TIMEOUT_S)
        except EngineError as error:
            reply = {"ok": False, "error": str(error)}
        except SoundnessError as error:  # the connection closed, or a field JSON cannot carry
            reply = {"ok": False, "error": f"the engine did not take {kind!r}: {error}"}
        return hide_paths(reply, self.folders)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` (on the server's event loop) with each engine message a page is
        sent, as its JSON text (the same text for every listener)."""
        with self._lock:
            self.listeners.add(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            self.listeners.discard(listener)

    def close(self) -> None:
        """Say the remote stopped and let the engine go."""
        if self.connected:
            try:
                self.client.request("remote_status", timeout_s=2.0, status=None)
            except Exception:  # the engine went first: nothing to tell
                pass
        self.client.close()

    def _arrived(self, msg: dict[str, Any]) -> None:
        """On the engine client's reader thread: hand the message to the event loop."""
        if self.silent:  # any word from the engine: it answers again
            self.silent = False
            log.warning("the engine answers again")
            self._hand({"type": "engine", "reachable": True})
        if msg.get("type") == "state" and isinstance(msg.get("state"), dict):
            self.on_state(msg["state"])
        if msg.get("type") != "reply":
            self._hand(msg)

    def _hand(self, msg: dict[str, Any]) -> None:
        """Give what a page sees of ``msg`` to every listener, on the event loop: made and
        encoded once, whatever the number of pages."""
        loop = self.loop
        with self._lock:
            listeners = list(self.listeners)
        if loop is None or not listeners:
            return
        if msg.get("type") == "state":  # the client keeps it: the view pages resync from
            shown: dict[str, Any] | None = {"type": "state", "state": self.state()}
        else:
            shown = page_message(msg)
        if shown is None:
            return
        text = page_text(hide_paths(shown, self.folders))
        for listener in listeners:
            try:
                loop.call_soon_threadsafe(listener, text)
            except RuntimeError:  # the loop closed as the remote stopped
                return

    def _watch_engine(self) -> None:
        """Tell every page when the engine stops answering; when its connection ends, tell
        them and stop the remote."""
        while not self.client.closed:
            silent_s = time.monotonic() - self.client.last_message_s
            if not self.silent and silent_s > self._silent_limit_s():
                self.silent = True
                log.warning("the engine has not answered for %.1f s", silent_s)
                self._hand({"type": "engine", "reachable": False})
            threading.Event().wait(0.2)
        log.warning("the engine is unreachable: %s", self.client.error or "its connection closed")
        self._hand({"type": "engine", "reachable": False})
        self.on_lost()

    def _silent_limit_s(self) -> float:
        """How long the engine may say nothing before it counts as not answering."""
        hz = self.client.state.get("snapshot_hz")
        if isinstance(hz, int | float) and not isinstance(hz, bool) and hz > 0:
            return max(SILENT_S, 4.0 / hz)
        return SILENT_S
