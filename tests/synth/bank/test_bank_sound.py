"""Each instrument of the bundled bank sounds like its name, measured on its samples.

Samples are played at their root key straight from the parsed data (the synth is tested
elsewhere), so these checks are about the sounds themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.synth.sf2.read import load_soundfont
from tests.synth.bank.test_bank_layout import BANK, root_signal

NOISY_DRUMS = {
    38: "snare",
    40: "electric snare",
    39: "clap",
    42: "closed hat",
    44: "pedal hat",
    46: "open hat",
    49: "crash",
    51: "ride",
    54: "tambourine",
}
TOMS = [41, 43, 45, 47, 48, 50]


@pytest.fixture(scope="module")
def bank():
    return load_soundfont(BANK)


def sound(sf, bank_number: int, program: int, key: int, dur_s: float = 3.0):
    (region,) = sf.presets[(bank_number, program)].regions_for(key, 100)
    return root_signal(sf, region, dur_s), region.sample_rate, region


def cut(x: np.ndarray, rate: int, start_s: float, end_s: float) -> np.ndarray:
    return x[int(start_s * rate) : int(end_s * rate)]


def power_spectrum(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    return np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2, np.fft.rfftfreq(len(x), 1 / rate)


def level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-20))


def centroid_hz(x: np.ndarray, rate: int) -> float:
    power, freqs = power_spectrum(x, rate)
    return float((power * freqs).sum() / power.sum())


def share(x: np.ndarray, rate: int, lo_hz: float, hi_hz: float) -> float:
    """Fraction of the energy between ``lo_hz`` and ``hi_hz``."""
    power, freqs = power_spectrum(x, rate)
    return float(power[(freqs >= lo_hz) & (freqs <= hi_hz)].sum() / power.sum())


def flatness(x: np.ndarray, rate: int, lo_hz: float = 200.0, hi_hz: float = 10000.0) -> float:
    """Spectral flatness (geometric / arithmetic mean power): ~0 for tones, high for noise."""
    power, freqs = power_spectrum(x, rate)
    band = power[(freqs > lo_hz) & (freqs < hi_hz)] + 1e-20
    return float(np.exp(np.mean(np.log(band))) / np.mean(band))


def harmonic_share(x: np.ndarray, rate: int, f1_hz: float, partials: int = 12) -> float:
    """Energy within 3 % (at least 8 Hz) of a multiple of ``f1_hz``, below ``partials`` x f1."""
    power, freqs = power_spectrum(x, rate)
    k = np.round(freqs / f1_hz)
    low = (freqs > 0.5 * f1_hz) & (freqs < partials * f1_hz)
    near = (k >= 1) & (np.abs(freqs - k * f1_hz) < np.maximum(0.03 * k * f1_hz, 8.0))
    return float(power[near & low].sum() / power[low].sum())


def f1_of(region) -> float:
    return 440.0 * 2 ** ((region.root_key - 69) / 12) * 2 ** (-region.tune_cents / 1200)


@pytest.mark.parametrize("key", [45, 60, 69, 81])
def test_piano_brightness_falls_and_tone_is_harmonic(bank, key):
    x, rate, region = sound(bank, 0, 0, key)
    assert centroid_hz(cut(x, rate, 0.005, 0.055), rate) > 1.3 * centroid_hz(
        cut(x, rate, 0.45, 0.5), rate
    )
    assert harmonic_share(cut(x, rate, 0.1, 0.4), rate, f1_of(region)) > 0.95
    # the hammer: a noisy attack, then a clean tone
    assert flatness(cut(x, rate, 0.0, 0.01), rate) > 10 * flatness(cut(x, rate, 0.2, 0.21), rate)


def test_piano_partials_are_slightly_stretched(bank):
    x, rate, region = sound(bank, 0, 0, 60)
    power, freqs = power_spectrum(cut(x, rate, 0.05, 0.6), rate)
    f1 = f1_of(region)
    band = (freqs > 5.8 * f1) & (freqs < 6.3 * f1)
    ratio = freqs[band][np.argmax(power[band])] / f1
    assert 6.005 < ratio < 6.15


def test_marimba_is_a_fast_decaying_near_sine_with_a_fourth_overtone(bank):
    x, rate, _ = sound(bank, 0, 12, 69)
    assert share(cut(x, rate, 0.05, 1.0), rate, 418.0, 462.0) > 0.9
    assert level_db(cut(x, rate, 0.0, 0.1)) - level_db(cut(x, rate, 0.9, 1.0)) > 30.0
    assert share(cut(x, rate, 0.0, 0.02), rate, 440 * 3.8, 440 * 4.2) > 0.02


def _time_to_fall_s(x: np.ndarray, rate: int, drop_db: float) -> float:
    start = level_db(cut(x, rate, 0.0, 0.02))
    for i in range(len(x) // (rate // 100)):
        if level_db(cut(x, rate, i / 100, i / 100 + 0.01)) < start - drop_db:
            return i / 100
    return len(x) / rate


def test_xylophone_is_brighter_and_shorter_than_marimba(bank):
    marimba, rate, _ = sound(bank, 0, 12, 69)
    xylophone, _, _ = sound(bank, 0, 13, 69)
    early = (0.0, 0.1)
    assert centroid_hz(cut(xylophone, rate, *early), rate) > 1.3 * centroid_hz(
        cut(marimba, rate, *early), rate
    )
    assert _time_to_fall_s(xylophone, rate, 30) < 0.8 * _time_to_fall_s(marimba, rate, 30)


@pytest.mark.parametrize("key", sorted(NOISY_DRUMS))
def test_unpitched_drums_are_noise_like(bank, key):
    x, rate, _ = sound(bank, 128, 0, key)
    segment = cut(x, rate, 0.0, 0.3)
    assert flatness(segment, rate) > 0.1, NOISY_DRUMS[key]
    power, _ = power_spectrum(segment, rate)
    peak = int(np.argmax(power))
    width = max(1, int(len(segment) / rate * 20))  # +-20 Hz around the strongest peak
    assert power[max(0, peak - width) : peak + width + 1].sum() < 0.15 * power.sum()


def test_tonal_instruments_are_not_noise_like(bank):
    for program in (0, 12, 52, 73):
        x, rate, _ = sound(bank, 0, program, 69)
        assert flatness(cut(x, rate, 0.2, 0.5), rate) < 0.01, program


def _instantaneous_hz(x: np.ndarray, rate: int, lo_hz: float, hi_hz: float) -> np.ndarray:
    freqs = np.fft.fftfreq(len(x), 1.0 / rate)
    analytic = np.fft.ifft(np.fft.fft(x) * ((freqs > lo_hz) & (freqs < hi_hz)))
    return np.diff(np.unwrap(np.angle(analytic))) * rate / (2 * np.pi)


def test_kick_is_low_and_sweeps_down(bank):
    x, rate, _ = sound(bank, 128, 0, 36)
    assert share(cut(x, rate, 0.0, 0.4), rate, 0.0, 200.0) > 0.8
    inst_hz = _instantaneous_hz(x, rate, 20.0, 400.0)
    early, late = (
        np.median(cut(inst_hz, rate, 0.005, 0.03)),
        np.median(cut(inst_hz, rate, 0.1, 0.3)),
    )
    assert early > 1.3 * late and 40 < late < 70


def test_toms_rise_in_pitch_and_carry_some_noise(bank):
    peaks = []
    for key in TOMS:
        x, rate, _ = sound(bank, 128, 0, key)
        segment = cut(x, rate, 0.0, 0.4)
        power, freqs = power_spectrum(segment, rate)
        peaks.append(freqs[np.argmax(power)])
        assert share(segment, rate, 1000.0, 8000.0) > 1e-4  # stick noise, not a pure tone
    assert peaks == sorted(peaks) and peaks[0] < 100 < peaks[-1] < 250


def test_open_hat_rings_longer_than_closed(bank):
    closed, rate, _ = sound(bank, 128, 0, 42)
    opened, _, _ = sound(bank, 128, 0, 46)
    assert _time_to_fall_s(opened, rate, 40) > 3 * _time_to_fall_s(closed, rate, 40)


def test_choir_sings_ah_with_vowel_formants(bank):
    x, rate, region = sound(bank, 0, 52, 48, dur_s=4.0)
    power, freqs = power_spectrum(x[: 4 * rate], rate)
    f1 = f1_of(region)
    harmonics = np.arange(1, 25) * f1
    amps = np.array([power[np.abs(freqs - h) < 0.03 * h].sum() for h in harmonics])
    in_f1 = (harmonics > 500) & (harmonics < 1000)
    assert 650 <= harmonics[in_f1][np.argmax(amps[in_f1])] <= 850  # F1 of /a/
    local_max = [
        harmonics[i] for i in range(1, len(amps) - 1) if amps[i - 1] < amps[i] > amps[i + 1]
    ]
    assert any(1000 <= h <= 1300 for h in local_max)  # F2 of /a/
    assert any(2300 <= h <= 2700 for h in local_max)  # F3


def test_choir_has_vibrato(bank):
    parselmouth = pytest.importorskip("parselmouth")
    x, rate, region = sound(bank, 0, 52, 48, dur_s=4.0)
    pitch = parselmouth.Sound(x[: 4 * rate], sampling_frequency=rate).to_pitch_ac(
        time_step=0.01, pitch_floor=80.0, pitch_ceiling=300.0
    )
    hz = pitch.selected_array["frequency"]
    cents = 1200 * np.log2(hz[hz > 0] / f1_of(region))
    assert 5.0 < np.std(cents) < 40.0
    modulation = np.abs(np.fft.rfft(cents - cents.mean()))
    rate_hz = np.fft.rfftfreq(len(cents), 0.01)[np.argmax(modulation)]
    assert 4.0 <= rate_hz <= 7.0


def _harmonic_amps(x: np.ndarray, rate: int, f1: float, count: int) -> np.ndarray:
    power, freqs = power_spectrum(x, rate)
    amps = [power[np.abs(freqs - k * f1) < 0.03 * k * f1].sum() for k in range(1, count + 1)]
    return np.sqrt(np.array(amps) / amps[0])


def test_strings_and_pad_are_sawtooth_rich_with_slow_attacks(bank):
    x, rate, region = sound(bank, 0, 48, 60)
    strings = _harmonic_amps(cut(x, rate, 0.2, 1.7), rate, f1_of(region), 8)
    assert 0.3 < strings[1] < 0.8 and strings[4] > 0.1  # close to 1/k
    x, rate, region = sound(bank, 0, 88, 60)
    pad = _harmonic_amps(cut(x, rate, 0.2, 1.7), rate, f1_of(region), 8)
    assert pad[4] > 0.03 and pad[4] < strings[4]  # warmer than the strings
    assert bank.presets[(0, 48)].regions[0].attack_s >= 0.3
    assert bank.presets[(0, 88)].regions[0].attack_s >= 0.6


@pytest.mark.parametrize("program", [24, 32, 33])
def test_plucked_strings_decay_and_are_harmonic(bank, program):
    key = 60 if program == 24 else 40
    x, rate, region = sound(bank, 0, program, key)
    assert level_db(cut(x, rate, 0.0, 0.2)) - level_db(cut(x, rate, 1.2, 1.5)) > 15.0
    assert harmonic_share(cut(x, rate, 0.1, 0.5), rate, f1_of(region)) > 0.95
    if program != 24:
        assert f1_of(region) < 100 and centroid_hz(cut(x, rate, 0.05, 0.5), rate) < 700


def test_flute_is_nearly_sinusoidal_and_breathy(bank):
    x, rate, region = sound(bank, 0, 73, 72)
    f1 = f1_of(region)
    assert share(cut(x, rate, 0.2, 1.2), rate, f1 * 0.95, f1 * 1.05) > 0.8
    organ, organ_rate, _ = sound(bank, 0, 19, 72)
    breath = flatness(cut(x, rate, 0.2, 1.2), rate)
    assert breath > 10 * flatness(cut(organ, organ_rate, 0.2, 1.2), organ_rate)
