"""The General MIDI drum kit: each sound synthesised, then placed on its GM key(s).

Drums that are unpitched in life are built from noise or dense clusters of inharmonic
partials (broadband, no single stable pitch); membranes that ring (toms, congas, bongos) get
their modes plus a noise component. Cymbals, hats and the triangle use 32 kHz so their
brightness fits. Hand percussion (shakers, triangle, whistles, guiro, cuica, vibraslap) is
synthesised in :mod:`.percussion`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import percussion as perc
from .dsp import decaying_partials, faded, filtered, noise, normalised

SR = 22050
SR_BRIGHT = 32000
HAT_CLASS = 1  # closed, pedal and open hi-hat choke each other
# the other GM pairs that cannot sound at once (as GS kits group them)
WHISTLE_CLASS, GUIRO_CLASS, CUICA_CLASS, TRIANGLE_CLASS = 2, 3, 4, 5
MUTE_TRIANGLE_FALL_S = 0.6  # the hand on the bar: its ring falls 100 dB in this time


@dataclass(frozen=True)
class DrumSound:
    """One drum sample and the GM keys that play it (key, tuning in cents)."""

    name: str
    render: Callable[[np.random.Generator], np.ndarray]
    sample_rate: int
    keys: tuple[tuple[int, int], ...]
    attenuation_cb: int = 0
    pan: int = 0  # 0.1 % units, -500 (left) .. 500 (right)
    exclusive_class: int = 0
    # (key, fall_s): keys that play the sample damped, falling 100 dB over fall_s (a hand on
    # the instrument), so a mute and an open stroke share one sample
    damped_keys: tuple[tuple[int, float], ...] = ()


def _t(dur_s: float, sr: int = SR) -> np.ndarray:
    return np.arange(int(dur_s * sr)) / sr


def _env(t: np.ndarray, tau_s: float, attack_s: float = 0.0005) -> np.ndarray:
    return np.exp(-t / tau_s) * (1 - np.exp(-t / attack_s))


def _band_noise(t, rng, lo, hi, tau_s, sr=SR) -> np.ndarray:
    return filtered(noise(len(t), rng), sr, lo, hi) * _env(t, tau_s)


def _finish(x: np.ndarray, sr: int = SR) -> np.ndarray:
    return faded(normalised(x), sr, 20)


def kick(f_start: float, f_end: float, tau_s: float) -> Callable:
    """Bass drum: a sine swept down from ``f_start`` to ``f_end`` Hz, plus a beater click."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = _t(0.5)
        sweep_s = 0.03
        phase = 2 * np.pi * (f_end * t + (f_start - f_end) * sweep_s * (1 - np.exp(-t / sweep_s)))
        body = np.sin(phase) * _env(t, tau_s, 0.001)
        click = _band_noise(t, rng, 1000.0, 8000.0, 0.002)
        return _finish(normalised(body) + 0.25 * normalised(click))

    return render


