"""The therapist's screen turns the browser remote on and off through the engine's commands:
the engine starts the remote's own process where the therapist picked (loopback or one of the
laptop's addresses, nothing else), stops it, and stops it when the engine stops; a page of the
remote may not start, move or stop the server it is served by."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from soundness_live.live.client import EngineClient, EngineError, start_engine
from soundness_live.live.process import stop_engine
from soundness_live.remote.pairing import COOKIE_PREFIX
from tests.conftest import require
from tests.live.test_engine_process import ENGINE_ARGS, _attach, _stop
from tests.remote.conftest import remote_packages_present
from tests.remote.test_remote_cli import gone


@pytest.fixture(autouse=True)
def _packages() -> None:
    require(remote_packages_present(), "pip install 'soundness-live[remote]'")


@pytest.fixture
def engine(engine_home: Path) -> Iterator[EngineClient]:
    process = start_engine(engine_home, ENGINE_ARGS)
    try:
        with _attach(engine_home) as client:
            yield client
    finally:
        _stop(process)


def remote_of(client: EngineClient, until: Any, timeout_s: float = 30.0) -> dict[str, Any]:
    """The snapshot's ``remote`` once ``until(remote)`` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        remote = client.request("snapshot")["state"]["remote"]
        if until(remote):
            return dict(remote)
        assert time.monotonic() < deadline, remote
        time.sleep(0.1)


def refusal(client: EngineClient, kind: str, fields: dict[str, Any]) -> str:
    """The engine's one line refusing ``kind``."""
    with pytest.raises(EngineError) as refused:
        client.ask(kind, fields, 10.0)
    return str(refused.value)


def serving(remote: dict[str, Any]) -> bool:
    return remote["served"] is not None


def test_the_screen_starts_the_remote_on_loopback_and_stops_it(engine: EngineClient) -> None:
    assert engine.request("snapshot")["state"]["remote"]["served"] is None  # off by default
    reply = engine.request("start_remote", host="127.0.0.1", port=0)
    assert reply["starting"] == "127.0.0.1:0" and reply["tls"] is False
    remote = remote_of(engine, serving)
    served = remote["served"]
    assert served["url"].startswith("http://127.0.0.1:") and len(served["pairing_code"]) == 6
    assert remote["started_here"] is True and remote["starting"] is None
    page = httpx.get(served["url"], timeout=10)  # a real web server answers there
    assert page.status_code == 200 and "Soundness" in page.text
    again = refusal(engine, "start_remote", {"host": "127.0.0.1", "port": 0})
    assert again == f"start_remote: the remote already serves at {served['url']}"
    assert engine.request("stop_remote")["stopped"] == served["pid"]
    assert engine.request("snapshot")["state"]["remote"]["served"] is None  # at once
    assert gone(served["pid"])
    with pytest.raises(httpx.ConnectError):
        httpx.get(served["url"], timeout=5)


def test_stopping_the_engine_stops_the_remote_it_started(engine_home: Path) -> None:
    process = start_engine(engine_home, ENGINE_ARGS)
    try:
        with _attach(engine_home) as client:
            client.request("start_remote", host="127.0.0.1", port=0)
            pid = remote_of(client, serving)["served"]["pid"]
        assert stop_engine(engine_home)
        assert gone(pid)
    finally:
        _stop(process)


def test_a_page_may_not_start_move_or_stop_the_remote_it_is_served_by(
    engine: EngineClient,
) -> None:
    engine.request("start_remote", host="127.0.0.1", port=0)
    served = remote_of(engine, serving)["served"]
    origin = served["url"].rstrip("/")
    with httpx.Client(base_url=served["url"], headers={"Origin": origin}, timeout=10) as page:
        paired = page.post("api/pair", json={"code": served["pairing_code"], "name": "tablet"})
        assert paired.status_code == 200
        assert [name for name in page.cookies if name.startswith(COOKIE_PREFIX)]
        for kind, fields in (
            ("start_remote", {"host": "127.0.0.1", "port": 0}),
            ("stop_remote", {}),
            ("remote_addresses", {}),
        ):
            reply = page.post("api/command", json={"command": kind, **fields}).json()
            assert reply["ok"] is False and f"cannot {kind!r}" in reply["error"]
    assert engine.request("snapshot")["state"]["remote"]["served"]["pid"] == served["pid"]
    engine.request("stop_remote")
    assert gone(served["pid"])


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"host": "8.8.8.8"}, "start_remote: field 'host' must be one of this laptop's addresses"),
        ({"host": "0.0.0.0"}, "start_remote: field 'host' must be one of this laptop's addresses"),
        ({}, "start_remote: field 'host' is needed: 127.0.0.1 or one of this laptop's addresses"),
        (
            {"host": "127.0.0.1", "port": 70000},
            "start_remote: field 'port' must be a port 0..65535 (0: any free one), got 70000",
        ),
        (
            {"host": "127.0.0.1", "tls": "yes"},
            "start_remote: field 'tls' must be true or false (null: config.toml's), got \"yes\"",
        ),
    ],
)
def test_a_bad_bind_is_refused_in_one_line_and_nothing_starts(
    engine: EngineClient, engine_home: Path, fields: dict[str, Any], error: str
) -> None:
    assert refusal(engine, "start_remote", fields).startswith(error)
    remote = engine.request("snapshot")["state"]["remote"]
    assert remote["served"] is None and remote["starting"] is None
    assert not (engine_home / "remote.log").exists()  # no process was started


