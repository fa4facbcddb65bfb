"""Our synth sounds like FluidSynth 2.3 on General MIDI SoundFonts, note by note.

The note set (``tests/fixtures/fidelity/notes.json``: 34 programs x keys 45, 60, 76 x
velocities 64, 127, and kick, snare, closed hat and crash at both velocities) is rendered on
FluidR3_GM and on TimGM6mb, each note alone (1 s held, 1 s released), by our synth and by
libfluidsynth (float output, reverb and chorus off, default gain, 48 kHz). On onset..onset+2 s
every note must have:

- the Pearson correlation of the 10 ms (480-frame) RMS envelopes (linear, both channels'
  power) >= 0.95;
- its level (power ratio) within +-1.5 dB once one offset is removed for the whole font (the
  median of the differences over all notes);
- the ratio of spectral centroids (power spectrum of onset..onset+1 s, both channels) within
  0.85..1.15;
- its velocity step (level at 127 minus level at 64) within 1 dB of FluidSynth's;
- and the vibraphone's tremolo rate (peak of its envelope's modulation spectrum) within 5 %.
"""

from __future__ import annotations

import ctypes
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from soundness_live.core.events import ControlChange, NoteOff, NoteOn, ProgramChange
from soundness_live.synth.sf2.read import DRUM_BANK, load_soundfont
from soundness_live.synth.synth import Synth
from tests.conftest import require
from tests.synth.fluid_reference import float_writer, reference_synth

pytestmark = pytest.mark.slow

RATE = 48_000
NOTES = json.loads((Path(__file__).parents[1] / "fixtures/fidelity/notes.json").read_text())
HOLD, RELEASE = int(NOTES["hold_s"] * RATE), int(NOTES["release_s"] * RATE)
FONTS = {
    "FluidR3_GM": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    "TimGM6mb": Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
}
WINDOW = 480  # the envelopes' 10 ms frames
DRUM_CHANNEL = 9


@dataclass(frozen=True)
class Note:
    """One note of the set."""

    channel: int
    program: int
    key: int
    velocity: int

    def __str__(self) -> str:
        kind = "drum" if self.channel == DRUM_CHANNEL else "program"
        number = self.key if self.channel == DRUM_CHANNEL else self.program
        return f"{kind} {number} key {self.key} velocity {self.velocity}"


def note_set() -> list[Note]:
    """The fixture's notes, programs first."""
    keys, velocities = NOTES["keys"], NOTES["velocities"]
    notes = [
        Note(0, p["program"], key, velocity)
        for p in NOTES["programs"]
        for key in keys
        for velocity in velocities
    ]
    drums = [d["key"] for d in NOTES["drums"]]
    return notes + [Note(DRUM_CHANNEL, 0, key, v) for key in drums for v in velocities]


def render_ours(path: Path, notes: list[Note]) -> dict[Note, np.ndarray]:
    """Every note through our synth, alone: program, note-on, 1 s, note-off, 1 s."""
    synth = Synth(load_soundfont(path), RATE)
    rendered = {}
    for note in notes:
        bank = DRUM_BANK if note.channel == DRUM_CHANNEL else 0
        synth.handle(ProgramChange(synth.frame, note.channel, note.program, bank))
        synth.handle(NoteOn(synth.frame, note.channel, note.key, note.velocity))
        out = np.zeros((HOLD + RELEASE, 2), dtype=np.float32)
        synth.render(out[:HOLD])
        synth.handle(NoteOff(synth.frame, note.channel, note.key))
        synth.render(out[HOLD:])
        rendered[note] = out
        synth.handle(ControlChange(synth.frame, note.channel, 120, 0))  # all sound off
        while synth.active_voices:
            synth.render(np.zeros((4_800, 2), dtype=np.float32))
    return rendered


def render_fluidsynth(path: Path, notes: list[Note]) -> dict[Note, np.ndarray]:
    """Every note through libfluidsynth, alone, in float (no 16-bit dither)."""
    fluidsynth, synth = reference_synth(RATE)
    synth.setting("synth.polyphony", 512)
    font = synth.sfload(str(path))
    write = float_writer(fluidsynth)
    voices = fluidsynth._fl.fluid_synth_get_active_voice_count
    voices.argtypes = [ctypes.c_void_p]

    def render(out: np.ndarray) -> None:
        pointer = out.ctypes.data
        write(synth.synth, out.shape[0], pointer, 0, 2, pointer, 1, 2)

    rendered = {}
    for note in notes:
        bank = DRUM_BANK if note.channel == DRUM_CHANNEL else 0
        synth.program_select(note.channel, font, bank, note.program)
        synth.noteon(note.channel, note.key, note.velocity)
        out = np.zeros((HOLD + RELEASE, 2), dtype=np.float32)
        render(out[:HOLD])
        synth.noteoff(note.channel, note.key)
        render(out[HOLD:])
        rendered[note] = out
        synth.cc(note.channel, 120, 0)
        while voices(synth.synth):
            render(np.zeros((4_800, 2), dtype=np.float32))
    synth.delete()
    return rendered


