"""The child's view's rules, held exactly on its pure looks: a picture for every cue, the
child's own instrument, the pulse (size only, at most 8 %, every other beat above 180 BPM),
slow changes, high contrast, and the success picture only after a success."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest

from soundness_live.activities.contract import Cue
from soundness_live.ui.child.calm import (
    FADE_S,
    HALO_STEP,
    INK,
    MAX_FADE_STEP,
    MAX_LUMINANCE_STEP,
    MAX_PULSE_GROWTH,
    MIN_CONTRAST,
    MIN_WORD_CONTRAST,
    WORDS,
    contrast,
    fade_step,
    grow_in,
    halo,
    luminance,
    pulse_period_ms,
    pulse_scale,
    worst_blend_step,
)
from soundness_live.ui.child.looks import (
    BACKGROUNDS,
    COUNTDOWN,
    NEUTRAL,
    STAR,
    ChildLooks,
    instrument_of,
    place_scene,
)
from soundness_live.ui.child.placement import Placement, choose, lower_half, upper_half
from soundness_live.ui.child.screenshots import EXAMPLES, settled_look
from soundness_live.ui.child.shapes import HOLE, Disc, Polygon

PAD = {"devices": [{"device": "nanoPAD2", "connected": True, "kind": "pad"}],
       "child_devices": ["nanoPAD2"], "child": "S-014"}  # fmt: skip
KEYS = {"devices": [{"device": "nanoKEY2", "connected": True, "kind": "keyboard"}],
        "child_devices": ["nanoKEY2"], "child": "S-014"}  # fmt: skip


def _scene(state: dict[str, Any], now_s: float = 0.0, age_s: float = 0.0):
    return ChildLooks().scene(state, now_s, age_s)


@pytest.mark.parametrize("cue", list(Cue), ids=lambda c: c.value)
def test_every_cue_of_the_contract_has_a_picture_of_its_own_kind(cue: Cue) -> None:
    shown: dict[str, Any] = {"cue": cue.value, "at_ms": 0.0, "ioi_ms": 500.0}
    if cue is Cue.DONE:
        shown["success"] = True
    scene = _scene(dict(PAD, activity="waiting", cue=shown, now_ms=0.0))
    assert scene.name != "neutral" and scene.picture
    assert scene.background == BACKGROUNDS[cue.mood]
    assert scene.word.startswith(cue.words)  # the small word for adults is the cue's own


def test_each_meaning_has_its_own_picture_and_a_turn_looks_the_same_in_every_activity() -> None:
    names = {name: settled_look(state, 1920, 1080) for name, state in EXAMPLES}
    pictures = {name: look.shapes for name, look in names.items()}
    assert pictures["turn"] == pictures["your_turn-drum_pad"]  # one picture for "your turn"
    assert pictures["done-not-success"] == pictures["neutral"]  # a failure: nothing special
    alike = {("turn", "your_turn-drum_pad"), ("done-not-success", "neutral")}
    for one in pictures:
        for other in pictures:
            if one < other and (one, other) not in alike and (other, one) not in alike:
                assert pictures[one] != pictures[other], (one, other)


def test_the_childs_instrument_comes_from_their_device_then_the_activity() -> None:
    assert instrument_of(dict(PAD, activity="call-and-response")) == "pad"
    assert instrument_of(dict(KEYS, activity="call-and-response")) == "keyboard"
    assert instrument_of(dict(KEYS, activity="vocal-prompts")) == "voice"
    gone = dict(KEYS, devices=[{"device": "nanoKEY2", "connected": False, "kind": "keyboard"}])
    assert instrument_of(dict(gone, activity="call-and-response")) == "pad"  # the drums variant
    virtual = {"activity": "call-and-response", "variant": "melodic", "child_devices": []}
    assert instrument_of(virtual) == "keyboard"  # the melodic call is echoed on a keyboard
    assert instrument_of({"activity": "no-such-activity"}) == "pad"
    assert _scene(dict(KEYS, activity="waiting", cue={"cue": "your_turn"})).name == (
        "your_turn-keyboard"
    )


def test_a_turn_is_the_childs_unless_it_names_another_player() -> None:
    state = dict(PAD, activity="waiting")
    for player in (None, "child", "S-014"):
        cue = {"cue": "turn", "player": player}
        assert _scene(dict(state, cue=cue)).name == "your_turn-pad"
    theirs = _scene(dict(state, cue={"cue": "turn", "player": "partner"}))
    assert (theirs.name, theirs.word) == ("their_turn", "partner's turn")
    # players named by the therapist: the activity says whose turn is the scored child's
    sam = _scene(dict(state, cue={"cue": "turn", "player": "Sam", "scored": True}))
    assert sam.name == "your_turn-pad"
    mum = _scene(dict(state, cue={"cue": "turn", "player": "child", "scored": False}))
    assert (mum.name, mum.word) == ("their_turn", "child's turn")
    group = _scene(dict(state, cue={"cue": "your_turn", "player": "S-015"}))
    assert (group.name, group.word) == ("your_turn-pad", "your turn: S-015")  # group mode


def test_the_success_picture_shows_only_when_the_engine_says_the_trial_was_a_success() -> None:
    for done in ({"cue": "done"}, {"cue": "done", "outcome": "correct"},
                 {"cue": "done", "outcome": "incorrect", "success": False},
                 {"cue": "done", "outcome": "correct", "success": "yes"}):  # fmt: skip
        assert _scene({"cue": done}).name == "neutral", done
    looks = ChildLooks()
    success = {"cue": {"cue": "done", "outcome": "correct", "success": True, "at_ms": 9.0}}
    first = looks.scene(success, 100.0)
    assert first.name == "done" and first.picture[0].colour == STAR
    sizes = [_star_radius(looks.scene(success, 100.0 + t)) for t in (0.0, 0.6, 1.2, 5.0)]
    assert sizes[0] == pytest.approx(0.86 * 0.85) and sizes[2] == sizes[3] == pytest.approx(0.86)
    assert sizes[0] < sizes[1] < sizes[2]  # it settles gently, once, and then stays still


def _star_radius(scene) -> float:
    return max(math.hypot(x, y - 0.05) for x, y in scene.picture[0].points)


def test_grow_in_is_a_smooth_single_growth() -> None:
    assert grow_in(0.0) == 0.85 and grow_in(0.6) == pytest.approx(0.925) and grow_in(9.0) == 1.0


def test_the_pulse_swells_by_at_most_8_percent_on_the_beat_and_is_still_without_one() -> None:
    assert MAX_PULSE_GROWTH == 0.08
    assert pulse_scale(1000.0, 1000.0, 500.0) == pytest.approx(1.08)  # on a beat: fullest
    assert pulse_scale(1250.0, 1000.0, 500.0) == pytest.approx(1.0)  # half-way: smallest
    assert pulse_scale(1500.0, 1000.0, 500.0) == pytest.approx(1.08)
    assert pulse_scale(1000.0, 0.0, None) == 1.0 and pulse_scale(1000.0, 0.0, 0.0) == 1.0
    scales = [pulse_scale(t, 0.0, 500.0) for t in range(0, 2000, 7)]
    assert min(scales) >= 1.0 and max(scales) <= 1.08


def test_above_180_bpm_the_pulse_swells_on_every_other_beat() -> None:
    at_180, at_181 = 60000.0 / 180, 60000.0 / 181
    assert pulse_period_ms(at_180) == at_180  # 180 BPM itself: every beat
    assert pulse_period_ms(at_181) == 2 * at_181
    assert pulse_period_ms(60000.0 / 240) == 2 * 250.0
    assert pulse_scale(250.0, 0.0, 250.0) == pytest.approx(1.0)  # 240 BPM: the second beat
    assert pulse_scale(500.0, 0.0, 250.0) == pytest.approx(1.08)  # is skipped, the third swells
    assert pulse_scale(at_180, 0.0, at_180) == pytest.approx(1.08)


def test_the_pulse_changes_the_halos_size_only_and_the_halo_is_a_small_luminance_step() -> None:
    state = dict(PAD, activity="tempo-following", now_ms=1000.0,
                 cue={"cue": "beat", "at_ms": 1000.0, "ioi_ms": 600.0})  # fmt: skip
    looks = [place_scene(_scene(state, age_s=t / 30), 1920, 1080) for t in range(0, 18)]
    halos = [look.shapes[0] for look in looks]
    assert all(isinstance(h, Disc) for h in halos)
    assert {h.colour for h in halos} == {halo(BACKGROUNDS[Cue.BEAT.mood])}  # never its colour
    assert {(h.x, h.y) for h in halos} == {(960.0, 464.4)}
    assert max(h.radius for h in halos) / min(h.radius for h in halos) == pytest.approx(
        1.08, abs=1e-3
    )
    assert {look.shapes[1:] for look in looks} == {looks[0].shapes[1:]}  # the picture is still
    for background in [*BACKGROUNDS.values(), NEUTRAL, COUNTDOWN]:
        step = luminance(halo(background)) - luminance(background)
        assert HALO_STEP - 0.005 <= step <= HALO_STEP < MAX_LUMINANCE_STEP


def test_a_fade_moves_at_most_ten_alpha_levels_a_frame_however_late_the_frame() -> None:
    assert fade_step(1 / 30) == 10 and fade_step(1 / 60) == 5 and FADE_S == 0.85
    assert fade_step(5.0) == MAX_FADE_STEP == 10 and fade_step(0.0) == 1
    black, white = (0, 0, 0), (255, 255, 255)
    assert worst_blend_step(black, white, MAX_FADE_STEP / 255) == pytest.approx(0.0892, abs=1e-4)
    assert worst_blend_step(black, white, MAX_FADE_STEP / 255) < MAX_LUMINANCE_STEP


@pytest.mark.parametrize("name_state", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_picture_has_high_contrast_on_its_background(name_state) -> None:
    name, state = name_state
    look = settled_look(state, 1920, 1080)
    halo_colour = halo(look.background)
    inks = {s.colour for s in look.shapes} - {HOLE, halo_colour}
    assert inks or look.name == "neutral", name  # neutral: one soft dot, nothing asked
    for ink in inks:
        assert contrast(ink, look.background) >= MIN_CONTRAST, (name, ink)
    assert contrast(WORDS, look.background) >= MIN_WORD_CONTRAST
    assert contrast(INK, look.background) >= MIN_CONTRAST == 7.0


def test_the_countdown_empties_smoothly_between_snapshots() -> None:
    state = {"cue": {"cue": "countdown", "seconds": 3, "next": "freeze game"},
             "plan": {"countdown_s": 2.5, "countdown_total_s": 5.0}}  # fmt: skip
    scene = _scene(state)
    assert (scene.name, scene.word, scene.background) == ("countdown", "next: freeze game",
                                                          COUNTDOWN)  # fmt: skip
    assert _sweep_deg(scene.picture[1]) == pytest.approx(180.0)
    assert _sweep_deg(_scene(state, age_s=1.0).picture[1]) == pytest.approx(360.0 * 1.5 / 5)
    assert len(_scene(state, age_s=4.0).picture) == 1  # time is up: the outline alone
    whole = _scene({"cue": {"cue": "countdown", "seconds": 2, "next": "x"}})
    assert _sweep_deg(whole.picture[1]) == pytest.approx(360.0)  # no plan view: a full disc


def _sweep_deg(sector: Polygon) -> float:
    (cx, cy), first, last = sector.points[0], sector.points[1], sector.points[-1]
    start = math.degrees(math.atan2(first[1] - cy, first[0] - cx))
    end = math.degrees(math.atan2(last[1] - cy, last[0] - cx))
    sweep = (end - start) % 360.0
    return 360.0 if sweep < 1e-6 and len(sector.points) > 3 else sweep


def test_an_unknown_cue_or_none_is_the_neutral_screen() -> None:
    for cue in (None, {}, {"cue": "juggle"}, {"cue": 7}, "beat", ["go"]):
        assert _scene({"cue": cue}).name == "neutral"


def test_the_voice_column_rises_with_the_level_and_glides() -> None:
    looks = ChildLooks()
    turn = dict(PAD, activity="vocal-prompts", cue={"cue": "your_turn"})
    quiet = looks.scene(dict(turn, voice_meter={"level_db": -60.0}), 0.0)
    assert len(quiet.picture) == 6  # the mouth, two waves, the empty track
    loud = dict(turn, voice_meter={"level_db": -12.0})
    heights = [_column(looks.scene(loud, t)) for t in (0.05, 0.15, 0.5, 2.0)]
    assert heights == sorted(heights) and heights[-1] == pytest.approx(1.5 * 0.8, abs=1e-3)


def _column(scene) -> float:
    ys = [y for _, y in scene.picture[-1].points]
    return max(ys) - min(ys)


def test_the_view_takes_a_second_display_or_says_why_it_takes_the_lower_half() -> None:
    two = [(1920, 1080), (3840, 2160)]
    assert choose(1, False, two, (1280, 720), False) == (
        Placement(display=1, fullscreen=True, size=(3840, 2160)),
        None,
    )
    placement, note = choose(1, False, [(1920, 1080)], (1280, 720), False)
    assert placement == Placement(size=(1920, 540), position=(0, 540), frameless=True)
    assert note == (
        "child view: display 1 was asked for, but only 1 display was found; showing the "
        "child's view on the lower half of this screen"
    )
    assert choose(None, True, two, (1280, 720), False) == (lower_half((1920, 1080)), None)
    assert choose(None, False, two, (800, 600), True) == (
        Placement(size=(800, 600), fullscreen=True),
        None,
    )
    assert upper_half((1280, 801)) == Placement(size=(1280, 401), position=(0, 0))
    assert lower_half((1280, 801)) == Placement(size=(1280, 400), position=(0, 401),
                                                frameless=True)  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "displays", "argv", "therapist", "note"),
    [
        ("second-display", [(1920, 1080), (1280, 720)], ["--display", "1"],
         ((1024, 768), True, None), False),
        ("second-display", [(1920, 1080)], ["--lower-half"],
         ((1920, 540), False, "0,0"), True),
        ("lower-half", [(1280, 800), (1920, 1080)], ["--lower-half"],
         ((1280, 400), False, "0,0"), False),
    ],
)  # fmt: skip
def test_run_places_the_therapists_window_beside_the_childs_view(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    displays: list[tuple[int, int]],
    argv: list[str],
    therapist: tuple,
    note: bool,
) -> None:
    from soundness_live.commands import live_commands
    from soundness_live.ui.child import app

    started: list[list[str]] = []
    monkeypatch.setattr(app, "desktops", lambda: displays)
    monkeypatch.setattr(live_commands, "start_child_view", lambda home, extra: started.append(
        list(extra)) or "process")  # fmt: skip
    monkeypatch.delenv("SDL_VIDEO_WINDOW_POS", raising=False)
    size, fullscreen, process = live_commands._start_child_view(
        Path("/nowhere"), mode, (1024, 768), True
    )
    assert (size, fullscreen, os.environ.get("SDL_VIDEO_WINDOW_POS")) == therapist
    assert started == [argv] and process == "process"
    assert ("only 1 display was found" in capsys.readouterr().out) is note
