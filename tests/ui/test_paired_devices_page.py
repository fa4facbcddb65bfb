"""The therapist screen's page of the browser remote: address, QR code, code, paired devices."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from soundness_live.ui.controls import View
from soundness_live.ui.images import Fonts
from soundness_live.ui.overlays import ConfirmPage
from soundness_live.ui.pages.paired_devices import PairedDevicesPage, qr_modules

SERVED = {"url": "http://192.168.1.20:8765/", "pairing_code": "048213", "fingerprint": "",
          "tls": False, "pid": 1, "pairing_lock": None}  # fmt: skip
DEVICES = [
    {"device_id": "a1b2c3d4", "name": "Mia's iPad", "paired_at_s": 0.0,
     "expires_at_s": 43_200.0, "show_names": False},
    {"device_id": "e5f6a7b8", "name": "phone", "paired_at_s": 0.0,
     "expires_at_s": 43_200.0, "show_names": True},
]  # fmt: skip
SIZES = [(1280, 800), (1920, 1080), (800, 1280)]


PLACES = {"loopback": "127.0.0.1", "lan": ["192.168.1.20"], "port": 8765, "tls": False}


class Host:
    """What the window offers a page, recording the commands it sends and the pages it
    opens; the engine's ``remote_addresses`` is the one thing the page asks."""

    def __init__(self, remote: dict[str, Any], places: dict[str, Any] = PLACES) -> None:
        self.view = View(state={"remote": remote})
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.opened: list[tuple[str, dict[str, Any]]] = []
        self.closed = False
        self.places = places

    def command(self, kind: str, **fields: Any) -> None:
        self.commands.append((kind, fields))

    def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        assert kind == "remote_addresses", "the snapshot has all the rest"
        return dict(self.places)

    def open_page(self, name: str, **context: Any) -> None:
        self.opened.append((name, context))

    def close_page(self) -> None:
        self.closed = True


@pytest.mark.parametrize("size", SIZES)
def test_every_target_is_inside_the_window_unoverlapped_and_a_finger_wide(
    fonts_ready: None, size: tuple[int, int], tmp_path: Path
) -> None:
    host = Host({"served": SERVED, "devices": DEVICES, "devices_error": None})
    page = PairedDevicesPage(host)
    layout = page.layout(*size, host.view)
    names = [b.name for b in layout.buttons]
    assert names == ["back", "panic", "code:new", "remote:off", "names:a1b2c3d4",
                     "revoke:a1b2c3d4", "names:e5f6a7b8", "revoke:e5f6a7b8"]  # fmt: skip
    for index, button in enumerate(layout.buttons):
        r = button.rect
        assert r.x >= 0 and r.y >= 0 and r.x + r.w <= size[0] and r.y + r.h <= size[1]
        assert r.w >= 48 and r.h >= 48
        assert not any(r.overlaps(o.rect) for o in layout.buttons[index + 1 :])
    qr = layout.regions["qr"]
    assert not any(qr.overlaps(b.rect) for b in layout.buttons)
    surface = pygame.Surface(size)
    page.draw(surface, layout, host.view, Fonts(layout.scale))
    centre = qr.center
    assert surface.get_at(centre)[:3] in ((0, 0, 0), (255, 255, 255))  # the QR code is drawn
    pygame.image.save(surface, str(tmp_path / f"remote-{size[0]}x{size[1]}.png"))
    keep = os.environ.get("SOUNDNESS_LIVE_SCREENSHOTS")
    if keep:
        pygame.image.save(surface, str(Path(keep) / f"paired-devices-{size[0]}x{size[1]}.png"))


