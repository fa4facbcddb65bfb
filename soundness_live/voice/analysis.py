"""Scoring a vocal answer (METRICS.md §4): onset, syllables, pitch, contour, intensity.

:func:`analyze_voice` takes a recording as a numpy array (any rate, mono or channels-last) and
returns a :class:`VoiceAnalysis`. Everything runs at 16 kHz after a polyphase resampler. Times
are ms from the start of ``samples``; VAD frames stand for their START (``frame_time_convention``).
Pure functions on arrays: the same code scores a file offline and a take recorded live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.voice.meter import VoiceMeter
from soundness_live.voice.pitch import (
    PitchTrack,
    cents,
    check_pitch_range,
    contour_of,
    track_pitch,
)
from soundness_live.voice.syllables import (
    Intensity,
    SyllableNuclei,
    find_syllable_nuclei,
    intensity_contour,
)
from soundness_live.voice.vad import (
    FRAME_TIME_CONVENTION,
    SILENCE_DB,
    VAD_RATE_HZ,
    VOICE_ABOVE_FLOOR_DB,
    as_mono_float,
    first_run_start,
    resample_to,
    voiced_frames,
)

__all__ = ["VoiceAnalysis", "VoiceMeter", "analyze_voice", "as_mono_float", "contour_of"]

VAD_FRAME_MS = 10
VAD_MIN_RUN = 3
SYLLABLE_VOICING_THRESHOLD = 0.25  # the voicing check of de Jong & Wempe v3
PRAAT_VOICING_THRESHOLD = 0.45  # Praat's default, for the reported pitch
# Pitch is tracked from this long before the onset to this long after the VAD's last speech
# frame: long listening windows then cost little more than the answer itself.
PITCH_MARGIN_S = (0.1, 0.3)


@dataclass(frozen=True)
class VoiceAnalysis:
    """Scores of one vocal answer; None where not computable (all None when no voice).

    Times are ms from the start of the recording; ``voice_onset_latency_ms`` = onset − the
    prompt's end. ``median_f0_hz`` is over the voiced span (``duration_ms``: first to last voiced
    pitch frame from the onset on); ``syllable_pitches_hz`` and ``voiced_durations_ms`` belong
    to each nucleus' voiced segment between its intensity dips; ``contour`` holds one step
    ("rising" / "falling" / "level" within 50 cents) between consecutive syllables. Speech rate
    is per second of the analysed audio, articulation rate per second of its sounding parts.
    ``noise_floor_db`` is the room's noise floor a voiced frame had to clear by 6 dB (dB re
    full scale; None when no room was given, or the room was digital silence: no floor).
    ``onset_censored`` is True when the voice was already sounding where listening began: the
    onset is then where listening began, not where the voice started, and the latency is None.
    """

    voice_onset_ms: float | None
    voice_onset_latency_ms: float | None
    syllables: int | None
    target_syllables: int | None
    median_f0_hz: float | None
    pitch_error_cents: float | None
    pitch_sd_cents: float | None
    syllable_pitches_hz: tuple[float | None, ...]
    contour: tuple[str | None, ...]
    contour_correct: bool | None
    duration_ms: float | None
    intensity_db: float | None
    voiced_durations_ms: tuple[float, ...]
    nuclei_ms: tuple[float, ...]
    speech_rate_per_s: float | None
    articulation_rate_per_s: float | None
    pitch_method: str
    noise_floor_db: float | None = None
    onset_censored: bool | None = None
    frame_time_convention: str = FRAME_TIME_CONVENTION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _voiced_run(pitch: PitchTrack, time_s: float, lo_s: float, hi_s: float) -> np.ndarray:
    """Indices of the voiced run inside [lo_s, hi_s] nearest to ``time_s`` (maybe empty)."""
    inside = np.flatnonzero((pitch.times_s >= lo_s) & (pitch.times_s <= hi_s) & pitch.voiced)
    if inside.size == 0:
        return inside
    runs = np.split(inside, np.flatnonzero(np.diff(inside) > 1) + 1)
    return min(runs, key=lambda run: np.min(np.abs(pitch.times_s[run] - time_s)))


def _syllable_pitches(
    pitch: PitchTrack, nuclei: SyllableNuclei
) -> tuple[list[float | None], list[float]]:
    """Per nucleus: median f0 and duration (ms) of its voiced segment between its dips."""
    step_s = float(np.median(np.diff(pitch.times_s))) if len(pitch.times_s) > 1 else 0.0
    pitches: list[float | None] = []
    durations_ms: list[float] = []
    for time_s, (lo_s, hi_s) in zip(nuclei.times_s, nuclei.bounds_s, strict=True):
        run = _voiced_run(pitch, time_s, lo_s, hi_s)
        pitches.append(float(np.median(pitch.f0_hz[run])) if run.size else None)
        durations_ms.append(1000.0 * run.size * step_s)
    return pitches, durations_ms


def _pitch_scores(
    median_hz: float | None, syllable_hz: list[float | None], target_hz: Any
) -> tuple[float | None, float | None, bool | None]:
    """(pitch_error_cents, pitch_sd_cents, contour_correct) against one target or one per
    syllable (then errors pair syllables with targets in order)."""
    if target_hz is None:
        return None, None, None
    if np.ndim(target_hz) == 0:
        error = cents(median_hz, float(target_hz)) if median_hz is not None else None
        return error, None, None
    targets = [float(t) for t in target_hz]
    errors = [cents(f, t) for f, t in zip(syllable_hz, targets, strict=False) if f is not None]
    mean = float(np.mean(errors)) if errors else None
    sd = float(np.std(errors, ddof=1)) if len(errors) >= 2 else None
    wanted = contour_of(targets)
    heard = contour_of(syllable_hz[: len(targets)])
    correct = None if len(syllable_hz) < 2 or not wanted else heard == wanted
    return mean, sd, correct


def _check_arguments(sample_rate: int, floor_hz: float, ceiling_hz: float, target: Any) -> None:
    """Raise ParameterError for a bad rate, pitch range or target."""
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate < 8000:
        raise ParameterError(f"sample_rate must be an integer >= 8000 Hz, got {sample_rate!r}")
    check_pitch_range(floor_hz, ceiling_hz)
    if target is not None and np.any(np.asarray(target, dtype=float) <= 0):
        raise ParameterError(f"target_hz must be > 0 Hz, got {target!r}")


def analyze_voice(
    samples: np.ndarray,
    sample_rate: int,
    *,
    prompt_end_ms: float | None = None,
    target_syllables: int | None = None,
    target_hz: float | Sequence[float] | None = None,
    pitch_floor_hz: float = 50.0,
    pitch_ceiling_hz: float = 1000.0,
    vad_mode: int = 2,
    listen_from_ms: float = 0.0,
    calibration_db: float = 0.0,
    noise_floor_ms: tuple[float, float] | None = None,
) -> VoiceAnalysis:
    """Score a vocal answer in ``samples`` (see METRICS.md §4 and the module docstring).

    The VAD hears the whole recording (it adapts from the first frame: start the recording when
    the microphone opened); the onset, syllables and pitch are taken from ``listen_from_ms`` on
    (e.g. the prompt's end, so speech before it is ignored). ``noise_floor_ms`` is the span of
    the recording that holds the room before the prompt: a voiced frame must clear its noise
    floor by 6 dB (``vad.voiced_frames``; None: the VAD alone, for clean audio such as a
    prompt's own sound). ``target_hz`` is one pitch, or one per syllable (then the contour is
    scored). ``intensity_db`` is the energy mean over the voiced span, dB re full scale +
    calibration_db.
    """
    _check_arguments(sample_rate, pitch_floor_hz, pitch_ceiling_hz, target_hz)
    x = resample_to(as_mono_float(samples), int(sample_rate))
    flags, floor_db = voiced_frames(
        x, noise_floor_ms=noise_floor_ms, mode=vad_mode, frame_ms=VAD_FRAME_MS
    )
    if floor_db is not None and floor_db <= SILENCE_DB:
        floor_db = None  # a digitally silent room has no floor to clear
    first = int(np.ceil(max(listen_from_ms, 0.0) / VAD_FRAME_MS))
    onset_frame = first_run_start(flags, min_run=VAD_MIN_RUN, from_index=first)
    start = min(first * VAD_FRAME_MS * VAD_RATE_HZ // 1000, len(x))
    if onset_frame is None:
        return _no_voice(floor_db)
    onset_ms = float(onset_frame * VAD_FRAME_MS)
    voice_end_ms = float((np.flatnonzero(flags)[-1] + 1) * VAD_FRAME_MS)
    # voiced in the frame before listening began, and on without a break: already sounding
    censored = onset_frame == first and 0 < first <= len(flags) and bool(flags[first - 1])
    found = _score_region(
        x[start:],
        offset_ms=start * 1000.0 / VAD_RATE_HZ,
        voice_ms=(onset_ms, voice_end_ms),
        prompt_end_ms=prompt_end_ms,
        target_syllables=target_syllables,
        target_hz=target_hz,
        pitch_range_hz=(pitch_floor_hz, pitch_ceiling_hz),
        calibration_db=calibration_db,
        noise_floor_db=floor_db,
    )
    if censored:
        return replace(found, onset_censored=True, voice_onset_latency_ms=None)
    return replace(found, onset_censored=False)


def _no_voice(noise_floor_db: float | None) -> VoiceAnalysis:
    """The record of an answer with no voice in it: every score None, the syllables asked for
    too (METRICS.md: null when no voice; a vocal trial keeps what was asked in its params)."""
    return VoiceAnalysis(
        voice_onset_ms=None,
        voice_onset_latency_ms=None,
        syllables=None,
        target_syllables=None,
        median_f0_hz=None,
        pitch_error_cents=None,
        pitch_sd_cents=None,
        syllable_pitches_hz=(),
        contour=(),
        contour_correct=None,
        duration_ms=None,
        intensity_db=None,
        voiced_durations_ms=(),
        nuclei_ms=(),
        speech_rate_per_s=None,
        articulation_rate_per_s=None,
        pitch_method="none",
        noise_floor_db=noise_floor_db,
    )


def _voiced_span_s(pitch: PitchTrack, from_s: float) -> tuple[float, float] | None:
    """(start, end) of the voiced frames from ``from_s`` on: first frame centre − half a step
    to last frame centre + half a step; None when nothing is voiced."""
    voiced = np.flatnonzero(pitch.voiced & (pitch.times_s >= from_s))
    if voiced.size == 0:
        return None
    half_s = float(np.median(np.diff(pitch.times_s))) / 2.0 if len(pitch.times_s) > 1 else 0.0
    return float(pitch.times_s[voiced[0]] - half_s), float(pitch.times_s[voiced[-1]] + half_s)


def _energy_mean_db(intensity: Intensity, span_s: tuple[float, float] | None) -> float | None:
    """Energy mean (not the mean of dB values) of the intensity frames inside ``span_s``."""
    if span_s is None:
        return None
    inside = (intensity.times_s >= span_s[0]) & (intensity.times_s <= span_s[1])
    if not inside.any():
        return None
    return float(10.0 * np.log10(np.mean(10.0 ** (intensity.db[inside] / 10.0))))


def _pitch_tracks(
    x: np.ndarray, crop_s: tuple[float, float], pitch_range_hz: tuple[float, float]
) -> tuple[PitchTrack, PitchTrack]:
    """(reported pitch, v3 voicing track) of ``x`` inside ``crop_s``, timed on ``x``'s axis."""
    start = max(int(crop_s[0] * VAD_RATE_HZ), 0)
    end = min(int(crop_s[1] * VAD_RATE_HZ), len(x))
    tracks = []
    for threshold in (PRAAT_VOICING_THRESHOLD, SYLLABLE_VOICING_THRESHOLD):
        track = track_pitch(
            x[start:end],
            VAD_RATE_HZ,
            floor_hz=pitch_range_hz[0],
            ceiling_hz=pitch_range_hz[1],
            voicing_threshold=threshold,
        )
        tracks.append(PitchTrack(track.times_s + start / VAD_RATE_HZ, track.f0_hz, track.method))
    return tracks[0], tracks[1]


def _score_region(
    x: np.ndarray,
    *,
    offset_ms: float,
    voice_ms: tuple[float, float],
    prompt_end_ms: float | None,
    target_syllables: int | None,
    target_hz: Any,
    pitch_range_hz: tuple[float, float],
    calibration_db: float,
    noise_floor_db: float | None,
) -> VoiceAnalysis:
    """Scores of the 16 kHz region ``x`` (which starts ``offset_ms`` into the recording)."""
    onset_ms = voice_ms[0]
    crop_s = (
        (voice_ms[0] - offset_ms) / 1000.0 - PITCH_MARGIN_S[0],
        (voice_ms[1] - offset_ms) / 1000.0 + PITCH_MARGIN_S[1],
    )
    pitch, voicing = _pitch_tracks(x, crop_s, pitch_range_hz)
    intensity = intensity_contour(x, VAD_RATE_HZ, calibration_db=calibration_db)
    # the floor is on the frame energies' scale (re full scale): the contour adds calibration
    voice_from_db = (
        None
        if noise_floor_db is None or noise_floor_db <= SILENCE_DB
        else noise_floor_db + VOICE_ABOVE_FLOOR_DB + calibration_db
    )
    nuclei = find_syllable_nuclei(
        intensity, voicing, total_s=len(x) / VAD_RATE_HZ, voice_from_db=voice_from_db
    )
    # Frames from one VAD frame before the onset: the pitch frame holding it may start earlier.
    span = _voiced_span_s(pitch, (onset_ms - offset_ms - VAD_FRAME_MS) / 1000.0)
    median_hz = pitch.median_hz(*span) if span else None
    syllable_hz, durations_ms = _syllable_pitches(pitch, nuclei)
    error, sd, contour_ok = _pitch_scores(median_hz, syllable_hz, target_hz)
    return VoiceAnalysis(
        voice_onset_ms=onset_ms,
        voice_onset_latency_ms=None if prompt_end_ms is None else onset_ms - prompt_end_ms,
        syllables=nuclei.count,
        target_syllables=target_syllables,
        median_f0_hz=median_hz,
        pitch_error_cents=error,
        pitch_sd_cents=sd,
        syllable_pitches_hz=tuple(syllable_hz),
        contour=tuple(contour_of(syllable_hz)),
        contour_correct=contour_ok,
        duration_ms=None if span is None else 1000.0 * (span[1] - span[0]),
        intensity_db=_energy_mean_db(intensity, span),
        voiced_durations_ms=tuple(durations_ms),
        nuclei_ms=tuple(offset_ms + 1000.0 * t for t in nuclei.times_s),
        speech_rate_per_s=nuclei.speech_rate_per_s,
        articulation_rate_per_s=nuclei.articulation_rate_per_s,
        pitch_method=pitch.method,
        noise_floor_db=noise_floor_db,
    )