def snare(tone_hz: float, noise_tau_s: float, lo_hz: float) -> Callable:
    """Snare: a short two-mode membrane under the rattle of the snares (band-passed noise)."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = _t(0.4)
        tone = decaying_partials([tone_hz, tone_hz * 1.59], [1.0, 0.5], [0.05, 0.03], t)
        rattle = _band_noise(t, rng, lo_hz, 9000.0, noise_tau_s)
        return _finish(0.35 * normalised(tone * _env(t, 1.0)) + normalised(rattle))

    return render


def side_stick(rng: np.random.Generator) -> np.ndarray:
    """Side stick (rim click): a woody knock and a bright click."""
    t = _t(0.15)
    knock = decaying_partials([460.0, 1900.0], [1.0, 0.6], [0.02, 0.012], t)
    return _finish(normalised(knock) + 0.8 * normalised(_band_noise(t, rng, 1200, 7000, 0.004)))


def clap(rng: np.random.Generator) -> np.ndarray:
    """Hand clap: a few noise bursts ~11 ms apart and a short diffuse tail."""
    t = _t(0.35)
    shape = sum(np.where(t >= d, np.exp(-(t - d) / 0.003), 0.0) for d in (0, 0.011, 0.022))
    shape = shape + np.where(t >= 0.033, np.exp(-(t - 0.033) / 0.07), 0.0)
    return _finish(filtered(noise(len(t), rng), SR, 800.0, 4000.0) * shape)


def _metal(t: np.ndarray, sr: int) -> np.ndarray:
    """Six detuned square waves (the classic analogue hi-hat cluster): dense and inharmonic."""
    freqs = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
    waves = [np.sign(np.sin(2 * np.pi * 1.7 * f * t + i)) for i, f in enumerate(freqs)]
    return np.sum(waves, axis=0) / len(waves)


def hihat(tau_s: float, dur_s: float) -> Callable:
    """Hi-hat: the square-wave cluster and noise, high-passed; ``tau_s`` opens or closes it."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = _t(dur_s, SR_BRIGHT)
        raw = 0.6 * _metal(t, SR_BRIGHT) + 0.4 * noise(len(t), rng)
        return _finish(filtered(raw, SR_BRIGHT, 6000.0, 14000.0) * _env(t, tau_s), SR_BRIGHT)

    return render


def cymbal(lo_hz: float, tau_s: float, dur_s: float, ping: float) -> Callable:
    """Crash/ride: ~150 inharmonic partials plus bright noise; ``ping`` adds the stick's tone."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = _t(dur_s, SR_BRIGHT)
        freqs = np.exp(rng.uniform(np.log(lo_hz), np.log(13000.0), 150))
        amps = freqs**-0.3
        taus = tau_s * rng.uniform(0.5, 1.3, 150)
        cluster = decaying_partials(freqs, amps, taus, t, rng.uniform(0, 2 * np.pi, 150))
        hiss = _band_noise(t, rng, 3000.0, 14000.0, tau_s * 0.7, SR_BRIGHT)
        stick = _band_noise(t, rng, 2000.0, 9000.0, 0.01, SR_BRIGHT)
        mix = normalised(cluster) + 0.7 * normalised(hiss) + ping * normalised(stick)
        return _finish(mix * (1 - np.exp(-t / 0.001)), SR_BRIGHT)

    return render


def ride_bell(rng: np.random.Generator) -> np.ndarray:
    """Ride bell: clear bell-like partials over a little cymbal wash."""
    t = _t(1.2, SR_BRIGHT)
    ratios, taus = (1.0, 1.51, 2.03, 2.74, 3.81), (0.9, 0.6, 0.5, 0.35, 0.25)
    bell = decaying_partials([730.0 * r for r in ratios], [1, 0.7, 0.5, 0.35, 0.2], taus, t)
    wash = _band_noise(t, rng, 4000.0, 13000.0, 0.3, SR_BRIGHT)
    return _finish(normalised(bell) + 0.25 * normalised(wash), SR_BRIGHT)


def tambourine(rng: np.random.Generator) -> np.ndarray:
    """Tambourine: jingles, i.e. bursts of very bright metallic noise."""
    t = _t(0.4, SR_BRIGHT)
    shape = sum(
        np.where(t >= d, a * np.exp(-(t - d) / 0.05), 0.0)
        for d, a in ((0, 1.0), (0.025, 0.6), (0.06, 0.4))
    )
    raw = 0.5 * _metal(t * 2.3, SR_BRIGHT) + noise(len(t), rng)
    return _finish(filtered(raw, SR_BRIGHT, 5000.0, 14000.0) * shape, SR_BRIGHT)


def cowbell(rng: np.random.Generator) -> np.ndarray:
    """Cowbell: two square waves at 540 and 800 Hz through a band-pass."""
    t = _t(0.45)
    raw = np.sign(np.sin(2 * np.pi * 540 * t)) + np.sign(np.sin(2 * np.pi * 800 * t))
    body = filtered(raw, SR, 500.0, 3000.0) * (0.7 * _env(t, 0.03) + 0.3 * _env(t, 0.15))
    return _finish(body + 0.05 * _band_noise(t, rng, 2000, 8000, 0.005))


def membrane(f_hz: float, tau_s: float, dur_s: float, slap: float = 0.3) -> Callable:
    """Tom, conga or bongo: membrane modes 1 : 1.59 : 2.14 with a small pitch drop at the
    strike, plus a noise component (stick or hand) so it is not a pure tone."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = _t(dur_s)
        bend = 1 + 0.2 * np.exp(-t / 0.02)
        modes = ((1.0, 1.0, tau_s), (1.59, 0.35, tau_s * 0.5), (2.14, 0.2, tau_s * 0.35))
        body = np.zeros_like(t)
        for ratio, amp, tau in modes:
            phase = 2 * np.pi * f_hz * ratio * np.cumsum(bend) / SR
            body += amp * np.sin(phase) * _env(t, tau)
        hit = _band_noise(t, rng, 200.0, 5000.0, 0.008)
        tail = _band_noise(t, rng, 100.0, 1500.0, tau_s * 0.4)
        return _finish(normalised(body) + slap * normalised(hit) + 0.1 * normalised(tail))

    return render


