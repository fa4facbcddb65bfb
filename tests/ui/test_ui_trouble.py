"""The therapist sees trouble in the status panel at once, without a tap (no sound output, a
stopped output, a failed MIDI input, no device of the child's for a live activity, no microphone
for a vocal activity, an engine that stopped answering or went away); the child's view returns to
neutral."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from soundness_live.ui.palette import NOTICE, PANEL
from soundness_live.ui.screens import troubles
from soundness_live.ui.widgets import (
    ENGINE_SILENT_S,
    FADE_S,
    IDLE_CUE,
    NO_INPUT_DEVICE,
    silent_limit_s,
)
from tests.ui.test_ui import FakeEngine

FAILED_MIDI = "failed: the input thread for 'nanoKEY2' stopped: IndexError (restarting)"
NO_OUTPUT = (
    "none: no audio output could be opened (PortAudio: Error querying device -1; SDL audio "
    "output could not open the default device: ALSA: Couldn't open audio device)"
)
TROUBLES = [  # (engine state, screen choices, the headline and detail shown)
    ({"sound_output": NO_OUTPUT}, {}, ("NO SOUND OUTPUT", "no audio output could be opened")),
    ({"output_stalled": True}, {},
     ("SOUND OUTPUT STOPPED", "check the audio device or audio server")),
    ({"midi_status": FAILED_MIDI}, {},
     ("MIDI INPUT FAILED", "the input thread for 'nanoKEY2' stopped: IndexError (restarting)")),
    ({"output_errors": 3, "output_error": "ValueError: bad block"}, {},
     ("SOUND FAILED", "3 audio blocks played as silence: ValueError: bad block")),
    ({"feed_errors": 2}, {}, ("SOUNDS MAY BE MISSING", "handing sounds on failed 2 times")),
    ({"jack_frame_errors": 5}, {},
     ("NOTE TIMES UNSURE", "the JACK frame of 5 blocks could not be read")),
    ({"midi_queue_dropped": 40}, {},
     ("PLAYED NOTES LOST", "40 notes came faster than they could be kept")),
    ({"midi_status": "no MIDI system (ALSA): no sequencer"}, {},
     ("NO MIDI INPUT", "no MIDI system (ALSA): no sequencer")),
    ({"microphone": "none: no audio input device (no microphone, and JACK is not running)",
      "activity": None},
     {"activity": "vocal-prompts", "live_input": True}, ("NO MICROPHONE", "no audio input device")),
    ({"microphone": "none: no audio input device", "activity": "vocal-prompts", "input": "live"},
     {}, ("NO MICROPHONE", "no audio input device")),
    ({"midi_status": "ok: 0 JACK MIDI input(s)", "activity": None, "child_devices": []},
     {"activity": "call-and-response", "live_input": True}, ("NO INPUT DEVICE", NO_INPUT_DEVICE)),
    ({"activity": "waiting", "input": "live", "child_devices": []}, {},
     ("NO INPUT DEVICE", NO_INPUT_DEVICE)),
]  # fmt: skip
FINE = {"sound_output": "ok", "midi_status": "ok: 1 MIDI input(s) (ALSA)", "output_stalled": False,
        "microphone": "ok: USB mic", "snapshot_hz": 4.0}  # fmt: skip


def _screen(state: dict[str, Any], **choices: Any) -> Any:
    from soundness_live.ui.app import TherapistApp

    engine = FakeEngine()
    engine.state = {**engine.state, **FINE, **state}
    app = TherapistApp(engine, size=(1024, 768))
    app.load_catalog()
    for name, value in choices.items():
        setattr(app.view, name, value)
    app.frame()  # one frame, no tap
    return app


def _drawn_at_top(app: Any, text: str) -> bool:
    """True when the status panel's first line is ``text`` in the notice colour, pixel for
    pixel as the screen's own font draws it."""
    fonts, status = app.session.painter.fonts, app.layout.regions["status"]
    pad = round(12 * fonts.scale)
    image = fonts.text(fonts.body, text, NOTICE, status.w - 2 * pad)
    expected = pygame.Surface(image.get_size())
    expected.fill(PANEL)
    expected.blit(image, (0, 0))
    area = pygame.Rect(status.x + pad, status.y + pad, *image.get_size())
    shown = app.surface.subsurface(area)
    return bool((pygame.surfarray.array3d(shown) == pygame.surfarray.array3d(expected)).all())


@pytest.mark.parametrize(("state", "choices", "expected"), TROUBLES)
def test_trouble_is_the_first_thing_in_the_status_panel_without_a_tap(
    headless: None, state: dict, choices: dict, expected: tuple[str, str]
) -> None:
    app = _screen(state, **choices)
    assert troubles(app.view) == [expected]
    assert _drawn_at_top(app, expected[0])
    assert app.sent == []  # nothing was tapped


def test_a_screen_without_trouble_shows_none(headless: None) -> None:
    app = _screen({})
    assert troubles(app.view) == []
    assert not _drawn_at_top(app, "NO SOUND OUTPUT")
    app = _screen({"microphone": "none: no audio input device"})  # no vocal activity chosen
    assert troubles(app.view) == []
    app = _screen({"midi_status": "off"})  # MIDI input turned off (--midi none)
    assert troubles(app.view) == []


