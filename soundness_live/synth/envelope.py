"""Volume envelope and level maths of the synth, in exact integer (fixed-point) form.

Why integers: every per-sample quantity of a voice is a *ramp* ``clip(b + s * age, lo, hi)``
of its age in frames. With integer ``b``, ``s`` and ``age`` the value at a frame is exact, so
it is the same whether a block starts at that frame or 500 frames earlier: the output is
bit-identical whatever the block split. Two ramps shape every voice:

- the level ramp, in centibels of attenuation (``CB_ONE`` units per cB). It is linear in cB,
  i.e. exponential in amplitude, as SoundFont 2.04 wants for decay and release: 0 cB through
  delay/attack/hold, then rising to the sustain level at 1000 cB per decay time (keynumToVolEnvDecay
  applied), and after note-off rising from wherever it was at 1000 cB per release time. The
  voice is silent for good at ``CB_SILENT`` (100 dB down): amplitude there is exactly 0.
- the linear ramp (``LIN_ONE`` = 1.0): the attack, linear in amplitude as the spec says, frozen
  at note-off; later reused as a linear fade-out when a voice is stolen or killed.

Amplitude = ``cb_to_amp_table[level >> CB_INDEX_SHIFT] * linear / LIN_ONE`` (1/16 cB steps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .region import Region

__all__ = [
    "CB_ONE",
    "CB_INDEX_SHIFT",
    "CB_SILENT",
    "LIN_ONE",
    "Ramp",
    "attack_ramp",
    "cb_to_amp_table",
    "centibels_to_amp",
    "decay_ramp",
    "fade_ramps",
    "frozen_ramps",
    "ramp_value",
    "ramp_values",
    "release_frames",
    "release_ramps",
    "velocity_cb",
    "controller_cb",
]

CB_ONE = 1 << 20  # level ramp units per centibel
CB_INDEX_SHIFT = 16  # level >> 16 = table index in 1/16 cB
CB_SILENT = 1000 * CB_ONE  # 100 dB of attenuation: the voice is over
LIN_ONE = 1 << 24  # linear ramp full scale
INITIAL_ATTENUATION_FACTOR = 0.4  # see velocity_cb
MIN_RELEASE_S = 0.002  # a 0 s release would click; SF2's own default is ~1 ms


@dataclass(frozen=True, slots=True)
class Ramp:
    """``value(age) = clip(b + s * min(age, sat), lo, hi)``; ``age`` counts frames since ``ref``.

    ``sat`` is an age from which the value no longer changes; clamping there keeps the integer
    products far from overflow on notes held for hours.
    """

    ref: int
    s: int
    b: int
    lo: int
    hi: int
    sat: int


def ramp_value(ramp: Ramp, frame: int) -> int:
    """The ramp's exact value at absolute ``frame`` (same arithmetic as the block renderer)."""
    age = min(frame - ramp.ref, ramp.sat)
    return min(max(ramp.b + ramp.s * age, ramp.lo), ramp.hi)


def _frames(seconds: float, sample_rate: int) -> int:
    return max(0, int(round(seconds * sample_rate)))


def _key_scaled(seconds: float, tc_per_key: float, key: int) -> float:
    # keynumToVolEnvHold/Decay: key 60 unchanged, time scaled by 2**((60 - key) * tc / 1200)
    return seconds * 2.0 ** ((60 - key) * tc_per_key / 1200.0)


