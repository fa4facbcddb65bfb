"""The session page as a therapist uses it: start and stop apart, stop and end session asked
first, QUIET one tap, the keyboard's shortcuts and their help, the plan's controls and words,
the pages opened by name, text large enough to read at every size."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from soundness_live.ui.controls import View, hit_test
from soundness_live.ui.images import Fonts
from soundness_live.ui.plan_panel import plan_headline, plan_rows
from soundness_live.ui.session_layout import NAVIGATION, layout
from soundness_live.ui.session_page import SHORTCUTS
from tests.ui.test_ui import ACTIVITIES, CHILDREN, FakeEngine

SIZES = [(1280, 800), (1920, 1080), (800, 1280)]
WIDE = [(1920, 540), (1280, 400)]  # the upper half, the child's view on the lower
PLANS = [
    {"name": "early-years", "kind": "starter", "steps": ["hello song", "freeze game"]},
    {"name": "broken", "kind": "shared", "error": "broken.toml step 2: unknown activity 'x'"},
    {"name": "school-age", "kind": "starter", "steps": ["hello song", "goodbye song"]},
]
STEPS = [
    {"activity": "free-play", "preset": "hello", "label": "hello song", "status": "done"},
    {"activity": "waiting", "preset": "freeze", "label": "freeze game", "status": "skipped"},
    {"activity": "tempo-following", "preset": None, "label": "play with the beat",
     "status": None},
]  # fmt: skip


class PlanEngine(FakeEngine):
    """The fake engine, answering 'plans' too."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.asked.append((kind, fields))
        if kind == "plans":
            return {"ok": True, "plans": PLANS}
        return {"ok": True, "children": CHILDREN, "activities": ACTIVITIES}


def _app(engine: FakeEngine, size: tuple[int, int] = (1280, 800), **kwargs: Any) -> Any:
    from soundness_live.ui.app import TherapistApp

    app = TherapistApp(engine, size=size, therapist="Mia Berger", **kwargs)
    app.load_catalog()
    app.frame()
    return app


def _tap(app: Any, name: str) -> None:
    """A finger on the button's centre, through pygame's event queue, then a frame."""
    button = next(b for b in app.layout.buttons if b.name == name)
    width, height = app.surface.get_size()
    x, y = button.rect.center
    finger = {"touch_id": 1, "finger_id": 1, "dx": 0, "dy": 0, "pressure": 1}
    pygame.event.post(pygame.event.Event(pygame.FINGERDOWN, x=x / width, y=y / height, **finger))
    app.frame()


def _key(app: Any, key: int, text: str = "") -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=text, mod=0))
    app.frame()


def _sent(engine: FakeEngine) -> list[str]:
    return [m["type"] for m in engine.sent]


class Summary:
    """A stand-in for the summary page: what it was opened about."""

    name = "summary"
    opened: list[dict[str, Any]] = []

    def __init__(self, host: Any, **context: Any) -> None:
        Summary.opened.append(context)

    def layout(self, width: int, height: int, view: View) -> Any:
        return layout(width, height, view)

    def draw(self, surface: Any, layout: Any, view: View, fonts: Fonts) -> None:
        surface.fill((0, 0, 0))

    def tap(self, button: str, host: Any) -> None:
        host.close_page()

    def key(self, event: Any, host: Any) -> bool:
        return False


def test_stop_and_end_session_ask_first_and_quiet_does_not(headless: None) -> None:
    from soundness_live.ui.overlays import OVERLAYS

    engine = FakeEngine()  # an activity runs in an open session
    app = _app(engine, pages={**OVERLAYS, "summary": Summary})
    _tap(app, "stop")
    assert app.page.name == "confirm" and _sent(engine) == []  # nothing stopped yet
    assert {b.name for b in app.layout.buttons} == {"panic", "yes", "no"}
    _tap(app, "panic")  # QUIET is one tap, the confirmation still open
    assert _sent(engine) == ["panic"] and app.page.name == "confirm"
    _tap(app, "no")
    assert app.page.name == "session" and _sent(engine) == ["panic"]
    _tap(app, "stop")
    _tap(app, "yes")
    assert app.page.name == "session" and _sent(engine)[-1] == "stop"
    _tap(app, "end_session")
    assert app.page.name == "confirm" and _sent(engine)[-1] == "stop"
    assert Summary.opened == []
    _key(app, pygame.K_RETURN)  # yes: the session ends and its summary follows
    assert _sent(engine)[-1] == "end_session" and app.page.name == "summary"
    assert Summary.opened == [{"child": "S-014", "session": 3}]


