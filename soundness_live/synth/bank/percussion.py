"""Hand percussion of the General MIDI kit: shakers, triangle, whistles, guiro, cuica, vibraslap.

Each sound is a function of a seeded generator returning a one-shot sample in -1..1, placed on
its GM key(s) by :mod:`.drums`. Shakers, the guiro and the vibraslap are noise (unpitched, as
in life); the whistles and the cuica are pitched; the triangle is a set of inharmonic bar modes,
each split in two by the bend of the bar so it shimmers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .dsp import decaying_partials, faded, filtered, noise, normalised, seconds

SR = 22050
SR_BRIGHT = 32000
WHISTLE_HZ = 2349.3  # a samba whistle's tone, D7
TRIANGLE_S = 1.5
TRIANGLE_F1_HZ = 560.0
# free-free bar modes, ~(2n+1)^2: the triangle is a bent steel bar
BAR_MODES = (1.0, 2.756, 5.404, 8.933, 13.344, 18.638, 24.81)

Render = Callable[[np.random.Generator], np.ndarray]


def _finish(x: np.ndarray, sr: int, fade_ms: float = 20.0) -> np.ndarray:
    return faded(normalised(x), sr, fade_ms)


def _bursts(t: np.ndarray, onsets_s: np.ndarray, amps: np.ndarray, tau_s: float) -> np.ndarray:
    """A train of exponentially decaying bursts (the envelope of each click)."""
    out = np.zeros_like(t)
    for onset, amp in zip(onsets_s, amps, strict=True):
        start = int(np.searchsorted(t, onset))
        out[start:] += amp * np.exp(-(t[start:] - onset) / tau_s)
    return out


def _wobble(n: int, rng: np.random.Generator, sr: int, rate_hz: float) -> np.ndarray:
    """Slow random wander in -1..1 (noise low-passed at ``rate_hz``): a player is not a machine."""
    slow = filtered(noise(n, rng), sr, None, rate_hz)
    return slow / (np.max(np.abs(slow)) + 1e-12)


def shaker(lo_hz: float, hi_hz: float, rise_s: float, tau_s: float, dur_s: float) -> Render:
    """Maracas or cabasa: one shake, a short burst of high band-passed noise.

    Seeds (or beads) strike the shell as a dense crackle: noise plus random micro-clicks,
    rising over ``rise_s`` and dying away with ``tau_s``.
    """

    def render(rng: np.random.Generator) -> np.ndarray:
        t = seconds(dur_s, SR)
        hits = (rng.random(len(t)) < 0.08) * rng.uniform(0.5, 2.0, len(t))
        crackle = np.convolve(hits, np.exp(-np.arange(40) / 6.0))[: len(t)]
        raw = noise(len(t), rng) + crackle * rng.choice([-1.0, 1.0], len(t))
        shape = (1 - np.exp(-t / rise_s)) ** 2 * np.exp(-t / tau_s)
        return _finish(filtered(raw, SR, lo_hz, hi_hz, order=3) * shape, SR)

    return render


maracas = shaker(2500.0, 9000.0, 0.003, 0.02, 0.1)  # seeds in a gourd: a quick, dry shake
cabasa = shaker(4000.0, 10500.0, 0.006, 0.035, 0.15)  # steel beads: brighter, a longer scrape


def triangle(rng: np.random.Generator) -> np.ndarray:
    """Triangle, struck open: bar modes split into beating pairs, a metallic sheen, a tick."""
    t = seconds(TRIANGLE_S, SR_BRIGHT)
    amps = (0.3, 0.6, 1.0, 0.9, 0.75, 0.55, 0.35)
    taus_s = (0.75, 0.65, 0.55, 0.48, 0.4, 0.32, 0.25)
    freqs, gains, decays = [], [], []
    for ratio, amp, tau in zip(BAR_MODES, amps, taus_s, strict=True):
        split = rng.uniform(0.0015, 0.004)  # in- and out-of-plane modes, a few Hz apart
        freqs += [TRIANGLE_F1_HZ * ratio * (1 - split), TRIANGLE_F1_HZ * ratio * (1 + split)]
        gains += [amp, amp * rng.uniform(0.5, 0.9)]
        decays += [tau, tau * rng.uniform(0.8, 1.1)]
    bar = decaying_partials(freqs, gains, decays, t, rng.uniform(0, 2 * np.pi, len(freqs)))
    count = 30
    sheen_hz = np.exp(rng.uniform(np.log(4000.0), np.log(15000.0), count))
    sheen = decaying_partials(
        sheen_hz, np.full(count, 0.08), rng.uniform(0.08, 0.3, count), t, rng.uniform(0, 6, count)
    )
    tick = filtered(noise(len(t), rng), SR_BRIGHT, 4000.0, 15000.0) * np.exp(-t / 0.001)
    mix = normalised(bar) + 0.5 * normalised(sheen) + 0.3 * normalised(tick)
    return _finish(mix * (1 - np.exp(-t / 0.0003)), SR_BRIGHT, 200.0)


def whistle(dur_s: float) -> Render:
    """Samba whistle blown for ``dur_s``: a near-sine at :data:`WHISTLE_HZ` with breath noise,
    a small scoop up to pitch as the breath builds and a slight unsteadiness."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = seconds(dur_s, SR)
        cents = -60.0 * np.exp(-t / 0.012) + 6.0 * _wobble(len(t), rng, SR, 8.0)
        phase = 2 * np.pi * np.cumsum(WHISTLE_HZ * 2 ** (cents / 1200)) / SR
        tone = np.sin(phase) + 0.1 * np.sin(2 * phase + 0.3) + 0.03 * np.sin(3 * phase)
        breath = filtered(noise(len(t), rng), SR, 1500.0, 7000.0)
        breath = 0.12 * breath / np.std(breath)
        release_s = 0.025
        shape = np.clip(t / 0.012, 0, 1) * np.clip((dur_s - t) / release_s, 0, 1)
        return _finish((tone * (1 + 0.1 * _wobble(len(t), rng, SR, 20.0)) + breath) * shape, SR)

    return render


