"""The engine's side of the browser remote: its status and the paired devices, in the snapshot."""

from __future__ import annotations

from soundness_live.live.commands import handle
from soundness_live.live.paired_devices import PAIRING_S
from soundness_live.live.remote_link import STATUS_STALE_S

STATUS = {"url": "http://127.0.0.1:8765/", "pairing_code": "012345", "fingerprint": "",
          "tls": False, "pid": 4242, "pairing_lock": None}  # fmt: skip
HASH = "ab" * 32


def on_the_screen(device: dict) -> dict:
    """A paired device as the snapshot lists it for the therapist's screen."""
    shown = {key: device[key] for key in ("device_id", "name", "show_names")}
    return {**shown, "expires_at_s": round(device["expires_at_s"])}


def test_the_snapshot_carries_where_the_remote_serves_until_it_stops_or_goes_quiet(
    engine_here,
) -> None:
    assert engine_here.snapshot()["remote"] == {
        "served": None,
        "devices": [],
        "devices_error": None,
        "new_codes_asked": 0,
        "starting": None,
        "start_error": "",
        "started_here": False,
    }
    assert handle(engine_here, {"type": "remote_status", "status": STATUS})["ok"]
    assert engine_here.snapshot()["remote"]["served"] == STATUS
    link = engine_here.remote
    link.status_at_s -= STATUS_STALE_S + 0.1  # killed without a word
    assert engine_here.snapshot()["remote"]["served"] is None
    handle(engine_here, {"type": "remote_status", "status": STATUS})
    assert handle(engine_here, {"type": "remote_status", "status": None})["ok"]
    assert engine_here.snapshot()["remote"]["served"] is None


def test_devices_are_paired_listed_named_and_revoked_through_commands(engine_here) -> None:
    paired = handle(engine_here, {"type": "pair_device", "token_sha256": HASH, "name": "iPad"})
    device = paired["device"]
    assert "token_sha256" not in device and device["show_names"] is False
    listed = engine_here.snapshot()["remote"]["devices"]
    assert listed == [on_the_screen(device)]
    assert handle(
        engine_here, {"type": "show_device_names", "device": device["device_id"], "on": True}
    )["ok"]
    assert engine_here.snapshot()["remote"]["devices"][0]["show_names"] is True
    assert handle(engine_here, {"type": "revoke_device", "device": device["device_id"]})["ok"]
    assert engine_here.snapshot()["remote"]["devices"] == []
    again = handle(engine_here, {"type": "revoke_device", "device": device["device_id"]})
    assert again == {
        "ok": False,
        "error": f"revoke_device: no paired device {device['device_id']!r}",
    }


def test_bad_remote_fields_are_refused_naming_the_field(engine_here) -> None:
    bad = handle(engine_here, {"type": "pair_device", "token_sha256": "secret"})
    assert not bad["ok"] and "field 'token_sha256'" in bad["error"]
    bad = handle(engine_here, {"type": "remote_status", "status": {"url": 1}})
    assert not bad["ok"] and "field 'status'" in bad["error"]
    bad = handle(engine_here, {"type": "show_device_names", "device": "x", "on": "yes"})
    assert bad == {
        "ok": False,
        "error": "show_device_names: field 'on' must be true or false, got \"yes\"",
    }


def test_the_snapshot_reads_the_paired_devices_again_only_when_their_file_changed(
    engine_here, monkeypatch
) -> None:
    from soundness_live.live import paired_devices

    reads: list[object] = []
    real = paired_devices.load_devices

    def counted(path, now_s):
        reads.append(path)
        return real(path, now_s)

    monkeypatch.setattr(paired_devices, "load_devices", counted)
    device = handle(engine_here, {"type": "pair_device", "token_sha256": HASH, "name": "iPad"})
    reads.clear()
    for _ in range(5):  # the engine's own write is known: nothing to read again
        assert engine_here.snapshot()["remote"]["devices"] == [on_the_screen(device["device"])]
    assert reads == []
    path = engine_here.remote.devices.path
    other = paired_devices.PairedDevices(path.parent.parent)  # another writer of the file
    other.pair("cd" * 32, "phone")
    reads.clear()
    listed = engine_here.snapshot()["remote"]["devices"]
    assert [d["name"] for d in listed] == ["iPad", "phone"] and len(reads) == 1
    engine_here.snapshot()
    assert len(reads) == 1
    path.write_text("not json", encoding="utf-8")
    for _ in range(2):  # a damaged file is said at each snapshot, and lets no device in
        remote = engine_here.snapshot()["remote"]
        assert remote["devices"] == [] and "paired-devices.json" in remote["devices_error"]
    path.unlink()
    assert engine_here.snapshot()["remote"] == {
        "served": None, "devices": [], "devices_error": None, "new_codes_asked": 0,
        "starting": None, "start_error": "", "started_here": False,
    }  # fmt: skip