# -- measures ----------------------------------------------------------------------------------
def rms_envelope(x: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """RMS per ``window`` frames of both channels' mean power (linear amplitude)."""
    n = x.shape[0] // window
    power = (x[: n * window].astype(np.float64) ** 2).mean(axis=1)
    return np.sqrt(power.reshape(n, window).mean(axis=1))


def level_db(x: np.ndarray) -> float:
    """Mean power of both channels, in dB."""
    return 10.0 * math.log10(max(float((x.astype(np.float64) ** 2).mean()), 1e-30))


def centroid_hz(x: np.ndarray) -> float:
    """Spectral centroid of the first second's power spectrum, both channels."""
    first = x[:RATE].astype(np.float64)
    power = (np.abs(np.fft.rfft(first, axis=0)) ** 2).sum(axis=1)
    hz = np.fft.rfftfreq(first.shape[0], 1.0 / RATE)
    return float((hz * power).sum() / max(power.sum(), 1e-30))


def tremolo_hz(x: np.ndarray, lowest: float = 2.0, highest: float = 20.0) -> float:
    """The peak (2..20 Hz) of the modulation spectrum of the envelope: log RMS at a 2 ms hop,
    less a cubic trend in each part (held from 20 ms, then released down to -60 dB), so the
    held note's decay and the release's fall do not stand in for a tremolo."""
    hop = 96
    db = 20.0 * np.log10(np.maximum(rms_envelope(x, hop), 1e-12))
    released = HOLD // hop
    audible = np.flatnonzero(db > db.max() - 60.0)
    end = int(audible[-1]) + 1
    parts = []
    for first, last in ((int(0.02 * RATE) // hop, released), (released, end)):
        if last - first >= 20:
            part = db[first:last]
            t = np.arange(part.size)
            parts.append((part - np.polyval(np.polyfit(t, part, 3), t)) * np.hanning(part.size))
    spectrum = np.abs(np.fft.rfft(np.concatenate(parts), 1 << 16))
    hz = np.fft.rfftfreq(1 << 16, hop / RATE)
    band = np.flatnonzero((hz >= lowest) & (hz <= highest))
    return float(hz[band[np.argmax(spectrum[band])]])


@dataclass(frozen=True)
class Comparison:
    """Every measure of every note of one font."""

    envelope_r: dict[Note, float]
    level_db: dict[Note, float]  # ours minus FluidSynth's, less the font's median difference
    offset_db: float
    centroid_ratio: dict[Note, float]
    velocity_step_db: dict[Note, float]  # keyed by the velocity-127 note
    tremolo_ratio: dict[Note, float]


def compare(ours: dict[Note, np.ndarray], theirs: dict[Note, np.ndarray]) -> Comparison:
    """The issue's measures on onset..onset+2 s of each note."""
    envelope_r, raw_db, ours_db, theirs_db, centroids, tremolo = {}, {}, {}, {}, {}, {}
    for note, reference in theirs.items():
        mine = ours[note]
        envelope_r[note] = float(np.corrcoef(rms_envelope(mine), rms_envelope(reference))[0, 1])
        ours_db[note], theirs_db[note] = level_db(mine), level_db(reference)
        raw_db[note] = ours_db[note] - theirs_db[note]
        centroids[note] = centroid_hz(mine) / max(centroid_hz(reference), 1e-9)
        if note.channel == 0 and note.program == NOTES["tremolo_program"]:
            tremolo[note] = tremolo_hz(mine) / tremolo_hz(reference)
    offset = float(np.median(list(raw_db.values())))
    steps = {}
    for note in theirs:
        if note.velocity == 127:
            soft = Note(note.channel, note.program, note.key, 64)
            ours_step = ours_db[note] - ours_db[soft]
            steps[note] = ours_step - (theirs_db[note] - theirs_db[soft])
    levels = {note: value - offset for note, value in raw_db.items()}
    return Comparison(envelope_r, levels, offset, centroids, steps, tremolo)


@pytest.fixture(scope="module", params=sorted(FONTS))
def comparison(request: pytest.FixtureRequest) -> Comparison:
    """Both synths on one font, the whole note set."""
    path = FONTS[request.param]
    require(path.is_file(), f"{path} (apt-get install fluid-soundfont-gm timgm6mb-soundfont)")
    notes = note_set()
    theirs = render_fluidsynth(path, notes)
    return compare(render_ours(path, notes), theirs)


def _failures(values: dict[Note, float], passes) -> list[str]:
    return [f"{note}: {value:.3f}" for note, value in values.items() if not passes(value)]


def test_the_note_set_is_the_issues():
    notes = note_set()
    assert len(notes) == 34 * 3 * 2 + 4 * 2 == 212
    assert len({n.program for n in notes if n.channel == 0}) == 34


def test_envelopes_correlate_at_least_0_95(comparison):
    assert _failures(comparison.envelope_r, lambda r: r >= 0.95) == []


def test_levels_are_within_1_5_db_after_one_offset(comparison):
    assert _failures(comparison.level_db, lambda db: abs(db) <= 1.5) == []


def test_spectral_centroids_are_within_15_percent(comparison):
    assert _failures(comparison.centroid_ratio, lambda ratio: 0.85 <= ratio <= 1.15) == []


def test_velocity_steps_are_within_1_db_of_fluidsynths(comparison):
    assert len(comparison.velocity_step_db) == 106
    assert _failures(comparison.velocity_step_db, lambda db: abs(db) <= 1.0) == []


def test_the_vibraphones_tremolo_rate_is_within_5_percent(comparison):
    assert len(comparison.tremolo_ratio) == 6
    assert _failures(comparison.tremolo_ratio, lambda ratio: 0.95 <= ratio <= 1.05) == []
