"""Prepared sounds (spoken and recorded prompts) in the renderer: exact frames, the volume cap,
a panic's fade, late and too many sounds, and the checks on what a sound may be."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.core.events import (
    PROMPT_LEVEL_DBFS,
    NoteOn,
    PlaySound,
    prompt_sound,
)
from soundness_live.errors import ParameterError
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, render_offline
from soundness_live.synth.sounds import MAX_SOUNDS, SoundMixer
from soundness_live.synth.synth import Synth
from tests.synth.test_synth import RATE, STAGE_DELAY, first_sound, high_passed_jump, tone_font


def voice_like(seconds: float = 0.5, hz: float = 220.0) -> np.ndarray:
    """A vowel-like tone with a smooth start and end (what espeak or a recording gives)."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    return (0.8 * envelope * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def renderer(cap_dbfs: float = 0.0) -> Renderer:
    return Renderer(Synth(tone_font(), RATE), OutputStage(RATE, cap_dbfs=cap_dbfs))


@pytest.mark.parametrize("block", [1, 64, 65, 512])
def test_a_sound_starts_on_its_exact_frame_whatever_the_block_size(block: int) -> None:
    click = np.zeros(200, dtype=np.float32)
    click[0] = 1.0  # the very first sample sounds
    for onset in (0, 333, 1201):
        audio = []
        for size in (block, 512):
            r = renderer()
            r.scheduler.add(prompt_sound(onset, click, "click"))
            audio.append(render_offline(r, 2000, size))
        assert first_sound(audio[0]) == onset + STAGE_DELAY
        assert np.array_equal(audio[0], audio[1])  # the same bytes as in 512-frame blocks


def test_the_mixer_adds_the_samples_unchanged_across_blocks() -> None:
    mixer = SoundMixer(RATE, max_block=256)
    sound = voice_like(0.1)
    mixer.start(PlaySound(100, sound), 100)
    out = np.zeros((len(sound) + 1000, 2), dtype=np.float32)
    for start in range(0, len(out), 97):
        mixer.mix(out[start : start + 97], start)
    assert np.array_equal(out[100 : 100 + len(sound), 0], sound)
    assert np.array_equal(out[:, 0], out[:, 1])
    assert not out[:100].any() and not out[100 + len(sound) :].any()
    assert mixer.playing == []  # finished sounds are let go


def test_a_prompt_never_exceeds_the_volume_cap() -> None:
    r = renderer(cap_dbfs=-20.0)
    for key in (57, 60, 64, 69, 72):
        r.push(NoteOn(0, 0, key, 127))
    loud = voice_like(0.5)
    r.scheduler.add(prompt_sound(0, loud, level_dbfs=0.0))  # far louder than a prompt should be
    r.scheduler.add(prompt_sound(4800, loud * 1e6, level_dbfs=0.0))
    audio = render_offline(r, RATE, 256)
    assert 20 * np.log10(np.abs(audio).max()) <= -20.0 + 1e-6
    assert np.abs(audio[: RATE // 2]).max() > 0.05  # and it did sound


def test_a_panic_fades_a_prompt_without_a_click() -> None:
    r = renderer()
    r.scheduler.add(prompt_sound(0, voice_like(2.0)))
    before = render_offline(r, 9600, 256)
    r.panic(fade_ms=50)
    after = render_offline(r, 9600, 256)
    typical = high_passed_jump(before[2400:])
    assert high_passed_jump(np.concatenate([before[-10:], after[:2400]])) <= 1.5 * typical
    assert np.abs(after[: int(0.04 * RATE)]).max() > 0.01  # still fading at 40 ms
    assert np.abs(after[int(0.06 * RATE) :]).max() < 1e-4  # gone after 50 ms
    assert r.sounds.playing == []


def test_a_sound_pushed_after_a_panic_plays() -> None:
    r = renderer()
    r.panic(fade_ms=50)
    r.push(prompt_sound(0, voice_like(0.2)), immediate=True)
    audio = render_offline(r, RATE // 2, 256)
    assert np.abs(audio[: int(0.2 * RATE)]).max() > 0.05


def test_a_late_sound_starts_at_the_next_block_and_is_counted() -> None:
    r = renderer()
    render_offline(r, 1024, 256)
    click = np.ones(10, dtype=np.float32)
    r.scheduler.add(prompt_sound(100, click))
    audio = render_offline(r, 512, 256)
    assert first_sound(audio) == STAGE_DELAY and r.late_events == 1


def test_too_many_sounds_at_once_are_refused_and_counted() -> None:
    r = renderer()
    for _ in range(MAX_SOUNDS + 3):
        r.scheduler.add(prompt_sound(0, voice_like(0.1)))
    render_offline(r, 256, 256)
    assert len(r.sounds.playing) == MAX_SOUNDS and r.sounds.dropped == 3


def test_prompt_sound_sets_the_level_and_checks_the_samples() -> None:
    sound = prompt_sound(5, voice_like() * 0.01, "asset:hello")
    assert sound.samples.dtype == np.float32 and sound.name == "asset:hello"
    assert 20 * np.log10(np.abs(sound.samples).max()) == pytest.approx(PROMPT_LEVEL_DBFS, abs=1e-3)
    assert not prompt_sound(0, np.zeros(100)).samples.any()  # silence stays silence
    with pytest.raises(ParameterError, match=r"must be mono \(1-D\), got shape \(10, 2\)"):
        prompt_sound(0, np.zeros((10, 2)))
    with pytest.raises(ParameterError, match="not finite"):
        prompt_sound(0, np.array([0.0, np.nan]), "espeak:ba")


def test_a_second_shorter_fade_goes_on_from_the_gain_reached() -> None:
    r = renderer()
    r.scheduler.add(prompt_sound(0, voice_like(2.0)))
    before = render_offline(r, 9600, 256)
    r.panic(fade_ms=50)
    first = render_offline(r, int(0.02 * RATE), 256)  # 20 ms into a 50 ms fade
    r.panic(fade_ms=10)  # a shorter one: from where the first had got to, down to silence
    second = render_offline(r, 4800, 256)
    typical = high_passed_jump(before[2400:])
    joined = np.concatenate([first[-10:], second[:960]])
    assert high_passed_jump(joined) <= 1.5 * typical  # no jump back up to full level
    assert np.abs(second[:64]).max() <= np.abs(first[-256:]).max() + 1e-6
    assert np.abs(second[int(0.02 * RATE) :]).max() < 1e-4  # silent soon after the 10 ms