def test_a_paired_device_drops_out_of_the_snapshot_when_its_pairing_ends(engine_here) -> None:
    handle(engine_here, {"type": "pair_device", "token_sha256": HASH, "name": "iPad"})
    assert len(engine_here.snapshot()["remote"]["devices"]) == 1
    devices = engine_here.remote.devices
    later_s = devices.clock_s() + PAIRING_S + 1.0
    devices.clock_s = lambda: later_s  # twelve hours on, nothing written meanwhile
    assert engine_here.snapshot()["remote"]["devices"] == []


def test_a_remote_status_wakes_the_snapshot_broadcast_only_when_it_changed(engine_here) -> None:
    woke = []
    for status in (STATUS, STATUS, {**STATUS, "pairing_code": "543210"}, None, None):
        engine_here.changed.clear()
        assert handle(engine_here, {"type": "remote_status", "status": status})["ok"]
        woke.append(engine_here.changed.is_set())
    assert woke == [True, False, True, True, False]


def test_the_snapshot_lists_the_devices_as_the_screen_shows_them_made_once_a_change(
    engine_here, monkeypatch
) -> None:
    from soundness_live.live import remote_link

    made: list[str] = []
    real = remote_link.listed

    def counted(device):
        made.append(device.device_id)
        return real(device)

    monkeypatch.setattr(remote_link, "listed", counted)
    first = handle(engine_here, {"type": "pair_device", "token_sha256": HASH, "name": "iPad"})
    second = handle(
        engine_here, {"type": "pair_device", "token_sha256": "cd" * 32, "name": "phone"}
    )
    ids = [first["device"]["device_id"], second["device"]["device_id"]]
    for _ in range(5):
        listed = engine_here.snapshot()["remote"]["devices"]
    assert made == ids  # once for five snapshots
    expires_at_s = round(second["device"]["expires_at_s"])
    assert listed[1] == {"device_id": ids[1], "name": "phone", "expires_at_s": expires_at_s,
                         "show_names": False}  # fmt: skip
    listed.clear()  # a snapshot's list is its own
    handle(engine_here, {"type": "show_device_names", "device": ids[1], "on": True})
    assert [d["show_names"] for d in engine_here.snapshot()["remote"]["devices"]] == [False, True]
    assert made == [*ids, *ids]


def test_no_more_than_the_most_devices_pair_and_the_refusal_says_how_to_make_room(
    engine_here,
) -> None:
    from soundness_live.live.paired_devices import MAX_PAIRED_DEVICES

    assert MAX_PAIRED_DEVICES == 8
    ids = []
    for n in range(MAX_PAIRED_DEVICES):
        reply = handle(engine_here, {"type": "pair_device", "token_sha256": f"{n:064x}"})
        ids.append(reply["device"]["device_id"])
    refused = handle(engine_here, {"type": "pair_device", "token_sha256": "f" * 64, "name": "9th"})
    assert refused == {
        "ok": False,
        "error": "expected at most 8 paired devices, 8 are paired: revoke one on the laptop's "
        "remote page (Browser remote, revoke), then pair again",
    }
    assert len(engine_here.snapshot()["remote"]["devices"]) == MAX_PAIRED_DEVICES
    again = {"type": "pair_device", "token_sha256": "e" * 64, "replaces": ids[0]}
    assert handle(engine_here, again)["device"]["device_id"] == ids[0]  # pairing again: room
    assert handle(engine_here, {"type": "revoke_device", "device": ids[1]})["ok"]
    assert handle(engine_here, {"type": "pair_device", "token_sha256": "f" * 64})["ok"]


def test_a_device_pairing_again_keeps_its_place_and_its_old_token_opens_nothing(
    engine_here,
) -> None:
    first = handle(engine_here, {"type": "pair_device", "token_sha256": HASH, "name": "iPad"})
    device_id = first["device"]["device_id"]
    handle(engine_here, {"type": "show_device_names", "device": device_id, "on": True})
    new_hash = "cd" * 32
    again = handle(
        engine_here, {"type": "pair_device", "token_sha256": new_hash, "replaces": device_id}
    )["device"]
    assert (again["device_id"], again["name"], again["show_names"]) == (device_id, "iPad", True)
    kept = engine_here.remote.devices.list()
    assert [d.token_sha256 for d in kept] == [new_hash]  # the old token's hash is gone


def test_a_new_pairing_code_is_asked_of_the_remote_through_the_snapshot(engine_here) -> None:
    refused = handle(engine_here, {"type": "new_pairing_code"})
    assert refused == {"ok": False, "error": "new_pairing_code: the browser remote is not running"}
    handle(engine_here, {"type": "remote_status", "status": STATUS})
    engine_here.changed.clear()
    assert handle(engine_here, {"type": "new_pairing_code"}) == {"ok": True, "was": "012345"}
    assert engine_here.changed.is_set()  # the remote reads it in the snapshot sent at once
    assert engine_here.snapshot()["remote"]["new_codes_asked"] == 1