def test_start_and_stop_are_separate_buttons(headless: None) -> None:
    engine = FakeEngine()
    app = _app(engine)
    buttons = {b.name: b for b in app.layout.buttons}
    assert not buttons["start"].enabled and buttons["stop"].enabled  # running
    assert buttons["start"].rect != buttons["stop"].rect
    engine.state = dict(engine.state, activity=None, child_devices=["nanoPAD2"])
    app.frame()
    buttons = {b.name: b for b in app.layout.buttons}
    assert buttons["start"].enabled and not buttons["stop"].enabled
    stop = buttons["stop"].rect.center
    assert hit_test(app.layout.buttons, *stop) is None  # a tap where stop sits does nothing


def test_every_shortcut_does_what_the_help_says(headless: None) -> None:
    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None, child_devices=["nanoPAD2"])
    app = _app(engine)
    _tap(app, "activity:waiting")
    _key(app, pygame.K_SPACE, " ")
    assert _sent(engine) == ["start_activity"]
    plan = {"name": "early-years", "steps": STEPS, "current": 2, "state": "running",
            "countdown_s": None, "countdown_total_s": 5.0, "held": False}  # fmt: skip
    engine.state = dict(engine.state, activity="tempo-following", plan=plan)
    app.frame()
    _key(app, pygame.K_SPACE, " ")  # while running: the stop confirmation, nothing sent
    assert app.page.name == "confirm" and _sent(engine) == ["start_activity"]
    _key(app, pygame.K_ESCAPE)
    assert app.page.name == "session"
    _key(app, pygame.K_q, "q")
    _key(app, pygame.K_3, "3")
    _key(app, pygame.K_KP6, "6")
    for key, text in ((pygame.K_n, "n"), (pygame.K_s, "s"), (pygame.K_r, "r")):
        _key(app, key, text)
    assert engine.sent[-4]["level"] == "independent" and engine.sent[-5]["level"] == "model"
    assert _sent(engine)[1:] == ["panic", "set_prompt_level", "set_prompt_level", "next_step",
                                 "skip_step", "repeat_step"]  # fmt: skip
    _key(app, pygame.K_SLASH, "?")
    assert app.page.name == "help"
    _key(app, pygame.K_q, "q")  # QUIET from the help too
    assert _sent(engine)[-1] == "panic" and app.page.name == "help"
    _key(app, pygame.K_ESCAPE)
    _key(app, pygame.K_h, "h")
    assert app.page.name == "help"
    _tap(app, "close")
    assert app.page.name == "session"
    listed = " ".join(keys for keys, _ in SHORTCUTS)
    for keys in ("space", "Q", "1 - 6", "N", "S", "R", "?", "H", "Esc"):
        assert keys in listed


