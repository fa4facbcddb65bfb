"""SoundFont 2 (.sf2, and .sf3 through ``soundfile``) parser: file -> :class:`SoundFontData`.

Every preset zone x instrument zone pair becomes one :class:`Region` with its generators
resolved as SoundFont 2.04 §9.4 says (instrument values absolute, preset values added, global
zones as fallbacks, defaults from the spec table, sums clamped to the spec ranges) and turned
into the synth's units (seconds, centibels, cents, absolute sample indices).

GM fallback (:func:`find_preset`), when the requested (bank, program) is missing:

* melodic (bank != 128): the same program in bank 0; else the lowest-numbered program of the
  same GM family (program // 8, e.g. 24-31 guitars) in bank 0; else bank 0 program 0 (piano);
  else the lowest (bank, program) that is not a drum kit; else any preset;
* drums (bank 128): kit 0 of bank 128 (the GM standard kit); else the lowest kit in bank 128;
  else any preset.
"""

from __future__ import annotations

import dataclasses
import hashlib
import mmap
import os
import struct
from pathlib import Path
from typing import Any

from ...errors import FileFormatError, ParameterError
from ..region import LOOP_NONE, Modulator, Preset, Region, SoundFontData
from .generators import GENERATOR_NUMBERS as G
from .generators import KEY_RANGE, SAMPLE_ID, VEL_RANGE, ResolvedZone, Zone, split_global
from .hydra import Hydra, InstrumentHeader, PresetHeader, SampleHeader, read_hydra
from .hydra import read_preset_headers as _read_preset_headers
from .riff import Buffer, info_text, info_version, read_layout
from .samples import is_rom, read_sample_data

__all__ = [
    "DRUM_BANK",
    "SoundFontHeader",
    "find_preset",
    "load_soundfont",
    "parse_soundfont",
    "read_soundfont_header",
    "timecents_to_seconds",
]

DRUM_BANK = 128
_COARSE = 32768  # sample offsets: the *CoarseOffset generators count in units of 32768 points


@dataclasses.dataclass(frozen=True)
class SoundFontHeader:
    """What a SoundFont holds, read from its INFO and 'phdr' chunks only (no sample data)."""

    name: str
    presets: tuple[tuple[int, int, str], ...]  # (bank, program, preset name)


def timecents_to_seconds(timecents: int) -> float:
    """SoundFont timecents -> seconds; -12000 and below mean 'instantaneous' (0 s)."""
    return 0.0 if timecents <= -12000 else 2.0 ** (timecents / 1200.0)


def load_soundfont(path: str | os.PathLike[str]) -> SoundFontData:
    """Read and resolve a SoundFont file (.sf2, or .sf3 when ``soundfile`` can decode it)."""
    file_path = Path(path)
    try:
        data = file_path.read_bytes()
    except FileNotFoundError:
        raise ParameterError(f"SoundFont file {str(file_path)!r} does not exist") from None
    except OSError as exc:
        raise FileFormatError(f"{file_path}: cannot be read ({exc.strerror})") from exc
    return dataclasses.replace(parse_soundfont(data, str(file_path)), path=str(file_path))


def parse_soundfont(data: bytes, name: str = "<bytes>") -> SoundFontData:
    """Parse a whole SoundFont held in memory; ``name`` appears in error messages."""
    try:
        return _parse(memoryview(data), name, hashlib.sha256(data).hexdigest())
    except FileFormatError:
        raise
    except (IndexError, KeyError, ValueError, OverflowError, struct.error) as exc:
        # Every known corruption is checked where it is read; this is the safety net.
        raise FileFormatError(f"{name}: malformed SoundFont ({type(exc).__name__}: {exc})") from exc


def read_soundfont_header(path: str | os.PathLike[str]) -> SoundFontHeader:
    """The bank name and preset list, reading only the INFO and 'phdr' chunks (memory-mapped)."""
    file_path = Path(path)
    with file_path.open("rb") as file:
        if os.fstat(file.fileno()).st_size == 0:
            raise FileFormatError(f"{file_path}: not a RIFF file (the file is empty)")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            try:
                layout = read_layout(mapped, str(file_path))
                presets = _read_preset_headers(mapped, layout, str(file_path))
                title = info_text(mapped, layout, "INAM") or file_path.stem
            except (IndexError, ValueError, struct.error) as exc:
                if isinstance(exc, FileFormatError):
                    raise
                raise FileFormatError(f"{file_path}: malformed SoundFont ({exc})") from exc
    return SoundFontHeader(title, tuple((b, p, n) for n, b, p in presets))


def _parse(buf: Buffer, name: str, sha256: str) -> SoundFontData:
    layout = read_layout(buf, name)
    hydra = read_hydra(buf, layout, name)
    samples, headers = read_sample_data(buf, layout, hydra.samples, info_version(buf, layout), name)
    hydra = dataclasses.replace(hydra, samples=headers)
    presets: dict[tuple[int, int], Preset] = {}
    for header in hydra.presets:
        key = (header.bank, header.program)
        if key not in presets:  # a duplicate (bank, program) is shadowed by the first one
            presets[key] = Preset(
                header.name,
                header.bank,
                header.program,
                _regions(header, hydra, len(samples), name),
            )
    title = info_text(buf, layout, "INAM") or Path(name).stem
    return SoundFontData(name=title, sha256=sha256, sample_data=samples, presets=presets)


