"""The therapist screen's page of the browser remote: address, QR code, code, paired devices."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest

from soundness_live.ui.controls import View
from soundness_live.ui.images import Fonts
from soundness_live.ui.pages.paired_devices import PairedDevicesPage, qr_modules

SERVED = {"url": "http://192.168.1.20:8765/", "pairing_code": "048213", "fingerprint": "",
          "tls": False, "pid": 1}  # fmt: skip
DEVICES = [
    {"device_id": "a1b2c3d4", "name": "Mia's iPad", "paired_at_s": 0.0,
     "expires_at_s": 43_200.0, "show_names": False},
    {"device_id": "e5f6a7b8", "name": "phone", "paired_at_s": 0.0,
     "expires_at_s": 43_200.0, "show_names": True},
]  # fmt: skip
SIZES = [(1280, 800), (1920, 1080), (800, 1280)]


class Host:
    """What the window offers a page, recording the commands it sends."""

    def __init__(self, remote: dict[str, Any]) -> None:
        self.view = View(state={"remote": remote})
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    def command(self, kind: str, **fields: Any) -> None:
        self.commands.append((kind, fields))

    def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        raise AssertionError("the page asks nothing: the snapshot has it all")

    def open_page(self, name: str, **context: Any) -> None:
        raise AssertionError("the page opens no other page")

    def close_page(self) -> None:
        self.closed = True


@pytest.fixture()
def fonts_ready(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    yield
    pygame.display.quit()


@pytest.mark.parametrize("size", SIZES)
def test_every_target_is_inside_the_window_unoverlapped_and_a_finger_wide(
    fonts_ready: None, size: tuple[int, int], tmp_path: Path
) -> None:
    host = Host({"served": SERVED, "devices": DEVICES, "devices_error": None})
    page = PairedDevicesPage(host)
    layout = page.layout(*size, host.view)
    names = [b.name for b in layout.buttons]
    assert names == ["back", "panic", "names:a1b2c3d4", "revoke:a1b2c3d4", "names:e5f6a7b8",
                     "revoke:e5f6a7b8"]  # fmt: skip
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


def test_taps_revoke_a_device_and_turn_names_on_or_off(fonts_ready: None) -> None:
    host = Host({"served": SERVED, "devices": DEVICES, "devices_error": None})
    page = PairedDevicesPage(host)
    page.tap("revoke:a1b2c3d4", host)
    page.tap("names:a1b2c3d4", host)
    page.tap("names:e5f6a7b8", host)
    assert host.commands == [
        ("revoke_device", {"device": "a1b2c3d4"}),
        ("show_device_names", {"device": "a1b2c3d4", "on": True}),
        ("show_device_names", {"device": "e5f6a7b8", "on": False}),
    ]
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
    assert "pairing code 048213" in words and SERVED["pairing_code"] not in SERVED["url"]


def test_with_no_remote_the_page_says_how_to_start_one(fonts_ready: None) -> None:
    host = Host({"served": None, "devices": [], "devices_error": None})
    page = PairedDevicesPage(host)
    assert page.served_words(host.view)[1] == "Start it with: soundness-live run --remote 8765"
    layout = page.layout(1280, 800, host.view)
    assert [b.name for b in layout.buttons] == ["back", "panic"]
    page.draw(pygame.Surface((1280, 800)), layout, host.view, Fonts(layout.scale))


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
