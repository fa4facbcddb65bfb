"""A new voice's state: a region played at a key and velocity, on a channel's controllers,
turned into the columns the kernel runs (:mod:`.voice_state`), as FluidSynth 2.3 sets up a
voice.

Gain staging follows FluidSynth: attenuation = 0.4 x initialAttenuation + the modulators'
centibels, clamped to 0..1440 cB; the output is ``gain x pan law x 10^(-attenuation/200) x
envelope x filter``, where the pan law is FluidSynth's equal-power sine over -500..500 and the
filter's gain is 1/sqrt(Q) (+1.5 dB at Q = 0: the filter is always on, at 19.9 kHz by
default). With the default gain of 0.2 a note sounds at FluidSynth's level.

The synth does not call :func:`new_voice` at note-on: :mod:`.note_on` runs the same
arithmetic, compiled, from tables built per region when the synth is made. This is its
readable model, to which the tests hold the tables (every field equal within 1e-6).

Modulators to destinations other than pitch, filter, LFOs, pan and attenuation (envelope
times, reverb and chorus sends) are read but not applied: none of the fonts we meet uses them
and the synth has no reverb or chorus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import voice_state as vs
from .envelope import CONTROL_FRAMES, INSTANT_S, SECTIONS, envelope_sections
from .modulators import ControllerAmounts, NoteSources, modulation, voice_modulators
from .region import Modulator, Region
from .voice_state import KEPT, N_PARAMS, N_STATE

__all__ = [
    "INITIAL_ATTENUATION_FACTOR",
    "new_voice",
    "pan_gains",
    "q_linear",
]

INITIAL_ATTENUATION_FACTOR = 0.4  # EMU hardware and FluidSynth: 0.4 cB per unit
Q_OFFSET_DB = 3.01  # FluidSynth: Q = 0 cB is a Butterworth low-pass (no resonant hump)
# generator numbers modulators may reach here
(MOD_LFO_TO_PITCH, VIB_LFO_TO_PITCH, MOD_ENV_TO_PITCH, FILTER_FC, FILTER_Q) = (5, 6, 7, 8, 9)
MOD_LFO_TO_FC, MOD_ENV_TO_FC, MOD_LFO_TO_VOLUME, PAN, ATTENUATION = 10, 11, 13, 17, 48
MOD_LFO_DELAY, MOD_LFO_FREQ, VIB_LFO_DELAY, VIB_LFO_FREQ = 21, 22, 23, 24
COARSE_TUNE, FINE_TUNE = 51, 52


def q_linear(q_cb: float) -> float:
    """The filter's linear Q from initialFilterQ (cB, after modulators), as FluidSynth maps it."""
    q_db = min(max(q_cb / 10.0, 0.0), 96.0) - Q_OFFSET_DB
    return 10.0 ** (q_db / 20.0)


def pan_gains(pan: np.ndarray, gain: float, left: np.ndarray, right: np.ndarray) -> None:
    """Left and right gains for pan (-500 left .. 500 right), FluidSynth's equal-power law,
    into ``left`` and ``right`` with nothing allocated (the audio callback's controller
    changes); ``pan`` is clipped in place."""
    np.clip(pan, -500.0, 500.0, out=pan)
    for side, out in ((-1.0, left), (1.0, right)):
        np.multiply(pan, side, out=out)
        out += 500.0
        out *= math.pi
        out /= 2002.0
        np.sin(out, out=out)
        out *= gain


def _clamp(value: float, limit: float) -> float:
    return min(max(value, -limit), limit)