def _regions(
    preset: PresetHeader, hydra: Hydra, data_len: int, file_name: str
) -> tuple[Region, ...]:
    preset_global, preset_zones = split_global(preset.zones)
    preset_mods = _split_modulators(preset.zones, preset.modulators)
    regions: list[Region] = []
    for local, local_pmods in zip(preset_zones, preset_mods[1], strict=True):
        preset_zone = {**preset_global, **local}
        instrument: InstrumentHeader = hydra.instruments[_index(preset_zone, G["instrument"])]
        inst_global, inst_zones = split_global(instrument.zones)
        inst_mods = _split_modulators(instrument.zones, instrument.modulators)
        modulators = (
            _merge_modulators(inst_mods[0], ()),
            _merge_modulators(preset_mods[0], local_pmods),
        )
        for inst_local, local_imods in zip(inst_zones, inst_mods[1], strict=True):
            inst_zone = {**inst_global, **inst_local}
            sample = hydra.samples[_index(inst_zone, SAMPLE_ID)]
            if is_rom(sample):
                continue  # ROM samples are not in the file: nothing to play
            region = _region(ResolvedZone(inst_zone, preset_zone), sample, data_len, file_name)
            if region is not None:
                regions.append(
                    dataclasses.replace(
                        region,
                        instrument_modulators=_merge_modulators(modulators[0], local_imods),
                        preset_modulators=modulators[1],
                    )
                )
    return tuple(regions)


def _split_modulators(
    zones: tuple[tuple[Zone, bool], ...], modulators: tuple[tuple[Modulator, ...], ...]
) -> tuple[tuple[Modulator, ...], list[tuple[Modulator, ...]]]:
    """The global zone's modulators and each local zone's, split as ``split_global`` splits
    the zones (a file without modulator lists gives none)."""
    if len(modulators) != len(zones):
        modulators = tuple(() for _ in zones)
    global_mods: tuple[Modulator, ...] = ()
    local: list[tuple[Modulator, ...]] = []
    for i, ((_, has_terminal), mods) in enumerate(zip(zones, modulators, strict=True)):
        if has_terminal:
            local.append(mods)
        elif i == 0:
            global_mods = mods
    return global_mods, local


def _merge_modulators(
    global_mods: tuple[Modulator, ...], local_mods: tuple[Modulator, ...]
) -> tuple[Modulator, ...]:
    """A zone's modulators: the global zone's, each replaced by an identical local one
    (§9.5.1), then the other local ones; within one list a later identical one wins."""
    merged = {m.identity: m for m in global_mods}
    merged.update({m.identity: m for m in local_mods})
    return tuple(merged.values())


def _index(zone: Zone, generator: int) -> int:
    value = zone[generator]
    assert isinstance(value, int)
    return value


def _region(
    zone: ResolvedZone, sample: SampleHeader, data_len: int, file_name: str
) -> Region | None:
    keys, vels = zone.range(KEY_RANGE), zone.range(VEL_RANGE)
    if keys is None or vels is None:
        return None  # preset and instrument ranges do not overlap
    if sample.sample_rate <= 0:
        raise FileFormatError(f"{file_name}: sample '{sample.name}' has sample rate 0 Hz")
    start, end, loop_start, loop_end = _positions(zone, sample, data_len)
    if end <= start:
        return None
    loop_mode = zone[G["sampleModes"]] & 3
    if loop_mode == 2 or not (start <= loop_start and loop_start + 1 < loop_end <= end):
        loop_mode, loop_start, loop_end = LOOP_NONE, start, end  # 2 = unused value: no loop
    return Region(
        key_lo=keys[0],
        key_hi=keys[1],
        vel_lo=vels[0],
        vel_hi=vels[1],
        sample_start=start,
        sample_end=end,
        loop_start=loop_start,
        loop_end=loop_end,
        sample_rate=sample.sample_rate,
        **_tuning(zone, sample),
        attenuation_cb=float(zone[G["initialAttenuation"]]),
        pan=zone[G["pan"]] / 500.0,
        **_envelope(zone),
        **_modulation(zone),
        exclusive_class=zone[G["exclusiveClass"]],
        loop_mode=loop_mode,
        fixed_key=zone[G["keynum"]],
        fixed_velocity=zone[G["velocity"]],
    )


def _tuning(zone: ResolvedZone, sample: SampleHeader) -> dict[str, Any]:
    """Root key (overridingRootKey, else the sample's pitch; 255 = unpitched -> 60) and cents."""
    root_key = zone[G["overridingRootKey"]]
    if root_key < 0:
        root_key = sample.original_pitch if sample.original_pitch <= 127 else 60
    cents = zone[G["coarseTune"]] * 100 + zone[G["fineTune"]] + sample.pitch_correction
    return {
        "root_key": root_key,
        "tune_cents": float(cents),
        "scale_tuning": float(zone[G["scaleTuning"]]),
    }


