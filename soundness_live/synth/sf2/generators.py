"""SoundFont 2.04 generators: numbers, defaults, ranges, and how zones combine (§8.1, §9.4).

A zone is a ``dict`` from generator number to its amount: a signed 16-bit integer, except the
ranges (keyRange, velRange), which are ``(lo, hi)`` tuples, and instrument/sampleID, which are
unsigned indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Amount = int | tuple[int, int]
Zone = dict[int, Amount]


@dataclass(frozen=True)
class GeneratorInfo:
    """One generator of the SoundFont 2.04 table (§8.1.3)."""

    number: int
    name: str
    default: int
    lo: int | None = None  # None: not clamped (sample offsets, indices)
    hi: int | None = None
    preset_level: bool = True  # False: ignored when it appears in a preset zone


_TC_MIN = -12000
_TABLE: tuple[GeneratorInfo, ...] = (
    GeneratorInfo(0, "startAddrsOffset", 0, preset_level=False),
    GeneratorInfo(1, "endAddrsOffset", 0, preset_level=False),
    GeneratorInfo(2, "startloopAddrsOffset", 0, preset_level=False),
    GeneratorInfo(3, "endloopAddrsOffset", 0, preset_level=False),
    GeneratorInfo(4, "startAddrsCoarseOffset", 0, preset_level=False),
    GeneratorInfo(5, "modLfoToPitch", 0, -12000, 12000),
    GeneratorInfo(6, "vibLfoToPitch", 0, -12000, 12000),
    GeneratorInfo(7, "modEnvToPitch", 0, -12000, 12000),
    GeneratorInfo(8, "initialFilterFc", 13500, 1500, 13500),
    GeneratorInfo(9, "initialFilterQ", 0, 0, 960),
    GeneratorInfo(10, "modLfoToFilterFc", 0, -12000, 12000),
    GeneratorInfo(11, "modEnvToFilterFc", 0, -12000, 12000),
    GeneratorInfo(12, "endAddrsCoarseOffset", 0, preset_level=False),
    GeneratorInfo(13, "modLfoToVolume", 0, -960, 960),
    GeneratorInfo(15, "chorusEffectsSend", 0, 0, 1000),
    GeneratorInfo(16, "reverbEffectsSend", 0, 0, 1000),
    GeneratorInfo(17, "pan", 0, -500, 500),
    GeneratorInfo(21, "delayModLFO", _TC_MIN, _TC_MIN, 5000),
    GeneratorInfo(22, "freqModLFO", 0, -16000, 4500),
    GeneratorInfo(23, "delayVibLFO", _TC_MIN, _TC_MIN, 5000),
    GeneratorInfo(24, "freqVibLFO", 0, -16000, 4500),
    GeneratorInfo(25, "delayModEnv", _TC_MIN, _TC_MIN, 5000),
    GeneratorInfo(26, "attackModEnv", _TC_MIN, _TC_MIN, 8000),
    GeneratorInfo(27, "holdModEnv", _TC_MIN, _TC_MIN, 5000),
    GeneratorInfo(28, "decayModEnv", _TC_MIN, _TC_MIN, 8000),
    GeneratorInfo(29, "sustainModEnv", 0, 0, 1000),
    GeneratorInfo(30, "releaseModEnv", _TC_MIN, _TC_MIN, 8000),
    GeneratorInfo(31, "keynumToModEnvHold", 0, -1200, 1200),
    GeneratorInfo(32, "keynumToModEnvDecay", 0, -1200, 1200),
    GeneratorInfo(33, "delayVolEnv", _TC_MIN, _TC_MIN, 5000),
    GeneratorInfo(34, "attackVolEnv", _TC_MIN, _TC_MIN, 8000),
    GeneratorInfo(35, "holdVolEnv", _TC_MIN, _TC_MIN, 5000),
    GeneratorInfo(36, "decayVolEnv", _TC_MIN, _TC_MIN, 8000),
    GeneratorInfo(37, "sustainVolEnv", 0, 0, 1440),
    GeneratorInfo(38, "releaseVolEnv", _TC_MIN, _TC_MIN, 8000),
    GeneratorInfo(39, "keynumToVolEnvHold", 0, -1200, 1200),
    GeneratorInfo(40, "keynumToVolEnvDecay", 0, -1200, 1200),
    GeneratorInfo(41, "instrument", 0),
    GeneratorInfo(43, "keyRange", 0),
    GeneratorInfo(44, "velRange", 0),
    GeneratorInfo(45, "startloopAddrsCoarseOffset", 0, preset_level=False),
    GeneratorInfo(46, "keynum", -1, 0, 127, preset_level=False),
    GeneratorInfo(47, "velocity", -1, 0, 127, preset_level=False),
    GeneratorInfo(48, "initialAttenuation", 0, 0, 1440),
    GeneratorInfo(50, "endloopAddrsCoarseOffset", 0, preset_level=False),
    GeneratorInfo(51, "coarseTune", 0, -120, 120),
    GeneratorInfo(52, "fineTune", 0, -99, 99),
    GeneratorInfo(53, "sampleID", 0),
    GeneratorInfo(54, "sampleModes", 0, preset_level=False),
    GeneratorInfo(56, "scaleTuning", 100, 0, 1200),
    GeneratorInfo(57, "exclusiveClass", 0, 0, 127, preset_level=False),
    GeneratorInfo(58, "overridingRootKey", -1, 0, 127, preset_level=False),
)

GENERATORS: dict[int, GeneratorInfo] = {g.number: g for g in _TABLE}
GENERATOR_NUMBERS: dict[str, int] = {g.name: g.number for g in _TABLE}

INSTRUMENT = GENERATOR_NUMBERS["instrument"]
SAMPLE_ID = GENERATOR_NUMBERS["sampleID"]
KEY_RANGE = GENERATOR_NUMBERS["keyRange"]
VEL_RANGE = GENERATOR_NUMBERS["velRange"]
RANGE_GENERATORS = frozenset({KEY_RANGE, VEL_RANGE})
INDEX_GENERATORS = frozenset({INSTRUMENT, SAMPLE_ID})
# Generators whose "unset" value (-1) lies outside their range and means "not used".
_UNSET_ALLOWED = frozenset(
    GENERATOR_NUMBERS[n] for n in ("keynum", "velocity", "overridingRootKey")
)


def generator_number(name_or_number: str | int) -> int:
    """The generator number for a spec name (``"pan"``) or a number; KeyError if unknown."""
    if isinstance(name_or_number, int):
        if name_or_number not in GENERATORS:
            raise KeyError(f"unknown SoundFont generator number {name_or_number}")
        return name_or_number
    return GENERATOR_NUMBERS[name_or_number]


def decode_amount(number: int, raw: int) -> Amount:
    """A raw little-endian 16-bit amount as the generator reads it: range, index or signed."""
    if number in RANGE_GENERATORS:
        return (raw & 0xFF, raw >> 8)
    if number in INDEX_GENERATORS:
        return raw
    return raw - 0x10000 if raw >= 0x8000 else raw


def zone_from_list(pairs: Sequence[tuple[int, int]], terminal: int) -> tuple[Zone, bool]:
    """Build a zone from (generator, raw amount) pairs in file order.

    Returns the zone and whether it ends with the ``terminal`` generator (instrument for
    preset zones, sampleID for instrument zones). Generators after the terminal one are
    ignored and unknown numbers are skipped, as the spec asks (§9.4).
    """
    zone: Zone = {}
    for number, raw in pairs:
        if number not in GENERATORS:
            continue
        zone[number] = decode_amount(number, raw)
        if number == terminal:
            return zone, True
    return zone, False


def split_global(zones: Sequence[tuple[Zone, bool]]) -> tuple[Zone, list[Zone]]:
    """The global zone (first zone without a terminal generator) and the local zones.

    A zone without a terminal generator anywhere but first is ignored (§7.3, §7.9).
    """
    global_zone: Zone = {}
    local: list[Zone] = []
    for i, (zone, has_terminal) in enumerate(zones):
        if has_terminal:
            local.append(zone)
        elif i == 0:
            global_zone = zone
    return global_zone, local


# number -> (default, lo, hi, preset_level, -1 means unset): one lookup per resolved value,
# which matters for banks with tens of thousands of zones.
_SPEC: dict[int, tuple[int, int | None, int | None, bool, bool]] = {
    g.number: (g.default, g.lo, g.hi, g.preset_level, g.number in _UNSET_ALLOWED) for g in _TABLE
}


class ResolvedZone:
    """Generator values of one instrument zone with the preset zone's offsets applied.

    Instrument values are absolute (local, else the instrument's global zone, else the
    default); preset values are offsets added to them (local, else the preset's global zone),
    except for the instrument-only generators, which a preset cannot change. The sum is
    clamped to the spec's range.
    """

    def __init__(self, instrument_zone: Mapping[int, Amount], preset_zone: Mapping[int, Amount]):
        self._inst = instrument_zone
        self._preset = preset_zone

    def __getitem__(self, number: int) -> int:
        default, lo, hi, preset_level, unset_allowed = _SPEC[number]
        value: Any = self._inst.get(number, default)
        if preset_level:
            value += self._preset.get(number, 0)
        if lo is None or hi is None:
            return int(value)
        if unset_allowed and value < 0:
            return -1
        return lo if value < lo else hi if value > hi else int(value)

    def unclamped(self, number: int) -> int:
        """The instrument value plus the preset's offset, not clamped: for the generators
        whose range applies only after the modulators are added (the filter's cutoff and Q)."""
        default, _, _, preset_level, _ = _SPEC[number]
        value: Any = self._inst.get(number, default)
        return int(value + self._preset.get(number, 0)) if preset_level else int(value)

    def range(self, number: int) -> tuple[int, int] | None:
        """keyRange/velRange: instrument range intersected with the preset's; None if empty."""
        lo, hi = 0, 127
        for zone in (self._inst, self._preset):
            found = zone.get(number)
            if isinstance(found, tuple):
                lo, hi = max(lo, found[0]), min(hi, found[1])
        return (lo, hi) if lo <= hi else None