def attack_ramp(region: Region, key: int, start_frame: int, sample_rate: int) -> Ramp:
    """Linear ramp of a new voice: 0 during delay, linear attack to full, then full."""
    delay = _frames(region.delay_s, sample_rate)
    attack = _frames(region.attack_s, sample_rate)
    # (age - delay + 1) / (attack + 1): a 0 s attack is at full level on the note's first frame
    slope = -(-LIN_ONE // (attack + 1))
    return Ramp(start_frame, slope, slope * (1 - delay), 0, LIN_ONE, delay + attack + 1)


def decay_ramp(region: Region, key: int, start_frame: int, sample_rate: int) -> Ramp:
    """Level ramp of a new voice: 0 cB until delay+attack+hold ends, then decay to sustain."""
    hold_s = _key_scaled(region.hold_s, region.key_to_hold_tc, key)
    decay_s = _key_scaled(region.decay_s, region.key_to_decay_tc, key)
    decay_start = _frames(region.delay_s + region.attack_s, sample_rate)
    decay_start += _frames(hold_s, sample_rate)
    slope = -(-CB_SILENT // max(1, _frames(decay_s, sample_rate)))
    sustain = min(max(0, int(round(region.sustain_cb * CB_ONE))), CB_SILENT)
    sat = decay_start + sustain // slope + 2
    return Ramp(start_frame, slope, -slope * decay_start, 0, sustain, sat)


def release_frames(region: Region, sample_rate: int) -> int:
    """Release time of ``region`` in frames (at least ``MIN_RELEASE_S``)."""
    floor = _frames(MIN_RELEASE_S, sample_rate)
    return max(_frames(region.release_s, sample_rate), floor, 1)


def ramp_values(ramps: np.ndarray, frame: int) -> np.ndarray:
    """Exact values at absolute ``frame`` of ramps stored as an int64 array ``(6, n)`` whose
    rows are the :class:`Ramp` fields in order (vectorised :func:`ramp_value`)."""
    ref, s, b, lo, hi, sat = ramps
    return np.minimum(np.maximum(b + s * np.minimum(frame - ref, sat), lo), hi)


def release_ramps(level: np.ndarray, frame: int, frames: np.ndarray) -> np.ndarray:
    """Level ramps ``(6, n)`` after note-off at ``frame``: from the current levels to silence
    in ``frames`` (per voice)."""
    start = ramp_values(level, frame)
    slope = -(-CB_SILENT // np.maximum(frames, 1))
    sat = (CB_SILENT - start) // slope + 2
    return np.stack(
        [np.full_like(start, frame), slope, start, start, np.full_like(start, CB_SILENT), sat]
    )


def frozen_ramps(linear: np.ndarray, frame: int) -> np.ndarray:
    """The linear ramps ``(6, n)`` held at their values at ``frame`` (the attack stops)."""
    value = ramp_values(linear, frame)
    zero = np.zeros_like(value)
    return np.stack([np.full_like(value, frame), zero, value, value, value, zero])


def fade_ramps(linear: np.ndarray, frame: int, fade_frames: int) -> np.ndarray:
    """Linear fades ``(6, n)`` from the current linear values to 0 over at most
    ``fade_frames``."""
    start = ramp_values(linear, frame)
    slope = -(-LIN_ONE // max(1, fade_frames))
    frames, zero = np.full_like(start, frame), np.zeros_like(start)
    return np.stack([frames, np.full_like(start, -slope), start, zero, start, start // slope + 2])


def _build_table() -> np.ndarray:
    steps = CB_SILENT >> CB_INDEX_SHIFT  # 16000 steps of 1/16 cB
    cb = np.arange(steps + 1, dtype=np.float64) / (1 << (20 - CB_INDEX_SHIFT))
    table = (10.0 ** (-cb / 200.0)).astype(np.float32)
    table[-1] = 0.0  # 100 dB down: silent for good, exactly
    return table


cb_to_amp_table: np.ndarray = _build_table()


def centibels_to_amp(cb: float) -> float:
    """Amplitude factor of an attenuation in centibels (200 cB = factor 10)."""
    return 10.0 ** (-cb / 200.0)


def velocity_cb(velocity: int) -> float:
    """Attenuation (cB) from the SF2 default velocity modulator: concave, 960 cB.

    The SF2 2.04 concave curve gives ``-200 * log10((v / 127) ** 2)``: amplitude
    ``(v / 127) ** 2`` (velocity 64 is 11.9 dB down), reaching 960 cB at velocity 0.
    The region's initialAttenuation is applied times ``INITIAL_ATTENUATION_FACTOR`` (0.4),
    as EMU hardware and FluidSynth do, since SoundFonts are voiced for that behaviour.
    """
    return controller_cb(velocity)


def controller_cb(value: int) -> float:
    """Attenuation (cB) of the concave 960 cB curve for a 0..127 value (CC7, CC11, velocity)."""
    if value <= 0:
        return 960.0
    return min(960.0, -400.0 * math.log10(min(value, 127) / 127.0))
