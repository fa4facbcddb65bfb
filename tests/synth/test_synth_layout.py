"""The synth's sample layout: rows of interpolation coefficients per played sample, with the
loop unrolled, checked against taps read straight from the sample data."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.core.events import NoteOn, ProgramChange
from soundness_live.synth.region import (
    LOOP_CONTINUOUS,
    LOOP_UNTIL_RELEASE,
    Preset,
    Region,
    SoundFontData,
)
from soundness_live.synth.sample_layout import PAD_ROWS, TAPS, SampleLayout
from soundness_live.synth.synth import Synth

RATE = 48_000


def signal(n: int = 3_000) -> np.ndarray:
    return np.random.default_rng(3).uniform(-1, 1, n).astype(np.float32)


def catmull_rom_rows(xm, x0, x1, x2) -> np.ndarray:
    """Coefficients of the Catmull-Rom polynomial, from scratch (float32)."""
    half, one_half = np.float32(0.5), np.float32(1.5)
    c1 = (x1 - xm) * half
    c3 = (x0 - x1) * one_half + (x2 - xm) * half
    return np.stack([x0, c1, ((xm - x0) + c1) - c3, c3], axis=1)


def heard(data: np.ndarray, start: int, end: int, positions: np.ndarray) -> np.ndarray:
    """The sample values at ``positions``: zero outside ``start .. end``."""
    inside = (positions >= start) & (positions < end)
    return np.where(inside, data[np.clip(positions, 0, data.size - 1)], np.float32(0))


def test_plain_rows_are_the_taps_with_zeros_outside_the_sample() -> None:
    data = signal()
    layout = SampleLayout(data)
    strip = layout.plain(100, 600)
    rows = layout.rows[strip.base :]
    j = np.arange(strip.silent_at + PAD_ROWS) + 100
    taps = [heard(data, 100, 600, j + k) for k in TAPS["cubic"]]
    assert np.array_equal(rows[: j.size], catmull_rom_rows(*taps))
    assert not rows[strip.silent_at : j.size].any()  # past the end: silence to read


def test_looped_rows_follow_the_loop_and_repeat_after_one_turn() -> None:
    data = signal()
    layout = SampleLayout(data)
    start, loop_start, loop_end = 50, 400, 437
    strip = layout.looped(start, 3_000, loop_start, loop_end)
    n = strip.loop_at + strip.loop_len + PAD_ROWS
    rows = layout.rows[strip.base : strip.base + n]
    # the unrolled sample: straight up to the loop end, then round the loop
    j = np.arange(-1, n + 2)
    played = np.where(j < strip.loop_at, start + j, loop_start + (j - strip.loop_at) % 37)
    values = heard(data, start, 3_000, played)
    assert np.array_equal(rows, catmull_rom_rows(*(values[k : k + n] for k in range(4))))
    turn = rows[strip.loop_at : strip.loop_at + strip.loop_len]
    assert np.array_equal(rows[strip.loop_at + strip.loop_len :][:37], turn)


def test_linear_rows_hold_the_sample_and_its_difference() -> None:
    data = signal()
    layout = SampleLayout(data, "linear")
    strip = layout.plain(10, 20)
    rows = layout.rows[strip.base : strip.base + 12]
    x = heard(data, 10, 20, np.arange(10, 23))
    assert np.array_equal(rows, np.stack([x[:-1], x[1:] - x[:-1]], axis=1))


def two_sample_font() -> SoundFontData:
    data = signal(20_000)
    common = dict(key_lo=0, key_hi=127, vel_lo=0, vel_hi=127, sample_rate=RATE, root_key=60)
    looped = Region(
        **common, sample_start=0, sample_end=9_000, loop_start=4_000, loop_end=8_000,
        loop_mode=LOOP_UNTIL_RELEASE,
    )  # fmt: skip
    held = Region(
        **common, sample_start=9_000, sample_end=20_000, loop_start=10_000, loop_end=19_000,
        loop_mode=LOOP_CONTINUOUS,
    )  # fmt: skip
    presets = {
        (0, 0): Preset("looped", 0, 0, (looped,)),
        (0, 1): Preset("held", 0, 1, (held,)),
        (128, 0): Preset("kit", 128, 0, (held,)),
    }
    return SoundFontData("two samples", "0" * 64, data, presets)


def test_samples_are_laid_out_when_first_played_or_prepared_only() -> None:
    synth = Synth(two_sample_font(), RATE)
    layout = synth.voices.layout
    assert layout.nbytes == 0  # nothing played yet
    rows = layout.rows
    synth.handle(NoteOn(0, 0, 60, 100))
    # loop until release: the looped strip and the plain one for after the release
    assert layout.nbytes == 16 * (2 * 8_000 - 4_000 + PAD_ROWS + 9_000 + 2 + PAD_ROWS)
    assert layout.rows is rows  # rows were reserved: building copied nothing
    synth.handle(NoteOn(0, 0, 64, 100))
    before = layout.nbytes
    synth.handle(ProgramChange(0, 1, 1))
    assert synth.prepare([1]) > before  # the held sample, laid out ahead of its first note
    prepared = layout.nbytes
    synth.handle(NoteOn(0, 1, 60, 100))
    assert layout.nbytes == prepared


@pytest.mark.parametrize("interpolation", ["cubic", "linear"])
def test_reservation_covers_every_sample_of_the_bank(interpolation: str) -> None:
    synth = Synth(two_sample_font(), RATE, interpolation=interpolation)
    rows = synth.voices.layout.rows
    for program in (0, 1):
        synth.handle(ProgramChange(0, 0, program))
        synth.prepare([0])
    assert synth.voices.layout.rows is rows
