"""The contract between the SoundFont parser and the synth.

A :class:`Region` is one playable zone of a preset with every generator already resolved
(instrument value, plus the preset's offset, clamped to the SoundFont 2.04 ranges — except the
filter's cutoff and Q, which are clamped only after the modulators are added, as FluidSynth
does) and turned into the units the synth uses, with the zone's modulators (§8.2) beside them.
The synth never sees raw generators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# sampleModes generator values (SoundFont 2.04 §8.1.3, generator 54)
LOOP_NONE = 0
LOOP_CONTINUOUS = 1
LOOP_UNTIL_RELEASE = 3


@dataclass(frozen=True, slots=True)
class Modulator:
    """One SoundFont modulator (§8.2) as the file holds it: source and amount-source
    operators (controller, curve, polarity and direction bits), destination generator number,
    amount, and transform (0 linear, 2 absolute value)."""

    source: int
    destination: int
    amount: int
    amount_source: int = 0
    transform: int = 0

    @property
    def identity(self) -> tuple[int, int, int]:
        """What makes two modulators "identical" (§9.5.1): sources and destination."""
        return (self.source, self.destination, self.amount_source)


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
    # the resonant low-pass filter: cutoff in absolute cents, Q in centibels, both unclamped
    filter_fc_cents: float = 13500.0
    filter_q_cb: float = 0.0
    # modulation envelope (times in seconds, sustain in 0.1 % below full, like sustainModEnv)
    mod_delay_s: float = 0.0
    mod_attack_s: float = 0.0
    mod_hold_s: float = 0.0
    mod_decay_s: float = 0.0
    mod_sustain_permille: float = 0.0
    mod_release_s: float = 0.0
    key_to_mod_hold_tc: float = 0.0
    key_to_mod_decay_tc: float = 0.0
    # LFOs: delay in seconds, frequency in Hz (the SF2 default 0 cents is 8.176 Hz)
    mod_lfo_delay_s: float = 0.0
    mod_lfo_hz: float = 8.175798915643707
    vib_lfo_delay_s: float = 0.0
    vib_lfo_hz: float = 8.175798915643707
    # routings: cents of pitch or cutoff, centibels of volume, at full LFO / envelope swing
    mod_lfo_to_pitch: float = 0.0
    mod_lfo_to_fc: float = 0.0
    mod_lfo_to_volume_cb: float = 0.0
    vib_lfo_to_pitch: float = 0.0
    mod_env_to_pitch: float = 0.0
    mod_env_to_fc: float = 0.0
    # the zone's own modulators: the instrument's (replace an identical default) and the
    # preset's (add to it), §9.5
    instrument_modulators: tuple[Modulator, ...] = ()
    preset_modulators: tuple[Modulator, ...] = ()

    def matches(self, key: int, velocity: int) -> bool:
        """True when this region sounds for ``key`` at ``velocity``."""
        return self.key_lo <= key <= self.key_hi and self.vel_lo <= velocity <= self.vel_hi


def region_span(region: Region) -> tuple[int, int, int, int]:
    """The sample a region plays: (start, end, loop start, loop end), absolute indices."""
    return region.sample_start, region.sample_end, region.loop_start, region.loop_end


def region_loop_mode(region: Region) -> int:
    """The region's loop mode, or 0 when its loop is unusable (the SoundFont parser ensures
    a usable loop; hand-made regions may not have one)."""
    looping = region.loop_mode in (LOOP_CONTINUOUS, LOOP_UNTIL_RELEASE)
    looping = looping and region.sample_start <= region.loop_start
    looping = looping and region.loop_start + 2 <= region.loop_end <= region.sample_end
    return region.loop_mode if looping else 0


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
