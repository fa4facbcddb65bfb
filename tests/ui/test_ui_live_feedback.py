"""Live feedback a therapist reads at a glance: each tap as it lands (where it sits says early or
late, the words say by how much), the running count, the mean in the metric's own words, the
microphone's status while a vocal activity listens, and a drum pad called a drum pad."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from soundness_live.ui.controls import Rect, View
from soundness_live.ui.feedback import tap_lines, tap_ticks
from soundness_live.ui.images import Fonts
from soundness_live.ui.screens import microphone_line
from tests.ui.test_ui import FakeEngine

TAPS = {
    "taps": 7, "on_beat": 4, "early": 2, "late": 1, "mean_ms": -25.3, "window_ms": 250,
    "last": [{"side": "on_beat", "by_ms": 10}, {"side": "late", "by_ms": 125},
             {"side": "early", "by_ms": -60}],
}  # fmt: skip


def test_taps_read_in_words_not_jargon() -> None:
    assert tap_lines(TAPS, "tempo-following") == [
        "tap 7: early by 60 ms",
        "taps 7: on the beat 4, early 2, late 1",
        "so far: early by 25 ms on average",
    ]
    on = dict(TAPS, last=[{"side": "on_beat", "by_ms": -3}], mean_ms=4.0)
    assert tap_lines(on, "tempo-following")[0] == "tap 7: on the beat"
    assert tap_lines(on, "tempo-following")[2] == "so far: late by 4 ms on average"
    assert tap_lines(dict(TAPS, taps=0, last=[]), "tempo-following") == ["no taps yet"]


def test_each_tap_sits_left_when_early_and_right_when_late() -> None:
    strip = Rect(100, 50, 400, 28)
    ticks = tap_ticks(TAPS, strip)  # the newest first
    centre = strip.x + strip.w / 2
    (early, early_side), (late, late_side), (on, on_side) = ticks
    assert (early_side, late_side, on_side) == ("early", "late", "on_beat")
    assert early.center[0] < centre < late.center[0]
    assert abs(early.center[0] - (centre - 0.24 * 200)) <= 2  # 60 of 250 ms: 24 % of half
    assert late.x + late.w <= strip.x + strip.w  # half an interval late: the strip's end
    assert abs(on.center[0] - (centre + 0.04 * 200)) <= 2
    assert early.h == strip.h and late.h < strip.h  # the newest stands out by its height


def test_the_status_panel_shows_the_taps_as_they_land(
    headless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundness_live.ui.app import TherapistApp

    drawn: list[str] = []
    real = Fonts.text

    def text(self: Fonts, font: Any, words: str, *args: Any) -> Any:
        drawn.append(words)
        return real(self, font, words, *args)

    monkeypatch.setattr(Fonts, "text", text)
    engine = FakeEngine()  # the last trial's figures carry the beat counts too
    engine.state = dict(engine.state, taps=TAPS)
    app = TherapistApp(engine, size=(1280, 800))
    app.load_catalog()
    app.run(max_frames=2)
    for line in tap_lines(TAPS, "tempo-following"):
        assert line in drawn
    assert "taps 14: on the beat 9" not in drawn  # the scored count is not shown twice
    drawn.clear()
    engine.state = dict(engine.state, taps=dict(TAPS, taps=8, early=3,
                                                last=[*TAPS["last"], {"side": "early",
                                                                      "by_ms": -80}]))  # fmt: skip
    app.run(max_frames=1)  # the next tap: the panel is drawn again with it
    assert "tap 8: early by 80 ms" in drawn


def test_the_microphone_is_shown_while_a_vocal_activity_listens() -> None:
    view = View(state={"microphone": "ok: USB mic", "activity": None}, activity="vocal-prompts")
    assert microphone_line(view) == "microphone: ok: USB mic"
    view.live_input = False  # the virtual child sings: no microphone listens
    assert microphone_line(view) == ""
    running = View(state={"microphone": "ok: USB mic", "activity": "vocal-prompts",
                          "input": "live"})  # fmt: skip
    assert microphone_line(running) == "microphone: ok: USB mic"
    assert microphone_line(View(state={"microphone": "ok", "activity": "waiting"})) == ""


AFTER_A_TRIAL = {  # the state as a plan of tempo-following ends: taps, figures and outcomes
    "activity": None, "volume_cap_dbfs": -12.0, "devices": [], "underruns": 8,
    "taps": dict(TAPS, taps=6, on_beat=3, early=2, late=1, mean_ms=-5.4),
    "figures": {"taps": 6, "on_beat": 3, "early": 2, "late": 1, "mean_asynchrony_ms": -5.4,
                "resultant_length": 0.8, "tapping_bpm": 168.0, "hit_rate": 1.0},
    "recent_trials": [{"activity": "waiting", "outcome": "correct"},
                      {"activity": "tempo-following", "outcome": "correct"}],
}  # fmt: skip


@pytest.mark.parametrize("quiet", [False, True])
@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (800, 1280), (1600, 480)])
def test_the_devices_and_the_volume_cap_stay_in_view_under_a_long_trials_figures(
    headless: None, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], quiet: bool
) -> None:
    """A trial's figures, its taps and the outcomes take more lines than the status panel has
    in a portrait window (and at 1280x800): the devices, the cap and the timing counters keep
    their place at its foot, and every line drawn lies whole inside the panel."""
    from soundness_live.ui import session_layout
    from soundness_live.ui.screens import draw_status, status_foot

    said: dict[int, str] = {}
    real = Fonts.text

    def text(self: Fonts, font: Any, words: str, *args: Any) -> Any:
        image = real(self, font, words, *args)
        said[id(image)] = words
        return image

    drawn: list[tuple[str, int, int]] = []  # (words, top, bottom) of each line drawn

    class Panel(pygame.Surface):
        def blit(self, source: Any, dest: Any, *args: Any, **kwargs: Any) -> Any:
            if id(source) in said:
                top = dest[1]
                drawn.append((said[id(source)], top, top + source.get_height()))
            return super().blit(source, dest, *args, **kwargs)

    monkeypatch.setattr(Fonts, "text", text)
    pygame.font.init()
    state = dict(AFTER_A_TRIAL, quiet=quiet, paused=quiet)  # quiet: two lines more at the top
    view = View(state=state, notice="plan screen-tour: done")
    layout = session_layout.layout(*size, view)
    status = layout.regions["status"]
    draw_status(Panel(size), status, view, Fonts(layout.scale))
    words = [line for line, _, _ in drawn]
    for line, _ in status_foot(view.state):
        assert line in words, f"{line!r} is not drawn at {size}"
    assert "volume cap -12 dBFS" in words and "plan screen-tour: done" in words
    for line, top, bottom in drawn:
        assert status.y <= top and bottom <= status.y + status.h, f"{line!r} cut at {size}"
    foot = min(top for line, top, _ in drawn if line == "no MIDI device connected")
    for line, _, bottom in drawn:  # the live part ends above the foot, its lines whole
        assert line in words[words.index("no MIDI device connected") :] or bottom <= foot, (
            f"{line!r} runs into the foot at {size}"
        )
    rows = sorted({(top, bottom) for _, top, bottom in drawn})  # "early" and "late" share one
    for (_, above_bottom), (below_top, _) in zip(rows, rows[1:], strict=False):
        assert above_bottom <= below_top, f"two lines overlap at {size}: {drawn}"


def test_a_scored_trials_mean_shows_once_not_again_as_so_far(headless: None) -> None:
    """Once the trial the taps belong to is scored, its mean is read once, as scored; while the
    next trial's taps come in (counted afresh) their mean so far shows beside the last one."""
    from soundness_live.ui.feedback import draw_figures

    pygame.font.init()
    drawn: list[str] = []
    real = Fonts.text

    class Recording(Fonts):
        def text(self, font: Any, words: str, *args: Any) -> Any:
            drawn.append(words)
            return real(self, font, words, *args)

    surface = pygame.Surface((600, 800))
    draw_figures(surface, Recording(1.0), AFTER_A_TRIAL, 0, 0, 600)
    assert drawn.count("early by 5.4 ms on average") == 1
    assert "so far: early by 5.4 ms on average" not in drawn
    drawn.clear()
    next_trial = dict(AFTER_A_TRIAL["taps"], taps=2, on_beat=1, early=1, late=0, mean_ms=-20.0)
    draw_figures(surface, Recording(1.0), dict(AFTER_A_TRIAL, taps=next_trial), 0, 0, 600)
    assert "so far: early by 20 ms on average" in drawn
    assert "early by 5.4 ms on average" in drawn