def new_voice(
    region: Region,
    key: int,
    velocity: int,
    controllers: Sequence[int],
    sample_rate: int,
    gain: float,
    wheel: tuple[int, int, float] = (0, 8192, 2.0),
    modulators: tuple[Modulator, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``state`` and ``params`` columns of a voice of ``region`` for ``key`` at
    ``velocity`` on a channel whose CC values are ``controllers`` (128) and whose channel
    pressure, pitch wheel and wheel sensitivity (semitones) are ``wheel``. Position fields and
    the channel, key and flags are the caller's to set. The default routes of the wheel and
    the pressure are not in the columns: the kernel adds them from the channel's sources.
    ``modulators``: the region's (:func:`.modulators.voice_modulators`), when known."""
    key_used = region.fixed_key if region.fixed_key >= 0 else key
    velocity_used = region.fixed_velocity if region.fixed_velocity >= 0 else velocity
    if modulators is None:
        modulators = voice_modulators(region.instrument_modulators, region.preset_modulators)
    sources = NoteSources(key_used, velocity_used, controllers, *wheel)
    totals, amounts = modulation(modulators, sources)
    state = np.zeros(N_STATE, dtype=np.int64)
    params = np.zeros(N_PARAMS, dtype=np.float64)
    params[KEPT:] = np.nan  # nothing computed yet
    _set_pitch(params, region, key_used, totals, sample_rate)
    _set_level(params, region, totals, amounts, controllers, gain)
    _set_filter(params, region, totals)
    _set_lfos(state, params, region, totals, amounts, controllers, sample_rate)
    _set_envelopes(state, params, region, key_used, sample_rate)
    return state, params


def _set_pitch(
    params: np.ndarray, region: Region, key: int, totals: dict[int, float], sample_rate: int
) -> None:
    """Cents from the sample's own pitch at the output rate (a step of 2**(cents/1200))."""
    cents = region.scale_tuning * (key - region.root_key) + region.tune_cents
    cents += 100.0 * totals.get(COARSE_TUNE, 0.0) + totals.get(FINE_TUNE, 0.0)
    params[vs.PITCH] = cents + 1200.0 * math.log2(region.sample_rate / sample_rate)


def _set_level(
    params: np.ndarray,
    region: Region,
    totals: dict[int, float],
    amounts: ControllerAmounts,
    controllers: Sequence[int],
    gain: float,
) -> None:
    """Attenuation and pan, with their controller parts kept apart for later changes."""
    base_cb = INITIAL_ATTENUATION_FACTOR * region.attenuation_cb + totals.get(ATTENUATION, 0.0)
    params[vs.ATTEN_BASE] = base_cb
    params[vs.PAN_BASE] = 500.0 * region.pan + totals.get(PAN, 0.0)
    params[vs.CC7_AMOUNT], params[vs.CC11_AMOUNT] = amounts.volume, amounts.expression
    params[vs.CC10_AMOUNT], params[vs.CC1_AMOUNT] = amounts.pan, amounts.vibrato
    params[vs.WHEEL_AMOUNT], params[vs.PRESSURE_AMOUNT] = amounts.wheel, amounts.pressure
    cc_cb = amounts.attenuation_cb(controllers[7], controllers[11])
    params[vs.ATTEN] = min(max(base_cb + cc_cb, 0.0), 1440.0)
    pan = min(max(params[vs.PAN_BASE] + amounts.pan_offset(controllers[10]), -500.0), 500.0)
    params[vs.GAIN_L] = gain * math.sin((500.0 - pan) * math.pi / 2002.0)  # as pan_gains
    params[vs.GAIN_R] = gain * math.sin((500.0 + pan) * math.pi / 2002.0)


def _set_filter(params: np.ndarray, region: Region, totals: dict[int, float]) -> None:
    """Cutoff (absolute cents, clamped by the kernel after modulation), Q and its gain."""
    params[vs.FC] = region.filter_fc_cents + totals.get(FILTER_FC, 0.0)
    q = q_linear(region.filter_q_cb + totals.get(FILTER_Q, 0.0))
    params[vs.Q_LIN], params[vs.FILTER_GAIN] = q, 1.0 / math.sqrt(q)
    params[vs.LAST_HZ] = -1.0
    params[vs.MOD_ENV_TO_FC] = _clamp(region.mod_env_to_fc + totals.get(MOD_ENV_TO_FC, 0.0), 12000)
    params[vs.MOD_LFO_TO_FC] = _clamp(region.mod_lfo_to_fc + totals.get(MOD_LFO_TO_FC, 0.0), 12000)


def _set_lfos(
    state: np.ndarray,
    params: np.ndarray,
    region: Region,
    totals: dict[int, float],
    amounts: ControllerAmounts,
    controllers: Sequence[int],
    sample_rate: int,
) -> None:
    """Both LFOs: triangle step per control period, delays in frames, routings."""

    def step(hz: float, cents: float) -> float:
        return 4.0 * CONTROL_FRAMES * hz * 2.0 ** (cents / 1200.0) / sample_rate

    def delay(seconds: float, timecents: float) -> int:
        return int(sample_rate * max(seconds, INSTANT_S) * 2.0 ** (timecents / 1200.0))

    params[vs.MOD_LFO_INC] = step(region.mod_lfo_hz, totals.get(MOD_LFO_FREQ, 0.0))
    params[vs.VIB_LFO_INC] = step(region.vib_lfo_hz, totals.get(VIB_LFO_FREQ, 0.0))
    state[vs.MOD_LFO_DELAY] = delay(region.mod_lfo_delay_s, totals.get(MOD_LFO_DELAY, 0.0))
    state[vs.VIB_LFO_DELAY] = delay(region.vib_lfo_delay_s, totals.get(VIB_LFO_DELAY, 0.0))
    pitch = region.mod_lfo_to_pitch + totals.get(MOD_LFO_TO_PITCH, 0.0)
    params[vs.MOD_LFO_TO_PITCH] = _clamp(pitch, 12000)
    volume = region.mod_lfo_to_volume_cb + totals.get(MOD_LFO_TO_VOLUME, 0.0)
    params[vs.MOD_LFO_TO_VOL] = _clamp(volume, 960)
    params[vs.VIB_BASE] = region.vib_lfo_to_pitch + totals.get(VIB_LFO_TO_PITCH, 0.0)
    vibrato = params[vs.VIB_BASE] + amounts.vibrato_cents(controllers[1])
    params[vs.VIB_LFO_TO_PITCH] = _clamp(vibrato, 12000)
    pitch = region.mod_env_to_pitch + totals.get(MOD_ENV_TO_PITCH, 0.0)
    params[vs.MOD_ENV_TO_PITCH] = _clamp(pitch, 12000)


def _set_envelopes(
    state: np.ndarray, params: np.ndarray, region: Region, key: int, sample_rate: int
) -> None:
    """Both envelopes' section tables; each starts in its delay section at value 0."""
    for which in (0, 1):
        counts, rows = envelope_sections(region, key, sample_rate, modulation=which == 1)
        first = vs.ENV_COUNTS + which * SECTIONS
        state[first : first + SECTIONS] = counts
        first = vs.ENV + which * SECTIONS * 4
        params[first : first + SECTIONS * 4] = rows.ravel()