def wood(f_hz: float, tau_s: float) -> Callable:
    """Claves and wood blocks: a short, hard, high knock."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = _t(0.2)
        knock = decaying_partials([f_hz, f_hz * 2.6], [1.0, 0.3], [tau_s, tau_s * 0.4], t)
        click = _band_noise(t, rng, 2000.0, 8000.0, 0.002)
        return _finish(normalised(knock * _env(t, 10.0)) + 0.2 * normalised(click))

    return render


KIT: tuple[DrumSound, ...] = (
    DrumSound("Kick Acoustic", kick(120.0, 45.0, 0.3), SR, ((35, 0),), 40),
    DrumSound("Kick 1", kick(160.0, 55.0, 0.22), SR, ((36, 0),), 40),
    DrumSound("Side Stick", side_stick, SR, ((37, 0),), 60),
    DrumSound("Snare Acoustic", snare(185.0, 0.14, 1500.0), SR, ((38, 0),)),
    DrumSound("Hand Clap", clap, SR, ((39, 0),), 30),
    DrumSound("Snare Electric", snare(220.0, 0.1, 2500.0), SR, ((40, 0),)),
    DrumSound("Hi-Hat Closed", hihat(0.025, 0.15), SR_BRIGHT, ((42, 0),), 30, 250, HAT_CLASS),
    DrumSound("Hi-Hat Pedal", hihat(0.04, 0.2), SR_BRIGHT, ((44, -200),), 50, 250, HAT_CLASS),
    DrumSound("Hi-Hat Open", hihat(0.25, 0.8), SR_BRIGHT, ((46, 0),), 50, 250, HAT_CLASS),
    DrumSound(
        "Tom Floor Low",
        membrane(82.0, 0.45, 0.8),
        SR,
        ((41, 0), (86, -500), (87, -500)),  # GM2 86, 87 mute and open surdo: tuned down
        20,
        -300,
        damped_keys=((86, 0.5),),
    ),
    DrumSound("Tom Floor High", membrane(98.0, 0.42, 0.8), SR, ((43, 0),), 20, -200),
    DrumSound("Tom Low", membrane(116.0, 0.38, 0.7), SR, ((45, 0),), 20, -100),
    DrumSound("Tom Low Mid", membrane(138.0, 0.34, 0.7), SR, ((47, 0),), 20, 0),
    DrumSound("Tom High Mid", membrane(164.0, 0.3, 0.6), SR, ((48, 0),), 20, 100),
    DrumSound("Tom High", membrane(196.0, 0.26, 0.6), SR, ((50, 0), (65, 700), (66, 300)), 20, 200),
    DrumSound(
        "Crash",
        cymbal(400.0, 0.7, 1.8, 0.4),
        SR_BRIGHT,
        ((49, 0), (57, 150), (52, -300), (55, 500)),
        40,
        -300,
    ),
    DrumSound("Ride", cymbal(300.0, 1.0, 1.5, 1.0), SR_BRIGHT, ((51, 0), (59, 100)), 80, 300),
    # GM2 34 metronome bell, 83 jingle bell, 85 castanets: retuned neighbours
    DrumSound("Ride Bell", ride_bell, SR_BRIGHT, ((53, 0), (34, 500)), 80, 300),
    DrumSound("Tambourine", tambourine, SR_BRIGHT, ((54, 0), (83, 400)), 60, 200),
    DrumSound("Cowbell", cowbell, SR, ((56, 0), (67, 700), (68, 400)), 100, 100),
    DrumSound("Bongo High", membrane(430.0, 0.09, 0.35, 0.5), SR, ((60, 0),), 50, 150),
    DrumSound("Bongo Low", membrane(300.0, 0.1, 0.35, 0.5), SR, ((61, 0),), 50, 150),
    DrumSound("Conga Mute", membrane(350.0, 0.04, 0.3, 0.6), SR, ((62, 0),), 50, -150),
    DrumSound("Conga Open", membrane(350.0, 0.18, 0.5, 0.4), SR, ((63, 0),), 50, -150),
    DrumSound("Conga Low", membrane(250.0, 0.2, 0.5, 0.4), SR, ((64, 0),), 50, -150),
    DrumSound("Claves", wood(2500.0, 0.025), SR, ((75, 0), (85, 300)), 80, 100),
    DrumSound(
        "Wood Block High",
        wood(1250.0, 0.035),
        SR,
        ((76, 0), (31, 700), (33, 1200)),  # GM2 31 sticks, 33 metronome click
        70,
        -100,
    ),
    DrumSound("Wood Block Low", wood(850.0, 0.04), SR, ((77, 0),), 70, -100),
    # appended after the original kit, so the seeds (by position) of the drums above stay put
    DrumSound("Vibraslap", perc.vibraslap, SR, ((58, 0),), 60, -250),
    DrumSound("Cabasa", perc.cabasa, SR, ((69, 0),), 80, 300),
    # GM2 82 shaker: the maracas a little lower
    DrumSound("Maracas", perc.maracas, SR, ((70, 0), (82, -300)), 80, 350),
    DrumSound("Whistle Short", perc.whistle(0.16), SR, ((71, 0),), 320, -300, WHISTLE_CLASS),
    DrumSound("Whistle Long", perc.whistle(0.45), SR, ((72, 0),), 320, -300, WHISTLE_CLASS),
    DrumSound("Guiro Short", perc.guiro(0.1, 8, 1.0), SR, ((73, 0),), 60, 350, GUIRO_CLASS),
    DrumSound("Guiro Long", perc.guiro(0.34, 20, 1.4), SR, ((74, 0),), 60, 350, GUIRO_CLASS),
    DrumSound(
        "Cuica Mute",
        perc.cuica(((0.0, 620.0), (0.08, 780.0), (0.18, 720.0)), 0.18),
        SR,
        ((78, 0),),
        250,
        -200,
        CUICA_CLASS,
    ),
    DrumSound(
        "Cuica Open",
        perc.cuica(((0.0, 330.0), (0.12, 520.0), (0.26, 560.0), (0.38, 430.0)), 0.38),
        SR,
        ((79, 0),),
        250,
        -200,
        CUICA_CLASS,
    ),
    DrumSound(
        "Triangle",
        perc.triangle,
        SR_BRIGHT,
        ((81, 0), (80, 0)),
        130,
        400,
        TRIANGLE_CLASS,
        damped_keys=((80, MUTE_TRIANGLE_FALL_S),),
    ),
)