def guiro(stroke_s: float, clicks: int, slowing: float) -> Render:
    """Guiro: a stick scraped along the ridges of a gourd, one stroke of ``clicks`` ridges.

    Each ridge is a click of band-passed noise that rings the hollow body briefly; the clicks
    follow the stroke (louder mid-stroke, a little uneven) and their spacing grows by the
    factor ``slowing`` from first to last as the stick slows down.
    """

    def render(rng: np.random.Generator) -> np.ndarray:
        t = seconds(stroke_s + 0.06, SR)
        gaps = np.geomspace(1.0, slowing, clicks - 1) * rng.uniform(0.85, 1.15, clicks - 1)
        onsets = np.concatenate([[0.0], np.cumsum(gaps)]) * stroke_s / gaps.sum()
        along = onsets / stroke_s
        amps = (0.4 + 0.6 * np.sin(np.pi * along)) * rng.uniform(0.7, 1.0, clicks)
        scrape = filtered(noise(len(t), rng), SR, 1200.0, 7000.0) * _bursts(t, onsets, amps, 0.002)
        body = decaying_partials([850.0, 2300.0], [1.0, 0.6], [0.006, 0.004], seconds(0.03, SR))
        knocks = np.convolve(_bursts(t, onsets, amps, 0.0002), body)[: len(t)]
        hiss = filtered(noise(len(t), rng), SR, 2000.0, 8000.0) * np.interp(t, onsets, amps)
        mix = normalised(scrape) + 0.35 * normalised(knocks) + 0.05 * normalised(hiss)
        return _finish(mix, SR)

    return render


def _glide_hz(t: np.ndarray, points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Pitch path through (time, Hz) points, eased between them (a hand, not a ramp)."""
    times = np.array([p[0] for p in points])
    cents = 1200 * np.log2(np.array([p[1] for p in points]) / points[0][1])
    segment = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    u = np.clip((t - times[segment]) / (times[segment + 1] - times[segment]), 0, 1)
    eased = cents[segment] + (cents[segment + 1] - cents[segment]) * (1 - np.cos(np.pi * u)) / 2
    return points[0][1] * 2 ** (eased / 1200)


def cuica(points: Sequence[tuple[float, float]], dur_s: float) -> Render:
    """Cuica: a stick rubbed inside the drum makes the skin squeak (stick-slip friction: a
    harmonic-rich tone with scrape noise on every slip); the thumb pressing the skin bends
    the pitch along ``points`` (time in s, Hz)."""

    def render(rng: np.random.Generator) -> np.ndarray:
        t = seconds(dur_s, SR)
        hz = _glide_hz(t, points) * (1 + 0.008 * _wobble(len(t), rng, SR, 40.0))
        phase = 2 * np.pi * np.cumsum(hz) / SR
        tone = np.zeros_like(t)
        for k in range(1, 16):
            audible = k * hz < 0.45 * SR  # band-limited: no partial folds back
            tone += audible * k**-1.6 * np.sin(k * phase)
        slips = (0.5 + 0.5 * np.cos(phase)) ** 6
        scrape = filtered(noise(len(t), rng), SR, 800.0, 5000.0) * slips
        skin = filtered(tone, SR, 300.0, 2000.0)  # the drum's hollow "hoo"
        swell = 0.75 + 0.25 * np.sin(np.pi * t / dur_s)  # the rub presses harder mid-stroke
        shape = swell * np.clip(t / 0.03, 0, 1) * np.clip((dur_s - t) / 0.05, 0, 1)
        return _finish((normalised(skin) + 0.15 * normalised(scrape)) * shape, SR)

    return render


def vibraslap(rng: np.random.Generator) -> np.ndarray:
    """Vibraslap: the ball strikes the box and the loose teeth rattle, ~35 clatters a second
    slowing to ~25 as they die away, each a burst of noise with a short metallic ring."""
    dur_s = 0.65
    t = seconds(dur_s, SR)
    onsets = [0.0]
    while onsets[-1] < dur_s - 0.08:
        rate_hz = 36.0 - 14.0 * onsets[-1] / dur_s
        onsets.append(onsets[-1] + rng.uniform(0.9, 1.1) / rate_hz)
    times = np.array(onsets)
    amps = np.exp(-times / 0.15) * rng.uniform(0.6, 1.0, len(times))
    clatter = filtered(noise(len(t), rng), SR, 1500.0, 8000.0) * _bursts(t, times, amps, 0.004)
    ring = decaying_partials(
        [2650.0, 3920.0, 5310.0], [1.0, 0.7, 0.5], [0.015, 0.012, 0.009], seconds(0.06, SR)
    )
    teeth = np.convolve(_bursts(t, times, amps, 0.0002), ring)[: len(t)]
    hit = decaying_partials([480.0, 1250.0], [1.0, 0.5], [0.03, 0.015], t)
    mix = normalised(clatter) + 0.5 * normalised(teeth) + 0.4 * normalised(hit)
    return _finish(mix * (1 - np.exp(-t / 0.0005)), SR, 60.0)
