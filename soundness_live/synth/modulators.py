"""SoundFont 2.04 modulators (§8.2, §8.4, §9.5) evaluated at note-on, as FluidSynth 2.3 does.

A modulator maps a source (velocity, key, a MIDI controller...) through a curve onto a
generator: ``amount x source x amount-source``. A voice gets the default modulators of
§8.4, each replaced by an identical instrument modulator of its zone; the preset's identical
ones add their amount, other preset modulators join (§9.5). The sum per destination is added
to the zone's generator value.

Where FluidSynth differs from the letter of the specification we follow FluidSynth, whose
sound the SoundFonts we meet were voiced against (measured: following the letter fails 61
notes of FluidR3 against it):

- sources count over a range of 128 (16384 for the pitch wheel), not 127;
- the velocity → filter cutoff default (§8.4.2) contributes nothing, nor does any modulator
  identical to it;
- CC10 → pan has amount 500 (full left or right), not 1000.

Values that MIDI controllers change while a note sounds (CC7 volume, CC11 expression, CC10
pan, CC1 mod wheel, the pitch wheel with its sensitivity, channel pressure) are kept apart per
voice (:class:`ControllerAmounts`) so the synth can follow them; every other source is read at
note-on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .region import Modulator

__all__ = [
    "DEFAULT_MODULATORS",
    "ControllerAmounts",
    "concave",
    "convex",
    "modulation",
    "pitch_wheel_source",
    "split_modulators",
    "voice_modulators",
]

# source operators (§8.2.1): controller index, CC flag, direction, polarity, curve
_CC = 0x80
_NEGATIVE, _BIPOLAR = 0x100, 0x200
_LINEAR, _CONCAVE, _CONVEX, _SWITCH = range(4)
NO_SOURCE, VELOCITY, KEY, CHANNEL_PRESSURE, PITCH_WHEEL, WHEEL_RANGE = 0, 2, 3, 13, 14, 16
# destinations (generator numbers)
FILTER_FC, VIB_LFO_TO_PITCH, PAN, ATTENUATION, FINE_TUNE = 8, 6, 17, 48, 52

CC7_VOLUME = Modulator(0x0587, ATTENUATION, 960)
CC11_EXPRESSION = Modulator(0x058B, ATTENUATION, 960)
CC10_PAN = Modulator(0x028A, PAN, 500)
CC1_VIBRATO = Modulator(0x0081, VIB_LFO_TO_PITCH, 50)
PRESSURE_VIBRATO = Modulator(0x000D, VIB_LFO_TO_PITCH, 50)  # channel pressure -> vibrato
PITCH_WHEEL_TUNE = Modulator(0x020E, FINE_TUNE, 12700, 0x0010)  # wheel x its range (RPN 0)
DEFAULT_MODULATORS: tuple[Modulator, ...] = (
    Modulator(0x0502, ATTENUATION, 960),  # velocity, concave, negative
    Modulator(0x0102, FILTER_FC, -2400, 0x0C02),  # velocity -> cutoff: 0 in FluidSynth
    PRESSURE_VIBRATO,
    CC1_VIBRATO,
    CC7_VOLUME,
    CC10_PAN,
    CC11_EXPRESSION,
    PITCH_WHEEL_TUNE,
)
_FOLLOWED = (
    CC7_VOLUME,
    CC11_EXPRESSION,
    CC10_PAN,
    CC1_VIBRATO,
    PITCH_WHEEL_TUNE,
    PRESSURE_VIBRATO,
)
_CONTROLLER_MODS = {m.identity: m for m in _FOLLOWED}
_SILENT_VELOCITY_TO_FC = {(0x0102, FILTER_FC, 0x0C02), (0x0102, FILTER_FC, 0x0D02)}


def _concave_table() -> np.ndarray:
    """FluidSynth's 128-point concave curve: ``-(400/960) log10((127 - i) / 127)``."""
    table = np.zeros(128)
    i = np.arange(1, 127)
    table[1:127] = -(400.0 / 960.0) * np.log10((127.0 - i) / 127.0)
    table[127] = 1.0
    return table