def test_taps_revoke_a_device_after_asking_and_turn_names_on_or_off(fonts_ready: None) -> None:
    host = Host({"served": SERVED, "devices": DEVICES, "devices_error": None})
    page = PairedDevicesPage(host)
    page.tap("revoke:a1b2c3d4", host)
    assert host.commands == []  # one tap revokes nothing: the tablet may be running a session
    [(name, context)] = host.opened
    assert name == "confirm" and context["command"] == "revoke_device"
    assert context["fields"] == {"device": "a1b2c3d4"}
    assert context["question"] == "Revoke Mia's iPad? It must pair again with the code."
    confirm = ConfirmPage(host, **context)
    confirm.tap("no", host)
    assert host.commands == []
    host.closed = False
    confirm.tap("yes", host)
    page.tap("names:a1b2c3d4", host)
    page.tap("names:e5f6a7b8", host)
    assert host.commands == [
        ("revoke_device", {"device": "a1b2c3d4"}),
        ("show_device_names", {"device": "a1b2c3d4", "on": True}),
        ("show_device_names", {"device": "e5f6a7b8", "on": False}),
    ]
    host.closed = False
    page.tap("back", host)
    assert host.closed


def test_the_qr_code_holds_the_address_and_never_the_pairing_code(fonts_ready: None) -> None:
    import segno

    modules = qr_modules(SERVED["url"])
    expected = segno.make(SERVED["url"], error="m", micro=False)
    assert modules == [[bool(m) for m in row] for row in expected.matrix_iter(border=2)]
    host = Host({"served": SERVED, "devices": [], "devices_error": None})
    page = PairedDevicesPage(host)
    words = page.served_words(host.view)
    assert "pairing code 048213 (it pairs one device)" in words
    assert SERVED["pairing_code"] not in SERVED["url"]


def test_wrong_codes_and_a_lock_are_said_and_new_code_asks_the_engine_for_one(
    fonts_ready: None,
) -> None:
    """Anyone on the Wi-Fi can lock pairing with wrong codes: the page says how many came,
    since when, and until when pairing is locked; "new code" asks the engine for a new code,
    which also opens pairing (the remote's own pages cannot ask for it)."""
    at = time.mktime((2026, 12, 3, 14, 5, 0, 0, 0, -1))
    lock = {"wrong_codes": 12, "first_wrong_at_s": round(at), "locks": 2,
            "locked_at_s": round(at) + 600, "locked_until_s": round(at) + 720}  # fmt: skip
    host = Host({"served": {**SERVED, "pairing_lock": lock}, "devices": [], "devices_error": None})
    page = PairedDevicesPage(host)
    words = page.served_words(host.view)
    assert words[3] == (
        'Pairing locked since 14:15 until 14:17 (12 wrong codes since 14:05): "new code" opens it'
    )
    opened = {**lock, "wrong_codes": 1, "locked_at_s": 0, "locked_until_s": 0}
    host.view = View(state={"remote": {"served": {**SERVED, "pairing_lock": opened}}})
    assert page.served_words(host.view)[3] == "1 wrong code since 14:05; pairing is open"
    page.tap("code:new", host)
    assert host.commands == [("new_pairing_code", {})]
    assert page.notice == "a new pairing code: the old one pairs nothing, and pairing is open"


OFF = {"served": None, "devices": [], "devices_error": None, "starting": None,
       "start_error": "", "started_here": False}  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
def test_with_no_remote_the_therapist_turns_it_on_here_loopback_first(
    fonts_ready: None, size: tuple[int, int], tmp_path: Path
) -> None:
    """No terminal: the page lists where the remote may serve, this laptop only chosen
    first; turning it on asks the engine to start it there."""
    host = Host(dict(OFF))
    page = PairedDevicesPage(host)
    words = page.served_words(host.view)
    assert words == [
        "The browser remote is off: nothing of this laptop is on the network.",
        "Turned on here, only a browser on this laptop can open it.",
    ]
    layout = page.layout(*size, host.view)
    assert [b.name for b in layout.buttons] == [
        "back", "panic", "bind:127.0.0.1", "bind:192.168.1.20", "remote:on"
    ]  # fmt: skip
    places = {b.name: b for b in layout.buttons}
    assert places["bind:127.0.0.1"].selected and places["bind:127.0.0.1"].label == (
        "this laptop only"
    )
    assert places["bind:192.168.1.20"].label == "the Wi-Fi: 192.168.1.20"
    for index, button in enumerate(layout.buttons):
        assert min(button.rect.w, button.rect.h) >= 48
        assert not any(button.rect.overlaps(o.rect) for o in layout.buttons[index + 1 :])
        assert button.rect.x + button.rect.w <= size[0] and button.rect.y + button.rect.h <= size[1]
    page.draw(pygame.Surface(size), layout, host.view, Fonts(layout.scale))
    page.tap("remote:on", host)
    assert host.commands == [("start_remote", {"host": "127.0.0.1", "port": 8765})]


