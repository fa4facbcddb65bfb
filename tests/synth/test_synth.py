"""Synth with hand-made SoundFont data: exact onsets, block-split invariance, envelopes, loops,
voice stealing and fades without clicks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soundness_live.core.events import AllNotesOff, ControlChange, NoteOff, NoteOn, ProgramChange
from soundness_live.errors import ParameterError
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.region import (
    LOOP_CONTINUOUS,
    LOOP_NONE,
    LOOP_UNTIL_RELEASE,
    Preset,
    Region,
    SoundFontData,
)
from soundness_live.synth.renderer import Renderer, render_offline
from soundness_live.synth.synth import Synth
from soundness_live.synth.voice_state import KEY, NOTE_OFF, RELEASED, SUSTAINED

RATE = 48_000
PERIOD = 100  # samples per cycle of the test tone: 480 Hz at 48 kHz, loops are seamless


def tone_font(**overrides: object) -> SoundFontData:
    """One preset (bank 0 program 0, and the drum kit) of a cosine tone: key 69 = 440 Hz."""
    n = 48_000
    tone = np.cos(2 * np.pi * np.arange(n + 46) / PERIOD).astype(np.float32)
    tone[n:] = 0.0  # the SF2 zero padding after a sample
    fields: dict[str, object] = dict(
        key_lo=0, key_hi=127, vel_lo=0, vel_hi=127, sample_start=0, sample_end=n,
        loop_start=9_600, loop_end=14_400, sample_rate=RATE, root_key=69,
        tune_cents=1200 * math.log2(440 / 480), loop_mode=LOOP_CONTINUOUS, release_s=0.2,
    )  # fmt: skip
    fields.update(overrides)
    region = Region(**fields)  # type: ignore[arg-type]
    presets = {(0, 0): Preset("tone", 0, 0, (region,)), (128, 0): Preset("kit", 128, 0, (region,))}
    return SoundFontData("test tones", "0" * 64, tone, presets)


def render_events(font: SoundFontData, events: list, n_frames: int, block: int, **kw) -> np.ndarray:
    """Render through the real Renderer + OutputStage in blocks of ``block`` frames."""
    renderer = Renderer(Synth(font, RATE, **kw), OutputStage(RATE, cap_dbfs=0.0))
    renderer.scheduler.extend(events)
    return render_offline(renderer, n_frames, block)


STAGE_DELAY = OutputStage(RATE).delay_frames  # the output stage's look-ahead: 24 frames


def first_sound(audio: np.ndarray) -> int:
    return int(np.flatnonzero(np.abs(audio).max(axis=1) > 0)[0])


def level_db(audio: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))) + 1e-30)


@pytest.mark.parametrize("block", [1, 64, 65, 512])
@pytest.mark.parametrize("onset", [0, 1, 333, 1201])
def test_onset_lands_on_its_exact_frame(block: int, onset: int) -> None:
    audio = render_events(tone_font(), [NoteOn(onset, 0, 69, 100)], 1600, block)
    assert first_sound(audio) == onset + STAGE_DELAY


def _busy_score() -> list:
    events = [ProgramChange(0, 1, 0), ControlChange(0, 1, 10, 20)]
    for i, key in enumerate((60, 64, 67, 72, 69, 57, 81)):
        events.append(NoteOn(37 * i + 11, i % 3, key, 40 + 12 * i))
        events.append(NoteOff(37 * i + 11 + 300 + 91 * i, i % 3, key))
    events += [ControlChange(500, 0, 64, 127), ControlChange(1500, 0, 64, 0)]
    events += [ControlChange(700, 1, 7, 60), NoteOn(1900, 2, 90, 127), AllNotesOff(2600, 2, 5)]
    return sorted(events, key=lambda e: e.frame)


@pytest.mark.parametrize("interpolation", ["cubic", "linear"])
def test_output_is_bit_identical_whatever_the_block_size(interpolation: str) -> None:
    # short loop (4 cycles) so loop wraps happen inside blocks; 3 voices max forces steals
    font = tone_font(loop_start=9_600, loop_end=10_000, attack_s=0.004, decay_s=0.05)
    font2 = tone_font(loop_start=0, loop_end=0, loop_mode=LOOP_NONE, sample_end=700)
    results = {}
    for name, f in (("loop", font), ("oneshot", font2)):
        for block in (1, 64, 65, 512):
            results[name, block] = render_events(
                f, _busy_score(), 3000, block, max_voices=3, interpolation=interpolation
            )
    for name in ("loop", "oneshot"):
        reference = results[name, 512]
        assert np.abs(reference).max() > 0.01
        for block in (1, 64, 65):
            assert results[name, block].tobytes() == reference.tobytes(), (name, block)


def test_looped_note_sustains_and_release_decays() -> None:
    font = tone_font(sustain_cb=60.0, decay_s=0.2, release_s=0.4)
    synth = Synth(font, RATE)
    synth.handle(NoteOn(0, 0, 69, 127))
    held = np.zeros((int(3.5 * RATE), 2), np.float32)
    synth.render(held)
    half, three = (
        held[int(0.45 * RATE) : int(0.55 * RATE)],
        held[int(2.95 * RATE) : int(3.05 * RATE)],
    )
    assert abs(level_db(half) - level_db(three)) < 1.0
    synth.handle(NoteOff(0, 0, 69))
    tail = np.zeros((int(1.0 * RATE), 2), np.float32)
    synth.render(tail)
    drop = level_db(three) - level_db(tail[int(0.59 * RATE) : int(0.61 * RATE)])
    assert drop >= 60.0  # -60 dB within 1.5 x the release time
    assert synth.active_voices == 0
    assert not tail[int(0.41 * RATE) :].any()  # 100 dB down at 0.4 s: exactly silent


def test_non_looped_sample_ends() -> None:
    font = tone_font(loop_mode=LOOP_NONE, sample_end=4800)  # 0.1 s one-shot
    synth = Synth(font, RATE)
    synth.handle(NoteOn(0, 0, 69, 100))
    out = np.zeros((RATE // 2, 2), np.float32)
    synth.render(out)
    stop = int(4800 * 480 / 440) + 2  # played at 440/480 speed
    assert np.abs(out[stop - 200 : stop - 100]).max() > 0.01
    assert not out[stop + 2 :].any()
    assert synth.active_voices == 0


def test_loop_until_release_plays_on_to_the_sample_end() -> None:
    font = tone_font(loop_mode=LOOP_UNTIL_RELEASE, release_s=5.0, sample_end=20_000)
    synth = Synth(font, RATE)
    synth.handle(NoteOn(0, 0, 69, 100))
    out = np.zeros((RATE, 2), np.float32)
    synth.render(out)  # 1 s: far past the loop end (14 400 samples), still looping
    assert np.abs(out[-1000:]).max() > 0.05
    synth.handle(NoteOff(0, 0, 69))
    after = np.zeros((RATE, 2), np.float32)
    synth.render(after)
    # the rest of the loop plus 5 600 samples after it, at 440/480 speed, then silence
    remaining = (20_000 - 9_600) * 480 / 440
    assert np.abs(after[:1000]).max() > 0.05
    assert not after[int(remaining) + 4 :].any()


def test_velocity_follows_the_concave_curve() -> None:
    levels = {}
    for velocity in (127, 64):
        synth = Synth(tone_font(), RATE)
        synth.handle(NoteOn(0, 0, 69, velocity))
        out = np.zeros((4800, 2), np.float32)
        synth.render(out)
        levels[velocity] = level_db(out[2400:])
    expected = 40 * math.log10(64 / 127)  # amplitude (v / 127) ** 2: -11.9 dB
    assert levels[64] - levels[127] == pytest.approx(expected, abs=0.1)


def test_pan_is_equal_power() -> None:
    synth = Synth(tone_font(), RATE)
    synth.handle(ControlChange(0, 0, 10, 0))  # hard left
    synth.handle(NoteOn(0, 0, 69, 100))
    out = np.zeros((4800, 2), np.float32)
    synth.render(out)
    assert np.abs(out[:, 1]).max() < 1e-6 * np.abs(out[:, 0]).max()
    centre = Synth(tone_font(), RATE)
    centre.handle(NoteOn(0, 0, 69, 100))
    mid = np.zeros((4800, 2), np.float32)
    centre.render(mid)
    assert level_db(mid[:, 0]) == pytest.approx(level_db(out[:, 0]) - 3.01, abs=0.05)


def high_passed_jump(audio: np.ndarray) -> float:
    """Largest second difference: a click shows as a spike here; a tone's is ~(2 pi f / rate)^2."""
    return float(np.abs(np.diff(audio.astype(np.float64), n=2, axis=0)).max())