def test_a_port_in_use_says_why_the_remote_did_not_start(engine: EngineClient) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        engine.request("start_remote", host="127.0.0.1", port=port)
        remote = remote_of(engine, lambda r: r["start_error"])
        assert remote["served"] is None and remote["starting"] is None
        assert remote["start_error"].startswith("the browser remote did not start (it stopped): ")
    finally:
        taken.close()


def test_a_remote_started_beside_the_engine_on_a_port_in_use_says_why_in_one_line(
    engine: EngineClient, engine_home: Path
) -> None:
    from soundness_live.errors import DeviceError
    from soundness_live.remote.launch import start_remote

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(DeviceError) as refused:
            start_remote(engine_home, f"127.0.0.1:{taken.getsockname()[1]}")
    finally:
        taken.close()
    log = engine_home / "remote.log"
    last = log.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert str(refused.value) == f"the browser remote did not start: {last} (see {log})"
    assert log.stat().st_mode & 0o077 == 0  # the log is the owner's only
    assert engine.request("snapshot")["state"]["remote"]["served"] is None


def test_the_addresses_offered_are_loopback_and_the_laptops_own(engine: EngineClient) -> None:
    from soundness_live.live.remote_process import laptop_addresses

    reply = engine.request("remote_addresses")
    assert reply["loopback"] == "127.0.0.1" and reply["port"] == 8765 and reply["tls"] is False
    assert reply["lan"] == laptop_addresses()
    assert "127.0.0.1" not in reply["lan"] and "0.0.0.0" not in reply["lan"]


class ScreenHost:
    """The therapist's window as the remote's page sees it, over a real engine's client."""

    def __init__(self, client: EngineClient) -> None:
        from soundness_live.ui.controls import View

        self.client = client
        self.view = View(state=client.request("snapshot")["state"])
        self.opened: list[str] = []

    def command(self, kind: str, /, **fields: Any) -> None:
        self.client.request(kind, **fields)

    def request(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        return self.client.request(kind, **fields)

    def open_page(self, name: str, **context: Any) -> None:
        self.opened.append(name)

    def close_page(self) -> None:
        pass

    def refresh(self) -> None:
        self.view.state = self.client.request("snapshot")["state"]


def test_the_remote_page_turns_the_remote_on_shows_its_code_and_turns_it_off(
    engine: EngineClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without a terminal: the therapist taps "turn on" (this laptop only, chosen first), the
    page shows the address, the QR code and the pairing code the engine's remote has, and
    "turn the remote off" stops it."""
    import os

    import pygame

    from soundness_live.ui.images import Fonts
    from soundness_live.ui.pages.paired_devices import PairedDevicesPage

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    try:
        host = ScreenHost(engine)
        page = PairedDevicesPage(host)
        page.places["port"] = 0  # any free port: tests run side by side
        layout = page.layout(1280, 800, host.view)
        assert [b.name for b in layout.buttons if b.selected] == ["bind:127.0.0.1"]
        page.tap("remote:on", host)
        served = remote_of(engine, serving)["served"]
        host.refresh()
        assert page.served_words(host.view)[:3] == [
            f"Open {served['url']} in a browser on this laptop (turn it on at the Wi-Fi "
            "address for a tablet),", "then type the code:",
            f"pairing code {served['pairing_code']} (it pairs one device)",
        ]  # fmt: skip
        assert served["url"].startswith("http://127.0.0.1:")
        page.tap("code:new", host)  # the remote makes a new code; the screen shows it
        renewed = remote_of(engine, lambda r: r["served"]["pairing_code"] != served["pairing_code"])
        host.refresh()
        assert f"pairing code {renewed['served']['pairing_code']} (it pairs one device)" in (
            page.served_words(host.view)
        )
        layout = page.layout(1280, 800, host.view)
        assert "qr" in layout.regions and "remote:off" in [b.name for b in layout.buttons]
        surface = pygame.Surface((1280, 800))
        page.draw(surface, layout, host.view, Fonts(layout.scale))
        assert surface.get_at(layout.regions["qr"].center)[:3] in ((0, 0, 0), (255, 255, 255))
        keep = os.environ.get("SOUNDNESS_LIVE_SCREENSHOTS")
        for folder in (tmp_path, *([Path(keep)] if keep else [])):
            pygame.image.save(surface, str(folder / "remote-turned-on-1280x800.png"))
        page.tap("remote:off", host)
        assert gone(served["pid"])
        host.refresh()
        assert host.view.state["remote"]["served"] is None
    finally:
        pygame.font.quit()


def test_turning_it_off_while_it_starts_is_no_failure(engine: EngineClient) -> None:
    engine.request("start_remote", host="127.0.0.1", port=0)
    pid = engine.request("stop_remote")["stopped"]  # at once, before it says where it serves
    assert gone(pid)
    remote = remote_of(engine, lambda r: r["starting"] is None)
    assert remote["served"] is None and remote["start_error"] == ""