def test_a_lan_address_warns_in_plain_words_before_it_is_turned_on(fonts_ready: None) -> None:
    host = Host(dict(OFF))
    page = PairedDevicesPage(host)
    page.tap("bind:192.168.1.20", host)
    assert page.served_words(host.view)[1:] == [
        "Turned on at 192.168.1.20, tablets and phones on the same Wi-Fi can reach its "
        "pairing page; only someone who reads the code on this screen can pair.",
        "It is plain HTTP: someone on this Wi-Fi could read what it shows. For HTTPS, set "
        "tls = true under [remote] in config.toml.",
    ]
    layout = page.layout(1280, 800, host.view)
    chosen = [b.name for b in layout.buttons if b.selected]
    assert chosen == ["bind:192.168.1.20"]
    page.tap("remote:on", host)
    assert host.commands == [("start_remote", {"host": "192.168.1.20", "port": 8765})]
    with_tls = Host(dict(OFF), {**PLACES, "tls": True})
    page = PairedDevicesPage(with_tls)
    page.tap("bind:192.168.1.20", with_tls)
    assert not any("plain HTTP" in line for line in page.served_words(with_tls.view))


def test_starting_a_failed_start_and_turning_it_off_are_said(fonts_ready: None) -> None:
    host = Host({**OFF, "starting": "127.0.0.1:8765"})
    page = PairedDevicesPage(host)
    assert page.served_words(host.view) == ["The browser remote is starting at 127.0.0.1:8765 ..."]
    turn_on = next(b for b in page.layout(1280, 800, host.view).buttons if b.name == "remote:on")
    assert not turn_on.enabled  # one start at a time
    error = "the browser remote did not start (it stopped): error: port 8765 is in use"
    host.view.state["remote"] = {**OFF, "start_error": error}
    assert page.served_words(host.view)[0] == error
    host.view.state["remote"] = {**OFF, "served": SERVED, "started_here": True}
    page.tap("remote:off", host)
    assert host.commands == [("stop_remote", {})]


@pytest.mark.parametrize("size", SIZES)
def test_quiet_is_one_tap_away_on_this_page_too(fonts_ready: None, size: tuple[int, int]) -> None:
    """A child who covers their ears while the therapist pairs a tablet: QUIET is in the
    header's right end as on every other page, the biggest of its row, and sends the engine's
    quiet command at once."""
    host = Host({"served": None, "devices": [], "devices_error": None})
    page = PairedDevicesPage(host)
    layout = page.layout(*size, host.view)
    quiet = next(b for b in layout.buttons if b.name == "panic")
    back = next(b for b in layout.buttons if b.name == "back")
    assert quiet.label == "QUIET" and quiet.kind == "danger"
    assert quiet.rect.y == back.rect.y and quiet.rect.w >= back.rect.w
    assert quiet.rect.x + quiet.rect.w > size[0] - 40  # at the right, where every page has it
    assert not layout.regions["title"].overlaps(quiet.rect)
    page.tap("panic", host)
    assert host.commands == [("panic", {})] and not host.closed


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("served", [None, SERVED])
def test_its_words_wrap_at_their_own_size_rather_than_shrink(
    fonts_ready: None, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], served: Any
) -> None:
    """In a portrait window the words beside the QR code (or, with the remote off, in the
    whole width) are wrapped at words: none is scaled down under its font's height, where the
    long line on a LAN address was drawn 13 pixels high at 800x1280."""
    shrunk: list[str] = []
    real = Fonts.text

    def text(self: Fonts, font: Any, words: str, *args: Any) -> Any:
        image = real(self, font, words, *args)
        if image.get_height() < font.get_height():
            shrunk.append(words)
        return image

    monkeypatch.setattr(Fonts, "text", text)
    host = Host({"served": served, "devices": DEVICES, "devices_error": None})
    page = PairedDevicesPage(host)
    layout = page.layout(*size, host.view)
    page.draw(pygame.Surface(size), layout, host.view, Fonts(layout.scale))
    assert shrunk == []
