"""The browser remote on the therapist's screen: turned on and off here, where it serves, its
QR code and pairing code, and the devices paired with it, each revoked (after asking) or allowed
children's names with one tap.

Nothing goes on the network unless the therapist picks it: the places to serve are this laptop
only (chosen first) and this laptop's own Wi-Fi addresses, as the engine lists them
(``remote_addresses``); a Wi-Fi address says first, in plain words, that tablets on the same
network can reach the pairing page (and that it is plain HTTP without TLS in config.toml).
"turn on" asks the engine to start the remote's process there (``start_remote``), "turn the
remote off" to stop it (``stop_remote``). Everything shown comes from the engine's snapshot
(``remote``: ``served``, ``starting``, ``start_error``, ``devices``, kept by
:mod:`soundness_live.live.remote_link` and :mod:`soundness_live.live.remote_process`); a tap is
an engine command (``revoke_device``, ``show_device_names``), so a device revoked here is
refused by the remote from the engine's answer on. The QR code holds the address only, never
the code, which is read off this screen. A code pairs one device (the remote makes the next);
"new code" asks for another at once (``new_pairing_code``), for a code seen by someone else, or
to open pairing that wrong codes from the network locked (the page says how many came, since
when and until when it is locked).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pygame

from ...live.client import EngineError
from ..controls import Button, Layout, Rect, View
from ..drawing import clip_lines, draw_chosen
from ..images import Fonts
from ..page import PageHost
from ..palette import BACKGROUND, BUTTON, DANGER, MUTED, NOTICE, PANEL, SELECTED, TEXT
from .frame import QUIET

ROW_PX = 56  # a touch target's height on a 1280x800 window (never under 48 at any size)
MIN_TARGET_PX = 48
QR_LIGHT, QR_DARK = (255, 255, 255), (0, 0, 0)
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_LAN_CHOICES = 2  # a laptop on Wi-Fi and a cable at once; more would not fit the row


def _rows(width: int, height: int) -> tuple[int, int, int]:
    """(row height, gap, margin) at this window size."""
    row = max(MIN_TARGET_PX, round(min(width, height) * 0.07), ROW_PX)
    return row, max(6, row // 8), max(12, row // 4)


def qr_modules(url: str) -> list[list[bool]]:
    """The QR code of ``url``: rows of dark (True) modules, with a quiet zone of two; none
    when segno (the remote extra) is not installed."""
    try:
        import segno
    except ImportError:
        return []
    code = segno.make(url, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]


class PairedDevicesPage:
    """The remote turned on (where the therapist picks) and off; its address, QR code and
    code; the paired devices with revoke and names."""

    name = "paired_devices"
    title = "Browser remote"

    def __init__(self, host: PageHost, **context: Any) -> None:
        self.host = host
        self.notice = ""
        self._qr: tuple[str, list[list[bool]]] = ("", [])
        self.places = self._places(host)
        self.chosen = LOOPBACK  # nothing on the network unless the therapist picks that

    def _places(self, host: PageHost) -> dict[str, Any]:
        """Where the remote may serve (the engine's ``remote_addresses``): loopback only when
        the engine cannot say."""
        try:
            return host.request("remote_addresses")
        except EngineError as error:
            self.notice = f"this laptop's network addresses are unknown: {error}"
            return {"loopback": LOOPBACK, "lan": [], "port": DEFAULT_PORT, "tls": False}

    # -- what the snapshot says ----------------------------------------------------------------
    @staticmethod
    def remote(view: View) -> dict[str, Any]:
        """The snapshot's ``remote`` (empty when the engine says nothing of one)."""
        return view.state.get("remote") or {}

    def devices(self, view: View) -> list[dict[str, Any]]:
        """The paired devices, in pairing order."""
        return list(self.remote(view).get("devices") or [])

    def served_words(self, view: View) -> list[str]:
        """The lines above the devices: address, code, fingerprint; or where it would serve."""
        remote = self.remote(view)
        served = remote.get("served")
        if not served:
            return self.off_words(remote)
        where = "on the tablet or phone"
        if _laptop_only(str(served["url"])):  # a tablet cannot reach a loopback address
            where = "in a browser on this laptop (turn it on at the Wi-Fi address for a tablet)"
        lines = [f"Open {served['url']} {where},", "then type the code:"]
        lines.append(f"pairing code {served['pairing_code']} (it pairs one device)")
        lock = lock_words(served.get("pairing_lock"))
        if lock:
            lines.append(lock)
        if served.get("tls"):
            lines.append(f"certificate SHA-256 {served['fingerprint']}")
        error = remote.get("devices_error")
        if error:
            lines.append(f"paired devices cannot be read: {error}")
        return lines

    def off_words(self, remote: dict[str, Any]) -> list[str]:
        """The remote is off or starting: where it will serve, and what that lets in."""
        if remote.get("starting"):
            return [f"The browser remote is starting at {remote['starting']} ..."]
        lines = ["The browser remote is off: nothing of this laptop is on the network."]
        if remote.get("start_error"):
            lines = [str(remote["start_error"])]
        if self.chosen == LOOPBACK:
            lines.append("Turned on here, only a browser on this laptop can open it.")
            return lines
        lines.append(
            f"Turned on at {self.chosen}, tablets and phones on the same Wi-Fi can reach its "
            "pairing page; only someone who reads the code on this screen can pair."
        )
        if not self.places.get("tls"):
            lines.append(
                "It is plain HTTP: someone on this Wi-Fi could read what it shows. For HTTPS, "
                "set tls = true under [remote] in config.toml."
            )
        return lines

    def switch_buttons(self, view: View, rect: Rect, gap: int) -> list[Button]:
        """The row under the words: the places to serve and "turn on", or "turn off"."""
        remote = self.remote(view)
        if remote.get("served"):
            new_code, off = _cells(rect, [1.0, 1.0], gap)
            return [
                Button("code:new", "new code", new_code),
                Button("remote:off", "turn the remote off", off),
            ]
        hosts = [LOOPBACK, *self.places.get("lan", [])[:MAX_LAN_CHOICES]]
        cells = _cells(rect, [2.0] * len(hosts) + [1.5], gap)
        buttons = [
            Button(f"bind:{host}", _place_words(host), cell, "choice", host == self.chosen)
            for host, cell in zip(hosts, cells, strict=False)
        ]
        starting = bool(remote.get("starting"))
        buttons.append(Button("remote:on", "turn on", cells[-1], enabled=not starting))
        return buttons

    # -- the Page protocol ---------------------------------------------------------------------
    def layout(self, width: int, height: int, view: View) -> Layout:
        """Header (back, title, QUIET at the right as on every page), the remote's words beside
        its QR code, a row a device."""
        row, gap, margin = _rows(width, height)
        inner = width - 2 * margin
        back_w = max(row * 2, inner // 6)
        quiet_w = max(row * 2, inner // 5)
        buttons = [
            Button("back", "< back", Rect(margin, margin, back_w, row)),
            Button(QUIET, "QUIET", Rect(width - margin - quiet_w, margin, quiet_w, row), "danger"),
        ]
        title_x = margin + back_w + gap
        regions = {"title": Rect(title_x, margin, width - margin - quiet_w - gap - title_x, row)}
        y = margin + row + gap
        qr_px = min(inner // 3, max(row * 3, (height - y) // 3))
        if self.remote(view).get("served"):
            regions["served"] = Rect(margin, y, inner - qr_px - gap, qr_px)
            regions["qr"] = Rect(margin + inner - qr_px, y, qr_px, qr_px)
        else:  # no code to show: the words take the width
            regions["served"] = Rect(margin, y, inner, qr_px)
        y += qr_px + gap
        buttons += self.switch_buttons(view, Rect(margin, y, inner, row), gap)
        y += row + gap
        for device in self.devices(view):
            if y + row > height - margin - row:  # the notice keeps the last row
                regions["more"] = Rect(margin, y, inner, row)
                break
            name_w = inner - 2 * (inner // 4) - 2 * gap
            regions[f"device:{device['device_id']}"] = Rect(margin, y, name_w, row)
            names = "names shown" if device.get("show_names") else "codes only"
            buttons.append(
                Button(
                    f"names:{device['device_id']}", names,
                    Rect(margin + name_w + gap, y, inner // 4, row), kind="choice",
                    selected=bool(device.get("show_names")),
                )
            )  # fmt: skip
            buttons.append(
                Button(
                    f"revoke:{device['device_id']}", "revoke",
                    Rect(width - margin - inner // 4, y, inner // 4, row), kind="danger",
                )
            )  # fmt: skip
            y += row + gap
        regions["notice"] = Rect(margin, height - margin - row, inner, row)
        return Layout(row / ROW_PX, tuple(buttons), regions)

    def draw(self, surface: pygame.Surface, layout: Layout, view: View, fonts: Fonts) -> None:
        """The whole page."""
        surface.fill(BACKGROUND)
        for button in layout.buttons:
            self._button(surface, button, fonts)
        regions = layout.regions
        self._words(surface, regions["title"], [self.title], fonts, TEXT, fonts.big)
        pygame.draw.rect(surface, PANEL, _pg(regions["served"]), border_radius=8)
        self._words(surface, regions["served"], self.served_words(view), fonts, TEXT, fonts.body)
        if "qr" in regions:
            self._draw_qr(surface, regions["qr"], view)
        for device in self.devices(view):
            rect = regions.get(f"device:{device['device_id']}")
            if rect is not None:
                self._words(surface, rect, [_device_words(device)], fonts, TEXT, fonts.body)
        if "more" in regions:
            self._words(surface, regions["more"], ["more devices: revoke some"], fonts, MUTED)
        if not self.devices(view):
            self.notice = self.notice or "No device is paired."
        self._words(surface, regions["notice"], [self.notice], fonts, NOTICE, fonts.body)

    def tap(self, button: str, host: PageHost) -> None:
        """QUIET quiets at once; back closes; revoke forgets the device; names turns names on
        or off for it."""
        kind, _, device = button.partition(":")
        if kind == QUIET:
            host.command(QUIET)  # a child covers their ears whatever page is open
        elif kind == "back":
            host.close_page()
        elif kind in ("bind", "remote"):
            self._switch(button, host)
        elif kind == "code":  # a code read over a shoulder, or pairing locked by wrong codes
            host.command("new_pairing_code")
            self.notice = "a new pairing code: the old one pairs nothing, and pairing is open"
        elif kind == "revoke":  # one mistimed tap must not cut off the tablet running a session
            host.open_page(
                "confirm", question=f"Revoke {self._device_name(device, host.view)}? It must "
                "pair again with the code.", command="revoke_device", yes="yes, revoke",
                fields={"device": device}, after_yes=lambda _: self._revoked(device),
            )  # fmt: skip
        elif kind == "names":
            shown = any(
                d["device_id"] == device and d.get("show_names") for d in self.devices(host.view)
            )
            host.command("show_device_names", device=device, on=not shown)
            self.notice = f"children's names {'hidden from' if shown else 'shown on'} {device}"

    def _device_name(self, device: str, view: View) -> str:
        return next(
            (str(d["name"]) for d in self.devices(view) if d["device_id"] == device), device
        )

    def _revoked(self, device: str) -> None:
        self.notice = f"device {device} revoked: it must pair again with a new code"

    def _switch(self, button: str, host: PageHost) -> None:
        """Pick where the remote serves; turn it on there, or off."""
        kind, _, arg = button.partition(":")
        if kind == "bind":
            self.chosen = arg
        elif arg == "on":
            port = int(self.places.get("port", DEFAULT_PORT))
            host.command("start_remote", host=self.chosen, port=port)
            self.notice = ""
        else:
            host.command("stop_remote")
            self.notice = "the browser remote is off: paired devices pair again when it is on"

    def key(self, event: pygame.event.Event, host: PageHost) -> bool:
        """Escape closes the page."""
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            host.close_page()
            return True
        return False

    # -- drawing ---------------------------------------------------------------------------------
    def _draw_qr(self, surface: pygame.Surface, rect: Rect, view: View) -> None:
        served = self.remote(view).get("served")
        if not served:
            return
        if self._qr[0] != served["url"]:  # made again only when the address changes
            self._qr = (served["url"], qr_modules(served["url"]))
        modules = self._qr[1]
        if not modules:
            return
        size = len(modules)
        module_px = max(1, rect.w // size)
        left = rect.x + (rect.w - module_px * size) // 2
        top = rect.y + (rect.h - module_px * size) // 2
        pygame.draw.rect(surface, QR_LIGHT, (left, top, module_px * size, module_px * size))
        for y, line in enumerate(modules):
            for x, dark in enumerate(line):
                if dark:
                    box = (left + x * module_px, top + y * module_px, module_px, module_px)
                    pygame.draw.rect(surface, QR_DARK, box)

    @staticmethod
    def _button(surface: pygame.Surface, button: Button, fonts: Fonts) -> None:
        colour = DANGER if button.kind == "danger" else SELECTED if button.selected else BUTTON
        pygame.draw.rect(surface, colour, _pg(button.rect), border_radius=8)
        if button.selected and button.kind == "choice":
            draw_chosen(surface, button.rect, fonts.scale)
        image = fonts.text(fonts.body, button.label, TEXT, button.rect.w - 12)
        surface.blit(image, image.get_rect(center=button.rect.center))

    @staticmethod
    def _words(
        surface: pygame.Surface,
        rect: Rect,
        lines: list[str],
        fonts: Fonts,
        colour: tuple[int, int, int] = TEXT,
        font: pygame.font.Font | None = None,
    ) -> None:
        font = font or fonts.body
        step = font.get_linesize()
        width = rect.w - 16
        rows = [part for line in lines for part in clip_lines(line, measure(font), width, 3)]
        y = rect.y + max(4, (rect.h - step * len(rows)) // 2)
        for part in rows:  # wrapped at words, at the font's own size
            if y + step > rect.y + rect.h:
                break
            surface.blit(fonts.text(font, part, colour, width), (rect.x + 8, y))
            y += step


def measure(font: pygame.font.Font) -> Callable[[str], int]:
    """A line's width in ``font``, in pixels."""
    return lambda text: font.size(text)[0]


def _device_words(device: dict[str, Any]) -> str:
    """A device's name, and until when its pairing holds (local time)."""
    until = time.strftime("%H:%M", time.localtime(float(device["expires_at_s"])))
    return f"{device['name']} ({device['device_id']}), paired until {until}"


def lock_words(lock: dict[str, Any] | None) -> str:
    """The wrong pairing codes as the therapist reads them ("" when none came): how many and
    since when, and whether they locked pairing, since when and until when."""
    if not lock:
        return ""

    def clock(at_s: float) -> str:
        return time.strftime("%H:%M", time.localtime(float(at_s)))

    wrong = f"{lock['wrong_codes']} wrong code{'s' if lock['wrong_codes'] != 1 else ''}"
    since = f"{wrong} since {clock(lock['first_wrong_at_s'])}"
    if not lock.get("locked_until_s"):
        return f"{since}; pairing is open"
    return (
        f"Pairing locked since {clock(lock['locked_at_s'])} until "
        f'{clock(lock["locked_until_s"])} ({since}): "new code" opens it'
    )


def _laptop_only(url: str) -> bool:
    """Whether ``url`` is served on loopback: only this laptop can open it."""
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _place_words(host: str) -> str:
    """A place to serve, as the therapist reads it."""
    return "this laptop only" if host == LOOPBACK else f"the Wi-Fi: {host}"


def _cells(rect: Rect, shares: list[float], gap: int) -> list[Rect]:
    """``rect`` cut left to right in ``shares`` of its width, ``gap`` apart."""
    room = rect.w - gap * (len(shares) - 1)
    cells, x = [], rect.x
    for share in shares:
        w = round(room * share / sum(shares))
        cells.append(Rect(x, rect.y, w, rect.h))
        x += w + gap
    return cells


def _pg(rect: Rect) -> pygame.Rect:
    return pygame.Rect(rect.x, rect.y, rect.w, rect.h)
