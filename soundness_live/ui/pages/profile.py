"""The child's profile page: add a child or change theirs (code, name, volume cap, voice range,
voice consent), and the ways on to their goals and devices.

The code is the child's pseudonym (what exports carry); the name shows on this screen only.
The volume cap and the voice range move in steps; voice recordings are kept only with the
parents' consent, and withdrawing it says, before saving, that the kept recordings go.
"""

from __future__ import annotations

from typing import Any

from ..controls import View
from ..page import PageHost
from ..widgets import note_name
from .base import BasePage
from .frame import Action, PageFrame
from .keyboard import TextField, code_char

CAP_STEP_DB = 3.0
CAP_RANGE_DBFS = (-60.0, 0.0)
RANGE_STEP_HZ = 25.0
LOW_RANGE_HZ, HIGH_RANGE_HZ = (50.0, 800.0), (200.0, 2000.0)  # as a profile takes them
NEW_RANGE_HZ = (150.0, 600.0)  # where a voice range starts when the therapist sets one


class ProfilePage(BasePage):
    """Add a child (``child`` None) or edit the child ``child``."""

    name = "profile"

    def __init__(self, host: PageHost, child: str | None = None) -> None:
        super().__init__(host)
        self.new = child is None
        self.fields = {"code": TextField(child or "", 32, code_char),
                       "name": TextField("", 64)}  # fmt: skip
        self.cap_dbfs = -12.0
        self.voice_range: tuple[float, float] | None = None
        self.consent = self.stored_consent = False
        self.title = "new child" if self.new else f"child {child}"
        if child is not None:
            self._load(child)
        else:
            self.editing = "code"

    def _load(self, child: str) -> None:
        reply = self.ask("child_profile", child=child)
        if reply is None:
            return
        profile = reply["profile"]
        self.fields["name"].text = profile.get("display_name") or ""
        self.cap_dbfs = float(profile["volume_cap_dbfs"])
        low_high = profile.get("voice_range_hz")
        self.voice_range = (float(low_high[0]), float(low_high[1])) if low_high else None
        self.consent = self.stored_consent = bool(profile["consent"]["voice_recording"])

    @property
    def code(self) -> str:
        """The child's code as typed."""
        return self.fields["code"].text

    def action(self) -> Action | None:
        """Save: once a code is typed."""
        return Action("save", "add child" if self.new else "save", enabled=bool(self.code))

    def rows(self, frame: PageFrame, view: View) -> None:
        """Code, name, volume cap, voice range, consent, and goals and devices."""
        [value] = frame.labelled_row("code", (3,))
        frame.add("field:code", self.field_label("code", "type a code"), value, "choice",
                  selected=self.editing == "code", enabled=self.new)  # fmt: skip
        value, clear = frame.labelled_row("name", (2.2, 0.8))
        frame.add("field:name", self.field_label("name", "no name (code only)"), value, "choice",
                  selected=self.editing == "name")  # fmt: skip
        frame.add("name:clear", "clear", clear, enabled=bool(self.fields["name"].text))
        self._cap_row(frame)
        self._range_row(frame)
        [value] = frame.labelled_row("consent", (3,))
        frame.add("consent", self._consent_words(), value, "choice", selected=self.consent)
        if not self.new and frame.rows_left() >= 1:
            goals, devices = frame.cells(frame.next_row(), (1, 1))
            frame.add("open:goals", "goals >", goals)
            frame.add("open:devices", "devices and aids >", devices)

    def _cap_row(self, frame: PageFrame) -> None:
        down, value, up = frame.labelled_row("cap", (1, 1, 1))
        frame.add("cap:down", "quieter", down, enabled=self.cap_dbfs > CAP_RANGE_DBFS[0])
        frame.label("value:cap", value)
        frame.add("cap:up", "louder", up, enabled=self.cap_dbfs < CAP_RANGE_DBFS[1])

    def _range_row(self, frame: PageFrame) -> None:
        # each step button says which end of the range it moves, and fits those words
        cells = frame.labelled_row("range", (0.8, 1, 0.8, 0.8, 1, 0.8, 0.8))
        low_down, low, low_up, high_down, high, high_up, onoff = cells
        shown = self.voice_range is not None
        frame.add("low:down", "low -", low_down, enabled=shown)
        frame.label("value:low", low)
        frame.add("low:up", "low +", low_up, enabled=shown)
        frame.add("high:down", "high -", high_down, enabled=shown)
        frame.label("value:high", high)
        frame.add("high:up", "high +", high_up, enabled=shown)
        frame.add("range", "clear" if shown else "set", onoff)

    def _consent_words(self) -> str:
        if self.consent:
            return "voice kept: parents consented"
        if self.stored_consent:
            return "not kept: saving deletes the kept recordings"
        return "voice analysed, never kept"

    def words(self, region: str, view: View) -> str:
        """The labels and values between the buttons."""
        low_high = self.voice_range
        return {
            "label:code": "code",
            "label:name": "name (this screen only)",
            "label:cap": "volume cap",
            "value:cap": f"{self.cap_dbfs:g} dB",
            "label:range": "voice range",
            "value:low": range_words(low_high[0]) if low_high else "–",
            "value:high": range_words(low_high[1]) if low_high else "–",
            "label:consent": "voice recordings",
        }.get(region, "")

    def act(self, button: str, host: PageHost) -> None:
        """Steps, toggles, save, and the ways on."""
        if button.startswith("cap:"):
            step = CAP_STEP_DB if button == "cap:up" else -CAP_STEP_DB
            self.cap_dbfs = min(CAP_RANGE_DBFS[1], max(CAP_RANGE_DBFS[0], self.cap_dbfs + step))
        elif button in ("low:down", "low:up", "high:down", "high:up"):
            self._step_range(button)
        elif button == "range":
            self.voice_range = None if self.voice_range else NEW_RANGE_HZ
        elif button == "name:clear":
            self.fields["name"].text = ""
        elif button == "consent":
            self.consent = not self.consent
        elif button == "save":
            self.save(host)
        elif button.startswith("open:"):
            host.open_page(button.partition(":")[2], child=self.code)

    def _step_range(self, button: str) -> None:
        if self.voice_range is None:
            return
        low, high = self.voice_range
        step = RANGE_STEP_HZ if button.endswith(":up") else -RANGE_STEP_HZ
        if button.startswith("low"):
            low = min(LOW_RANGE_HZ[1], max(LOW_RANGE_HZ[0], low + step), high - RANGE_STEP_HZ)
        else:
            high = max(HIGH_RANGE_HZ[0], min(HIGH_RANGE_HZ[1], high + step), low + RANGE_STEP_HZ)
        self.voice_range = (low, high)

    def save(self, host: PageHost) -> None:
        """Add or change the child in the store (through the engine)."""
        name = self.fields["name"].text.strip() or None
        fields: dict[str, Any] = {
            "child": self.code,
            "new": self.new,
            "display_name": name,
            "volume_cap_dbfs": self.cap_dbfs,
            "voice_range_hz": list(self.voice_range) if self.voice_range else None,
            "voice_consent": self.consent,
        }
        reply = self.ask("save_child", **fields)
        if reply is None:
            return
        deleted = int(reply.get("deleted_recordings") or 0)
        self.notice = f"{'added' if self.new else 'saved'} {self.code}" + (
            f"; {deleted} kept recordings deleted" if deleted else ""
        )
        added = self.new
        self.new, self.editing, self.stored_consent = False, None, self.consent
        self.title = f"child {self.code}"
        catalog = self.ask("catalog")
        if catalog is not None:  # the session page's child picker shows them at once
            host.view.children = catalog.get("children", [])
        if added and host.view.state.get("session_id") is None:
            self._choose(host)

    def _choose(self, host: PageHost) -> None:
        """The child just added is the session page's chosen child (no session being open):
        back on it, the therapist finds them chosen, not one to step through the list to."""
        host.view.child, host.view.plan = self.code, None  # plans are the child's
        host.command("select_child", child=self.code)  # their limits apply from now
        self.notice += "; chosen for the session"


def range_words(hz: float) -> str:
    """An end of the voice range as a therapist sings it, the nearest note, and its figure:
    "D3 150 Hz" (the steps of 25 Hz may fall on one note up high, so the figure stays)."""
    return f"{note_name(hz)} {hz:g} Hz"
