"""Syllable nuclei (de Jong & Wempe v3) on hand-made contours and on espeak-ng speech."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.voice.analysis import analyze_voice
from soundness_live.voice.pitch import PitchTrack
from soundness_live.voice.syllables import (
    Intensity,
    _dip_peak_dip,
    find_syllable_nuclei,
    intensity_contour,
)
from tests.conftest import require_program
from tests.voice_audio import SYLLABLE_PHRASES, CorpusKey, audio_dir, make_corpus, read_mono


def _all_voiced(times_s: np.ndarray) -> PitchTrack:
    return PitchTrack(times_s, np.full(len(times_s), 200.0), "test")


def _contour(db: list[float], step_s: float = 0.016) -> Intensity:
    return Intensity(np.arange(len(db)) * step_s + 0.1, np.asarray(db, dtype=float))


def test_dip_peak_dip_needs_a_dip_on_both_sides() -> None:
    # valleys v0..v3 around peaks p0..p2: p1 stands only 1 dB above the valley before it.
    peaks = np.array([-10.0, -10.5, -9.0])
    valleys = np.array([-40.0, -11.5, -13.0, -40.0])
    assert _dip_peak_dip(peaks, valleys, 2.0) == [(0, 0, 2), (2, 2, 3)]


def test_last_peak_is_tested_too() -> None:
    peaks = np.array([-10.0, -10.0])
    assert _dip_peak_dip(peaks, np.array([-40.0, -20.0, -40.0]), 2.0) == [(0, 0, 1), (1, 1, 2)]
    assert _dip_peak_dip(peaks, np.array([-40.0, -20.0, -11.0]), 2.0) == [(0, 0, 1)]


def test_highest_peak_between_dips_is_the_nucleus() -> None:
    # p1 beats p0; the 1.5 dB dip after p1 is too shallow, so p2 belongs to the same nucleus.
    peaks = np.array([-12.0, -8.0, -11.0])
    valleys = np.array([-40.0, -13.0, -9.5, -40.0])
    assert _dip_peak_dip(peaks, valleys, 2.0) == [(1, 0, 3)]


def test_nuclei_from_a_contour_count_voiced_peaks_above_threshold() -> None:
    db = [-80, -60, -20, -15, -10, -20, -30, -20, -12, -25, -60, -80, -80, -80]
    intensity = _contour(db)
    nuclei = find_syllable_nuclei(intensity, _all_voiced(intensity.times_s))
    assert nuclei.count == 2
    assert nuclei.times_s == pytest.approx((intensity.times_s[4], intensity.times_s[8]))
    bounds = [t for pair in nuclei.bounds_s for t in pair]
    assert bounds == pytest.approx(list(intensity.times_s[[0, 6, 6, 11]]))
    quiet = Intensity(intensity.times_s, intensity.db - 100.0)  # a near-silent burst
    assert find_syllable_nuclei(quiet, _all_voiced(intensity.times_s)).count == 2
    unvoiced = PitchTrack(intensity.times_s, np.full(len(db), np.nan), "test")
    assert find_syllable_nuclei(intensity, unvoiced).count == 0


def test_intensity_of_a_full_scale_sine_is_minus_3_db() -> None:
    rate = 16000
    t = np.arange(rate) / rate
    contour = intensity_contour(np.sin(2 * np.pi * 440 * t), rate, calibration_db=10.0)
    assert np.median(contour.db) == pytest.approx(10.0 - 3.01, abs=0.05)
    assert contour.times_s[1] - contour.times_s[0] == pytest.approx(0.016, abs=1e-4)


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory) -> dict[CorpusKey, tuple[int, int]]:
    """(text, voice, speed, pitch) -> (syllables found, syllables spoken) over the corpus.

    Takes are padded like a microphone take: v3 needs a dip before the first nucleus too.
    """
    require_program("espeak-ng", "espeak-ng")
    require_program("sox", "sox")
    takes = make_corpus(audio_dir(tmp_path_factory))
    return {
        key: (analyze_voice(*read_mono(take)).syllables, SYLLABLE_PHRASES[key[0]])
        for key, (_, take) in takes.items()
    }


PROMPT_PHRASES = ("ba", "ba ma", "ba ma da", "ba ma da pa")


def _exact(counts: dict[CorpusKey, tuple[int, int]], keep=lambda key: True) -> float:
    """Share of the takes selected by ``keep`` whose syllable count is exact."""
    hits = [got == want for key, (got, want) in counts.items() if keep(key)]
    return sum(hits) / len(hits)


def test_counts_are_exact_on_clear_speech(counts: dict[CorpusKey, tuple[int, int]]) -> None:
    # Measured here 93/96 (96.9 %). Over the 144-take grid (-p 20, 50, 80) and nine lead-in
    # lengths (every intensity-frame phase): 98.1 %, between 96.5 % and 98.6 % per phase, so
    # the 97.5 % reference figure is reached on average, not at every phase. Every miss is a
    # word at -p 20 ("cat": its vowel's peak frame is unvoiced; "caterpillar": 3 of 4).
    # The syllable prompts themselves are always exact (next tests).
    misses = {key: value for key, value in counts.items() if value[0] != value[1]}
    assert len(counts) == 96
    assert _exact(counts) >= 0.95, misses
    assert all(key[3] == 20 for key in misses), misses


def test_counts_are_all_exact_at_slow_speech(counts: dict[CorpusKey, tuple[int, int]]) -> None:
    assert _exact(counts, lambda key: key[2] == 80) == 1.0


def test_syllable_phrases_all_exact(counts: dict[CorpusKey, tuple[int, int]]) -> None:
    # "ba", "ba ma", ... "ba ma da pa": the prompts the activity uses.
    assert _exact(counts, lambda key: key[0] in PROMPT_PHRASES) == 1.0
