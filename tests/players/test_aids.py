"""Playing aids: scale lock, transpose, velocity curve, minimum note length."""

from __future__ import annotations

from itertools import pairwise

import pytest

from soundness_live.core.events import InputEvent
from soundness_live.errors import ParameterError
from soundness_live.players.aids import SCALES, AidSettings, PlayingAids, curve_velocity, scale_note


def on(note: int, t: float = 0.0, velocity: int = 100, frame: float | None = None) -> InputEvent:
    return InputEvent("note_on", 0, note, velocity, "kbd", t, "arrival", frame=frame)


def off(note: int, t: float = 0.0) -> InputEvent:
    return InputEvent("note_off", 0, note, 0, "kbd", t, "arrival")


def test_snap_down_c_major_pentatonic_by_hand() -> None:
    played = range(60, 73)
    sounding = [scale_note(n, "major_pentatonic", 0) for n in played]
    assert sounding == [60, 60, 62, 62, 64, 64, 64, 67, 67, 69, 69, 69, 72]


def test_degree_mode_maps_key_index_to_scale_degree() -> None:
    sounding = [scale_note(n, "major_pentatonic", 0, "degree") for n in range(55, 66)]
    assert sounding == [48, 50, 52, 55, 57, 60, 62, 64, 67, 69, 72]


def test_degree_mode_in_g_keeps_tonic_fixed() -> None:
    assert scale_note(55, "major", 7, "degree") == 55
    assert [scale_note(n, "major", 7, "degree") for n in (56, 57, 62)] == [57, 59, 67]


@pytest.mark.parametrize("scale", sorted(SCALES))
@pytest.mark.parametrize("mode", ["snap_down", "degree"])
@pytest.mark.parametrize("key", [0, 2, 7, 11])
def test_every_scale_is_monotonic_and_in_key(scale: str, mode: str, key: int) -> None:
    notes = [scale_note(n, scale, key, mode) for n in range(36, 97)]
    assert all(b >= a for a, b in pairwise(notes))
    assert all((n - key) % 12 in SCALES[scale] for n in notes)
    if mode == "degree":
        assert all(b > a for a, b in pairwise(notes))


def test_transpose_is_clamped_to_midi_range() -> None:
    aids = PlayingAids(AidSettings(transpose_semitones=12))
    assert aids.apply(on(120)).sounding[0].note == 127
    low = PlayingAids(AidSettings(transpose_semitones=-24))
    assert low.apply(on(10)).sounding[0].note == 0


def test_velocity_curve_floor_ceiling_gamma() -> None:
    assert curve_velocity(1, 40, 100, 0.5) == 45
    assert curve_velocity(127, 40, 100, 0.5) == 100
    assert curve_velocity(64, 40, 100, 0.5) == round(40 + 60 * (64 / 127) ** 0.5)
    soft = [curve_velocity(v, 40, 100, 0.5) for v in range(1, 128)]
    assert min(soft) >= 40 and max(soft) <= 100 and soft == sorted(soft)


def test_apply_returns_played_and_sounding() -> None:
    aids = PlayingAids(AidSettings(scale="major", transpose_semitones=2, velocity_ceiling=80))
    played = on(61, velocity=127)
    result = aids.apply(played)
    assert result.played is played
    assert [(e.note, e.velocity) for e in result.sounding] == [(62, 80)]
    assert [e.note for e in aids.apply(off(61, 0.5)).sounding] == [62]


def test_shared_sounding_note_released_by_last_key() -> None:
    aids = PlayingAids(AidSettings(scale="major"))
    aids.apply(on(60))
    aids.apply(on(61))  # C# also sounds C
    assert aids.apply(off(60, 0.3)).sounding == ()
    assert [e.note for e in aids.apply(off(61, 0.4)).sounding] == [60]


def test_short_note_off_is_delayed_to_min_length_with_frame() -> None:
    aids = PlayingAids(AidSettings(min_note_ms=120.0), sample_rate=48_000)
    aids.apply(on(60, t=1.0, frame=48_000.0))
    delayed = aids.apply(off(60, t=1.03)).sounding[0]
    assert delayed.kind == "note_off"
    assert delayed.time_s == pytest.approx(1.12)
    assert delayed.frame == pytest.approx(48_000 + 0.12 * 48_000)
    aids.apply(on(62, t=2.0))
    assert aids.apply(off(62, t=2.5)).sounding[0].time_s == 2.5


def test_other_events_pass_through() -> None:
    cc = InputEvent("cc", 0, 64, 127, "kbd", 0.0, "arrival")
    assert PlayingAids(AidSettings(transpose_semitones=5)).apply(cc).sounding == (cc,)


@pytest.mark.parametrize(
    "bad",
    [
        {"scale": "lydian dominant"},
        {"scale_mode": "nearest"},
        {"key": 12},
        {"velocity_floor": 90, "velocity_ceiling": 80},
        {"velocity_gamma": 0.0},
        {"min_note_ms": -1.0},
    ],
)
def test_bad_settings_raise(bad: dict) -> None:
    with pytest.raises(ParameterError):
        AidSettings(**bad)
