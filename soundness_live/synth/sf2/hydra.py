"""The pdta "hydra": preset, instrument and sample headers with their zones (SoundFont 2.04 §7).

Indices between the nine chunks are checked (bags in order, generators inside the generator
list, instrument and sample numbers inside their lists) so a corrupt file raises
:class:`FileFormatError` instead of an IndexError further on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import FileFormatError
from ..region import Modulator
from .generators import INSTRUMENT, SAMPLE_ID, Zone, zone_from_list
from .riff import Buffer, RiffLayout, decode_text, records

PHDR = np.dtype(
    [
        ("name", "S20"),
        ("program", "<u2"),
        ("bank", "<u2"),
        ("bag", "<u2"),
        ("library", "<u4"),
        ("genre", "<u4"),
        ("morphology", "<u4"),
    ]
)
BAG = np.dtype([("gen", "<u2"), ("mod", "<u2")])
MOD = np.dtype(
    [("src", "<u2"), ("dest", "<u2"), ("amount", "<i2"), ("amt_src", "<u2"), ("trans", "<u2")]
)
GEN = np.dtype([("oper", "<u2"), ("amount", "<u2")])
INST = np.dtype([("name", "S20"), ("bag", "<u2")])
SHDR = np.dtype(
    [
        ("name", "S20"),
        ("start", "<u4"),
        ("end", "<u4"),
        ("loop_start", "<u4"),
        ("loop_end", "<u4"),
        ("rate", "<u4"),
        ("pitch", "u1"),
        ("correction", "i1"),
        ("link", "<u2"),
        ("type", "<u2"),
    ]
)

ROM_SAMPLE = 0x8000  # sfSampleType flag: the sample lives in a sound ROM, not in the file
COMPRESSED_SAMPLE = 0x10  # SoundFont 3 extension: Ogg Vorbis data


@dataclass(frozen=True)
class PresetHeader:
    """A preset and its zones, as (generators, has an instrument generator) pairs, and each
    zone's modulators (in the same order)."""

    name: str
    bank: int
    program: int
    zones: tuple[tuple[Zone, bool], ...]
    modulators: tuple[tuple[Modulator, ...], ...] = ()


@dataclass(frozen=True)
class InstrumentHeader:
    """An instrument and its zones, as (generators, has a sampleID generator) pairs, and each
    zone's modulators (in the same order)."""

    name: str
    zones: tuple[tuple[Zone, bool], ...]
    modulators: tuple[tuple[Modulator, ...], ...] = ()


@dataclass(frozen=True)
class SampleHeader:
    """One 'shdr' record; positions in sample points from the start of the smpl data."""

    name: str
    start: int
    end: int
    loop_start: int
    loop_end: int
    sample_rate: int
    original_pitch: int
    pitch_correction: int
    sample_type: int


@dataclass(frozen=True)
class Hydra:
    """Everything in the pdta list (terminal records dropped)."""

    presets: tuple[PresetHeader, ...]
    instruments: tuple[InstrumentHeader, ...]
    samples: tuple[SampleHeader, ...]


def _name(raw: bytes) -> str:
    return decode_text(raw)


def _check_bags(starts: list[int], limit: int, what: str, file_name: str) -> None:
    """Start indices must not decrease and must not pass ``limit``."""
    for i in range(len(starts) - 1):
        if starts[i] > starts[i + 1]:
            raise FileFormatError(
                f"{file_name}: {what} index {starts[i]} (entry {i}) is after the next "
                f"entry's ({starts[i + 1]}); indices must not decrease"
            )
    if starts and starts[-1] > limit:
        raise FileFormatError(
            f"{file_name}: {what} index {starts[-1]} is beyond its list (at most {limit})"
        )


def _zones(
    bag_starts: list[int],
    gens: list[tuple[int, int]],
    first: int,
    last: int,
    terminal: int,
) -> tuple[tuple[Zone, bool], ...]:
    """Zones for bags ``first..last-1``; bag i owns generators bag_starts[i]..bag_starts[i+1]."""
    return tuple(
        zone_from_list(gens[bag_starts[i] : bag_starts[i + 1]], terminal)
        for i in range(first, last)
    )


def _generator_list(
    buf: Buffer, layout: RiffLayout, bag_id: str, gen_id: str, file_name: str
) -> tuple[list[int], list[tuple[int, int]]]:
    bags = records(buf, layout, bag_id, BAG, file_name)
    gens = records(buf, layout, gen_id, GEN, file_name)
    gen_starts = bags["gen"].astype(int).tolist()
    # A missing terminal generator is tolerated: slicing up to len(gens) is safe.
    _check_bags(gen_starts, len(gens), f"{bag_id} generator", file_name)
    pairs = list(zip(gens["oper"].tolist(), gens["amount"].tolist(), strict=True))
    return gen_starts, pairs