def test_the_help_overlay_is_drawn_with_every_shortcut(
    headless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every shortcut and what it does, at every size, at the font's own size: a line too
    long for a portrait window wraps at words instead of shrinking (the prompt levels' line
    was drawn 12 pixels high at 800x1280)."""
    drawn: list[str] = []
    shrunk: list[str] = []
    real = Fonts.text

    def text(self: Fonts, font: Any, words: str, *args: Any) -> Any:
        drawn.append(words)
        image = real(self, font, words, *args)
        if image.get_height() < font.get_height():
            shrunk.append(words)
        return image

    monkeypatch.setattr(Fonts, "text", text)
    for size in SIZES:
        app = _app(FakeEngine(), size)
        drawn.clear()
        shrunk.clear()
        _tap(app, "help")
        assert app.page.name == "help"
        said = " ".join(drawn)
        for keys, does in SHORTCUTS:
            assert keys in drawn and does in said, (size, keys)
        help_words = [w for w in shrunk if any(w in keys or w in does for keys, does in SHORTCUTS)]
        assert help_words == [], size  # (the page beneath has its own words)
        pygame.display.quit()


def test_a_page_opens_by_name_and_one_not_there_says_so(headless: None) -> None:
    opened: list[dict[str, Any]] = []

    class Goals:
        name = "goals"

        def __init__(self, host: Any, **context: Any) -> None:
            opened.append(context)

        def layout(self, width: int, height: int, view: View) -> Any:
            return layout(width, height, view)  # any layout: the test taps by name

        def draw(self, surface: Any, layout: Any, view: View, fonts: Fonts) -> None:
            surface.fill((0, 0, 0))

        def tap(self, button: str, host: Any) -> None:
            host.close_page()

        def key(self, event: Any, host: Any) -> bool:
            return False

    from soundness_live.ui.overlays import OVERLAYS

    app = _app(FakeEngine(), pages={**OVERLAYS, "goals": Goals, "summary": Goals,
                                    "profile": Goals})  # fmt: skip
    _tap(app, "new_child")  # the profile page, of no child yet: a child is added there
    assert opened == [{"child": None}]
    _key(app, pygame.K_ESCAPE)
    opened.clear()
    _tap(app, "goals")
    assert app.page.name == "goals" and opened == [{"child": "S-014"}]
    _key(app, pygame.K_ESCAPE)
    _tap(app, "summary")  # the open session's summary
    assert opened[-1] == {"child": "S-014", "session": 3}
    _key(app, pygame.K_ESCAPE)  # Escape goes back
    assert app.page.name == "session"
    _tap(app, "export")
    assert app.page.name == "session" and app.view.notice == (
        "the export page is not in this version yet"
    )


def test_a_plan_is_picked_started_and_moved_on(headless: None) -> None:
    engine = PlanEngine()
    engine.state = dict(engine.state, activity=None, child_devices=["nanoPAD2"])
    app = _app(engine)
    names = {b.name: b for b in app.layout.buttons}
    assert not names["start_plan"].enabled  # no plan picked
    assert not any(names[n].enabled for n in ("next_step", "skip_step", "repeat_step"))
    _tap(app, "plan:next")
    assert engine.asked[-1] == ("plans", {"child": "S-014"}) and app.view.plan == "early-years"
    assert "broken.toml step 2" in app.view.notice  # a plan that no longer checks says why
    assert [row[0] for row in plan_rows(app.view)] == ["hello song", "freeze game"]
    _tap(app, "plan:next")  # the broken plan is never picked
    assert app.view.plan == "school-age"
    _tap(app, "plan:next")
    assert app.view.plan == "early-years"
    app.view.live_input = False
    _tap(app, "start_plan")
    start = engine.sent[-1]
    assert (start["type"], start["plan"], start["child"], start["input"], start["therapist"]) == (
        "start_plan", "early-years", "S-014", "virtual", "Mia Berger",
    )  # fmt: skip
    plan = {"name": "early-years", "steps": STEPS, "current": 2, "state": "running",
            "countdown_s": None, "countdown_total_s": 5.0, "held": False}  # fmt: skip
    engine.state = dict(engine.state, activity="tempo-following", plan=plan)
    app.frame()
    names = {b.name: b for b in app.layout.buttons}
    assert not names["start_plan"].enabled and not names["plan:next"].enabled
    for name in ("next_step", "skip_step", "repeat_step"):
        _tap(app, name)
    assert _sent(engine)[-3:] == ["next_step", "skip_step", "repeat_step"]


def test_the_plan_panel_says_where_the_plan_stands() -> None:
    plan = {"name": "early-years", "steps": STEPS, "current": 2, "state": "running",
            "countdown_s": None, "countdown_total_s": 5.0, "held": False}  # fmt: skip
    view = View(state={"plan": plan, "trial": {"n": 2, "of": 6}})
    assert plan_headline(view) == "step 3 of 3: play with the beat, trial 2 of 6"
    assert plan_rows(view) == [
        ("hello song", "done", False), ("freeze game", "skipped", False),
        ("play with the beat", "to come", True),
    ]  # fmt: skip
    view.state = {"plan": dict(plan, state="between", countdown_s=3.2)}
    assert plan_headline(view) == "next: play with the beat in 4 s"
    assert plan_rows(view)[2] == ("play with the beat", "next", True)
    view.state = {"plan": dict(plan, state="between", countdown_s=None, held=True)}
    assert plan_headline(view) == "next: play with the beat, waiting for you (next step)"
    view.state = {"plan": dict(plan, state="done")}
    assert plan_headline(view) == "the plan is done"


@pytest.mark.parametrize("size", [*SIZES, (1024, 768), (768, 1024)])
def test_status_text_is_at_least_18_pixels_high(headless: None, size: tuple[int, int]) -> None:
    pygame.font.init()
    scale = layout(*size, View()).scale
    fonts = Fonts(scale)
    assert min(f.get_height() for f in (fonts.small, fonts.body, fonts.big)) >= 18


def test_a_finger_taps_once_though_the_system_also_sends_a_mouse_click(headless: None) -> None:
    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None, session_id=None)
    app = _app(engine)
    button = next(b for b in app.layout.buttons if b.name == "child:next")
    x, y = button.rect.center
    finger = {"touch_id": 1, "finger_id": 1, "dx": 0, "dy": 0, "pressure": 1}
    pygame.event.post(pygame.event.Event(pygame.FINGERDOWN, x=x / 1280, y=y / 800, **finger))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(x, y),
                                         touch=True))  # fmt: skip
    app.frame()
    assert _sent(engine) == ["select_child"]  # one step, not two
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(x, y),
                                         touch=False))  # fmt: skip
    app.frame()
    assert _sent(engine) == ["select_child", "select_child"]  # a mouse click is a tap


@pytest.mark.parametrize("size", SIZES + WIDE)
def test_yes_never_lies_where_stop_or_end_session_was(headless: None, size: Any) -> None:
    from soundness_live.ui.overlays import ConfirmPage

    view = View(state={"activity": "waiting", "session_id": 1}, children=CHILDREN,
                activities=ACTIVITIES, child="S-014")  # fmt: skip
    page = {b.name: b.rect for b in layout(*size, view).buttons}
    asking = ConfirmPage(None, "Stop?", "stop")  # type: ignore[arg-type]
    confirm = {b.name: b.rect for b in asking.layout(*size, view).buttons}
    for asked in ("stop", "end_session"):  # a second tap on the button does not say yes
        assert not confirm["yes"].overlaps(page[asked]) and not confirm["no"].overlaps(page[asked])
    assert confirm["panic"] == page["panic"]  # QUIET stays where it was


def test_a_shortcut_whose_button_cannot_act_says_why(headless: None) -> None:
    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None, session_id=None)
    app = _app(engine)
    app.view.activity = None
    app.frame()
    _key(app, pygame.K_SPACE, " ")
    assert _sent(engine) == [] and app.view.notice.startswith("to start, pick a child")
    _key(app, pygame.K_n, "n")  # no plan plays
    assert _sent(engine) == [] and app.view.notice == "next step: not now"


@pytest.mark.parametrize("size", SIZES + WIDE)
def test_every_buttons_words_are_at_least_18_pixels_high(
    headless: None, size: tuple[int, int]
) -> None:
    from soundness_live.ui.drawing import fit_label

    pygame.font.init()
    view = View(state={"activity": "waiting", "session_id": 1}, children=CHILDREN,
                activities=[*ACTIVITIES, {"name": "vocal-prompts"}], child="S-014",
                activity="vocal-prompts", plan="early-years")  # fmt: skip
    screen = layout(*size, view)
    fonts = Fonts(screen.scale)
    for button in screen.buttons:  # the words wrap to two lines, or take the small font
        font = fonts.big if button.kind == "danger" else fonts.body
        pad = round(6 * fonts.scale)
        chosen, lines = fit_label(fonts, font, button.label, button.rect.w - 2 * pad,
                                  button.rect.h - pad)  # fmt: skip
        assert chosen.get_height() >= 18, button
        assert all(chosen.size(line)[0] <= button.rect.w - 2 * pad for line in lines), button


@pytest.mark.parametrize("size", WIDE)
def test_a_wide_window_opens_its_pages_from_one_button(
    headless: None, size: tuple[int, int]
) -> None:
    from soundness_live.ui.overlays import OVERLAYS
    from soundness_live.ui.tour import layout_faults

    opened: list[tuple[str, dict[str, Any]]] = []

    def page(name: str) -> Any:
        class Opened(Summary):
            def __init__(self, host: Any, **context: Any) -> None:
                opened.append((name, context))
                self.name = name

        return Opened

    app = _app(FakeEngine(), size, pages={**OVERLAYS, "goals": page("goals"),
                                          "profile": page("profile")})  # fmt: skip
    names = {b.name for b in app.layout.buttons}
    assert "goals" not in names and "pages" in names
    assert layout_faults(app.layout, size, "session") == []
    _tap(app, "pages")
    assert app.page.name == "pages"
    assert layout_faults(app.layout, size, "pages") == []
    assert {name for name, _ in NAVIGATION} <= {b.name for b in app.layout.buttons}
    _tap(app, "goals")
    assert app.page.name == "goals" and opened == [("goals", {"child": "S-014"})]
    _key(app, pygame.K_ESCAPE)
    _tap(app, "pages")
    _tap(app, "new_child")
    assert opened[-1] == ("profile", {"child": None})
    _key(app, pygame.K_ESCAPE)
    _tap(app, "pages")
    _tap(app, "help")
    assert app.page.name == "help" and layout_faults(app.layout, size, "help") == []
    _tap(app, "close")
    _tap(app, "end_session")
    assert layout_faults(app.layout, size, "confirm") == []


def test_a_page_that_cannot_open_leaves_the_window_going(
    headless: None, caplog: pytest.LogCaptureFixture
) -> None:
    from soundness_live.ui.overlays import OVERLAYS

    def gone(host: Any, **context: Any) -> Any:
        raise ConnectionError("the engine is gone")

    app = _app(FakeEngine(), pages={**OVERLAYS, "goals": gone})
    _tap(app, "goals")
    assert app.page.name == "session"
    assert app.view.notice == "the goals page could not open: the engine is gone"
    assert "the goals page could not open" in caplog.text  # with its traceback in the log


def test_the_browser_remotes_page_opens_from_the_session_page(headless: None) -> None:
    engine = FakeEngine()
    engine.state = dict(engine.state, remote={"served": None, "devices": []})
    app = _app(engine)
    _tap(app, "paired_devices")
    assert app.page.name == "paired_devices"
    _key(app, pygame.K_ESCAPE)
    assert app.page.name == "session"


def test_a_page_shows_each_key_and_tap_in_the_frame_that_takes_it(
    headless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note typed at a real keyboard shows letter by letter: a page is drawn again in the
    frame that takes a key or a tap, not only on its periodic redraw (the note's text is no
    button's words, so the layout alone does not change as it is typed)."""
    from soundness_live.ui.pages.text_pages import NotePage

    drawn: list[str] = []
    real = NotePage.draw

    def draw(page: NotePage, *args: Any) -> None:
        drawn.append(page.fields["note"].text)
        real(page, *args)

    monkeypatch.setattr(NotePage, "draw", draw)
    app = _app(PlanEngine())
    app.open_page("note")
    app.frame()
    for letter in "once":
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=0, unicode=letter, mod=0))
        app.frame()
    assert drawn[-4:] == ["o", "on", "onc", "once"]
    _tap(app, "kb:space")
    assert drawn[-1] == "once "