CONCAVE_TABLE = _concave_table()
CONVEX_TABLE = 1.0 - CONCAVE_TABLE[::-1].copy()


def _curve(table: np.ndarray, x: float) -> float:
    """``table`` read at ``x`` (0..127), linearly between its points."""
    if x <= 0.0:
        return float(table[0])
    if x >= 127.0:
        return float(table[127])
    i = int(x)
    return float(table[i] + (table[i + 1] - table[i]) * (x - i))


def concave(x: float) -> float:
    """The concave curve at ``x`` in 0..127 (0 -> 0, 127 -> 1)."""
    return _curve(CONCAVE_TABLE, x)


def convex(x: float) -> float:
    """The convex curve at ``x`` in 0..127 (0 -> 0, 127 -> 1)."""
    return _curve(CONVEX_TABLE, x)


def _shape(curve: int, u: float) -> float:
    """A unipolar curve at ``u`` in 0..1."""
    if curve == _CONCAVE:
        return concave(127.0 * u)
    if curve == _CONVEX:
        return convex(127.0 * u)
    if curve == _SWITCH:
        return 1.0 if u >= 0.5 else 0.0
    return u


def transform_source(operator: int, value: float, value_range: float) -> float:
    """A source value (0 .. ``value_range``) through the operator's direction, polarity and
    curve (§8.2.1), as FluidSynth maps it."""
    u = value / value_range
    curve = (operator >> 10) & 3
    if operator & _NEGATIVE:
        u = 1.0 - u
    if not operator & _BIPOLAR:
        return _shape(curve, u)
    if curve in (_LINEAR, _SWITCH):
        return 2.0 * u - 1.0 if curve == _LINEAR else (1.0 if u >= 0.5 else -1.0)
    if u > 0.5:
        return _shape(curve, 2.0 * (u - 0.5))
    return -_shape(curve, 2.0 * (0.5 - u))


@dataclass(frozen=True, slots=True)
class NoteSources:
    """What a modulator may read at note-on: key, velocity and the channel's controllers."""

    key: int
    velocity: int
    controllers: Sequence[int]  # 128 CC values
    pressure: int = 0
    pitch_wheel: int = 8192
    wheel_range_semitones: float = 2.0


def _source(operator: int, sources: NoteSources) -> float | None:
    """The transformed value of a source operator; None for 'no controller'."""
    index = operator & 0x7F
    if operator & _CC:
        return transform_source(operator, float(sources.controllers[index]), 128.0)
    if index == NO_SOURCE:
        return None
    if index == VELOCITY:
        return transform_source(operator, float(sources.velocity), 128.0)
    if index == KEY:
        return transform_source(operator, float(sources.key), 128.0)
    if index == PITCH_WHEEL:
        return transform_source(operator, float(sources.pitch_wheel), 16384.0)
    if index == WHEEL_RANGE:
        return transform_source(operator, float(sources.wheel_range_semitones), 128.0)
    if index == CHANNEL_PRESSURE:
        return transform_source(operator, float(sources.pressure), 128.0)
    return transform_source(operator, 0.0, 128.0)  # polyphonic pressure, link: at rest


def pitch_wheel_source(pitch_wheel: int, range_semitones: float) -> float:
    """The default pitch wheel modulator's two sources multiplied: the wheel (bipolar,
    linear: 0 -> -1, 8192 -> 0, 16383 -> 0.99988) x its sensitivity (unipolar, over 128).
    Times the modulator's 12700 cents this is FluidSynth's bend: 198.4 cents up at a
    sensitivity of 2 semitones, 1190.5 at 12."""
    wheel = transform_source(PITCH_WHEEL_TUNE.source, float(pitch_wheel), 16384.0)
    return wheel * transform_source(PITCH_WHEEL_TUNE.amount_source, range_semitones, 128.0)


