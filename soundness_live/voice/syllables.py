"""Intensity contour and syllable nuclei after de Jong & Wempe, 2019 revision (v3).

METRICS.md §4: intensity with a 50 Hz minimum pitch; threshold = 0.99-quantile − 25 dB; a peak is
a nucleus when it is voiced, above the threshold, inside a sounding stretch, and the intensity dips
by more than 2 dB on BOTH sides of it (the last peak is tested too); pauses are >= 0.3 s. Among
peaks with no such dip between them, the highest one is the nucleus. Given the room's noise
floor, the threshold is at least the floor + 6 dB, as for a voiced frame (§4: steady noise must
not read as a voice): a noisy room's hiss is then a pause, not phonation, and the articulation
rate counts the voice alone.

Intensity is in dB re digital full scale: 10·log10(mean square) + ``calibration_db``, so a
full-scale square wave reads 0 dB and a full-scale sine −3 dB. Add the microphone's calibration
(the dB SPL of a full-scale RMS signal) to read dB SPL. Nuclei depend only on differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from soundness_live.voice.pitch import PitchTrack

_KAISER_BETA = 2.0 * np.pi**2 + 0.5  # Praat's intensity window: a Kaiser bell, sidelobes < -190 dB
_FLOOR_POWER = 1e-20


@dataclass(frozen=True)
class Intensity:
    """Intensity contour: ``times_s`` are frame centres, ``db`` per frame (re full scale)."""

    times_s: np.ndarray
    db: np.ndarray


@dataclass(frozen=True)
class SyllableNuclei:
    """Syllable nuclei of one utterance (all times in s from the start of the analysed audio)."""

    times_s: tuple[float, ...]
    bounds_s: tuple[tuple[float, float], ...]  # the intensity dips on either side of each nucleus
    sounding_s: tuple[tuple[float, float], ...]  # stretches between pauses >= min_pause_s
    total_s: float

    @property
    def count(self) -> int:
        """Number of syllable nuclei."""
        return len(self.times_s)

    @property
    def phonation_s(self) -> float:
        """Total duration of the sounding stretches."""
        return float(sum(end - start for start, end in self.sounding_s))

    @property
    def speech_rate_per_s(self) -> float | None:
        """Syllables per second of the whole recording."""
        return self.count / self.total_s if self.total_s > 0 else None

    @property
    def articulation_rate_per_s(self) -> float | None:
        """Syllables per second of phonation (pauses left out)."""
        return self.count / self.phonation_s if self.phonation_s > 0 else None


def intensity_contour(
    samples: np.ndarray,
    sample_rate: int,
    *,
    min_pitch_hz: float = 50.0,
    time_step_s: float | None = None,
    calibration_db: float = 0.0,
) -> Intensity:
    """Praat-like intensity: Kaiser-weighted mean square (local mean removed) in dB.

    The window spans 6.4 / min_pitch (effective duration 3.2 / min_pitch, as in Praat) and is
    stepped by ``time_step_s`` (default 0.8 / min_pitch, a quarter of the effective window).
    """
    x = np.asarray(samples, dtype=np.float64)
    window_len = int(round(6.4 / min_pitch_hz * sample_rate)) | 1
    step = time_step_s if time_step_s is not None else 0.8 / min_pitch_hz
    hop = max(int(round(step * sample_rate)), 1)
    if len(x) < window_len:
        return Intensity(np.zeros(0), np.zeros(0))
    weights = _kaiser_weights(window_len)
    frames = np.lib.stride_tricks.sliding_window_view(x, window_len)[::hop]
    mean = frames @ weights
    power = np.maximum((frames**2) @ weights - mean**2, _FLOOR_POWER)
    times_s = (np.arange(len(frames)) * hop + window_len / 2.0) / sample_rate
    return Intensity(times_s, 10.0 * np.log10(power) + calibration_db)


@lru_cache(maxsize=8)
def _kaiser_weights(length: int) -> np.ndarray:
    """Praat's Kaiser bell of ``length`` samples, summing to 1 (cached: it costs ~5 ms)."""
    weights = np.kaiser(length, _KAISER_BETA)
    weights /= weights.sum()
    weights.flags.writeable = False
    return weights


