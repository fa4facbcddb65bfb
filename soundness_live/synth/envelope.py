"""The volume and modulation envelopes as FluidSynth 2.3 runs them: sections stepped once per
64-frame control period of the voice's age.

Each envelope is a machine of seven sections (delay, attack, hold, decay, sustain, release,
finished). A section lasts ``count`` control periods; each period the value becomes
``clip(coeff * value + incr, low, high)``, and reaching a bound moves on to the next section.
The tables here are built once at note-on; the kernel (:mod:`.kernel`) steps them.

The volume envelope's value is linear in amplitude during the attack and linear in decibels
after it, over 96 dB (960 cB) for a full decay or release: a sustain of S cB sounds at
0.96 S cB, a decay or release falls 96 dB per its generator's time, and a release is at least
15.6 ms (-7200 timecents). These are FluidSynth's rules, not the letter of SoundFont 2.04
(which says 100 dB and an exact sustain): the fonts we play were voiced against FluidSynth.
The shortest attack is one control period with the amplitude ramped across it (1.3 ms at
48 kHz), FluidSynth's stand-in for the specification's ~1 ms minimum.

The modulation envelope is the same machine with a linear value (sustain in 0.1 % units, no
release floor); during its attack the kernel reads it through the convex curve (§8.1.2).
"""

from __future__ import annotations

import numpy as np

from .region import Region

__all__ = [
    "CONTROL_FRAMES",
    "SECTIONS",
    "DELAY",
    "ATTACK",
    "HOLD",
    "DECAY",
    "SUSTAIN",
    "RELEASE",
    "FINISHED",
    "PEAK_CB",
    "centibels_to_amp",
    "envelope_sections",
]

CONTROL_FRAMES = 64  # frames per control period (FluidSynth's FLUID_BUFSIZE)
DELAY, ATTACK, HOLD, DECAY, SUSTAIN, RELEASE, FINISHED = range(7)
SECTIONS = 7
PEAK_CB = 960.0  # the volume envelope's span after the attack
FOREVER = 1 << 40  # a count no voice reaches
MIN_VOLUME_RELEASE_S = 2.0 ** (-7200 / 1200)  # FluidSynth's FLUID_MIN_VOLENVRELEASE
MAX_TIME_S = 2.0 ** (8000 / 1200)  # the longest attack, decay or release (§8.1.3)
# -12000 timecents, the shortest time a generator gives (what a region's 0 s stands for):
# FluidSynth counts it as 0.98 ms, so a hold or decay "of no time" lasts one control period
INSTANT_S = 2.0 ** (-12000 / 1200)
COEFF, INCR, LOW, HIGH = range(4)  # columns of a section's row


def centibels_to_amp(cb: float) -> float:
    """Amplitude factor of an attenuation in centibels (200 cB = factor 10)."""
    return 10.0 ** (-cb / 200.0)


def _key_scaled(seconds: float, tc_per_key: float, key: int) -> float:
    """keynumTo...Hold/Decay: key 60 unchanged, time scaled by 2**((60 - key) * tc / 1200)."""
    return seconds * 2.0 ** ((60 - key) * tc_per_key / 1200.0)


def envelope_sections(
    region: Region, key: int, sample_rate: int, modulation: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(counts (7,) int64, rows (7, 4) float64 of coeff, incr, low, high) of the volume
    envelope of ``region`` played at ``key`` — or, with ``modulation``, of its modulation
    envelope."""
    times: tuple[float, ...]
    if modulation:
        times = (region.mod_delay_s, region.mod_attack_s, region.mod_hold_s)
        hold_key, decay_key = region.key_to_mod_hold_tc, region.key_to_mod_decay_tc
        decay_s, release_s = region.mod_decay_s, region.mod_release_s
        sustain = 1.0 - 0.001 * region.mod_sustain_permille
        release_high = 2.0
    else:
        times = (region.delay_s, region.attack_s, region.hold_s)
        hold_key, decay_key = region.key_to_hold_tc, region.key_to_decay_tc
        decay_s, release_s = region.decay_s, max(region.release_s, MIN_VOLUME_RELEASE_S)
        sustain = 1.0 - 0.001 * region.sustain_cb
        release_high = 1.0
    periods = sample_rate / CONTROL_FRAMES  # control periods per second
    times = tuple(max(t, INSTANT_S) for t in times)
    decay_s, release_s = max(decay_s, INSTANT_S), max(release_s, INSTANT_S)
    delay = int(periods * times[0])
    attack = 1 + int(periods * min(times[1], MAX_TIME_S))
    hold = int(periods * _key_scaled(times[2], hold_key, key) + 0.5)
    decay = int(periods * min(_key_scaled(decay_s, decay_key, key), MAX_TIME_S) + 0.5)
    release = 1 + int(periods * min(release_s, MAX_TIME_S))
    counts = np.array([delay, attack, hold, decay, FOREVER, release, FOREVER], dtype=np.int64)
    rows = np.array(
        [
            (0.0, 0.0, -1.0, 1.0),
            (1.0, 1.0 / attack, -1.0, 1.0),
            (1.0, 0.0, -1.0, 2.0),
            (1.0, -1.0 / decay if decay else 0.0, min(max(sustain, 0.0), 1.0), 2.0),
            (1.0, 0.0, -1.0, 2.0),
            (1.0, -1.0 / release, 0.0, release_high),
            (0.0, 0.0, -1.0, 1.0),
        ]
    )
    return counts, rows
