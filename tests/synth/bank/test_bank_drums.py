"""The bundled drum kit heard through the synth and renderer: every GM key 35-81 sounds, and the
hand percussion sounds like its name (shakers are noise, the open triangle rings and the mute
one is damped and chokes it, the whistles sit on their pitch, the guiro is a train of clicks,
the cuica glides, the vibraslap rattles away).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from soundness_live.core.events import DRUM_CHANNEL, NoteOff, NoteOn
from soundness_live.synth.bank.percussion import WHISTLE_HZ
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, render_offline
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.synth import Synth
from tests.synth.bank.test_bank_layout import BANK
from tests.synth.bank.test_bank_sound import flatness, share

RATE = 48_000
GM_KEYS = range(35, 82)
GM2_EXTRAS = [31, 33, 34, 82, 83, 85, 86, 87]  # sticks .. open surdo, from retuned neighbours
SHAKERS = {69: "cabasa", 70: "maracas"}


@pytest.fixture(scope="module")
def bank():
    return load_soundfont(BANK)


def play(sf, notes: list[tuple[float, int, float]], seconds: float) -> np.ndarray:
    """Mono output of drum notes (start s, key, length s) on the drum channel, velocity 100."""
    renderer = Renderer(Synth(sf, RATE), OutputStage(RATE, 0.0))
    for start_s, key, length_s in notes:
        renderer.scheduler.add(NoteOn(int(start_s * RATE), DRUM_CHANNEL, key, 100))
        renderer.scheduler.add(NoteOff(int((start_s + length_s) * RATE), DRUM_CHANNEL, key))
    return render_offline(renderer, int(seconds * RATE)).mean(axis=1).astype(np.float64)


def hit(sf, key: int, seconds: float = 1.0, length_s: float = 0.1) -> np.ndarray:
    return play(sf, [(0.0, key, length_s)], seconds)


def cut(x: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return x[int(start_s * RATE) : int(end_s * RATE)]


def envelope_db(x: np.ndarray, window_s: float = 0.001) -> np.ndarray:
    """Level in dB, RMS over ``window_s`` windows (one value per window)."""
    n = int(window_s * RATE)
    frames = x[: len(x) // n * n].reshape(-1, n)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-20)


def ring_s(x: np.ndarray, drop_db: float) -> float:
    """Time from the loudest 10 ms until the level stays ``drop_db`` below it."""
    levels = envelope_db(x, 0.01)
    loud = int(np.argmax(levels))
    above = np.flatnonzero(levels[loud:] > levels[loud] - drop_db)
    return float(above[-1] + 1) * 0.01


def bursts(x: np.ndarray) -> int:
    """Clicks in ``x``: peaks of the 1 ms envelope that stand 6 dB out, at least 6 ms apart."""
    levels = envelope_db(x)
    peaks, _ = find_peaks(levels, distance=6, prominence=6.0, height=levels.max() - 50)
    return len(peaks)


def test_every_gm_key_35_to_81_plays_and_sounds(bank):
    kit = bank.presets[(128, 0)]
    keys = [*GM_KEYS, *GM2_EXTRAS]
    assert [key for key in keys if len(kit.regions_for(key, 100)) != 1] == []
    silent = [key for key in keys if np.abs(hit(bank, key, 0.1)).max() < 1e-3]
    assert silent == []


def test_mute_surdo_is_damped_and_lower_than_the_floor_tom(bank):
    assert ring_s(hit(bank, 86, 1.5), 30.0) < 0.5 * ring_s(hit(bank, 87, 1.5), 30.0)
    tom, surdo = cut(hit(bank, 41, 1.0), 0.0, 0.5), cut(hit(bank, 87, 1.0), 0.0, 0.5)
    freqs = np.fft.rfftfreq(len(tom), 1 / RATE)
    peak_hz = [freqs[np.argmax(np.abs(np.fft.rfft(x * np.hanning(len(x)))))] for x in (tom, surdo)]
    assert 1200 * np.log2(peak_hz[0] / peak_hz[1]) == pytest.approx(500, abs=60)


@pytest.mark.parametrize("key", sorted(SHAKERS))
def test_shakers_are_short_bursts_of_high_noise(bank, key):
    x = hit(bank, key, 0.5)
    assert flatness(cut(x, 0.0, 0.1), RATE, 2000.0, 10000.0) > 0.3, SHAKERS[key]
    assert share(cut(x, 0.0, 0.2), RATE, 2000.0, 12000.0) > 0.9, SHAKERS[key]
    assert ring_s(x, 30.0) < 0.15, SHAKERS[key]


def test_open_triangle_rings_and_the_mute_one_is_damped(bank):
    opened = hit(bank, 81, 2.0)
    muted = hit(bank, 80, 2.0)
    assert ring_s(opened, 30.0) > 1.0
    assert ring_s(muted, 30.0) < 0.25
    # a long note does not lift the damping; a quick one does not cut the open ring
    assert ring_s(hit(bank, 80, 2.0, length_s=1.5), 30.0) < 0.25
    assert ring_s(hit(bank, 81, 2.0, length_s=0.02), 30.0) > 1.0


def test_triangle_partials_are_inharmonic_and_bright(bank):
    x = cut(hit(bank, 81, 1.0), 0.1, 0.9)
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    peaks, _ = find_peaks(power, distance=int(200 * len(x) / RATE))
    top = np.sort(freqs[peaks[np.argsort(power[peaks])[-5:]]])
    ratios = top[1:] / top[0]
    assert np.all(np.abs(ratios - np.round(ratios)) > 0.05)  # no harmonic series
    assert share(x, RATE, 2000.0, 16000.0) > 0.7


def test_mute_triangle_chokes_the_open_one(bank):
    kit = bank.presets[(128, 0)]
    classes = {kit.regions_for(key, 100)[0].exclusive_class for key in (80, 81)}
    assert len(classes) == 1 and classes != {0} and classes != {1}  # not the hi-hats' class
    alone = play(bank, [(0.0, 81, 0.1)], 1.2)
    choked = play(bank, [(0.0, 81, 0.1), (0.4, 80, 0.1)], 1.2)
    # by 0.8 s the mute stroke has died away and so has the open ring it choked
    late_alone, late_choked = cut(alone, 0.8, 1.2), cut(choked, 0.8, 1.2)
    assert 10 * np.log10(np.mean(late_alone**2) / np.mean(late_choked**2)) > 30.0


@pytest.mark.parametrize("key", [71, 72])
def test_whistles_sound_their_pitch(bank, key):
    x = hit(bank, key, 0.6, length_s=0.5)
    steady = cut(x, 0.03, 0.14)
    power = np.abs(np.fft.rfft(steady * np.hanning(len(steady)), 1 << 18)) ** 2
    freqs = np.fft.rfftfreq(1 << 18, 1 / RATE)
    assert abs(1200 * np.log2(freqs[np.argmax(power)] / WHISTLE_HZ)) < 15.0
    assert share(steady, RATE, WHISTLE_HZ * 0.97, WHISTLE_HZ * 1.03) > 0.6  # a tone, breathy


def test_short_and_long_whistle_and_guiro(bank):
    assert ring_s(hit(bank, 72, 1.0), 30.0) > 2 * ring_s(hit(bank, 71, 1.0), 30.0)
    short, long = bursts(hit(bank, 73, 0.5)), bursts(hit(bank, 74, 0.8))
    assert 6 <= short <= 10 and 16 <= long <= 24  # one click per ridge scraped
    assert flatness(cut(hit(bank, 74, 0.8), 0.0, 0.35), RATE, 1000.0, 8000.0) > 0.1


def _pitch_track_hz(x: np.ndarray, lo_hz: float, hi_hz: float) -> np.ndarray:
    """Strongest peak between ``lo_hz`` and ``hi_hz`` in 40 ms frames, every 20 ms."""
    n, hop = int(0.04 * RATE), int(0.02 * RATE)
    size = 1 << 15
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    band = (freqs > lo_hz) & (freqs < hi_hz)
    track = []
    for start in range(0, len(x) - n, hop):
        power = np.abs(np.fft.rfft(x[start : start + n] * np.hanning(n), size))
        track.append(freqs[band][np.argmax(power[band])])
    return np.array(track)


def test_cuica_glides_and_the_mute_one_squeaks_higher(bank):
    opened = _pitch_track_hz(cut(hit(bank, 79, 0.5), 0.0, 0.36), 250.0, 1000.0)
    muted = _pitch_track_hz(cut(hit(bank, 78, 0.5), 0.0, 0.16), 250.0, 1000.0)
    assert 1200 * np.log2(opened.max() / opened[0]) > 500  # rises a fourth or more
    assert opened[-1] < opened.max()  # and falls back at the end
    assert np.median(muted) > 1.2 * np.median(opened)
    assert ring_s(hit(bank, 78, 1.0), 30.0) < ring_s(hit(bank, 79, 1.0), 30.0)


def test_vibraslap_rattles_and_dies_away(bank):
    x = hit(bank, 58, 1.0)
    assert bursts(cut(x, 0.0, 0.6)) >= 12  # ~30 clatters a second
    assert 10 * np.log10(np.mean(cut(x, 0.0, 0.1) ** 2) / np.mean(cut(x, 0.4, 0.5) ** 2)) > 15
    assert flatness(cut(x, 0.0, 0.3), RATE, 1000.0, 8000.0) > 0.1
