"""A child's pitch wheel and channel pressure sound through thru, and are never scored.

From the MIDI input's bytes to the synth: a keyboard's bend (``E0 7F 7F``) and pressure
(``D0 5A``) reach the renderer as engine events on the device's route, in both thru modes,
and a note held on a real synth is heard bent; the activity's responses hold the notes alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soundness_live.core.events import ChannelPressure, InputEvent, NoteOn, PitchBend
from soundness_live.live.input import LiveInput
from soundness_live.live.thru import IMMEDIATE, ThruTiming
from soundness_live.midi.input import convert_message
from soundness_live.players.roles import DeviceRole
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, render_offline
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.conftest import require
from tests.live.test_engine_midi_status import keyboard  # noqa: F401 - a fixture
from tests.live.test_thru import MAPPING, RATE, _live
from tests.midi.test_midi_ports import FakeMidiIn
from tests.synth.test_synth_pitch import fundamental_hz

TIMGM6MB = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def _from_wire(data: list[int], time_s: float = 10.001) -> InputEvent:
    event = convert_message(data, "keys", time_s, "rtmidi-delta")
    assert event is not None
    return event


def test_a_keyboards_bend_and_pressure_reach_the_renderer_and_are_not_scored(
    engine_here: Any,
    keyboard: FakeMidiIn,  # noqa: F811 - the fixture imported above
) -> None:
    keyboard.send([0x90, 60, 100], 0.0)
    keyboard.send([0xE0, 0x7F, 0x7F], 0.0)
    keyboard.send([0xD0, 90], 0.0)
    keyboard.send([0x80, 60, 0], 0.0)
    commands = [event for event, _ in engine_here.renderer.commands]
    (channel,) = {e.channel for e in commands if isinstance(e, NoteOn)}  # the child's route
    bends = [(e.channel, e.value) for e in commands if isinstance(e, PitchBend)]
    pressures = [(e.channel, e.value) for e in commands if isinstance(e, ChannelPressure)]
    assert bends == [(channel, 16383)] and pressures == [(channel, 90)]
    assert [r.note for r in engine_here.live_input.drain()] == [60]  # the note alone
    assert engine_here.midi.filtered == 0  # taken, not dropped as off the note path


@pytest.mark.parametrize("timing", [IMMEDIATE, ThruTiming("constant", 112)], ids=str)
def test_bend_and_pressure_follow_the_devices_route(timing: ThruTiming) -> None:
    renderer, live = _live(48_000, timing)
    live.set_role(DeviceRole("keys", "child", "pad"))  # a drum pad plays the drum channel
    renderer.commands.clear()
    live.on_event(_from_wire([0xE0, 0x00, 0x20]))  # the wheel a quarter of the way up
    live.on_event(_from_wire([0xD0, 127]))
    sounded = [event for event, _ in renderer.commands]
    assert [type(e) for e in sounded] == [PitchBend, ChannelPressure]
    assert sounded[0].value == 4096 and sounded[1].value == 127
    assert {e.channel for e in sounded} == {9}
    if timing.constant:  # placed at their timestamp plus the delay, as notes are
        assert {e.frame for e in sounded} == {timing.frame_for(MAPPING, 10.001)}


def test_a_bend_thrud_from_a_keyboard_bends_the_synths_note() -> None:
    require(TIMGM6MB.exists(), "TimGM6mb (apt-get install timgm6mb-soundfont)")
    synth = Synth(load_soundfont(TIMGM6MB), RATE)
    renderer = Renderer(synth, OutputStage(RATE, -6.0))
    live = LiveInput(renderer, lambda: MAPPING, RATE)
    live.set_role(DeviceRole("keys", "child", "keyboard", 16))  # the drawbar organ

    def pitch_cents(bend: list[int], expected_cents: float) -> float:
        live.on_event(_from_wire([0x90, 69, 100]))
        live.on_event(_from_wire(bend))
        audio = render_offline(renderer, RATE, 64)[RATE // 4 :].astype(np.float64).sum(axis=1)
        live.on_event(_from_wire([0x80, 69, 0]))
        render_offline(renderer, RATE, 64)  # the release is over
        expected_hz = 440.0 * 2 ** (expected_cents / 1200)
        return 1200.0 * np.log2(fundamental_hz(audio, expected_hz) / 440.0)

    rest = pitch_cents([0xE0, 0x00, 0x40], 0.0)
    bent = pitch_cents([0xE0, 0x7F, 0x7F], 198.4)
    assert [c.pitch_wheel for c in synth.channels].count(16383) == 1  # the route's channel
    # 198.4 cents (the output stage and a 0.75 s window leave the peak 0.15 cents off)
    assert bent - rest == pytest.approx(12700.0 * 2 / 128 * 8191 / 8192, abs=0.5)
