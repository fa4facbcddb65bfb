"""Write SoundFont 2.04 files from small typed specs (used to build the bundled bank and tests).

The file has what the spec asks of a writer: 'ifil' 2.04, 'isng', 'INAM', 16-bit mono samples
each followed by 46 zero points, keyRange/velRange first and instrument/sampleID last in every
zone, and the terminal records (EOP, EOI, EOS and the empty bag/modulator/generator records).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import ParameterError
from .generators import (
    INSTRUMENT,
    KEY_RANGE,
    SAMPLE_ID,
    VEL_RANGE,
    generator_number,
)

__all__ = ["InstrumentSpec", "PresetSpec", "SampleSpec", "ZoneSpec", "sf2_bytes", "write_sf2"]

GUARD_POINTS = 46  # zero points after every sample (SoundFont 2.04 §6.1)
_MONO_SAMPLE = 1
_NAME_BYTES = 20


@dataclass(frozen=True)
class SampleSpec:
    """A mono sample: ``data`` in -1..1 (float) or int16; loop (start, end) within the sample."""

    name: str
    data: np.ndarray
    sample_rate: int
    root_key: int = 60
    pitch_correction_cents: int = 0
    loop: tuple[int, int] | None = None  # end exclusive, relative to the sample's first point


@dataclass(frozen=True)
class ZoneSpec:
    """One zone. ``target`` names a sample (instrument zone) or an instrument (preset zone).

    Generators are given by their spec names (``"attackVolEnv"``), with raw
    SoundFont amounts (timecents, centibels, cents, 0.1 % pan units).
    """

    target: str | None
    generators: Mapping[str, int] = field(default_factory=dict)
    key_range: tuple[int, int] | None = None
    vel_range: tuple[int, int] | None = None


@dataclass(frozen=True)
class InstrumentSpec:
    """An instrument: its zones and an optional global zone (generators shared by all)."""

    name: str
    zones: tuple[ZoneSpec, ...]
    global_zone: ZoneSpec | None = None


@dataclass(frozen=True)
class PresetSpec:
    """A preset at (bank, program) made of instrument zones; bank 128 holds drum kits."""

    name: str
    bank: int
    program: int
    zones: tuple[ZoneSpec, ...]
    global_zone: ZoneSpec | None = None


def write_sf2(
    path: str | os.PathLike[str],
    name: str,
    samples: Sequence[SampleSpec],
    instruments: Sequence[InstrumentSpec],
    presets: Sequence[PresetSpec],
) -> Path:
    """Write a SoundFont 2.04 file and return its path."""
    out = Path(path)
    out.write_bytes(sf2_bytes(name, samples, instruments, presets))
    return out


def sf2_bytes(
    name: str,
    samples: Sequence[SampleSpec],
    instruments: Sequence[InstrumentSpec],
    presets: Sequence[PresetSpec],
) -> bytes:
    """The bytes of a SoundFont 2.04 file (see :func:`write_sf2`)."""
    smpl, shdr = _sample_chunks(samples)
    sample_index = _index_of([s.name for s in samples], "sample")
    instrument_index = _index_of([i.name for i in instruments], "instrument")
    inst_part = _hydra_part(
        [(i.name, i.global_zone, i.zones) for i in instruments], sample_index, SAMPLE_ID
    )
    ordered = sorted(presets, key=lambda p: (p.bank, p.program))
    for preset in ordered:
        _check_range("bank", preset.bank, 0, 16383)
        _check_range("program", preset.program, 0, 127)
    preset_part = _hydra_part(
        [(p.name, p.global_zone, p.zones) for p in ordered],
        instrument_index,
        INSTRUMENT,
        [(p.program, p.bank) for p in ordered],
    )
    pdta_ids = (b"phdr", b"pbag", b"pmod", b"pgen", b"inst", b"ibag", b"imod", b"igen", b"shdr")
    pdta_bodies = (*preset_part, *inst_part, shdr)
    pdta = b"".join(_chunk(cid, body) for cid, body in zip(pdta_ids, pdta_bodies, strict=True))
    body = b"sfbk" + _info(name) + _list(b"sdta", _chunk(b"smpl", smpl)) + _list(b"pdta", pdta)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _info(name: str) -> bytes:
    """The INFO list: version 2.04, the EMU8000 sound engine the spec names, the bank name."""
    return _list(
        b"INFO",
        _chunk(b"ifil", struct.pack("<HH", 2, 4))
        + _chunk(b"isng", _text(b"EMU8000"))
        + _chunk(b"INAM", _text(name.encode("utf-8")))
        + _chunk(b"ISFT", _text(b"Soundness Live")),
    )


def _chunk(chunk_id: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) & 1 else b""
    return chunk_id + struct.pack("<I", len(body)) + body + pad


def _list(list_type: bytes, body: bytes) -> bytes:
    return _chunk(b"LIST", list_type + body)


def _text(raw: bytes) -> bytes:
    """Zero-terminated, padded to an even length, as INFO strings must be."""
    raw += b"\0"
    return raw + b"\0" if len(raw) & 1 else raw


def _name20(name: str, what: str) -> bytes:
    raw = name.encode("ascii", errors="replace")
    if len(raw) > _NAME_BYTES:
        raise ParameterError(f"{what} name {name!r} is longer than {_NAME_BYTES} characters")
    return raw.ljust(_NAME_BYTES, b"\0")


def _index_of(names: list[str], what: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index:
            raise ParameterError(f"two {what}s are named {name!r}; names must be unique")
        index[name] = i
    return index


def _check_range(what: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ParameterError(f"{what} must be in {lo}..{hi}, got {value!r}")


def _pcm16(sample: SampleSpec) -> np.ndarray:
    data = np.asarray(sample.data)
    if data.ndim != 1 or len(data) == 0:
        raise ParameterError(f"sample {sample.name!r} must be a non-empty mono (1-D) array")
    if data.dtype == np.int16:
        return data.astype("<i2")
    scaled = np.round(np.clip(data.astype(np.float64), -1.0, 1.0) * 32767.0)
    return scaled.astype("<i2")


def _sample_chunks(samples: Sequence[SampleSpec]) -> tuple[bytes, bytes]:
    """The 'smpl' data and the 'shdr' records (with the terminal EOS)."""
    pieces: list[bytes] = []
    headers: list[bytes] = []
    position = 0
    for sample in samples:
        pcm = _pcm16(sample)
        loop_start, loop_end = sample.loop if sample.loop is not None else (0, len(pcm))
        if not 0 <= loop_start < loop_end <= len(pcm):
            raise ParameterError(
                f"sample {sample.name!r} loop {sample.loop} must lie in 0..{len(pcm)}"
            )
        _check_range(f"sample {sample.name!r} root_key", sample.root_key, 0, 127)
        correction = sample.pitch_correction_cents
        _check_range(f"sample {sample.name!r} pitch correction", correction, -128, 127)
        headers.append(
            _name20(sample.name, "sample")
            + struct.pack(
                "<IIIIIBbHH",
                position,
                position + len(pcm),
                position + loop_start,
                position + loop_end,
                sample.sample_rate,
                sample.root_key,
                sample.pitch_correction_cents,
                0,
                _MONO_SAMPLE,
            )
        )
        pieces += [pcm.tobytes(), bytes(2 * GUARD_POINTS)]
        position += len(pcm) + GUARD_POINTS
    headers.append(_name20("EOS", "sample") + bytes(26))
    return b"".join(pieces), b"".join(headers)


def _zone_generators(zone: ZoneSpec, targets: dict[str, int], terminal: int) -> list[bytes]:
    """Generator records in the order the spec requires: ranges first, the target last."""
    records: list[bytes] = []
    for number, value_range in ((KEY_RANGE, zone.key_range), (VEL_RANGE, zone.vel_range)):
        if value_range is not None:
            lo, hi = value_range
            _check_range("key/velocity range", lo, 0, 127)
            _check_range("key/velocity range", hi, lo, 127)
            records.append(struct.pack("<HBB", number, lo, hi))
    numbered = sorted((generator_number(k), v) for k, v in zone.generators.items())
    for number, amount in numbered:
        if number in (KEY_RANGE, VEL_RANGE, INSTRUMENT, SAMPLE_ID):
            raise ParameterError(f"generator {number} is set through the zone's fields")
        _check_range(f"generator {number} amount", amount, -32768, 32767)
        records.append(struct.pack("<Hh", number, amount))
    if zone.target is not None:
        if zone.target not in targets:
            raise ParameterError(f"zone refers to {zone.target!r}, which is not defined")
        records.append(struct.pack("<HH", terminal, targets[zone.target]))
    return records


def _hydra_part(
    entries: list[tuple[str, ZoneSpec | None, tuple[ZoneSpec, ...]]],
    targets: dict[str, int],
    terminal: int,
    numbers: list[tuple[int, int]] | None = None,
) -> tuple[bytes, bytes, bytes, bytes]:
    """Header, bag, modulator and generator chunks for the presets or the instruments."""
    headers: list[bytes] = []
    bags: list[bytes] = []
    gens: list[bytes] = []
    for i, (name, global_zone, zones) in enumerate(entries):
        headers.append(_header(name, len(bags), numbers[i] if numbers else None))
        all_zones = ([global_zone] if global_zone is not None else []) + list(zones)
        for zone in all_zones:
            if zone is global_zone and zone.target is not None:
                raise ParameterError(f"the global zone of {name!r} must not have a target")
            bags.append(struct.pack("<HH", len(gens), 0))
            gens += _zone_generators(zone, targets, terminal)
    if numbers is not None:
        headers.append(_header("EOP", len(bags), (0, 0)))
    else:
        headers.append(_header("EOI", len(bags), None))
    bags.append(struct.pack("<HH", len(gens), 0))
    gens.append(bytes(4))
    if len(bags) > 0xFFFF or len(gens) > 0xFFFF:
        raise ParameterError("too many zones or generators for a SoundFont 2 file (65535 max)")
    return b"".join(headers), b"".join(bags), bytes(10), b"".join(gens)


def _header(name: str, bag: int, numbers: tuple[int, int] | None) -> bytes:
    """A 'phdr' record when ``numbers`` = (program, bank) is given, else an 'inst' record."""
    if numbers is None:
        return _name20(name, "instrument") + struct.pack("<H", bag)
    program, bank = numbers
    return _name20(name, "preset") + struct.pack("<HHHIII", program, bank, bag, 0, 0, 0)
