"""Which GM presets the bundled bank has, and how their samples become SoundFont zones."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..sf2.write import InstrumentSpec, PresetSpec, SampleSpec, ZoneSpec, write_sf2
from . import struck, sustained
from .drums import KIT, DrumSound
from .dsp import SEED, Take, key_ranges, measure_f0, midi_hz

BANK_NAME = "Soundness GM"
DRUM_BANK = 128
NO_LOOP, LOOP = 0, 1


def tc(seconds: float) -> int:
    """Seconds -> SoundFont timecents."""
    return round(1200 * math.log2(seconds))


@dataclass(frozen=True)
class Melodic:
    """A GM melodic preset made of a few sampled keys, each covering the keys around it."""

    program: int  # 0-based GM program
    name: str
    render: Callable[[int, np.random.Generator], Take]
    roots: tuple[int, ...]
    envelope: Mapping[str, int] = field(default_factory=dict)  # raw generator amounts
    attenuation_cb: int = 0


def _env(attack_s: float = 0.001, release_s: float = 0.3) -> dict[str, int]:
    return {"attackVolEnv": tc(attack_s), "releaseVolEnv": tc(release_s)}


MELODIC: tuple[Melodic, ...] = (
    Melodic(0, "Grand Piano", struck.piano, (33, 45, 57, 69, 81, 93), _env(0.001, 0.4)),
    Melodic(8, "Celesta", struck.celesta, (60, 72, 84, 96), _env(0.001, 1.0), 80),
    Melodic(9, "Glockenspiel", struck.glockenspiel, (79, 91, 103), _env(0.001, 1.2), 60),
    Melodic(12, "Marimba", struck.marimba, (45, 57, 69, 81, 93), _env(0.001, 0.8)),
    Melodic(13, "Xylophone", struck.xylophone, (57, 69, 81, 93), _env(0.001, 0.5)),
    Melodic(19, "Church Organ", struck.organ, (36, 48, 60, 72, 84), _env(0.02, 0.15), 110),
    Melodic(24, "Nylon Guitar", struck.nylon_guitar, (40, 50, 60, 72), _env(0.001, 0.3)),
    Melodic(32, "Acoustic Bass", struck.acoustic_bass, (28, 40, 52), _env(0.001, 0.2)),
    Melodic(33, "Electric Bass", struck.electric_bass, (28, 40, 52), _env(0.001, 0.15), 40),
    Melodic(48, "String Ensemble", sustained.strings, (43, 55, 67, 79), _env(0.35, 0.6), 60),
    Melodic(52, "Choir Aahs", sustained.choir, (48, 55, 62, 69, 76), _env(0.25, 0.5), 30),
    Melodic(73, "Flute", sustained.flute, (60, 72, 84, 96), _env(0.05, 0.12), 100),
    Melodic(88, "New Age Pad", sustained.pad, (48, 60, 72, 84), _env(0.8, 1.5), 20),
)


def _pitch_correction(take: Take) -> int:
    """Cents that bring the recorded pitch onto the root key's equal-tempered pitch."""
    recorded = take.recorded_hz
    if recorded is None:
        start = int(0.05 * take.sample_rate)
        segment = take.data[start : start + int(0.6 * take.sample_rate)]
        recorded = measure_f0(segment, take.sample_rate, midi_hz(take.root_key))
    cents = round(1200 * math.log2(midi_hz(take.root_key) / recorded))
    if not -127 <= cents <= 127:
        raise ValueError(f"sample at key {take.root_key} is {cents} cents off; retune it")
    return cents


def _melodic(spec: Melodic) -> tuple[list[SampleSpec], InstrumentSpec, PresetSpec]:
    samples: list[SampleSpec] = []
    zones: list[ZoneSpec] = []
    for root, keys in zip(spec.roots, key_ranges(spec.roots), strict=True):
        take = spec.render(root, np.random.default_rng([SEED, spec.program, root]))
        name = f"{spec.name[:15]} {root}"
        samples.append(
            SampleSpec(name, take.data, take.sample_rate, root, _pitch_correction(take), take.loop)
        )
        mode = LOOP if take.loop is not None else NO_LOOP
        zones.append(ZoneSpec(name, {"sampleModes": mode}, key_range=keys))
    shared = dict(spec.envelope, initialAttenuation=spec.attenuation_cb)
    instrument = InstrumentSpec(spec.name, tuple(zones), ZoneSpec(None, shared))
    preset = PresetSpec(spec.name, 0, spec.program, (ZoneSpec(spec.name),))
    return samples, instrument, preset


def _drum_zone(sound: DrumSound, key: int, cents: int, dur_s: float) -> ZoneSpec:
    coarse = int(cents / 100)
    gens = {
        "overridingRootKey": key,
        "scaleTuning": 0,  # a drum sounds the same pitch whatever key plays it
        "coarseTune": coarse,
        "fineTune": cents - 100 * coarse,
        "initialAttenuation": sound.attenuation_cb,
        "pan": sound.pan,
        "exclusiveClass": sound.exclusive_class,
        # GM drums ignore note-off: the release falls 100 dB over this time, so 20x the
        # sample's length costs at most 5 dB by its end, however quick the note (cap 100 s)
        "releaseVolEnv": tc(min(max(20 * dur_s, 1.0), 100.0)),
    }
    fall_s = dict(sound.damped_keys).get(key)
    if fall_s is not None:  # a hand damps it: fall 100 dB over fall_s, note-off or not
        gens.update(decayVolEnv=tc(fall_s), sustainVolEnv=1000, releaseVolEnv=tc(fall_s))
    return ZoneSpec(sound.name, gens, key_range=(key, key))


def _drum_kit() -> tuple[list[SampleSpec], InstrumentSpec, PresetSpec]:
    samples: list[SampleSpec] = []
    zones: list[ZoneSpec] = []
    for index, sound in enumerate(KIT):
        data = sound.render(np.random.default_rng([SEED, DRUM_BANK, index]))
        samples.append(SampleSpec(sound.name, data, sound.sample_rate, sound.keys[0][0]))
        dur_s = len(data) / sound.sample_rate
        zones += [_drum_zone(sound, key, cents, dur_s) for key, cents in sound.keys]
    zones.sort(key=lambda z: z.key_range or (0, 0))
    instrument = InstrumentSpec("Standard Kit", tuple(zones))
    return (
        samples,
        instrument,
        PresetSpec("Standard Kit", DRUM_BANK, 0, (ZoneSpec("Standard Kit"),)),
    )


def bank_specs() -> tuple[list[SampleSpec], list[InstrumentSpec], list[PresetSpec]]:
    """Synthesise every sample and describe the bank (samples, instruments, presets)."""
    samples: list[SampleSpec] = []
    instruments: list[InstrumentSpec] = []
    presets: list[PresetSpec] = []
    for part in [*map(_melodic, MELODIC), _drum_kit()]:
        samples += part[0]
        instruments.append(part[1])
        presets.append(part[2])
    from .syllables import syllable_bank  # bank 1: sung syllables for vocal prompts

    extra = syllable_bank()
    return samples + extra[0], instruments + extra[1], presets + extra[2]


def build_bank(path: str | os.PathLike[str]) -> Path:
    """Build the bank and write it to ``path`` atomically (a temporary file, then a rename)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + f".{os.getpid()}.part")
    try:
        write_sf2(partial, BANK_NAME, *bank_specs())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out
