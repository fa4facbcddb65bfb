"""The devices page: each device the engine sees (and each one kept in the child's record),
who plays it (the child or the therapist), what it is (a keyboard or a drum pad), the
instrument it sounds (General MIDI, by family), and its playing aids: scale lock with key and
scale, transpose, and how soft playing still sounds (velocity floor and curve).

Saving keeps the settings in the chosen child's record and the engine plays the device so at
once (``save_device``); they come back whenever the child is chosen again.
"""

from __future__ import annotations

from typing import Any

from ...players.aids import SCALES
from ..controls import Rect, View, step
from ..page import PageHost
from .base import BasePage
from .frame import Action, PageFrame
from .instruments import family_name, instrument_name, step_family, step_instrument

SCALE_CHOICES: tuple[str | None, ...] = (None, *SCALES)
KEY_CHOICES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
CURVES = (("lift soft", 0.5), ("even", 1.0), ("firm", 2.0))  # velocity curve gamma
LABELS = {
    "label:device": "device",
    "label:player": "played by",
    "label:kind": "it is a",
    "label:family": "instrument family",
    "label:program": "instrument",
    "label:scale": "scale lock",
    "label:key": "key",
    "label:transpose": "transpose",
    "label:floor": "softest note",
    "label:touch": "touch",
}
TRANSPOSE_LIMIT = 24
STEPPED_ROW = (1, 2.2, 1)  # "< family", the value, "family >": each button wide enough to say it
FLOOR_STEP = 10


def scale_words(scale: str | None) -> str:
    """ "major pentatonic"; "off" for no scale lock."""
    return "off" if scale is None else scale.replace("_", " ")


class DeviceSettings:
    """One device's settings as the page edits them (the fields of ``save_device``)."""

    def __init__(self, device: str, saved: dict[str, Any] | None = None) -> None:
        saved = saved or {}
        lock = saved.get("scale_lock") or {}
        curve = saved.get("velocity_curve") or {}
        self.device = device
        self.player = str(saved.get("role", "child"))
        self.kind = str(saved.get("kind", "keyboard"))
        self.program = int((saved.get("instrument") or {}).get("program", 0))
        self.scale: str | None = lock.get("scale") if lock else None
        self.key = str(lock.get("key", "C")) if lock else "C"
        self.transpose = int(saved.get("transpose", 0))
        self.floor = int(curve.get("floor", 1))
        self.gamma = float(curve.get("gamma", 1.0))

    def fields(self) -> dict[str, Any]:
        """The ``save_device`` fields."""
        return {"device": self.device, "player": self.player, "kind": self.kind,
                "program": self.program, "scale": self.scale, "key": self.key,
                "transpose": self.transpose, "velocity_floor": self.floor,
                "velocity_gamma": self.gamma}  # fmt: skip


