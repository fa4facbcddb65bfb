"""The therapist UI: pure layout and hit-testing, calm animation, a drawn screen, a real click."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from soundness_live.activities.common import PROMPT_LEVELS
from soundness_live.ui.controls import MIN_TARGET_PX, Rect, View, hit_test
from soundness_live.ui.session_layout import arrangement, layout
from soundness_live.ui.widgets import (
    FADE_S,
    NEEDLE_CENTS,
    ON_PITCH_CENTS,
    PULSE_ALPHA,
    cue_words,
    diagnostics_text,
    ease,
    fade,
    level_fraction,
    meter_layout,
    note_name,
    pitch_label,
    pulse,
    trial_text,
)

CHILDREN = [{"code": "S-014", "display_name": "Sam"}, {"code": "A-002", "display_name": None}]
ACTIVITIES = [
    {"name": "call-and-response", "variants": ["drums", "melodic"]},
    {"name": "waiting", "variants": ["cue", "freeze"]},
    {"name": "tempo-following", "variants": ["with-beat", "continuation"]},
]
SIZES = [
    (1280, 800),
    (1920, 1080),
    (800, 1280),
    (1024, 768),
    (2048, 1536),
    (768, 1024),
    (1920, 540),
    (1280, 400),
]  # the last two: above the child's view on the lower half


def _view(**state: Any) -> View:
    return View(state=state, children=CHILDREN, activities=ACTIVITIES, child="S-014")


@pytest.mark.parametrize("size", SIZES)
def test_every_target_fits_the_window_is_large_and_none_overlap(size: tuple[int, int]) -> None:
    width, height = size
    screen = layout(width, height, _view(activity="waiting", session_id=1))
    rects = [b.rect for b in screen.buttons] + list(screen.regions.values())
    for rect in rects:
        assert (
            0 <= rect.x and rect.x + rect.w <= width and 0 <= rect.y and rect.y + rect.h <= height
        )
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    for button in screen.buttons:  # a finger's width and height, at every size
        assert min(button.rect.w, button.rect.h) >= MIN_TARGET_PX, button
    quiet = next(b for b in screen.buttons if b.name == "panic")
    assert quiet.rect.w * quiet.rect.h == max(b.rect.w * b.rect.h for b in screen.buttons)
    design_w, design_h = arrangement(width, height).design
    assert screen.scale == pytest.approx(min(width / design_w, height / design_h))
    assert (design_w > design_h) == (width >= height)  # portrait has its own arrangement


MANY_CHILDREN = [{"code": f"C-{i:03d}", "display_name": None} for i in range(9)]
MANY_ACTIVITIES = [{"name": f"activity-{i}", "variants": []} for i in range(8)]


@pytest.mark.parametrize("size", SIZES)
def test_with_many_children_and_activities_the_screen_still_fits(size: tuple[int, int]) -> None:
    for activity in ("activity-1", "activity-6", "vocal-prompts"):
        view = View(children=MANY_CHILDREN, activities=MANY_ACTIVITIES, child="C-004",
                    activity=activity, state={"session_id": 1})  # fmt: skip
        screen = layout(*size, view)
        rects = [b.rect for b in screen.buttons] + list(screen.regions.values())
        for i, a in enumerate(rects):
            assert 0 <= a.x and a.x + a.w <= size[0] and 0 <= a.y and a.y + a.h <= size[1]
            for b in rects[i + 1 :]:
                assert not a.overlaps(b), (a, b)
        names = [b.name for b in screen.buttons]
        assert ("prompt" in names) == (activity == "vocal-prompts")
        assert len(names) == len(set(names))


def test_every_child_and_activity_can_be_reached_by_taps(headless: None) -> None:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None, child=None, session_id=None)
    activities = [*MANY_ACTIVITIES, {"name": "vocal-prompts", "variants": ["echo-syllables"]}]
    catalog = {"children": MANY_CHILDREN, "activities": activities, "prompt_assets": ["hello"]}
    engine.request = lambda kind, **fields: {"ok": True, **catalog}  # type: ignore[method-assign]
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.frame()
    assert _label(app, "child:next") == "pick a child >"
    seen = []
    for _ in MANY_CHILDREN:
        app.click(*_centre(app, "child:next"))
        app.frame()
        seen.append(app.view.child)
    assert seen == [c["code"] for c in MANY_CHILDREN] and _label(app, "child:next") == "C-008 >"
    told = [m["child"] for m in engine.sent if m["type"] == "select_child"]
    assert told == seen  # the engine applies each child's limits from the tap on
    app.click(*_centre(app, "child:prev"))
    assert app.view.child == "C-007" and engine.sent[-1]["child"] == "C-007"
    app.frame()
    reached = {
        b.name.partition(":")[2] for b in app.layout.buttons if b.name.startswith("activity:")
    }
    for _ in activities:  # the last row steps through the ones not listed
        app.click(*_centre(app, "activity:more"))
        app.frame()
        reached.add(app.view.activity)
    assert {a["name"] for a in activities} <= reached
    while app.view.activity != "vocal-prompts":
        app.click(*_centre(app, "activity:more"))
        app.frame()
    assert _label(app, "activity:more") == "sung syllables >"  # the plan steps' words, not the id
    assert _label(app, "prompt") == "prompt: sung"
    labels = []
    for _ in range(3):
        app.click(*_centre(app, "prompt"))
        app.frame()
        labels.append(_label(app, "prompt"))
    assert labels == ["prompt: spoken", "prompt: recorded: hello", "prompt: sung"]
    app.click(*_centre(app, "prompt"))
    app.click(*_centre(app, "prompt"))
    app.frame()
    app.click(*_centre(app, "start"))
    start = engine.sent[-1]
    assert start["activity"] == "vocal-prompts" and start["child"] == "C-007"
    assert start["params"] == {
        "variant": "echo-syllables", "prompt_source": "asset", "prompt_asset": "hello"
    }  # fmt: skip


def _label(app: Any, name: str) -> str:
    return next(b for b in app.layout.buttons if b.name == name).label


def test_the_trial_under_way_is_counted_from_one() -> None:
    assert trial_text(0, 3) == "trial 1 of 3"  # the first trial, none done yet
    assert trial_text(None, 3) == "trial 1 of 3"
    assert trial_text(2, 3) == "trial 3 of 3"
    assert trial_text(3, 3) == "trial 3 of 3"  # every trial done, the activity winds down


def test_the_input_button_says_what_listens_to_the_child() -> None:
    def label(**choices: Any) -> str:
        view = _view(activity=None)
        for name, value in choices.items():
            setattr(view, name, value)
        return next(b.label for b in layout(1024, 768, view).buttons if b.name == "input")

    assert label(activity="waiting") == "input: live MIDI"
    assert label(activity="vocal-prompts") == "input: live microphone"
    assert label(activity="vocal-prompts", live_input=False) == "input: virtual (simulated)"


def test_hit_testing_finds_each_button_at_its_centre_and_nothing_between() -> None:
    screen = layout(1024, 768, _view(activity="waiting", session_id=1))
    for button in screen.buttons:
        found = hit_test(screen.buttons, *button.rect.center)
        assert found == (button if button.enabled else None)
    # an activity running in a session keeps its child: the child picker waits for it
    child = {b.name: b.enabled for b in screen.buttons if b.name.startswith("child:")}
    assert child == {"child:prev": False, "child:next": False}
    idle = layout(1024, 768, _view(activity="waiting"))
    assert all(b.enabled for b in idle.buttons if b.name.startswith("child:"))
    assert hit_test(screen.buttons, 1, 767) is None  # the margin under the pickers
    levels = [b.name for b in screen.buttons if b.name.startswith("level:")]
    assert levels == [f"level:{level}" for level in PROMPT_LEVELS]


def test_buttons_follow_the_engine_state() -> None:
    idle = {b.name: b for b in layout(1024, 768, View(children=CHILDREN)).buttons}
    assert not idle["start"].enabled and not idle["pause"].enabled  # no child/activity yet
    assert not idle["end_session"].enabled and idle["panic"].enabled  # quiet: always there
    paused = {b.name: b for b in layout(1024, 768, _view(activity="waiting", paused=True)).buttons}
    assert "stop" in paused and "resume" in paused and paused["next_trial"].enabled
    assert hit_test(list(idle.values()), *idle["start"].rect.center) is None  # disabled


@pytest.mark.parametrize(
    ("tempo_bpm", "swells_in_10_s"),
    [(60, 10), (120, 20), (160, 27), (180, 30), (200, 17), (240, 20)],
)
def test_the_preview_pulse_keeps_the_child_views_rule(tempo_bpm: int, swells_in_10_s: int) -> None:
    """The small cue preview pulses as the child's view does: its size alone changes, by at
    most 8 %, on every beat up to 180 BPM and every other beat above; its brightness never
    changes (it faded between 70 and 100 % and halved its rate above 150 BPM)."""
    from soundness_live.ui.child.calm import pulse_scale

    ioi_ms = 60000.0 / tempo_bpm
    times = [i * 2.0 for i in range(5000)]  # 10 s at 2 ms steps
    values = [pulse(t, 101.0, ioi_ms) for t in times]  # a beat at 101 ms, every swell inside
    sizes = [size for size, _ in values]
    assert sizes == [pulse_scale(t, 101.0, ioi_ms) for t in times]  # one rule, the child view's
    assert 1.0 <= min(sizes) and max(sizes) <= 1.08 + 1e-9
    assert {alpha for _, alpha in values} == {PULSE_ALPHA}
    peaks = sum(1 for a, b, c in zip(sizes, sizes[1:], sizes[2:], strict=False) if a < b >= c)
    assert peaks == swells_in_10_s
    assert pulse(0.0, 0.0, None) == (1.0, PULSE_ALPHA)


def test_cue_colours_fade_instead_of_flashing() -> None:
    start, end = cue_words({"cue": "listen"})[1], cue_words({"cue": "stop"})[1]
    frames = [fade(start, end, i / 30.0) for i in range(int(FADE_S * 30) + 2)]
    assert frames[0] == start and frames[-1] == end
    pairs = zip(frames, frames[1:], strict=False)
    steps = [max(abs(a - b) for a, b in zip(p, q, strict=True)) for p, q in pairs]
    assert max(steps) <= 25  # per 1/30 s frame: a slow blend, not a switch
    assert cue_words(None)[0] == "" and cue_words({"cue": "your_turn"})[0] == "your turn"


G4_HZ = 391.995


def test_the_sung_pitch_reads_as_the_target_note_and_cents() -> None:
    assert [note_name(hz) for hz in (G4_HZ, 261.63, 440.0, 27.5, 4186.0)] == [
        "G4", "C4", "A4", "A0", "C8",
    ]  # fmt: skip
    assert pitch_label(G4_HZ * 2 ** (12 / 1200), G4_HZ) == "G4 +12 cents"
    assert pitch_label(G4_HZ * 2 ** (-130 / 1200), G4_HZ) == "G4 -130 cents"  # not renamed
    assert pitch_label(446.0, None) == "A4 +23 cents"  # no target: the nearest note
    assert pitch_label(None, G4_HZ) == "G4" and pitch_label(None, None) == ""


def test_the_level_bar_spans_60_db_and_values_glide() -> None:
    assert [level_fraction(db) for db in (-120.0, -60.0, -30.0, 0.0, 6.0)] == [0, 0, 0.5, 1, 1]
    values, value = [], 0.0
    for _ in range(30):  # one second at 30 frames a second toward 100
        value = ease(value, 100.0, 1 / 30)
        values.append(value)
    assert all(a < b <= 100.0 for a, b in zip(values, values[1:], strict=False))
    assert values[0] < 25.0 and values[-1] > 99.9  # no jump, yet there within a second
    assert ease(5.0, 7.0, 0.0) == 5.0


def test_the_needle_sits_on_the_track_where_the_cents_say() -> None:
    box = Rect(100, 200, 256, 104)
    parts = meter_layout(box, 1.0, -30.0, 0.0)
    track, needle = parts.track, parts.needle
    assert needle is not None and abs(needle.center[0] - track.center[0]) <= 1
    assert parts.zone.w == round(track.w * ON_PITCH_CENTS / NEEDLE_CENTS)
    assert abs(parts.zone.center[0] - track.center[0]) <= 1
    assert parts.level_fill.w == round(parts.level.w * 0.5)
    for cents in (-500.0, -NEEDLE_CENTS, 50.0, NEEDLE_CENTS, 900.0):
        n = meter_layout(box, 1.0, -30.0, cents).needle
        assert n is not None and track.x <= n.x and n.x + n.w <= track.x + track.w
    right = meter_layout(box, 1.0, -30.0, NEEDLE_CENTS).needle
    assert right is not None and right.x + right.w == track.x + track.w  # a semitone sharp
    half = meter_layout(box, 1.0, -30.0, ON_PITCH_CENTS).needle
    assert half is not None and abs(half.center[0] - (parts.zone.x + parts.zone.w)) <= 2
    assert meter_layout(box, 1.0, -30.0, None).needle is None  # no pitch heard
    for rect in (parts.level, parts.track, parts.zone):
        assert box.x <= rect.x and rect.x + rect.w <= box.x + box.w
        assert box.y <= rect.y and rect.y + rect.h <= box.y + box.h


def test_the_timing_counters_read_in_one_line_in_words_and_only_when_not_zero() -> None:
    state = {"underruns": 3, "late_events": 1, "thru_late": 2, "dropped_commands": 0}
    assert diagnostics_text(state) == (
        "sound glitches: 3 · sounds late: 1 · the child's notes late: 2"
    )
    assert diagnostics_text(dict(state, dropped_commands=5)).endswith(" · sounds dropped: 5")
    assert diagnostics_text({"underruns": 8, "late_events": 0}) == "sound glitches: 8"
    assert diagnostics_text({}) == ""  # all is well: the panel says nothing of it


class FakeEngine:
    """A client stand-in: a fixed state, the catalog, and the commands it was sent."""

    def __init__(self) -> None:
        self.on_message = None
        self.closed = False
        self.silent_since_s: float | None = None  # set: the engine stopped answering then
        self.sent: list[dict[str, Any]] = []
        self.state = {
            "activity": "tempo-following",
            "variant": "with-beat",
            "child": "S-014",
            "session_id": 3,
            "cue": {"cue": "beat", "at_ms": 1000.0, "ioi_ms": 666.7},
            "now_ms": 5300.0,
            "trials_done": 2,
            "trials_total": 4,
            "figures": {"taps": 14, "on_beat": 9, "early": 4, "late": 1},
            "recent_trials": [{"outcome": "correct"}, {"outcome": "partial"}],
            "devices": [{"device": "nanoPAD2", "connected": False, "kind": "pad"}],
            "volume_cap_dbfs": -18.0,
            "prompt_level": "gestural",
        }

    @property
    def last_message_s(self) -> float:
        """A live engine sends several snapshots a second: heard from just now."""
        return time.monotonic() if self.silent_since_s is None else self.silent_since_s

    def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"ok": True, "children": CHILDREN, "activities": ACTIVITIES}

    def send(self, msg: dict[str, Any]) -> None:
        self.sent.append(msg)


def test_the_screen_draws_headless_and_a_tap_on_start_starts_the_activity(
    headless: None, tmp_path: Path
) -> None:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    app = TherapistApp(engine, size=(1024, 768), therapist="Mia Berger")
    app.load_catalog()
    app.run(max_frames=int(FADE_S * 30) + 5)  # long enough for the cue colour to fade in
    shot = app.screenshot(tmp_path / "therapist.png")
    assert shot.stat().st_size > 10_000
    import pygame

    image = pygame.image.load(str(shot))
    quiet = next(b for b in app.layout.buttons if b.name == "panic")
    red, green, blue, *_ = image.get_at((quiet.rect.x + 8, quiet.rect.y + quiet.rect.h // 2))
    assert red > 150 and green < 100  # the quiet button is there, and red
    cue = app.layout.regions["cue"]
    assert tuple(image.get_at((cue.x + 20, cue.y + 20)))[:3] == cue_words({"cue": "beat"})[1]

    engine.state = dict(engine.state, activity=None, session_id=None, child_devices=["nanoPAD2"])
    app.frame()
    assert app.click(*_centre(app, "activity:waiting")) == "activity:waiting"
    assert app.click(*_centre(app, "variant")) == "variant"  # cue -> freeze
    app.frame()
    assert app.click(*_centre(app, "start")) == "start"
    start = engine.sent[-1]
    assert start["type"] == "start_activity" and start["v"] == 1
    assert (start["activity"], start["child"], start["input"]) == ("waiting", "S-014", "live")
    assert start["therapist"] == "Mia Berger" and start["params"] == {"variant": "freeze"}
    assert app.click(*_centre(app, "input")) == "input"  # the virtual child, when picked
    app.frame()
    assert next(b.label for b in app.layout.buttons if b.name == "input") == (
        "input: virtual (simulated)"
    )
    assert app.click(*_centre(app, "start")) == "start"
    assert engine.sent[-1]["input"] == "virtual"
    assert app.click(*_centre(app, "panic")) == "panic" and engine.sent[-1]["type"] == "panic"


def _centre(app: Any, name: str) -> tuple[int, int]:
    return next(b for b in app.layout.buttons if b.name == name).rect.center


def test_a_click_on_start_runs_an_activity_in_a_real_engine(
    headless: None, engine_home: Path
) -> None:
    from soundness_live.live.client import start_engine
    from soundness_live.ui.app import TherapistApp
    from tests.live.test_engine_process import ENGINE_ARGS, _attach, _stop

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        app = TherapistApp(client, size=(1024, 768))
        app.load_catalog()
        app.frame()
        catalog = client.request("catalog")["activities"]
        shown = {b.name for b in app.layout.buttons}
        assert {f"activity:{a['name']}" for a in catalog} <= shown  # every one reachable
        # the virtual child plays: the engine has no MIDI input, so no device of the child's
        for name in ("child:next", "activity:waiting", "input", "start"):
            assert app.click(*_centre(app, name)) == name
            app.frame()
        deadline = time.monotonic() + 10
        while client.state.get("activity") != "waiting":
            assert time.monotonic() < deadline, app.view.notice
            app.frame()
        assert client.state["child"] == "S-014"
        app.click(*_centre(app, "panic"))
        while not client.state.get("quiet"):
            assert time.monotonic() < deadline
            app.frame()
        client.request("shutdown")
        process.wait(timeout=10)
        client.close()
    finally:
        _stop(process)


VOCAL_TURN = {
    "activity": "vocal-prompts",
    "variant": "match-pitch",
    "cue": {"cue": "your_turn", "at_ms": 4000.0},
    "voice_meter": {"pitch_hz": G4_HZ * 2 ** (12 / 1200), "level_db": -18.0, "target_hz": G4_HZ},
    "underruns": 2,
    "late_events": 0,
    "thru_late": 1,
    "figures": {},
}


def test_the_voice_meter_shows_on_the_childs_turn_calmly(headless: None, tmp_path: Path) -> None:
    from soundness_live.ui.animation import MeterArea
    from soundness_live.ui.app import TherapistApp
    from soundness_live.ui.palette import LEVEL, NEEDLE, PANEL

    engine = FakeEngine()
    engine.state = dict(engine.state, **VOCAL_TURN)
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.run(max_frames=40)  # the glide settles
    shot = app.screenshot(tmp_path / "voice-meter.png")
    import pygame

    image = pygame.image.load(str(shot))
    status, scale = app.layout.regions["status"], app.layout.scale
    shown = app.session.painter.meter_look
    assert shown is not None  # above the panel's foot (the devices, the cap): meter_box
    box = shown.box
    assert box.y + box.h <= status.y + status.h - round(72 * scale)
    parts = meter_layout(box, scale, -18.0, 12.0)
    fill, needle = parts.level_fill, parts.needle
    assert needle is not None and fill.w == round(parts.level.w * 0.7)
    assert tuple(image.get_at((fill.x + 2, fill.y + fill.h // 2)))[:3] == LEVEL
    colour = tuple(image.get_at(needle.center))[:3]
    assert all(abs(a - b) <= 12 for a, b in zip(colour, NEEDLE, strict=True))
    assert needle.center[0] > parts.track.center[0]  # sharp: right of the centre

    engine.state = dict(engine.state, cue={"cue": "done"})  # the turn is over: no meter
    app.frame()
    app.screenshot(tmp_path / "no-meter.png")
    after = pygame.image.load(str(tmp_path / "no-meter.png"))
    assert tuple(after.get_at((fill.x + 2, fill.y + fill.h // 2)))[:3] == PANEL

    meter, steps = MeterArea(), []  # a jump of 80 cents glides over several frames
    meter.glide({"pitch_hz": G4_HZ, "level_db": -20.0, "target_hz": G4_HZ}, 0.0)
    for frame in range(1, 16):
        before = meter.cents
        meter.glide({"pitch_hz": G4_HZ * 2 ** (80 / 1200), "level_db": -20.0,
                     "target_hz": G4_HZ}, frame / 30)  # fmt: skip
        steps.append(meter.cents - before)
    assert max(steps) < 25.0 and 75.0 < meter.cents <= 80.0


def test_a_child_added_while_the_screen_is_open_can_be_picked(headless: None) -> None:
    from soundness_live.ui import session_page
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None, child=None, session_id=None)
    catalog = {"children": list(CHILDREN), "activities": ACTIVITIES, "prompt_assets": []}
    asked: list[str] = []

    def request(kind: str, **fields: Any) -> dict[str, Any]:
        asked.append(kind)
        return {"ok": True, **catalog}

    engine.request = request  # type: ignore[method-assign]
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.frame()
    catalog["children"] = [*CHILDREN, {"code": "N-100", "display_name": "Noor"}]
    catalog["prompt_assets"] = ["hello"]
    app.click(*_centre(app, "child:next"))  # a fresh catalogue is not asked for again
    assert asked == ["catalog"] and len(app.view.children) == 2
    app.session._catalog_s -= session_page.CATALOG_S  # a while later
    codes = []
    for _ in range(3):
        app.click(*_centre(app, "child:next"))
        app.frame()
        codes.append(app.view.child)
    assert asked == ["catalog", "catalog"] and "N-100" in codes
    assert list(app.view.prompt_assets) == ["hello"]

    def unreachable(kind: str, **fields: Any) -> dict[str, Any]:
        raise ConnectionError("the engine is gone")

    engine.request = unreachable  # type: ignore[method-assign]
    app.session._catalog_s -= session_page.CATALOG_S
    app.click(*_centre(app, "child:next"))  # the lists stay; the screen says why
    assert len(app.view.children) == 3 and "could not refresh the lists" in app.view.notice


def test_quieter_and_louder_move_the_cap_never_above_the_childs_own(headless: None) -> None:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    engine.state = dict(engine.state, child_cap_dbfs=-18.0)  # the engine's ceiling: Sam's cap
    children = [{"code": "S-014", "display_name": "Sam", "volume_cap_dbfs": -12.0}]  # stale
    engine.request = lambda kind, **f: {"ok": True, "children": children, "activities": ACTIVITIES}
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.frame()  # the engine says -18 dBFS: Sam's own cap
    enabled = {b.name: b.enabled for b in app.layout.buttons if b.name.startswith("cap:")}
    assert enabled == {"cap:down": True, "cap:up": False}
    app.click(*_centre(app, "cap:down"))
    assert engine.sent[-1]["type"] == "set_volume_cap" and engine.sent[-1]["dbfs"] == -21.0
    engine.state = dict(engine.state, volume_cap_dbfs=-20.0)
    app.frame()
    app.click(*_centre(app, "cap:up"))
    assert engine.sent[-1]["dbfs"] == -18.0  # not -17: never louder than his record allows
    engine.state = dict(engine.state, volume_cap_dbfs=-60.0)
    app.frame()
    assert not next(b for b in app.layout.buttons if b.name == "cap:down").enabled


def test_a_long_notice_wraps_into_two_lines_of_whole_words() -> None:
    from soundness_live.ui.screens import wrap

    text = "sound output stopped: check the audio device; the activity waits for it"
    lines = wrap(text, len, 30, 2)  # a character is one unit wide here
    assert lines == ["sound output stopped: check", "the audio device; the activity waits for it"]
    assert wrap(text, len, 30, 5) == [
        "sound output stopped: check", "the audio device; the activity", "waits for it",
    ]  # fmt: skip
    assert all(len(line) <= 30 for line in wrap(text, len, 30, 5))
    assert wrap("ok", len, 30, 2) == ["ok"] and wrap("", len, 30, 2) == [""]


def test_a_stopped_sound_output_is_written_in_the_status_panel(
    headless: None, tmp_path: Path
) -> None:
    import pygame

    from soundness_live.ui.app import TherapistApp
    from soundness_live.ui.palette import NOTICE

    def notice_pixels(stalled: bool) -> int:
        engine = FakeEngine()
        engine.state = dict(engine.state, output_stalled=stalled)
        app = TherapistApp(engine, size=(1024, 768))
        app.load_catalog()
        app.run(max_frames=3)
        image = pygame.image.load(str(app.screenshot(tmp_path / f"{stalled}.png")))
        status = app.layout.regions["status"]
        return sum(
            tuple(image.get_at((x, y)))[:3] == NOTICE
            for x in range(status.x, status.x + status.w)
            for y in range(status.y, status.y + status.h)
        )

    assert notice_pixels(False) == 0 and notice_pixels(True) > 50


def test_a_screen_that_reattaches_shows_what_is_playing(headless: None) -> None:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    engine.state = dict(engine.state, input="virtual")  # the virtual child was picked
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.frame()
    label = next(b.label for b in app.layout.buttons if b.name == "input")
    assert label == "input: virtual (simulated)"
    engine.state = dict(engine.state, input="live")
    fresh = TherapistApp(engine, size=(1024, 768))
    fresh.load_catalog()
    assert fresh.view.live_input is True


def test_a_child_the_engine_refuses_is_not_shown_as_chosen(headless: None) -> None:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None, child="S-014", session_id=None)
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    app.frame()
    app.click(*_centre(app, "child:next"))
    assert app.view.child == "A-002" and engine.sent[-1] == {
        "v": 1, "type": "select_child", "id": engine.sent[-1]["id"], "child": "A-002"
    }  # fmt: skip
    error = "the session of S-014 is open; end it before choosing A-002"
    app._on_message({"v": 1, "type": "reply", "command": "select_child", "ok": False,
                     "error": error})  # fmt: skip
    assert app.view.child == "S-014" and app.view.notice == error


def test_live_figures_read_in_each_metrics_own_words() -> None:
    from soundness_live.ui.widgets import figure_lines

    tempo = {"taps": 14, "on_beat": 9, "early": 4, "late": 1, "mean_asynchrony_ms": -23.4,
             "hit_rate": 0.8, "final_bpm": 92.0}  # fmt: skip
    assert figure_lines(tempo, "tempo-following") == [
        "taps 14: on the beat 9", "early 4  late 1", "early by 23 ms on average",
        "beats met by a tap: 80 %", "tempo at the end: 92 BPM",
    ]  # fmt: skip
    assert figure_lines({"mean_asynchrony_ms": 7.0}, "tempo-following") == [
        "late by 7 ms on average"
    ]
    assert figure_lines({"resultant_length": 0.8}, "tempo-following") == [
        "locked to the beat (0 to 1): 0.8"
    ]  # the statistician's "resultant length" says nothing to a therapist
    echo = {"notes_correct_pct": 75.0, "waited_for_turn": False, "responses": 4}
    assert figure_lines(echo, "call-and-response") == [
        "notes correct: 75 %", "plays during the call"
    ]  # fmt: skip
    waiting = {"classification": "premature", "reaction_time_ms": None}
    assert figure_lines(waiting, "waiting") == ["response: plays before the cue",
                                                 "reaction time: –"]  # fmt: skip


def test_cue_words_and_colours_come_from_the_cue_itself() -> None:
    assert cue_words({"cue": "no_go"}) == cue_words({"cue": "wait"})  # both: hold back
    assert cue_words({"cue": "therapist_call"})[0] == "listen"
    assert cue_words({"cue": "done", "success": True})[0] == "well done"
    assert cue_words({"cue": "done", "success": False})[0] == ""  # no praise after a skip
    assert cue_words({"cue": "dance"})[0] == ""  # a cue the screen does not know: no words
    countdown = cue_words({"cue": "countdown", "seconds": 3, "next": "freeze game"})
    assert countdown == ("3", cue_words({"cue": "wait"})[1])  # between plan steps: calm
