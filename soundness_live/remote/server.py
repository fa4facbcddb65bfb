"""The remote's process: ``python -m soundness_live.remote.server --data-dir D --bind HOST:PORT``.

It attaches to the running engine for the data directory as one more client, binds where it
is told (loopback unless a LAN address is given), makes a new pairing code, tells the engine
where it serves (so the therapist's screen shows the address, the QR code and the code), prints
the same to its log, and serves the page with uvicorn on threads of its own: the engine's
process, and so its audio, never runs any of it. It stops when the engine goes away (stopping
the engine stops it), on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import parse_bind, private_dir
from ..errors import SoundnessError
from ..live.paired_devices import FOLDER
from .pairing import PairingLock, TokenCheck, cookie_name, new_pairing_code
from .qr import qr_text

log = logging.getLogger(__name__)
STATUS_EVERY_S = 3.0  # the engine forgets a status not said again within 10 s
WEBSOCKET_IMPL = "websockets-sansio"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (port 0: any free one), listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SoundnessError(f"the remote cannot listen on {host}:{port}: {error}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def shown_host(host: str) -> str:
    """The host a tablet should type: the LAN address when bound to every address."""
    if host in ("0.0.0.0", "::"):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: only a route is chosen
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
        finally:
            probe.close()
    return f"[{host}]" if ":" in host else host


def announcement(status: dict[str, Any]) -> str:
    """What the terminal shows: the address, its QR code, the pairing code, the fingerprint."""
    lines = [f"remote: open {status['url']} on the tablet or phone", qr_text(status["url"])]
    lines.append(
        f"remote: pairing code {status['pairing_code']} (it pairs one device; the next is on "
        "the screen's Browser remote page and in remote.log)"
    )
    if status["tls"]:
        lines.append(f"remote: certificate SHA-256 {status['fingerprint']}")
        lines.append("remote: check that the browser shows this fingerprint before accepting it")
    elif not on_loopback(status["url"]):
        lines.append(
            "remote: warning: plain HTTP on the network: anyone on this Wi-Fi can read the "
            "children's codes and figures and take a paired device's token; add --remote-tls"
        )
    return "\n".join(lines)


def on_loopback(url: str) -> bool:
    """Whether ``url`` names this machine only (nothing of it crosses a network)."""
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(data_dir: Path, host: str, port: int, tls: bool) -> int:
    """Serve the remote until the engine goes, or a signal."""
    import uvicorn

    from ..live.client import lower_priority
    from .app import MAX_BODY_BYTES, RemoteContext, make_app
    from .bridge import EngineBridge
    from .doorkeeper import Doorkeeper, guarded_protocol

    lower_priority()  # the engine and the audio server come first
    sock = listening_socket(host, port)
    certificate = None
    if tls:
        from .tls import installation_certificate

        certificate = installation_certificate(private_dir(data_dir / FOLDER), shown_host(host))
    bridge = EngineBridge(data_dir)
    port = sock.getsockname()[1]
    doorkeeper = Doorkeeper()
    context = RemoteContext(
        bridge, PairingLock(new_pairing_code()), TokenCheck(data_dir), tls=tls,
        cookie=cookie_name(data_dir, port), doorkeeper=doorkeeper,
    )  # fmt: skip
    config = uvicorn.Config(
        make_app(context),
        log_level="warning",
        ws=WEBSOCKET_IMPL,
        ws_max_size=MAX_BODY_BYTES,  # a bigger message closes the socket before it is read whole
        lifespan="off",
        http=guarded_protocol(doorkeeper),  # unpaired connections: few, not for long
        access_log=False,
        timeout_graceful_shutdown=2,
        ssl_certfile=str(certificate.cert_path) if certificate else None,
        ssl_keyfile=str(certificate.key_path) if certificate else None,
    )
    server = uvicorn.Server(config)
    bridge.on_lost = lambda: setattr(server, "should_exit", True)
    if threading.current_thread() is threading.main_thread():  # before uvicorn takes them over
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: setattr(server, "should_exit", True))
    context.served = {
        "url": f"{'https' if tls else 'http'}://{shown_host(host)}:{port}/",
        "fingerprint": certificate.fingerprint if certificate else "",
        "tls": tls,
        "pid": os.getpid(),
    }
    teller = StatusTeller(context)
    bridge.on_state = teller.engine_state
    tell = threading.Thread(target=teller.run, name="remote-status", daemon=True)
    tell.start()
    print(announcement(context.status()), flush=True)
    try:
        asyncio.run(_serve(server, bridge, sock))
    finally:
        teller.stop.set()
        teller.wake.set()
        tell.join(STATUS_EVERY_S + 1)
        bridge.close()
        sock.close()
    return 0


async def _serve(server: Any, bridge: Any, sock: socket.socket) -> None:
    bridge.loop = asyncio.get_running_loop()
    await server.serve(sockets=[sock])


class StatusTeller:
    """Tells the engine where the remote serves, its code and its lock, again every few
    seconds until stopped; makes a new code (the lock cleared) when the therapist asks for
    one on the laptop: the engine counts the codes asked for in its snapshot's ``remote``
    (``new_codes_asked``), which the remote's pages never see nor can change."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.stop = threading.Event()
        self.wake = threading.Event()  # the therapist asked for a new code
        self.codes_asked: int | None = None  # the engine's count when the remote last looked

    def engine_state(self, state: dict[str, Any]) -> None:
        """On the engine client's reader thread, with each state: a new code asked for?"""
        asked = (state.get("remote") or {}).get("new_codes_asked")
        if not isinstance(asked, int):
            return
        if self.codes_asked is None:  # asked before this remote served: its code is new
            self.codes_asked = asked
        elif asked != self.codes_asked:
            self.codes_asked = asked
            self.wake.set()  # the request to the engine cannot wait on its own reader thread

    def run(self) -> None:
        """Until stopped or the engine goes."""
        bridge = self.context.bridge
        while not self.stop.is_set() and bridge.connected:
            if self.wake.is_set():
                self.wake.clear()
                if not self.stop.is_set():
                    self.context.lock.renew(new_pairing_code())
                    code = self.context.lock.code
                    log.info(
                        "a new pairing code asked for on the laptop: %s; pairing is open", code
                    )
            self.context.tell_engine()
            self.wake.wait(STATUS_EVERY_S)


def build_parser() -> argparse.ArgumentParser:
    """The remote process's options."""
    parser = argparse.ArgumentParser(prog="python -m soundness_live.remote.server")
    parser.add_argument("--data-dir", type=Path, required=True, help="the engine's data directory")
    parser.add_argument("--bind", default="127.0.0.1:8765", help="[HOST:]PORT (default loopback)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (own certificate)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the remote's process."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="remote: %(levelname)s %(message)s")
    try:
        host, port = parse_bind(args.bind, "--bind")
        return serve(private_dir(args.data_dir.expanduser().absolute()), host, port, args.tls)
    except SoundnessError as error:
        print(f"error: {error}", flush=True)
        return 2
    except ImportError as error:
        print(f"error: the browser remote needs {error.name}: {INSTALL_HINT}", flush=True)
        return 2


INSTALL_HINT = "pip install 'soundness-live[remote]'"

if __name__ == "__main__":
    sys.exit(main())
