"""Voices that are not a device: a WAV standing in for the microphone, a virtual singer.

Like the microphone (:mod:`soundness_live.audio.mic`), each is a
:class:`~soundness_live.core.session.VoiceSource` on the engine's frame axis.

- :class:`WavVoice`: each "your turn" cue places the next WAV file's audio from the cue's frame;
  the stand-in "opens" there, so its room is the file's own first 300 ms, as for analyze-voice.
- :class:`VirtualSinger`: a seeded virtual child sings the answer through the synth with the
  syllable instrument, with a child's onset latency, pitch error and dropped syllables. The
  singing itself is given to it (:class:`soundness_live.synth.singing.SyllableSinger`), so the
  voice side imports no synth.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..activities.base import Show
from ..activities.contract import Cue
from ..errors import ParameterError
from .vad import resample_to

#: Sings ``syllables`` on MIDI ``notes`` (``hold_ms`` each, ``ioi_ms`` apart): mono, peak 1.
Sing = Callable[..., np.ndarray]


class PlacedVoice:
    """Takes placed at frames on the engine's axis, read back as one signal (silence between)."""

    name = "placed"
    input_kind = "file"  # recorded audio placed on the axis, not a voice heard now

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.placed: list[tuple[int, np.ndarray]] = []

    def place(self, frame: int, samples: np.ndarray) -> None:
        """Put ``samples`` (at the engine's rate) on the axis from ``frame`` on."""
        self.placed.append((int(frame), np.asarray(samples, dtype=np.float32)))

    def observe(self, cue: Show, now_frame: int) -> None:
        """Placed voices answer no cue by themselves."""

    def opened_frame(self) -> float | None:
        """Placed takes are heard all along (the silence between them too)."""
        return None

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """Everything placed that overlaps the span, mixed into silence."""
        out = np.zeros(max(0, until_frame - since_frame), dtype=np.float32)
        for frame, samples in self.placed:
            lo, hi = max(frame, since_frame), min(frame + len(samples), until_frame)
            if lo < hi:
                out[lo - since_frame : hi - since_frame] += samples[lo - frame : hi - frame]
        return out


def load_voice_wav(path: str | Path, sample_rate: int) -> np.ndarray:
    """A WAV file as mono float32 at ``sample_rate`` (FileFormatError names a bad file)."""
    from .file_analysis import read_wav  # loads the voice analysis: only when a file is read

    samples, rate = read_wav(path)
    return resample_to(samples, rate, sample_rate).astype(np.float32)


def decode_voice_wav(data: bytes, source: str | Path, sample_rate: int) -> np.ndarray:
    """WAV file bytes (read from ``source``) as mono float32 at ``sample_rate``."""
    from .file_analysis import decode_audio

    samples, rate = decode_audio(data, source)
    return resample_to(samples, rate, sample_rate).astype(np.float32)


class WavVoice(PlacedVoice):
    """WAV files stand in for the microphone: each Cue.YOUR_TURN places the next file's audio
    from the cue's frame; when the list runs out the last file is used again."""

    name = "wav"

    def __init__(self, paths: Sequence[str | Path], sample_rate: int) -> None:
        super().__init__(sample_rate)
        if not paths:
            raise ParameterError("WavVoice needs at least one WAV file, got none")
        self.paths = [Path(p) for p in paths]
        self._takes = [load_voice_wav(p, sample_rate) for p in self.paths]
        self._next = 0

    def observe(self, cue: Show, now_frame: int) -> None:
        """On the child's turn, place the next take at the cue's frame."""
        if cue.cue is not Cue.YOUR_TURN:
            return
        self.place(cue.frame, self._takes[min(self._next, len(self._takes) - 1)])
        self._next += 1

    def opened_frame(self) -> float | None:
        """Each file is the microphone opened at its turn: nothing before it was heard."""
        return float(self.placed[-1][0]) if self.placed else None


@dataclass(frozen=True)
class SingerTraits:
    """How the virtual child sings an answer (times ms from the "your turn" cue, pitch cents)."""

    onset_ms: float = 900.0
    onset_sd_ms: float = 300.0
    pitch_bias_cents: float = -25.0
    pitch_sd_cents: float = 35.0
    drop_syllable_rate: float = 0.2  # sometimes one syllable fewer
    silent_rate: float = 0.05  # sometimes no answer at all
    hold_ratio: float = 0.85  # of a sustained vowel's wanted length
    level_dbfs: float = -12.0
    noise_dbfs: float = -62.0  # the room: the VAD adapts to it as to a real microphone


class VirtualSinger(PlacedVoice):
    """A seeded virtual child that sings the answer a Cue.YOUR_TURN describes.

    The cue's ``detail["answer"]`` holds ``syllables``, ``notes`` (MIDI keys), ``hold_ms`` and
    ``ioi_ms``; the answer is sung by ``sing`` (offline, through the synth's syllable instrument:
    :class:`~soundness_live.synth.singing.SyllableSinger`), shifted by the child's pitch error,
    and placed after the child's onset latency.
    """

    name = "virtual"
    input_kind = "virtual"

    def __init__(
        self,
        sample_rate: int,
        sing: Sing,
        *,
        seed: int = 0,
        traits: SingerTraits | None = None,
    ) -> None:
        super().__init__(sample_rate)
        self.sing = sing
        self.traits = traits or SingerTraits()
        self.rng = random.Random(f"{seed}:singer")
        self.noise = np.random.default_rng(seed)

    def observe(self, cue: Show, now_frame: int) -> None:
        """On the child's turn with an answer to sing, plan and render it."""
        answer = cue.detail.get("answer") if cue.cue is Cue.YOUR_TURN else None
        if not answer or self.rng.random() < self.traits.silent_rate:
            return
        t = self.traits
        syllables, notes = list(answer["syllables"]), list(answer["notes"])
        if len(syllables) > 1 and self.rng.random() < t.drop_syllable_rate:
            syllables, notes = syllables[:-1], notes[:-1]
        hold_ms = float(answer["hold_ms"]) * (t.hold_ratio if len(syllables) == 1 else 1.0)
        cents = self.rng.gauss(t.pitch_bias_cents, t.pitch_sd_cents)
        voice = self.sing(syllables, notes, hold_ms=hold_ms, ioi_ms=float(answer["ioi_ms"]))
        voice = shift_pitch(voice, cents)
        onset_ms = max(250.0, self.rng.gauss(t.onset_ms, t.onset_sd_ms))
        onset = cue.frame + onset_ms * self.sample_rate / 1000
        self.place(int(onset), voice * np.float32(10 ** (t.level_dbfs / 20)))

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """The placed answers over a quiet room (seeded noise, so runs repeat exactly)."""
        out = super().audio(since_frame, until_frame)
        scale = 10 ** (self.traits.noise_dbfs / 20)
        return out + self.noise.normal(0.0, scale, len(out)).astype(np.float32)


def shift_pitch(samples: np.ndarray, cents: float) -> np.ndarray:
    """``samples`` played faster (sharper) or slower (flatter) by ``cents``, like a tape."""
    ratio = 2.0 ** (cents / 1200.0)
    positions = np.arange(0.0, len(samples) - 1, ratio)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