def _modulator_list(
    buf: Buffer, layout: RiffLayout, bag_id: str, file_name: str
) -> tuple[list[int], list[Modulator]]:
    """Each bag's first modulator index, and the modulators of the 'imod' or 'pmod' chunk
    (terminal record dropped). Indices out of order give a zone no modulators: the
    generators, which matter more, are checked strictly."""
    bags = records(buf, layout, bag_id, BAG, file_name)
    mods = records(buf, layout, bag_id[0] + "mod", MOD, file_name)
    rows = mods.tolist()[:-1] if len(mods) else []
    return bags["mod"].astype(int).tolist(), [Modulator(*map(int, row)) for row in rows]


def _zone_modulators(
    bag_starts: list[int], mods: list[Modulator], first: int, last: int
) -> tuple[tuple[Modulator, ...], ...]:
    """Modulators of bags ``first..last-1``; bag i owns mods bag_starts[i]..bag_starts[i+1]."""
    return tuple(tuple(mods[bag_starts[i] : bag_starts[i + 1]]) for i in range(first, last))


def read_preset_headers(
    buf: Buffer, layout: RiffLayout, file_name: str
) -> list[tuple[str, int, int]]:
    """(name, bank, program) of every preset, from 'phdr' alone: cheap, for discovery."""
    phdr = records(buf, layout, "phdr", PHDR, file_name)[:-1]
    return [
        (_name(name), bank, program)
        for name, bank, program in zip(
            phdr["name"].tolist(), phdr["bank"].tolist(), phdr["program"].tolist(), strict=True
        )
    ]


def _check_targets(
    zones: tuple[tuple[Zone, bool], ...], generator: int, count: int, owner: str, file_name: str
) -> None:
    for zone, has_terminal in zones:
        target = zone.get(generator)
        if has_terminal and isinstance(target, int) and target >= count:
            kind = "instrument" if generator == INSTRUMENT else "sample"
            raise FileFormatError(
                f"{file_name}: {owner} refers to {kind} {target}, but there are only {count}"
            )


def read_hydra(buf: Buffer, layout: RiffLayout, file_name: str) -> Hydra:
    """Parse and cross-check all nine pdta chunks."""
    phdr = records(buf, layout, "phdr", PHDR, file_name)
    inst = records(buf, layout, "inst", INST, file_name)
    shdr = records(buf, layout, "shdr", SHDR, file_name)
    samples = tuple(_sample_header(row) for row in shdr[:-1].tolist())

    ibag_starts, igens = _generator_list(buf, layout, "ibag", "igen", file_name)
    imod_starts, imods = _modulator_list(buf, layout, "ibag", file_name)
    inst_bags = inst["bag"].astype(int).tolist()
    _check_bags(inst_bags, len(ibag_starts) - 1, "instrument bag", file_name)
    instruments = []
    for i, name in enumerate(inst["name"][:-1].tolist()):
        first, last = inst_bags[i], inst_bags[i + 1]
        zones = _zones(ibag_starts, igens, first, last, SAMPLE_ID)
        _check_targets(zones, SAMPLE_ID, len(samples), f"instrument '{_name(name)}'", file_name)
        mods = _zone_modulators(imod_starts, imods, first, last)
        instruments.append(InstrumentHeader(_name(name), zones, mods))

    pbag_starts, pgens = _generator_list(buf, layout, "pbag", "pgen", file_name)
    pmod_starts, pmods = _modulator_list(buf, layout, "pbag", file_name)
    preset_bags = phdr["bag"].astype(int).tolist()
    _check_bags(preset_bags, len(pbag_starts) - 1, "preset bag", file_name)
    presets = []
    for i, (name, bank, program) in enumerate(read_preset_headers(buf, layout, file_name)):
        first, last = preset_bags[i], preset_bags[i + 1]
        zones = _zones(pbag_starts, pgens, first, last, INSTRUMENT)
        _check_targets(zones, INSTRUMENT, len(instruments), f"preset '{name}'", file_name)
        mods = _zone_modulators(pmod_starts, pmods, first, last)
        presets.append(PresetHeader(name, bank, program, zones, mods))
    return Hydra(tuple(presets), tuple(instruments), samples)


def _sample_header(row: tuple) -> SampleHeader:
    name, start, end, loop_start, loop_end, rate, pitch, correction, _link, sample_type = row
    return SampleHeader(
        name=_name(name),
        start=int(start),
        end=int(end),
        loop_start=int(loop_start),
        loop_end=int(loop_end),
        sample_rate=int(rate),
        original_pitch=int(pitch),
        pitch_correction=int(correction),
        sample_type=int(sample_type),
    )
