"""The contract between the SoundFont parser and the synth.

A :class:`Region` is one playable zone of a preset with every generator already resolved
(instrument value, plus the preset's offset, clamped to the SoundFont 2.04 ranges) and turned
into the units the synth uses. The synth never sees raw generators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# sampleModes generator values (SoundFont 2.04 §8.1.3, generator 54)
LOOP_NONE = 0
LOOP_CONTINUOUS = 1
LOOP_UNTIL_RELEASE = 3


@dataclass(frozen=True, slots=True)
class Region:
    """One zone, resolved. Sample positions are absolute indices into ``SoundFont.sample_data``.

    Pitch: a note ``key`` plays the sample at
    ``2 ** ((scale_tuning * (key - root_key) + tune_cents) / 1200) * sample_rate / out_rate``
    samples per output frame.
    """

    key_lo: int
    key_hi: int
    vel_lo: int
    vel_hi: int
    sample_start: int  # first sample played
    sample_end: int  # one past the last sample
    loop_start: int  # first sample of the loop
    loop_end: int  # one past the last sample of the loop
    sample_rate: int  # Hz, of the sample data
    root_key: int  # MIDI key at which the sample plays unshifted
    tune_cents: float = 0.0  # coarse*100 + fine + the sample's pitch correction
    scale_tuning: float = 100.0  # cents per key
    attenuation_cb: float = 0.0  # initialAttenuation, centibels (>= 0)
    pan: float = 0.0  # -1 (left) .. +1 (right)
    delay_s: float = 0.0  # volume envelope
    attack_s: float = 0.0
    hold_s: float = 0.0
    decay_s: float = 0.0
    sustain_cb: float = 0.0  # attenuation during sustain, centibels (0 = full level)
    release_s: float = 0.0
    key_to_hold_tc: float = 0.0  # keynumToVolEnvHold, timecents per key from key 60
    key_to_decay_tc: float = 0.0  # keynumToVolEnvDecay
    exclusive_class: int = 0
    loop_mode: int = LOOP_NONE
    fixed_key: int = -1  # keynum generator: -1 = the played key
    fixed_velocity: int = -1  # velocity generator: -1 = the played velocity

    def matches(self, key: int, velocity: int) -> bool:
        """True when this region sounds for ``key`` at ``velocity``."""
        return self.key_lo <= key <= self.key_hi and self.vel_lo <= velocity <= self.vel_hi


@dataclass(frozen=True)
class Preset:
    """A preset (bank, program) with its resolved regions."""

    name: str
    bank: int
    program: int
    regions: tuple[Region, ...] = field(default_factory=tuple)

    def regions_for(self, key: int, velocity: int) -> list[Region]:
        """Every region that sounds for ``key`` at ``velocity`` (layered zones all sound)."""
        return [r for r in self.regions if r.matches(key, velocity)]


@dataclass(frozen=True)
class SoundFontData:
    """What the synth needs from a SoundFont: the samples and the presets."""

    name: str
    sha256: str
    sample_data: np.ndarray  # float32, mono, all samples concatenated, in -1..1
    presets: dict[tuple[int, int], Preset]  # (bank, program) -> preset
    path: str | None = None