def modulator_value(modulator: Modulator, sources: NoteSources) -> float:
    """One modulator's contribution to its destination (§8.2)."""
    if modulator.identity in _SILENT_VELOCITY_TO_FC:
        return 0.0
    primary = _source(modulator.source, sources)
    if primary is None:
        return 0.0
    secondary = _source(modulator.amount_source, sources)
    value = modulator.amount * primary * (1.0 if secondary is None else secondary)
    return abs(value) if modulator.transform == 2 else value


def voice_modulators(
    instrument: Iterable[Modulator], preset: Iterable[Modulator]
) -> tuple[Modulator, ...]:
    """A voice's modulators: the defaults, each replaced by an identical instrument modulator
    (other instrument modulators join), then the preset's added (§9.5)."""
    merged = {m.identity: m for m in DEFAULT_MODULATORS}
    merged.update({m.identity: m for m in instrument})
    for m in preset:
        found = merged.get(m.identity)
        amount = m.amount + (found.amount if found is not None else 0)
        merged[m.identity] = Modulator(
            m.source, m.destination, amount, m.amount_source, m.transform
        )
    return tuple(merged.values())


@dataclass(frozen=True, slots=True)
class ControllerAmounts:
    """The amounts of a voice's CC7, CC11, CC10, CC1, pitch wheel and channel pressure
    modulators (0 where its zone removed them): the synth and the kernel re-read these
    sources while the note sounds."""

    volume: float = 960.0
    expression: float = 960.0
    pan: float = 500.0
    vibrato: float = 50.0
    wheel: float = 12700.0
    pressure: float = 50.0

    def attenuation_cb(self, volume: int, expression: int) -> float:
        """Centibels from CC7 and CC11 (concave, negative: 127 -> 1.36 cB, 100 -> 42.9)."""
        return self.volume * concave(127.0 * (1.0 - volume / 128.0)) + self.expression * concave(
            127.0 * (1.0 - expression / 128.0)
        )

    def pan_offset(self, pan: int) -> float:
        """Pan units (-500..500 = left..right) from CC10 (bipolar, linear; 64 -> 0)."""
        return self.pan * (2.0 * pan / 128.0 - 1.0)

    def vibrato_cents(self, wheel: int) -> float:
        """Vibrato LFO depth (cents) from the CC1 mod wheel."""
        return self.vibrato * wheel / 128.0


def split_modulators(
    modulators: Iterable[Modulator],
) -> tuple[ControllerAmounts, tuple[Modulator, ...]]:
    """The amounts of the routes the synth follows (CC7, CC11, CC10, CC1, the pitch wheel
    and channel pressure by their default modulators; 0 where the zone has none), and the
    other modulators in their order, but those that contribute nothing (velocity to cutoff
    as FluidSynth leaves it)."""
    amounts = {key: 0.0 for key in _CONTROLLER_MODS}
    others: list[Modulator] = []
    for m in modulators:
        if m.identity in _CONTROLLER_MODS and m.transform == 0:
            amounts[m.identity] = float(m.amount)
        elif m.identity not in _SILENT_VELOCITY_TO_FC:
            others.append(m)
    return ControllerAmounts(*(amounts[m.identity] for m in _FOLLOWED)), tuple(others)


def modulation(
    modulators: Iterable[Modulator], sources: NoteSources
) -> tuple[dict[int, float], ControllerAmounts]:
    """Per destination generator, the sum of the modulators that do not read CC7, CC11,
    CC10, CC1, the pitch wheel or channel pressure by their default route; and those routes'
    amounts."""
    controller_amounts, others = split_modulators(modulators)
    totals: dict[int, float] = {}
    for m in others:
        totals[m.destination] = totals.get(m.destination, 0.0) + modulator_value(m, sources)
    return totals, controller_amounts


def cents_to_hz(cents: float) -> float:
    """Absolute cents (SoundFont) to Hz: 0 cents is 8.176 Hz, 6900 is 440 Hz."""
    return 8.175798915643707 * math.pow(2.0, cents / 1200.0)
