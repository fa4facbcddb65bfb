"""Child profiles: validation naming the field, JSON round trip, defaults that protect."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from soundness_live.config import DB_NAME, HOME_ENV, data_dir, db_path
from soundness_live.errors import ParameterError
from soundness_live.players import aids
from soundness_live.players.profiles import (
    SCALES,
    ChildProfile,
    Consent,
    DeviceSettings,
    ScaleLock,
    VelocityCurve,
    profile_from_dict,
)

SAM = {
    "code": "S-014",
    "display_name": "Sam",
    "date_of_birth": "2019-03-01",
    "consent": {"voice_recording": False},
    "volume_cap_dbfs": -18.0,
    "preferred_tempo_bpm": 90.0,
    "devices": [
        {"device": "pad-1", "kind": "pad", "instrument": {"program": 0, "bank": 128}},
        {
            "device": "keys",
            "scale_lock": {"key": "C", "scale": "major_pentatonic"},
            "velocity_curve": {"floor": 40, "ceiling": 100, "gamma": 0.7},
            "min_note_length_ms": 120.0,
            "transpose": -12,
        },
        {"device": "therapist-keys", "role": "therapist"},
    ],
    "goal_ids": ["wait-turn"],
}


def test_round_trip_through_json() -> None:
    profile = profile_from_dict(SAM)
    again = profile_from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile
    assert profile.devices[1].scale_lock == ScaleLock("C", "major_pentatonic")
    assert profile.devices[1].velocity_curve == VelocityCurve(40, 100, 0.7)
    assert profile.devices[0].instrument.bank == 128


def test_defaults_protect_the_child() -> None:
    profile = ChildProfile("S-001")
    assert profile.consent == Consent(voice_recording=False)
    assert profile.volume_cap_dbfs == -12.0
    assert profile.display_name is None and profile.date_of_birth is None
    assert profile_from_dict({"code": "S-001"}) == profile


def test_settings_hold_no_identity() -> None:
    settings = profile_from_dict(SAM).settings()
    assert "Sam" not in json.dumps(settings) and "2019" not in json.dumps(settings)
    assert set(settings) == {
        "volume_cap_dbfs",
        "preferred_tempo_bpm",
        "voice_range_hz",
        "devices",
        "goal_ids",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "S 014"}, "'code'"),
        ({"code": "-S"}, "'code'"),
        ({"code": "x" * 33}, "'code'"),
        ({"display_name": ""}, "'display_name'"),
        ({"date_of_birth": "01/03/2019"}, "'date_of_birth'"),
        ({"date_of_birth": "2999-01-01"}, "'date_of_birth'"),
        ({"consent": {"voice_recording": "yes"}}, "'consent.voice_recording'"),
        ({"consent": {"video": True}}, "'consent.video' is not known"),
        ({"volume_cap_dbfs": 3}, "'volume_cap_dbfs' must be a number in -60..0, got 3"),
        ({"volume_cap_dbfs": -61}, "'volume_cap_dbfs'"),
        ({"preferred_tempo_bpm": 300}, "'preferred_tempo_bpm' must be a number in 30..240"),
        ({"nickname": "S"}, "'nickname' is not known"),
        ({"devices": [{"device": "x", "role": "parent"}]}, "'devices[0].role' must be one of"),
        ({"devices": [{"device": "x", "kind": "guitar"}]}, "'devices[0].kind'"),
        ({"devices": [{"kind": "pad"}]}, "'devices[0].device'"),
        ({"devices": [{"device": "x", "instrument": {"program": 128}}]},
         "'devices[0].instrument.program' must be an integer in 0..127, got 128"),
        ({"devices": [{"device": "x", "scale_lock": {"key": "H", "scale": "major"}}]},
         "'devices[0].scale_lock.key'"),
        ({"devices": [{"device": "x", "scale_lock": {"key": "C", "scale": "jazz"}}]},
         "'devices[0].scale_lock.scale'"),
        ({"devices": [{"device": "x", "transpose": 1.5}]}, "'devices[0].transpose'"),
        ({"devices": [{"device": "x", "velocity_curve": {"floor": 100, "ceiling": 50}}]},
         "'devices[0].velocity_curve.floor' must be <= ceiling (50), got 100"),
        ({"devices": [{"device": "x", "velocity_curve": {"gamma": 0}}]},
         "'devices[0].velocity_curve.gamma'"),
        ({"devices": [{"device": "x", "min_note_length_ms": -1}]},
         "'devices[0].min_note_length_ms'"),
        ({"devices": [{"device": "x", "colour": "red"}]}, "'devices[0].colour' is not known"),
        ({"goal_ids": "wait-turn"}, "'goal_ids' must be a list"),
    ],
)  # fmt: skip
def test_invalid_fields_are_named(change: dict, field: str) -> None:
    with pytest.raises(ParameterError) as caught:
        profile_from_dict(SAM | change)
    assert f"profile field {field}" in str(caught.value)


def test_dataclass_construction_is_validated_too() -> None:
    with pytest.raises(ParameterError, match="devices\\[0\\].transpose"):
        ChildProfile("S-1", devices=(DeviceSettings("pad", transpose=99),))
    with pytest.raises(ParameterError, match="volume_cap_dbfs"):
        ChildProfile("S-1", volume_cap_dbfs=float("nan"))


def test_scale_names_are_the_playing_aids_names() -> None:
    assert SCALES is aids.SCALES
    assert "major_pentatonic" in SCALES


def test_data_dir_is_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home" / "soundness"
    monkeypatch.setenv(HOME_ENV, str(home))
    assert data_dir() == home and home.is_dir()
    assert db_path() == home / DB_NAME
    if os.name == "posix":
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        home.chmod(0o755)
        data_dir()
        assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_data_dir_default_is_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    path = data_dir()
    assert path.name == "soundness-live" and path.is_dir()


def test_device_settings_feed_the_playing_aids() -> None:
    keys = profile_from_dict(SAM).devices[1]
    aids = keys.aid_settings()
    assert (aids.scale, aids.key, aids.scale_mode) == ("major_pentatonic", 0, "snap_down")
    assert (aids.velocity_floor, aids.velocity_ceiling, aids.velocity_gamma) == (40, 100, 0.7)
    assert (aids.transpose_semitones, aids.min_note_ms) == (-12, 120.0)
    assert profile_from_dict(SAM).devices[0].aid_settings().scale is None
    lock = {"key": "Bb", "scale": "dorian", "mode": "degree"}
    device = profile_from_dict(SAM | {"devices": [{"device": "k", "scale_lock": lock}]}).devices[0]
    assert (device.aid_settings().key, device.aid_settings().scale_mode) == (10, "degree")
    with pytest.raises(ParameterError, match="'devices\\[0\\].scale_lock.mode'"):
        profile_from_dict(SAM | {"devices": [{"device": "k", "scale_lock": lock | {"mode": "x"}}]})
