"""Pairing codes, the shared lock after wrong codes, paired devices kept hashed for 12 hours."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from soundness_live.config import RemoteSettings, load_settings, parse_bind
from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.live.paired_devices import PAIRING_S, PairedDevices, devices_path
from soundness_live.live.remote_link import check_status
from soundness_live.remote.pairing import (
    LOCK_S,
    LONGEST_LOCK_S,
    WRONG_CODES_LIMIT,
    PairingLock,
    TokenCheck,
    Verdict,
    new_pairing_code,
    new_token,
    token_sha256,
)
from soundness_live.remote.views import (
    hidden_folders,
    hide_paths,
    page_message,
    page_reply,
    page_state,
)


class Clock:
    def __init__(self, now_s: float = 1000.0) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


def test_a_pairing_code_is_six_digits_and_new_each_time() -> None:
    codes = {new_pairing_code() for _ in range(50)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 40


def test_five_wrong_codes_lock_pairing_for_a_minute_then_it_opens_again() -> None:
    clock = Clock()
    lock = PairingLock("123456", clock_s=clock)
    assert [lock.try_code("000000") for _ in range(WRONG_CODES_LIMIT)] == [False] * 5
    assert lock.try_code("123456") is None  # even the right code waits
    assert lock.locked_for_s() == LOCK_S == 60.0
    clock.now_s += 59.9
    assert lock.try_code("123456") is None
    clock.now_s += 0.1
    assert lock.try_code("123456") is True
    assert lock.try_code("123456 ") is False  # the remote strips; the lock compares exactly


def test_a_right_code_starts_the_count_of_wrong_ones_again() -> None:
    lock = PairingLock("123456", clock_s=Clock())
    for _ in range(WRONG_CODES_LIMIT - 1):
        assert lock.try_code("654321") is False
    assert lock.try_code("123456") is True
    assert lock.try_code("654321") is False
    assert lock.locked_for_s() == 0


def test_paired_devices_keep_only_the_tokens_hash_owner_only_for_12_hours(tmp_path) -> None:
    clock = Clock(1_000_000.0)
    devices = PairedDevices(tmp_path, clock_s=clock)
    token = new_token()
    device = devices.pair(token_sha256(token), "  Mia's iPad  ")
    path = devices_path(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    text = path.read_text()
    assert token not in text and hashlib.sha256(token.encode()).hexdigest() in text
    assert device.name == "Mia's iPad" and device.expires_at_s == 1_000_000.0 + PAIRING_S
    check = TokenCheck(tmp_path, clock_s=clock)
    assert check.device(token) == device
    assert check.device(new_token()) is None and check.device(None) is None
    clock.now_s += PAIRING_S - 1
    assert PairedDevices(tmp_path, clock_s=clock).list() == [device]  # a restart keeps it
    clock.now_s += 1
    assert check.device(token) is None and devices.list() == []


def test_a_revocation_is_seen_by_the_next_check(tmp_path) -> None:
    devices = PairedDevices(tmp_path)
    tokens = [new_token() for _ in range(2)]
    kept = [devices.pair(token_sha256(t), f"device {i}") for i, t in enumerate(tokens)]
    check = TokenCheck(tmp_path)
    assert check.device(tokens[0]) == kept[0]
    assert devices.revoke(kept[0].device_id) is True
    assert check.device(tokens[0]) is None and check.device(tokens[1]) == kept[1]
    assert devices.revoke(kept[0].device_id) is False
    assert devices.show_names(kept[1].device_id, True) is True
    assert check.device(tokens[1]).show_names is True


def test_a_damaged_devices_file_is_one_line_and_lets_nobody_in(tmp_path) -> None:
    devices = PairedDevices(tmp_path)
    token = new_token()
    devices.pair(token_sha256(token), "tablet")
    devices_path(tmp_path).write_text(json.dumps({"devices": [{"device_id": "x"}]}))
    with pytest.raises(FileFormatError, match="paired-devices.json: expected") as error:
        devices.list()
    assert "\n" not in str(error.value)
    assert TokenCheck(tmp_path).device(token) is None


def test_bind_addresses_default_to_loopback() -> None:
    assert parse_bind("8765") == ("127.0.0.1", 8765)
    assert parse_bind("192.168.1.20:8765") == ("192.168.1.20", 8765)
    assert parse_bind("[::1]:8765") == ("::1", 8765)
    for bad in ("", "tablet", "70000", "1.2.3.4:", "a b:80"):
        with pytest.raises(ParameterError, match=r"\[HOST:\]PORT"):
            parse_bind(bad)


def test_config_toml_remote_table(tmp_path) -> None:
    assert load_settings(tmp_path).remote == RemoteSettings(None, False)
    (tmp_path / "config.toml").write_text('[remote]\nbind = "0.0.0.0:8765"\ntls = true\n')
    assert load_settings(tmp_path).remote == RemoteSettings("0.0.0.0:8765", True)
    (tmp_path / "config.toml").write_text('[remote]\nbind = "lan"\n')
    with pytest.raises(FileFormatError, match=r"remote.bind.*\[HOST:\]PORT"):
        load_settings(tmp_path)
    (tmp_path / "config.toml").write_text("[remote]\nport = 8765\n")
    with pytest.raises(FileFormatError, match="table of bind and tls"):
        load_settings(tmp_path)


def test_a_remote_status_is_checked_field_by_field() -> None:
    status = {"url": "http://127.0.0.1:1/", "pairing_code": "012345", "fingerprint": "",
              "tls": False, "pid": 7, "pairing_lock": None}  # fmt: skip
    lock = {"wrong_codes": 5, "first_wrong_at_s": 1_700_000_000, "locks": 1,
            "locked_at_s": 1_700_000_060, "locked_until_s": 1_700_000_120}  # fmt: skip
    assert check_status(status) == status and check_status(None) is None
    assert check_status({**status, "pairing_lock": lock})["pairing_lock"] == lock
    for bad in (
        {**status, "pairing_code": "12345"}, {**status, "pid": True}, {"url": "x"},
        {**status, "pairing_lock": {**lock, "locks": -1}}, {**status, "pairing_lock": {}},
        {**status, "pairing_lock": {**lock, "wrong_codes": "5"}},
    ):  # fmt: skip
        with pytest.raises(ParameterError):
            check_status(bad)


def test_what_a_page_sees_leaves_the_laptops_business_and_names_out() -> None:
    state = {"child": "S-014", "remote": {"served": {"pairing_code": "123456"}}}
    assert page_state(state) == {"child": "S-014"}
    catalog = {"ok": True, "children": [{"code": "S-014", "display_name": "Sam"}], "id": 3}
    assert page_reply("catalog", catalog, show_names=False)["children"] == [{"code": "S-014"}]
    named = page_reply("catalog", catalog, show_names=True)["children"]
    assert named == [{"code": "S-014", "display_name": "Sam"}]
    assert page_message({"type": "state", "state": state}) == {
        "type": "state",
        "state": {"child": "S-014"},
    }
    assert page_message({"type": "reply", "ok": True}) is None
    trial = {"index": 2, "activity": "waiting", "outcome": "correct", "prompt_level": "verbal"}
    marked = {"type": "trial", "trial": trial, "marked": True, "was": "independent", "v": 1}
    assert page_message(marked) == {"type": "trial", "trial": trial, "marked": True,
                                    "was": "independent"}  # fmt: skip
    assert page_message({"type": "trial", "trial": trial}) == {"type": "trial", "trial": trial}


def test_without_the_remote_extra_one_line_says_what_to_install(monkeypatch) -> None:
    import importlib.util

    from soundness_live.errors import DeviceError
    from soundness_live.remote import launch

    real = importlib.util.find_spec
    missing = {"segno", "cryptography"}
    monkeypatch.setattr(
        launch.importlib.util, "find_spec", lambda name: None if name in missing else real(name)
    )
    with pytest.raises(DeviceError) as error:
        launch.check_packages(tls=True)
    assert str(error.value) == (
        "the browser remote needs segno, cryptography: pip install 'soundness-live[remote]'"
    )


def test_texts_for_a_page_name_no_folder_of_the_laptop(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path / "home" / "jane.doe"))
    data = tmp_path / "home" / "jane.doe" / "soundness"
    folders = hidden_folders(data)
    reply = {"ok": False, "error": f"{data}/plans/S-014/x.toml: bad", "n": 3,
             "plans": [{"error": f"{tmp_path}/home/jane.doe/lib/y.toml: bad"}],
             f"{data}": f"no engine answers for {data}"}  # fmt: skip
    assert hide_paths(reply, folders) == {
        "ok": False, "error": "plans/S-014/x.toml: bad", "n": 3,
        "plans": [{"error": "~/lib/y.toml: bad"}],
        f"{data}": "no engine answers for the data directory",
    }  # fmt: skip


def test_plain_http_on_a_network_address_is_said_as_a_warning() -> None:
    from soundness_live.remote.server import announcement

    status = {"pairing_code": "012345", "fingerprint": "", "tls": False, "pid": 7}
    warning = "plain HTTP on the network"
    for url in ("http://127.0.0.1:8765/", "http://[::1]:8765/", "http://localhost:8765/"):
        assert warning not in announcement({**status, "url": url}), url
    said = announcement({**status, "url": "http://192.168.1.20:8765/"}).splitlines()
    assert said[-1] == (
        "remote: warning: plain HTTP on the network: anyone on this Wi-Fi can read the children's "
        "codes and figures and take a paired device's token; add --remote-tls"
    )
    tls = {**status, "url": "https://192.168.1.20:8765/", "tls": True, "fingerprint": "AB"}
    assert warning not in announcement(tls)


def test_each_lock_after_the_first_is_twice_as_long_up_to_an_hour() -> None:
    """Guessing without end from the network meets longer and longer locks: a minute, two,
    four... never more than an hour; the right code waits like any other."""
    clock = Clock()
    lock = PairingLock("123456", clock_s=clock)
    lasted = []
    for _ in range(8):
        assert [lock.try_code("000000") for _ in range(WRONG_CODES_LIMIT)] == [False] * 5
        lasted.append(lock.locked_for_s())
        assert lock.try_code("123456") is None
        clock.now_s += lasted[-1]
    assert lasted == [60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0, 3600.0]
    assert LONGEST_LOCK_S == 3600.0 and lock.try_code("123456") is True


def test_the_laptop_is_told_of_wrong_codes_and_a_new_code_ends_the_lock() -> None:
    clock, wall = Clock(), Clock(1_700_000_000.0)
    lock = PairingLock("123456", clock_s=clock, wall_clock_s=wall)
    assert lock.state() is None
    assert lock.try_code("000001") is False
    wall.now_s += 30
    for _ in range(WRONG_CODES_LIMIT - 1):
        assert lock.try_code("000001") is False
    assert lock.state() == {
        "wrong_codes": 5, "first_wrong_at_s": 1_700_000_000, "locks": 1,
        "locked_at_s": 1_700_000_030, "locked_until_s": 1_700_000_090,
    }  # fmt: skip
    assert lock.try_code("123456") is None  # locked for everyone, the right code too
    lock.renew("654321")
    assert lock.state() is None and lock.locked_for_s() == 0
    assert lock.try_code("123456") is False  # the old code pairs nothing
    assert lock.try_code("654321") is True
    clock.now_s += LOCK_S  # the lock's end: the screen says pairing is open
    for _ in range(WRONG_CODES_LIMIT - 1):
        lock.try_code("000002")
    assert lock.state()["locked_until_s"] == 0 and lock.state()["wrong_codes"] == 5
    # a new code opens pairing but keeps the doubling: whoever locked it once more waits
    # twice as long, not a fresh minute (or "new code" would undo the doubling each time)
    assert lock.try_code("000002") is False
    assert lock.locked_for_s() == 2 * LOCK_S
    lock.renew("111111")
    assert [lock.try_code("000003") for _ in range(WRONG_CODES_LIMIT)] == [False] * 5
    assert lock.locked_for_s() == 4 * LOCK_S


def test_a_socket_checks_its_token_by_a_kept_verdict_until_the_file_changes(
    tmp_path, monkeypatch
) -> None:
    """A socket checks its token before each message: a comparison with the verdict it keeps,
    not a SHA-256 and a scan each time; a revocation (the file written again) is seen by
    the next check all the same."""
    from soundness_live.remote import pairing

    monkeypatch.setattr(pairing, "SHARED_LOOK_S", 0.0)  # every check looks at the file
    devices = PairedDevices(tmp_path)
    tokens = [new_token() for _ in range(3)]
    kept = [devices.pair(token_sha256(t), f"device {i}") for i, t in enumerate(tokens)]
    check = TokenCheck(tmp_path)
    hashed = []
    real = pairing.token_sha256
    monkeypatch.setattr(pairing, "token_sha256", lambda t: hashed.append(t) or real(t))
    verdict = Verdict(tokens[0], kept[0])
    assert all(check.still(verdict) == kept[0] for _ in range(100))
    assert len(hashed) == 1  # one look at the token for 100 messages
    devices.show_names(kept[2].device_id, True)  # another device changed: looked at again
    assert check.still(verdict) == kept[0] and len(hashed) == 2
    devices.revoke(kept[0].device_id)
    assert check.still(verdict) is None and check.still(verdict) is None
    assert len(hashed) == 3


def test_a_kept_verdict_ends_with_the_pairing(tmp_path) -> None:
    clock = Clock(1_700_000_000.0)
    devices = PairedDevices(tmp_path, clock_s=clock)
    token = new_token()
    device = devices.pair(token_sha256(token), "tablet")
    check = TokenCheck(tmp_path, clock_s=clock)
    verdict = Verdict(token, device)
    assert check.still(verdict) == device
    clock.now_s = device.expires_at_s
    assert check.still(verdict) is None
