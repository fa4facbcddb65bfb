"""Hostile connections to the engine: whatever peers send while they should prove the key, and
however many of them stay silent, the accept loop lives, handshakes stay bounded and the
therapist's screen still attaches."""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soundness_live.live.client import EngineClient
from soundness_live.live.handshakes import MAX_PENDING
from soundness_live.live.protocol import ProtocolError, handshake
from soundness_live.live.server import EngineServer
from tests.faults import FAULTS
from tests.live.test_engine_connections import serving

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="AF_UNIX sockets (POSIX)")

# what a hostile peer does: bytes it sends (then stays silent, or closes), or a wrong key
PEER = st.one_of(
    st.tuples(st.just("send"), st.binary(max_size=48), st.booleans()),
    st.tuples(
        st.just("length"),
        st.integers(0, 2**32 - 1).map(lambda n: n.to_bytes(4, "big")),
        st.booleans(),
    ),  # fmt: skip
    st.tuples(st.just("wrong key"), st.binary(min_size=1, max_size=64), st.booleans()),
)


def _hostile(address: str, kind: str, data: bytes, close: bool) -> socket.socket | None:
    """One hostile peer; the socket when it stays connected (silent from now on)."""
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    peer.connect(address)
    if kind == "wrong key":
        from multiprocessing.connection import Connection

        conn = Connection(peer.detach())
        with pytest.raises(ProtocolError):
            handshake(conn, data, engine=False, timeout_s=5.0)
        conn.close()
        return None
    try:
        peer.sendall(data)
    except OSError:  # pushed out already: the engine closed it
        pass
    if close:
        peer.close()
        return None
    return peer


def _admit_threads() -> int:
    return sum(t.name.startswith("engine-admit-") for t in threading.enumerate())


def _accepting() -> bool:
    return any(t.name == "engine-accept" and t.is_alive() for t in threading.enumerate())


def test_hostile_peers_never_keep_the_screen_out(tmp_path: Path) -> None:
    with serving(tmp_path / "home") as server:

        @FAULTS
        @given(
            peers=st.lists(PEER, max_size=2 * MAX_PENDING), silent=st.integers(0, 4 * MAX_PENDING)
        )
        def screen_attaches(peers: list[tuple[str, bytes, bool]], silent: int) -> None:
            open_peers = [_hostile(server.address, "send", b"", False) for _ in range(silent)]
            open_peers += [_hostile(server.address, *peer) for peer in peers]
            try:
                with EngineClient.connect(server.data_dir, timeout_s=5.0) as screen:
                    assert screen.request("snapshot")["ok"]
                assert _admit_threads() <= MAX_PENDING
                assert _accepting()
            finally:
                for peer in open_peers:
                    if peer is not None:
                        peer.close()

        screen_attaches()
        _report(server)


def _report(server: EngineServer) -> None:
    print(f"\nhostile connections pushed out before proving the key: {server.pending.pushed_out}")
