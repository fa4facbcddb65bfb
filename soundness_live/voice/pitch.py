"""Fundamental frequency: Praat's autocorrelation pitch, with a numpy YIN fallback.

Praat (through parselmouth) is the reference method of METRICS.md §4: 0.01 cents mean error on
clean steady tones. When parselmouth cannot be imported, :func:`track_pitch` falls back to YIN
(de Cheveigné & Kawahara 2002) and says so in the track's ``method``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from soundness_live.errors import ParameterError

try:  # parselmouth is a declared dependency, but a wheel may be missing on some platform
    import parselmouth
except ImportError:  # pragma: no cover - exercised only where the wheel is absent
    parselmouth = None

YIN_THRESHOLD = 0.15
LEVEL_CENTS = 50.0  # a step smaller than this is "level" (mir_eval's on-pitch tolerance)


@dataclass(frozen=True)
class PitchTrack:
    """f0 per analysis frame: ``times_s`` are frame CENTRES, ``f0_hz`` is NaN where unvoiced."""

    times_s: np.ndarray
    f0_hz: np.ndarray
    method: str

    @property
    def voiced(self) -> np.ndarray:
        """True for frames with a pitch."""
        return np.isfinite(self.f0_hz)

    def median_hz(self, start_s: float = -np.inf, end_s: float = np.inf) -> float | None:
        """Median f0 over voiced frames whose centre lies in [start_s, end_s), or None."""
        inside = (self.times_s >= start_s) & (self.times_s < end_s) & self.voiced
        return float(np.median(self.f0_hz[inside])) if inside.any() else None


def cents(f_hz: float, target_hz: float) -> float:
    """Deviation of ``f_hz`` from ``target_hz`` in cents: 1200·log2(f/f_target)."""
    if f_hz <= 0 or target_hz <= 0:
        raise ParameterError(f"frequencies must be > 0 Hz, got {f_hz} and target {target_hz}")
    return float(1200.0 * np.log2(f_hz / target_hz))


def contour_of(
    pitches_hz: Sequence[float | None], level_cents: float = LEVEL_CENTS
) -> list[str | None]:
    """Steps between consecutive pitches: "rising", "falling", "level" (within
    ``level_cents``) or None where a pitch is missing."""
    steps: list[str | None] = []
    for a, b in zip(pitches_hz[:-1], pitches_hz[1:], strict=True):
        if a is None or b is None:
            steps.append(None)
            continue
        step = cents(b, a)
        steps.append(
            "rising" if step > level_cents else "falling" if step < -level_cents else "level"
        )
    return steps


def check_pitch_range(floor_hz: float, ceiling_hz: float) -> None:
    """Raise ParameterError unless 0 < floor_hz < ceiling_hz."""
    if not 0 < floor_hz < ceiling_hz:
        raise ParameterError(
            "pitch range must satisfy 0 < pitch_floor_hz < pitch_ceiling_hz, "
            f"got {floor_hz} .. {ceiling_hz} Hz"
        )


def track_pitch(
    samples: np.ndarray,
    sample_rate: int,
    *,
    floor_hz: float = 50.0,
    ceiling_hz: float = 1000.0,
    voicing_threshold: float = 0.45,
    time_step_s: float | None = None,
) -> PitchTrack:
    """Pitch track of mono ``samples``: Praat autocorrelation, or YIN without parselmouth."""
    check_pitch_range(floor_hz, ceiling_hz)
    x = np.asarray(samples, dtype=np.float64)
    if parselmouth is None:
        warnings.warn(
            "parselmouth (praat-parselmouth) is not importable; pitch falls back to numpy YIN",
            RuntimeWarning,
            stacklevel=2,
        )
        return yin_track(x, sample_rate, floor_hz=floor_hz, ceiling_hz=ceiling_hz)
    # Praat needs three periods of the floor inside the signal; shorter input has no pitch.
    if len(x) < 3.0 * sample_rate / floor_hz:
        return PitchTrack(np.zeros(0), np.zeros(0), "praat-ac")
    pitch = parselmouth.Sound(x, sampling_frequency=sample_rate).to_pitch_ac(
        time_step=time_step_s,
        pitch_floor=floor_hz,
        pitch_ceiling=ceiling_hz,
        voicing_threshold=voicing_threshold,
    )
    f0 = pitch.selected_array["frequency"].astype(np.float64)
    f0[f0 <= 0] = np.nan
    return PitchTrack(np.asarray(pitch.xs(), dtype=np.float64), f0, "praat-ac")


def _yin_cmnd(frames: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """YIN difference function d(τ) and its cumulative-mean normalisation, per row of
    ``frames`` (each row holds window + max_lag samples; the window is the first part)."""
    window = frames.shape[1] - max_lag
    n_fft = 1 << int(np.ceil(np.log2(frames.shape[1] + window)))
    head = np.fft.rfft(frames[:, :window], n_fft)
    whole = np.fft.rfft(frames, n_fft)
    corr = np.fft.irfft(np.conj(head) * whole, n_fft)[:, : max_lag + 1]
    squares = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(max_lag + 1)
    energy_lag = squares[:, lags + window] - squares[:, lags]
    diff = np.maximum(energy_lag[:, :1] + energy_lag - 2.0 * corr, 0.0)
    running = np.cumsum(diff[:, 1:], axis=1) / lags[1:]
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(running, 1e-20)
    return diff, cmnd


def _yin_pick(diff: np.ndarray, cmnd: np.ndarray, min_lag: int) -> np.ndarray:
    """Per row: fractional lag of the first dip under YIN_THRESHOLD (NaN when none)."""
    rows = len(cmnd)
    lags = np.full(rows, np.nan)
    for row in range(rows):
        below = np.flatnonzero(cmnd[row, min_lag:-1] < YIN_THRESHOLD)
        if below.size == 0:
            continue
        tau = below[0] + min_lag
        while tau + 1 < cmnd.shape[1] - 1 and cmnd[row, tau + 1] < cmnd[row, tau]:
            tau += 1
        # Parabolic interpolation on the raw difference function: sub-sample lag.
        a, b, c = diff[row, tau - 1], diff[row, tau], diff[row, tau + 1]
        denom = a - 2.0 * b + c
        lags[row] = tau + (0.5 * (a - c) / denom if denom > 0 else 0.0)
    return lags


def yin_frames(
    frames: np.ndarray, sample_rate: int, *, floor_hz: float, ceiling_hz: float
) -> np.ndarray:
    """f0 (Hz, NaN if aperiodic) of each row of ``frames``; rows are window + 1/floor long."""
    max_lag = int(np.ceil(sample_rate / floor_hz))
    min_lag = max(int(np.floor(sample_rate / ceiling_hz)), 2)
    if frames.shape[1] <= max_lag + min_lag:
        raise ParameterError(
            f"YIN frames must be longer than {max_lag + min_lag} samples for a "
            f"{floor_hz} Hz floor, got {frames.shape[1]}"
        )
    diff, cmnd = _yin_cmnd(np.asarray(frames, dtype=np.float64), max_lag)
    return sample_rate / _yin_pick(diff, cmnd, min_lag)


def yin_track(
    samples: np.ndarray,
    sample_rate: int,
    *,
    floor_hz: float = 50.0,
    ceiling_hz: float = 1000.0,
    time_step_s: float = 0.01,
    silence_db: float = -60.0,
) -> PitchTrack:
    """YIN pitch track (frames of two floor periods + one for the lag search).

    Frames quieter than ``silence_db`` (RMS re full scale) are unvoiced.
    """
    check_pitch_range(floor_hz, ceiling_hz)
    x = np.asarray(samples, dtype=np.float64)
    max_lag = int(np.ceil(sample_rate / floor_hz))
    length = 3 * max_lag
    hop = max(int(round(time_step_s * sample_rate)), 1)
    if len(x) < length:
        return PitchTrack(np.zeros(0), np.zeros(0), "yin")
    frames = np.lib.stride_tricks.sliding_window_view(x, length)[::hop]
    f0 = yin_frames(frames, sample_rate, floor_hz=floor_hz, ceiling_hz=ceiling_hz)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    f0[rms < 10.0 ** (silence_db / 20.0)] = np.nan
    f0[(f0 < floor_hz) | (f0 > ceiling_hz)] = np.nan
    times_s = (np.arange(len(frames)) * hop + length / 2.0) / sample_rate
    return PitchTrack(times_s, f0, "yin")