def sounding_intervals(
    intensity: Intensity, threshold_db: float, *, min_pause_s: float, min_sounding_s: float = 0.1
) -> list[tuple[float, float]]:
    """Stretches above ``threshold_db``; pauses shorter than ``min_pause_s`` are bridged and
    sounding bits shorter than ``min_sounding_s`` dropped (Praat's "To TextGrid (silences)")."""
    above = intensity.db > threshold_db
    if not above.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(np.int8), [0]])))
    half = (intensity.times_s[1] - intensity.times_s[0]) / 2.0 if len(above) > 1 else 0.0
    runs = [
        [intensity.times_s[a] - half, intensity.times_s[b - 1] + half]
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]
    merged = [runs[0]]
    for start, end in runs[1:]:
        if start - merged[-1][1] < min_pause_s:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(float(a), float(b)) for a, b in merged if b - a >= min_sounding_s]


def _local_peaks(db: np.ndarray) -> np.ndarray:
    """Indices of local maxima of ``db`` (a plateau counts once, at its first frame)."""
    slope = np.diff(db)
    return np.flatnonzero((slope[:-1] > 0) & (slope[1:] <= 0)) + 1


def _dip_peak_dip(
    peak_db: np.ndarray, valley_db: np.ndarray, min_dip_db: float
) -> list[tuple[int, int, int]]:
    """Nuclei among alternating valleys and peaks: (peak, valley before, valley after) indices.

    ``valley_db[k]`` is the lowest intensity before ``peak_db[k]`` (since the previous peak) and
    ``valley_db[k + 1]`` the lowest after it. A nucleus is the highest peak since the lowest
    valley that follows the previous nucleus, once it stands more than ``min_dip_db`` above that
    valley AND above the next valley.
    """
    nuclei: list[tuple[int, int, int]] = []
    low, best = 0, -1  # lowest valley since the last nucleus; highest peak since that valley
    for k in range(len(peak_db) + 1):
        valley = valley_db[k]
        rose = best >= 0 and peak_db[best] - valley_db[low] > min_dip_db
        if rose and peak_db[best] - valley > min_dip_db:
            nuclei.append((best, low, k))
            low, best = k, -1
        elif valley < valley_db[low]:
            low, best = k, -1
        if k < len(peak_db) and (best < 0 or peak_db[k] > peak_db[best]):
            best = k
    return nuclei


def _voiced_at(pitch: PitchTrack, time_s: float) -> bool:
    """Whether the pitch frame nearest to ``time_s`` is voiced."""
    if len(pitch.times_s) == 0:
        return False
    index = int(np.argmin(np.abs(pitch.times_s - time_s)))
    return bool(pitch.voiced[index])


def find_syllable_nuclei(
    intensity: Intensity,
    pitch: PitchTrack,
    *,
    silence_db: float = -25.0,
    min_dip_db: float = 2.0,
    min_pause_s: float = 0.3,
    total_s: float | None = None,
    voice_from_db: float | None = None,
) -> SyllableNuclei:
    """Syllable nuclei (de Jong & Wempe v3, dip-peak-dip) from an intensity contour and a pitch
    track of the same audio. ``total_s`` is the audio's duration (for the speech rate);
    ``voice_from_db``, on the contour's scale, is the least intensity that may be voice (the
    room's noise floor + 6 dB; None: no room was measured)."""
    db, times_s = intensity.db, intensity.times_s
    total = float(total_s if total_s is not None else (times_s[-1] if len(times_s) else 0.0))
    if len(db) < 3:
        return SyllableNuclei((), (), (), total)
    threshold_db = max(float(np.quantile(db, 0.99)) + silence_db, float(db.min()))
    if voice_from_db is not None:
        threshold_db = max(threshold_db, voice_from_db)
    sounding = sounding_intervals(intensity, threshold_db, min_pause_s=min_pause_s)
    peaks = [
        int(i)
        for i in _local_peaks(db)
        if db[i] > threshold_db and _voiced_at(pitch, float(times_s[i]))
    ]
    cuts = [0, *peaks, len(db) - 1]
    valleys = [a + int(np.argmin(db[a : b + 1])) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    chosen = _dip_peak_dip(db[peaks], db[valleys], min_dip_db)
    kept = [
        (peaks[p], valleys[a], valleys[b])
        for p, a, b in chosen
        if any(start <= times_s[peaks[p]] <= end for start, end in sounding)
    ]
    return SyllableNuclei(
        times_s=tuple(float(times_s[p]) for p, _, _ in kept),
        bounds_s=tuple((float(times_s[a]), float(times_s[b])) for _, a, b in kept),
        sounding_s=tuple(sounding),
        total_s=total,
    )