def test_a_prompt_level_tapped_says_which_trial_it_went_to(headless: None) -> None:
    engine = FakeEngine()
    engine.state = dict(engine.state, activity=None)  # between trials: the last one is marked
    app = _app(engine)
    _tap(app, "level:gestural")
    _key(app, pygame.K_2, "2")
    assert [(m["type"], m["level"]) for m in engine.sent] == [
        ("set_prompt_level", "gestural"), ("set_prompt_level", "partial_physical")
    ]  # fmt: skip
    after = {"type": "reply", "ok": True, "command": "set_prompt_level", "marked": "last trial",
             "index": 2, "prompt_level": "gestural", "was": "independent"}  # fmt: skip
    app._on_message(after)
    assert app.view.notice == "gestural: trial 3, marked after it ended (was independent)"
    during = {"type": "reply", "ok": True, "command": "set_prompt_level", "index": 4,
              "marked": "trial in progress", "prompt_level": "partial_physical"}  # fmt: skip
    app._on_message(during)
    assert app.view.notice == "partial physical: trial 5 (in progress)"
    refused = {"type": "reply", "ok": False, "command": "set_prompt_level",
               "error": "set_prompt_level: no trial to mark (no session is open)"}  # fmt: skip
    app._on_message(refused)
    assert app.view.notice == "set_prompt_level: no trial to mark (no session is open)"