def test_after_the_quiet_button_the_panel_says_so_and_what_brings_the_music_back(
    headless: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QUIET fades every sound and pauses the activity: the status panel says the room is
    quiet and that resume goes on (start, once no activity runs), and says nothing of it once
    the engine's state is quiet no more; the retained panel is drawn again when it changes."""
    from soundness_live.ui import session_layout
    from soundness_live.ui.screens import draw_status, status_key

    drawn: list[str] = []
    real = Fonts.text

    def text(self: Fonts, font: Any, words: str, *args: Any) -> Any:
        drawn.append(words)
        return real(self, font, words, *args)

    monkeypatch.setattr(Fonts, "text", text)
    pygame.font.init()
    playing = {"activity": "free-play", "volume_cap_dbfs": -21.0, "devices": []}
    for state, going_on in (
        (dict(playing, quiet=True, paused=True), "resume goes on"),
        (dict(playing, activity=None, quiet=True, paused=False), "start plays again"),
    ):
        view = View(state=state)
        layout = session_layout.layout(800, 1280, view)
        drawn.clear()
        draw_status(pygame.Surface((800, 1280)), layout.regions["status"], view, Fonts(1.0))
        assert "QUIET: every sound faded out" in drawn and going_on in drawn
    drawn.clear()
    view = View(state=dict(playing, quiet=False))
    draw_status(pygame.Surface((800, 1280)), layout.regions["status"], view, Fonts(1.0))
    assert not any("QUIET" in line for line in drawn)
    assert status_key(View(state=dict(playing, quiet=True, paused=True)), None) != status_key(
        View(state=dict(playing, quiet=False, paused=True)), None
    )