def _envelope(zone: ResolvedZone) -> dict[str, Any]:
    """Volume envelope generators in seconds and centibels."""
    return {
        "delay_s": timecents_to_seconds(zone[G["delayVolEnv"]]),
        "attack_s": timecents_to_seconds(zone[G["attackVolEnv"]]),
        "hold_s": timecents_to_seconds(zone[G["holdVolEnv"]]),
        "decay_s": timecents_to_seconds(zone[G["decayVolEnv"]]),
        "sustain_cb": float(zone[G["sustainVolEnv"]]),
        "release_s": timecents_to_seconds(zone[G["releaseVolEnv"]]),
        "key_to_hold_tc": float(zone[G["keynumToVolEnvHold"]]),
        "key_to_decay_tc": float(zone[G["keynumToVolEnvDecay"]]),
    }


def _modulation(zone: ResolvedZone) -> dict[str, Any]:
    """Filter, modulation envelope and LFO generators in the synth's units."""

    def lfo_hz(name: str) -> float:
        return 8.175798915643707 * 2.0 ** (zone[G[name]] / 1200.0)

    return {
        "filter_fc_cents": float(zone.unclamped(G["initialFilterFc"])),
        "filter_q_cb": float(zone.unclamped(G["initialFilterQ"])),
        "mod_delay_s": timecents_to_seconds(zone[G["delayModEnv"]]),
        "mod_attack_s": timecents_to_seconds(zone[G["attackModEnv"]]),
        "mod_hold_s": timecents_to_seconds(zone[G["holdModEnv"]]),
        "mod_decay_s": timecents_to_seconds(zone[G["decayModEnv"]]),
        "mod_sustain_permille": float(zone[G["sustainModEnv"]]),
        "mod_release_s": timecents_to_seconds(zone[G["releaseModEnv"]]),
        "key_to_mod_hold_tc": float(zone[G["keynumToModEnvHold"]]),
        "key_to_mod_decay_tc": float(zone[G["keynumToModEnvDecay"]]),
        "mod_lfo_delay_s": timecents_to_seconds(zone[G["delayModLFO"]]),
        "mod_lfo_hz": lfo_hz("freqModLFO"),
        "vib_lfo_delay_s": timecents_to_seconds(zone[G["delayVibLFO"]]),
        "vib_lfo_hz": lfo_hz("freqVibLFO"),
        "mod_lfo_to_pitch": float(zone[G["modLfoToPitch"]]),
        "mod_lfo_to_fc": float(zone[G["modLfoToFilterFc"]]),
        "mod_lfo_to_volume_cb": float(zone[G["modLfoToVolume"]]),
        "vib_lfo_to_pitch": float(zone[G["vibLfoToPitch"]]),
        "mod_env_to_pitch": float(zone[G["modEnvToPitch"]]),
        "mod_env_to_fc": float(zone[G["modEnvToFilterFc"]]),
    }


def _positions(
    zone: ResolvedZone, sample: SampleHeader, data_len: int
) -> tuple[int, int, int, int]:
    """Start, end, loop start, loop end with the fine and coarse offsets, inside the data."""

    def offset(fine: str, coarse: str) -> int:
        """A fine offset plus its coarse partner in units of 32768 points."""
        return zone[G[fine]] + _COARSE * zone[G[coarse]]

    start = sample.start + offset("startAddrsOffset", "startAddrsCoarseOffset")
    end = sample.end + offset("endAddrsOffset", "endAddrsCoarseOffset")
    loop_start = sample.loop_start + offset("startloopAddrsOffset", "startloopAddrsCoarseOffset")
    loop_end = sample.loop_end + offset("endloopAddrsOffset", "endloopAddrsCoarseOffset")
    start = min(max(start, 0), data_len)
    end = min(max(end, start), data_len)
    return start, end, min(max(loop_start, start), end), min(max(loop_end, start), end)


def find_preset(sf: SoundFontData, bank: int, program: int) -> Preset:
    """The preset for (bank, program), or its General MIDI stand-in (rule in the module doc)."""
    if not 0 <= bank <= 16383:
        raise ParameterError(f"bank must be in 0..16383, got {bank!r}")
    if not 0 <= program <= 127:
        raise ParameterError(f"program must be in 0..127, got {program!r}")
    presets = sf.presets
    if (bank, program) in presets:
        return presets[(bank, program)]
    if bank == DRUM_BANK:
        candidates = [(DRUM_BANK, 0)] + sorted(k for k in presets if k[0] == DRUM_BANK)
    else:
        family_start = program // 8 * 8
        family = [(0, p) for p in range(family_start, family_start + 8)]
        melodic = sorted(k for k in presets if k[0] != DRUM_BANK)
        candidates = [(0, program), *family, (0, 0), *melodic]
    for key in [*candidates, *sorted(presets)]:
        if key in presets:
            return presets[key]
    raise ParameterError(
        f"SoundFont '{sf.name}' has no presets to play bank {bank} program {program}"
    )