def test_changing_the_child_while_their_session_is_open_asks_first(headless: None) -> None:
    """The child picker's arrows sit beside the session's controls: a mistimed tap must not
    swap the child on the screen (their plan gone) while the engine keeps S-014's session.
    Yes ends that session, then chooses the next child; with no session open it is one tap."""
    from soundness_live.ui.overlays import OVERLAYS

    engine = FakeEngine()
    engine.state.update(activity=None)  # S-014's session is open between activities
    app = _app(engine, pages=dict(OVERLAYS))
    app.view.child = "S-014"
    app.frame()
    _tap(app, "child:next")
    assert app.page.name == "confirm" and _sent(engine) == []
    assert app.page.question == "S-014's session is open. End it and choose A-002?"
    _tap(app, "no")
    assert app.page.name == "session" and app.view.child == "S-014" and _sent(engine) == []
    _tap(app, "child:next")
    _tap(app, "yes")
    assert _sent(engine) == ["end_session", "select_child"]
    assert engine.sent[-1]["child"] == "A-002" and app.view.child == "A-002"
    engine.state.update(session_id=None, child="A-002")  # the session ended
    app.frame()
    _tap(app, "child:next")
    assert app.page.name == "session" and _sent(engine)[-1] == "select_child"
    assert engine.sent[-1]["child"] == "S-014"