def test_stolen_voice_fades_without_a_click() -> None:
    font = tone_font(release_s=2.0, attack_s=0.005)  # the new note itself starts smoothly
    synth = Synth(font, RATE, max_voices=1)
    synth.handle(NoteOn(0, 0, 69, 127))
    out = np.zeros((9600, 2), np.float32)
    synth.render(out[:4800])
    synth.handle(NoteOn(0, 0, 81, 127))  # steals the first (it is still held)
    synth.render(out[4800:])
    tone = out[2000:4700]
    amplitude = np.abs(tone).max()
    max_step = np.abs(np.diff(tone, axis=0)).max()
    around = out[4700:5200]
    assert np.abs(np.diff(around, axis=0)).max() < 2.2 * max_step  # the new note is higher
    assert high_passed_jump(around) < 4 * high_passed_jump(out[5200:9000]) + 1e-3 * amplitude
    assert synth.active_voices == 1


def test_panic_fades_everything_without_a_click() -> None:
    font = tone_font(release_s=3.0, attack_s=0.005)
    renderer = Renderer(Synth(font, RATE), OutputStage(RATE, cap_dbfs=0.0))
    for key in (57, 60, 64, 69):
        renderer.push(NoteOn(0, 0, key, 110))
    before = render_offline(renderer, 4800, 256)
    assert renderer.panic(fade_ms=50)
    after = render_offline(renderer, 9600, 256)
    typical = np.abs(np.diff(before[2400:], axis=0)).max()
    assert np.abs(np.diff(np.concatenate([before[-10:], after[:2400]]), axis=0)).max() <= typical
    assert np.abs(after[: int(0.04 * RATE)]).max() > 0.01  # still fading at 40 ms
    assert np.abs(after[int(0.06 * RATE) :]).max() < 1e-4  # gone after 50 ms (DC blocker tail)
    assert renderer.synth.active_voices == 0