class DevicesPage(BasePage):
    """The devices of the chosen child (``child``: another child's)."""

    name = "devices"

    def __init__(self, host: PageHost, child: str | None = None) -> None:
        super().__init__(host)
        self.child = child or host.view.child
        self.title = f"devices of {self.child}" if self.child else "devices"
        self.saved: dict[str, dict[str, Any]] = {}
        self.edits: dict[str, DeviceSettings] = {}  # what the page shows of each device
        if self.child is None:
            self.notice = "choose a child first: a device's settings are kept with the child"
        else:
            reply = self.ask("child_profile", child=self.child)
            devices = (reply or {}).get("profile", {}).get("devices", [])
            self.saved = {str(d["device"]): d for d in devices}
        seen = list(host.view.state.get("devices") or [])
        self.connected = [str(d["device"]) for d in seen if d.get("connected")]
        self.seen = self.connected + [str(d["device"]) for d in seen if not d.get("connected")]
        names = self.names()
        self.device = names[0] if names else None
        self.settings = self._settings_of(self.device)

    def _settings_of(self, device: str | None) -> DeviceSettings | None:
        if device is None:
            return None
        return self.edits.setdefault(device, DeviceSettings(device, self.saved.get(device)))

    def names(self) -> list[str]:
        """The devices connected now, then those seen before, then those kept in the record."""
        return self.seen + [n for n in self.saved if n not in self.seen]

    def action(self) -> Action | None:
        """Save, when there is a child and a device."""
        return Action("save", "save", enabled=self.child is not None and self.device is not None)

    def rows(self, frame: PageFrame, view: View) -> None:
        """Device, player, kind, instrument, scale lock, transpose, touch."""
        many = len(self.names()) > 1
        back, name, on = stepped_row(frame, "device")
        frame.add("device:prev", "< device", back, enabled=many)
        frame.label("value:device", name)
        frame.add("device:next", "device >", on, enabled=many)
        settings = self.settings
        if settings is None:
            return
        child, therapist = frame.labelled_row("player", (1, 1))
        frame.add("player:child", f"the child ({self.child})", child, "choice",
                  selected=settings.player == "child")  # fmt: skip
        frame.add("player:therapist", "the therapist", therapist, "choice",
                  selected=settings.player == "therapist")  # fmt: skip
        keyboard, pad = frame.labelled_row("kind", (1, 1))
        frame.add("kind:keyboard", "keyboard", keyboard, "choice",
                  selected=settings.kind == "keyboard")  # fmt: skip
        frame.add("kind:pad", "drum pad", pad, "choice", selected=settings.kind == "pad")
        self._sound_rows(frame, settings)

    def _sound_rows(self, frame: PageFrame, settings: DeviceSettings) -> None:
        """A row a setting, its step buttons saying what they change ("< family", "key >")."""
        keyboard = settings.kind == "keyboard"  # a drum pad plays the GM drum kit
        locked = keyboard and settings.scale is not None
        self._stepped(frame, "family", "family", keyboard)
        self._stepped(frame, "program", "sound", keyboard)
        self._stepped(frame, "scale", "scale", keyboard)
        self._stepped(frame, "key", "key", locked)
        down, value, up = frame.labelled_row("transpose", STEPPED_ROW)
        frame.add("transpose:down", "lower", down, enabled=keyboard)
        frame.label("value:transpose", value)
        frame.add("transpose:up", "higher", up, enabled=keyboard)
        down, value, up = stepped_row(frame, "floor")
        frame.add("floor:down", "softest -", down, enabled=settings.floor > 1)
        frame.label("value:floor", value)
        frame.add("floor:up", "softest +", up, enabled=settings.floor < 127)
        curves = frame.labelled_row("touch", (1, 1, 1))
        for (label, gamma), rect in zip(CURVES, curves, strict=True):
            frame.add(f"curve:{gamma:g}", label, rect, "choice", selected=settings.gamma == gamma)

    @staticmethod
    def _stepped(frame: PageFrame, setting: str, words: str, enabled: bool) -> None:
        back, value, on = stepped_row(frame, setting)
        frame.add(f"{setting}:prev", f"< {words}", back, enabled=enabled)
        frame.label(f"value:{setting}", value)
        frame.add(f"{setting}:next", f"{words} >", on, enabled=enabled)

    def words(self, region: str, view: View) -> str:
        """Labels and the values between the buttons."""
        if region in LABELS:
            return LABELS[region]
        if region == "value:device":
            if self.device is None:
                return "no device connected"
            return self.device + ("" if self.device in self.connected else " (not connected)")
        settings = self.settings
        if settings is None:
            return ""
        pad = settings.kind == "pad"
        values = {
            "value:family": "drum kit" if pad else family_name(settings.program),
            "value:program": "General MIDI drums" if pad else instrument_name(settings.program),
            "value:scale": scale_words(settings.scale if not pad else None),
            "value:key": settings.key if settings.scale else "–",
            "value:transpose": f"{settings.transpose:+d} semitones"
            if settings.transpose
            else "none",
            "value:floor": f"at least {settings.floor}",
        }
        return values.get(region, "")

    def act(self, button: str, host: PageHost) -> None:
        """Step through the devices and each setting; save."""
        kind, _, arg = button.partition(":")
        if kind == "device":
            self.device = step(self.names(), self.device, -1 if arg == "prev" else 1)
            self.settings = self._settings_of(self.device)
        elif button == "save":
            self.save()
        elif self.settings is not None:
            _change(self.settings, kind, arg)

    def save(self) -> None:
        """Keep the device's settings with the child; the engine plays it so now."""
        if self.settings is None or self.child is None:
            return
        reply = self.ask("save_device", child=self.child, **self.settings.fields())
        if reply is not None:
            self.saved.setdefault(self.settings.device, {})  # listed when not connected
            now = (
                "plays so now" if reply.get("applied") else f"plays so when {self.child} is chosen"
            )
            self.notice = f"saved {self.settings.device} for {self.child}: it {now}"


def stepped_row(frame: PageFrame, setting: str) -> list[Rect]:
    """A setting's row of step buttons around its value: labelled at the left in a landscape
    window; in a portrait one without a row of words above it (its buttons say what they
    change), so every setting fits down to 768x1024."""
    if frame.portrait:
        return frame.cells(frame.next_row(), STEPPED_ROW)
    return frame.labelled_row(setting, STEPPED_ROW)


def _change(settings: DeviceSettings, kind: str, arg: str) -> None:
    """One tap on a setting's button."""
    by = -1 if arg in ("prev", "down") else 1
    if kind == "player":
        settings.player = arg
    elif kind == "kind":
        settings.kind = arg
    elif kind == "family":
        settings.program = step_family(settings.program, by)
    elif kind == "program":
        settings.program = step_instrument(settings.program, by)
    elif kind == "scale":
        index = SCALE_CHOICES.index(settings.scale) if settings.scale in SCALE_CHOICES else 0
        settings.scale = SCALE_CHOICES[(index + by) % len(SCALE_CHOICES)]
    elif kind == "key":
        known = settings.key if settings.key in KEY_CHOICES else "C"
        settings.key = KEY_CHOICES[(KEY_CHOICES.index(known) + by) % len(KEY_CHOICES)]
    elif kind == "transpose":
        settings.transpose = max(-TRANSPOSE_LIMIT, min(TRANSPOSE_LIMIT, settings.transpose + by))
    elif kind == "floor":
        steps = settings.floor // FLOOR_STEP + by  # 1, 10, 20 ... 120, 127
        settings.floor = max(1, min(127, steps * FLOOR_STEP))
    elif kind == "curve":
        settings.gamma = float(arg)