def test_a_live_activity_chosen_with_no_device_of_the_childs_cannot_be_started(
    headless: None,
) -> None:
    idle = {"activity": None, "session_id": None, "child_devices": []}
    app = _screen(idle, activity="waiting", live_input=True)
    start = next(b for b in app.layout.buttons if b.name == "start")
    assert not start.enabled and troubles(app.view) == [("NO INPUT DEVICE", NO_INPUT_DEVICE)]
    app = _screen(idle, activity="waiting", live_input=False)  # the virtual child plays
    start = next(b for b in app.layout.buttons if b.name == "start")
    assert start.enabled and troubles(app.view) == []
    app = _screen(dict(idle, child_devices=["nanoPAD2"]), activity="waiting", live_input=True)
    start = next(b for b in app.layout.buttons if b.name == "start")
    assert start.enabled and troubles(app.view) == []
    app = _screen(idle, activity="vocal-prompts", live_input=True)  # it listens to the microphone
    assert troubles(app.view) == []


def test_an_engine_gone_silent_or_away_is_said_and_the_childs_view_goes_neutral(
    headless: None,
) -> None:
    app = _screen({})
    app.run(max_frames=int(FADE_S * 30) + 5)
    cue = app.layout.regions["cue"]
    assert tuple(app.surface.get_at((cue.x + 20, cue.y + 20)))[:3] != IDLE_CUE[1]  # the beat
    app.client.silent_since_s = time.monotonic() - ENGINE_SILENT_S
    app.run(max_frames=int(FADE_S * 30) + 5)
    ((headline, detail),) = troubles(app.view)
    assert headline == "ENGINE NOT ANSWERING" and detail in (
        "no word from it for 2 s",
        "no word from it for 3 s",
    )
    assert _drawn_at_top(app, "ENGINE NOT ANSWERING")
    assert tuple(app.surface.get_at((cue.x + 20, cue.y + 20)))[:3] == IDLE_CUE[1]
    app.client.closed = True
    app.frame()
    assert troubles(app.view)[0][0] == "ENGINE CONNECTION LOST"
    assert _drawn_at_top(app, "ENGINE CONNECTION LOST")


def test_the_silence_allowed_follows_the_engines_snapshot_rate() -> None:
    assert silent_limit_s({"snapshot_hz": 4.0}) == ENGINE_SILENT_S
    assert silent_limit_s({"snapshot_hz": 0.5}) == 6.0  # three periods
    assert silent_limit_s({}) == ENGINE_SILENT_S


def test_the_childs_view_goes_neutral_when_the_activity_stops(headless: None) -> None:
    app = _screen({"cue": {"cue": "your_turn", "at_ms": 1000.0}})
    app.run(max_frames=int(FADE_S * 30) + 5)
    cue = app.layout.regions["cue"]
    assert app.session.painter.cue_look.word == "your turn"
    app.client.state = dict(app.client.state, activity=None, cue=None)  # the engine's next state
    app.run(max_frames=int(FADE_S * 30) + 5)
    assert app.session.painter.cue_look.word == ""
    assert tuple(app.surface.get_at((cue.x + 20, cue.y + 20)))[:3] == IDLE_CUE[1]


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP (POSIX)")
def test_a_real_engine_that_stops_answering_is_seen_on_the_screen(
    headless: None, engine_home: Path
) -> None:
    from soundness_live.live.client import start_engine
    from soundness_live.ui.app import TherapistApp
    from tests.live.test_engine_process import ENGINE_ARGS, QUICK_WAIT, _attach, _stop

    home = engine_home
    process = start_engine(home, ENGINE_ARGS)
    try:
        client = _attach(home)
        app = TherapistApp(client, size=(1024, 768))
        app.load_catalog()
        client.request(  # virtual: the engine has no MIDI input, so no device to play
            "start_activity", activity="waiting", params=QUICK_WAIT, child="S-014", input="virtual"
        )
        _frames_until(app, lambda: app.view.state.get("cue") is not None)
        assert troubles(app.view) == [("NO SOUND OUTPUT", "no synth chosen")]
        os.kill(process.pid, signal.SIGSTOP)
        try:
            stopped_s = time.monotonic()
            _frames_until(app, lambda: troubles(app.view)[0][0] == "ENGINE NOT ANSWERING")
            assert time.monotonic() - stopped_s >= ENGINE_SILENT_S - 0.5
            assert app.view.state["cue"] is None and _drawn_at_top(app, "ENGINE NOT ANSWERING")
        finally:
            os.kill(process.pid, signal.SIGCONT)
        _frames_until(app, lambda: troubles(app.view)[0][0] == "NO SOUND OUTPUT")
        client.request("shutdown")
        process.wait(timeout=10)
        _frames_until(app, lambda: troubles(app.view)[0][0] == "ENGINE CONNECTION LOST")
        client.close()
    finally:
        _stop(process)


def _frames_until(app: Any, condition: Any, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    app.frame()
    while not condition():
        assert time.monotonic() < deadline, troubles(app.view)
        app.frame()


def test_a_long_detail_is_cut_with_an_ellipsis_not_shrunk() -> None:
    from soundness_live.ui.screens import clip_lines

    text = "the input thread for 'nanoKEY2' stopped: IndexError in the parser, restarting now"
    assert clip_lines(text, len, 30, 2) == ["the input thread for", "'nanoKEY2' stopped: …"]
    assert clip_lines("no synth chosen", len, 30, 2) == ["no synth chosen"]
    assert all(len(line) <= 31 for line in clip_lines(text, len, 30, 2))