def test_exclusive_class_chokes_the_other_note() -> None:
    font = tone_font(exclusive_class=1, release_s=2.0)
    synth = Synth(font, RATE)
    synth.handle(NoteOn(0, 9, 46, 100))  # open hat
    synth.render(np.zeros((480, 2), np.float32))
    synth.handle(NoteOn(0, 9, 42, 100))  # closed hat chokes it: a 0.89 s release
    synth.render(np.zeros((480, 2), np.float32))
    assert synth.active_voices == 2  # the open one releasing
    synth.render(np.zeros((RATE, 2), np.float32))  # its 2 s release would still sound
    assert synth.active_voices == 1


def test_sustain_pedal_holds_released_notes() -> None:
    synth = Synth(tone_font(release_s=0.05), RATE)
    synth.handle(ControlChange(0, 0, 64, 127))
    synth.handle(NoteOn(0, 0, 69, 100))
    synth.handle(NoteOff(0, 0, 69))
    synth.render(np.zeros((RATE // 2, 2), np.float32))
    assert synth.active_voices == 1
    synth.handle(ControlChange(0, 0, 64, 0))
    synth.render(np.zeros((RATE // 2, 2), np.float32))
    assert synth.active_voices == 0


def test_all_notes_off_releases_its_channels_notes_or_leaves_them_to_the_pedal() -> None:
    synth = Synth(tone_font(), RATE)
    for channel, key in ((0, 60), (0, 64), (1, 60), (0, 67)):
        synth.handle(NoteOn(0, channel, key, 100))
    synth.handle(ControlChange(0, 0, 123, 0))
    state = synth.voices.state
    assert state[[RELEASED, NOTE_OFF], :4].tolist() == [[1, 1, 0, 1], [1, 1, 0, 1]]
    synth.handle(ControlChange(0, 1, 64, 127))  # pedal down on channel 1
    synth.handle(NoteOn(0, 1, 62, 100))
    synth.handle(ControlChange(0, 1, 123, 0))
    assert state[[RELEASED, SUSTAINED], 2:5].tolist() == [[0, 1, 0], [1, 0, 1]]
    synth.handle(ControlChange(0, 1, 64, 0))
    assert state[[RELEASED, SUSTAINED], 2:5].tolist() == [[1, 1, 1], [0, 0, 0]]


def test_voice_limit_steals_the_oldest_released_voice_first() -> None:
    synth = Synth(tone_font(release_s=5.0), RATE, max_voices=3)
    for key in (60, 62, 64):
        synth.handle(NoteOn(0, 0, key, 100))
    synth.handle(NoteOff(0, 0, 62))
    synth.handle(NoteOn(0, 0, 67, 100))
    synth.render(np.zeros((960, 2), np.float32))  # 20 ms: the stolen voice has faded
    keys = sorted(synth.voices.state[KEY, : synth.active_voices].tolist())
    assert keys == [60, 64, 67]


def test_all_sound_off_and_bad_arguments() -> None:
    synth = Synth(tone_font(), RATE)
    synth.handle(NoteOn(0, 3, 60, 100))
    synth.handle(ControlChange(0, 3, 120, 0))
    synth.render(np.zeros((960, 2), np.float32))
    assert synth.active_voices == 0
    with pytest.raises(ParameterError, match="max_voices"):
        Synth(tone_font(), RATE, max_voices=0)
    with pytest.raises(ParameterError, match="shape"):
        synth.render(np.zeros((10, 1), np.float32))


def test_a_block_of_another_kind_is_refused_and_the_kernel_never_compiled_again() -> None:
    from soundness_live.synth.kernel import render_voices

    synth = Synth(tone_font(), 48_000)
    with pytest.raises(ParameterError, match=r"shape \(n, 2\), got \(64, 3\)"):
        synth.render(np.zeros((64, 3), np.float32))
    with pytest.raises(ParameterError, match="C-contiguous float32, got float64"):
        synth.render(np.zeros((64, 2)))
    with pytest.raises(ParameterError, match=r"got float32 \(a strided view\)"):
        synth.render(np.zeros((64, 4), np.float32)[:, ::2])
    assert len(render_voices.signatures) == 1  # refused, not compiled for in the callback
    assert synth.frame == 0