def test_the_plan_panel_never_says_playing_now_while_paused_after_quiet() -> None:
    plan = {"name": "early-years", "steps": [dict(STEPS[0], status="running"), *STEPS[1:]],
            "current": 0, "state": "running", "countdown_s": None, "held": False}  # fmt: skip
    view = View(state={"plan": plan, "trial": {"n": 1, "of": 1}})
    assert plan_rows(view)[0] == ("hello song", "playing now", True)
    view.state.update(paused=True, quiet=True)  # QUIET faded every sound and paused
    assert plan_rows(view)[0] == ("hello song", "paused", True)
    assert plan_headline(view) == (
        "step 1 of 3: hello song, trial 1 of 1; paused after QUIET: resume brings the music back"
    )
    view.state.update(quiet=False)
    assert plan_headline(view).endswith("; paused: resume goes on")


def test_the_session_page_speaks_a_therapists_words(headless: None) -> None:
    """The pickers name activities as the plan steps do, the prompt levels are written out, an
    activity with no variants shows no "variant: -", the timing counters only when not zero."""
    engine = FakeEngine()
    engine.state.update(activity=None, session_id=None, underruns=0, late_events=0)
    app = _app(engine)
    labels = {b.name: b.label for b in app.layout.buttons}
    assert labels["activity:tempo-following"] == "play with the beat"
    assert labels["activity:waiting"] == "waiting game"
    assert labels["activity:call-and-response"] == "call and response"
    assert labels["level:full_physical"] == "full physical"
    assert labels["level:partial_physical"] == "partial physical"
    assert "variant" not in labels  # no activity picked: no variant to show
    _tap(app, "activity:waiting")
    assert {b.name: b.label for b in app.layout.buttons}["variant"] == "variant: cue"
    from soundness_live.ui.screens import status_foot

    foot = [line for line, _ in status_foot(dict(engine.state))]
    assert not any("glitch" in line or "under-runs" in line for line in foot)
    engine.state.update(underruns=8)
    assert "sound glitches: 8" in [line for line, _ in status_foot(dict(engine.state))]


def test_the_summary_heading_holds_no_brackets_within_brackets() -> None:
    from soundness_live.ui.pages.summary import SummaryPage

    summary = {"child": "S-014", "session_id": 3, "day": "2026-12-03", "status": "complete",
               "played": "SIMULATED (the virtual child)", "trials": 2, "notes": 1,
               "activities": [{"activity": "waiting", "trials": 1},
                              {"activity": "tempo-following", "trials": 1}],
               "goals": []}  # fmt: skip

    class Host:
        view = View(child="S-014")

        def request(self, kind: str, **fields: Any) -> dict[str, Any]:
            return {"ok": True, **summary}

    words = SummaryPage(Host())._overview()  # type: ignore[arg-type]
    assert words == (
        "S-014, session 3 on 2026-12-03: complete, SIMULATED (the virtual child).\n"
        "2 trials: waiting game 1, play with the beat 1; 1 note"
    )
    depth = deepest = 0
    for char in words:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    assert deepest == 1
