"""The engine's side of the browser remote: its status and the paired devices, in the snapshot."""

from __future__ import annotations

from soundness_live.live.commands import handle
from soundness_live.live.remote_link import STATUS_STALE_S

STATUS = {"url": "http://127.0.0.1:8765/", "pairing_code": "012345", "fingerprint": "",
          "tls": False, "pid": 4242}  # fmt: skip
HASH = "ab" * 32


def test_the_snapshot_carries_where_the_remote_serves_until_it_stops_or_goes_quiet(
    engine_here,
) -> None:
    assert engine_here.snapshot()["remote"] == {
        "served": None,
        "devices": [],
        "devices_error": None,
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
    assert listed == [device]
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
