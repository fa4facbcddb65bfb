"""The engine protocol's framing, checks, address and key; the live commands' small parts."""

from __future__ import annotations

import argparse
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from soundness_live.activities.contract import Outcome
from soundness_live.activities.record import TrialRecord
from soundness_live.commands.live_commands import (
    _engine_argv,
    add_run_options,
    cmd_engine,
)
from soundness_live.commands.window_options import window_size
from soundness_live.live.commands import COMMANDS
from soundness_live.live.engine_setup import live_figures
from soundness_live.live.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    auth_key,
    decode,
    encode,
    engine_address,
    message,
)
from soundness_live.players.profiles import KEY_PITCH_CLASS


def test_messages_round_trip_as_versioned_json() -> None:
    msg = message("start_activity", id=7, activity="waiting", params={"trials": 3})
    assert msg["v"] == PROTOCOL_VERSION and decode(encode(msg), tuple(COMMANDS)) == msg


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "must be a JSON object, got list"),
        (b'{"type": "hello"}', "version mismatch: the engine speaks version 1"),
        (b'{"v": 1, "type": "format_disk"}', "message type must be one of hello"),
        (b"[" * 100_000, "cannot be read: RecursionError"),
    ],
)
def test_bad_messages_say_what_was_expected(frame: bytes, expected: str) -> None:
    with pytest.raises(ProtocolError, match=expected):
        decode(frame, tuple(COMMANDS))


def test_nan_is_refused_on_the_way_out() -> None:
    with pytest.raises(ProtocolError, match="message 'state' cannot be sent as JSON"):
        encode(message("state", state={"x": float("nan")}))


@pytest.mark.skipif(sys.platform == "win32", reason="AF_UNIX paths")
def test_the_address_is_a_socket_in_the_data_dir_or_the_runtime_dir_when_too_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    address, family = engine_address(Path("/tmp/sl"))
    assert (address, family) == ("/tmp/sl/engine.sock", "AF_UNIX")
    runtime = Path(tempfile.mkdtemp(prefix="sl-run-"))  # short, as a real one is
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    deep = tmp_path / ("d" * 120)
    address, family = engine_address(deep)
    assert family == "AF_UNIX" and not address.startswith("\0")  # never an abstract socket
    assert Path(address).parent == runtime / "soundness-live"
    assert Path(address).name.endswith(".sock") and len(address.encode()) <= 100
    assert engine_address(deep) == (address, family)  # the client finds what the engine binds
    runtime.rmdir()


def test_the_key_is_created_owner_only_and_reused(tmp_path: Path) -> None:
    key = auth_key(tmp_path)
    assert len(key) == 64 and auth_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "engine.key").stat().st_mode) == 0o600
    with pytest.raises(ProtocolError, match="is the engine running"):
        auth_key(tmp_path / "elsewhere", create=False)


def test_run_passes_engine_options_on_and_checks_the_window_size() -> None:
    args = add_run_options(argparse.ArgumentParser()).parse_args(
        ["--audio", "null", "--midi", "none", "--block-size", "64"]
    )
    argv = _engine_argv(args)
    assert argv[:4] == ["--audio", "null", "--midi", "none"] and "--block-size" in argv
    assert window_size("1280x800", (640, 480), "1024x768") == (1280, 800)
    with pytest.raises(SystemExit, match="at least 640x480"):
        window_size("320x200", (640, 480), "1024x768")


def test_engine_stop_without_an_engine_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = add_run_options(argparse.ArgumentParser()).parse_args(
        ["--data-dir", str(tmp_path), "--stop"]
    )
    assert cmd_engine(args) == 0
    assert "no engine is running" in capsys.readouterr().out


def test_live_figures_count_taps_on_the_beat_early_and_late() -> None:
    record = TrialRecord(
        index=0,
        activity="tempo-following",
        variant="with-beat",
        params={},
        prompt=tuple({"onset_ms": 1000.0 + 500 * i, "beat": i} for i in range(4)),
        responses=tuple({"onset_ms": t} for t in (1010.0, 1420.0, 2080.0, 2495.0)),
        metrics={"mean_asynchrony_ms": -3.5, "rayleigh_p": float("nan")},
        outcome=Outcome.PARTIAL,
        prompt_level=None,
        difficulty=None,
        start_ms=1000.0,
        end_ms=2750.0,
    )
    figures = live_figures(record)
    assert (figures["taps"], figures["on_beat"], figures["early"], figures["late"]) == (4, 2, 1, 1)
    assert figures["mean_asynchrony_ms"] == -3.5 and "rayleigh_p" not in figures
    assert [KEY_PITCH_CLASS[k] for k in ("C", "C#", "Db", "Bb", "B")] == [0, 1, 1, 10, 11]


def test_a_field_never_takes_the_place_of_the_messages_own_keys() -> None:
    from soundness_live.live.protocol import ProtocolError, message

    assert message("set_device", kind="drum_pad") == {
        "v": PROTOCOL_VERSION, "type": "set_device", "kind": "drum_pad"
    }  # fmt: skip
    for key in ("type", "v"):
        with pytest.raises(ProtocolError, match=f"cannot be called '{key}'"):
            message("stop", **{key: "shutdown"})
