"""Where the child's voice comes from: the microphone, a WAV standing in for it, a virtual singer.

Every :class:`VoiceSource` answers ``audio(since_frame, until_frame)`` with mono float32 at the
engine's sample rate on the engine's frame axis (the axis on which a prompt is placed when it
is HEARD), so a voice onset and a prompt's end are compared directly, and ``opened_frame()``
with the first frame it really heard (the voice analysis feeds the VAD from there and measures
the room before the prompt; METRICS.md §4). Raw audio stays in memory; whether a take is kept
is decided by the store, from the child's consent.

- :class:`MicrophoneVoice`: a PortAudio input stream on the output's device clock; its
  callback only copies into a preallocated ring (the real-time contract below).
- :class:`WavVoice`: each "your turn" cue places the next WAV file's audio from the cue's frame;
  the stand-in "opens" there, so its room is the file's own first 300 ms, as for analyze-voice.
- :class:`VirtualSinger`: a seeded virtual child sings the answer through the synth with the
  syllable instrument, with a child's onset latency, pitch error and dropped syllables.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..activities.base import Show
from ..core.clock import ClockMapping
from ..core.events import NoteOff, NoteOn, ProgramChange
from ..errors import DeviceError, ParameterError
from ..synth.bank.syllables import BANK as SYLLABLE_BANK
from ..synth.bank.syllables import SYLLABLES
from ..voice.vad import resample_to
from .devices import find_input_device

SYLLABLE_PROGRAMS = {syllable: program for program, syllable in enumerate(SYLLABLES)}


class VoiceSource(Protocol):
    """A voice on the engine's frame axis. ``name`` goes into the take (``microphone``...);
    ``input_kind`` says whose voice it is: ``live`` (the microphone), ``virtual`` or ``file``
    (simulated: never counted as the child's)."""

    name: str
    input_kind: str

    def observe(self, cue: Show, now_frame: int) -> None:
        """A cue was shown (a stand-in or a virtual singer answers "your_turn")."""

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """Mono float32 from ``since_frame`` to ``until_frame`` (silence where none was heard)."""
        ...

    def opened_frame(self) -> float | None:
        """The first frame it really heard (None: it heard all along, like a virtual room)."""
        ...


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
    from ..voice.file_analysis import read_wav

    samples, rate = read_wav(path)
    return resample_to(samples, rate, sample_rate).astype(np.float32)


class WavVoice(PlacedVoice):
    """WAV files stand in for the microphone: each "your_turn" cue places the next file's audio
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
        """On "your_turn", place the next take at the cue's frame."""
        if cue.cue != "your_turn":
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
    """A seeded virtual child that sings the answer a "your_turn" cue describes.

    The cue's ``detail["answer"]`` holds ``syllables``, ``notes`` (MIDI keys), ``hold_ms`` and
    ``ioi_ms``; the answer is rendered offline through the synth's syllable instrument (bank 1),
    shifted by the child's pitch error, and placed after the child's onset latency.
    """

    name = "virtual"
    input_kind = "virtual"

    def __init__(
        self,
        sample_rate: int,
        *,
        seed: int = 0,
        traits: SingerTraits | None = None,
        soundfont: str | Path | None = None,
    ) -> None:
        super().__init__(sample_rate)
        self.traits = traits or SingerTraits()
        self.rng = random.Random(f"{seed}:singer")
        self.noise = np.random.default_rng(seed)
        self.soundfont = soundfont
        self._font: Any = None

    def observe(self, cue: Show, now_frame: int) -> None:
        """On "your_turn" with an answer to sing, plan and render it."""
        answer = cue.detail.get("answer") if cue.cue == "your_turn" else None
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

    def sing(
        self, syllables: Sequence[str], notes: Sequence[int], *, hold_ms: float, ioi_ms: float
    ) -> np.ndarray:
        """The syllables sung on ``notes`` through the synth, mono, peak 1 (no room noise)."""
        from ..offline.sink import build_renderer
        from ..synth.renderer import render_as_scheduled

        renderer, _ = build_renderer(self.soundfont, self.sample_rate, 0.0)
        hold, ioi = hold_ms * self.sample_rate / 1000, ioi_ms * self.sample_rate / 1000
        for i, (syllable, note) in enumerate(zip(syllables, notes, strict=True)):
            frame = int(i * ioi)
            program = SYLLABLE_PROGRAMS.get(syllable, SYLLABLE_PROGRAMS["la"])
            renderer.scheduler.add(ProgramChange(frame, 0, program, SYLLABLE_BANK))
            renderer.scheduler.add(NoteOn(frame, 0, int(note), 100))
            renderer.scheduler.add(NoteOff(frame + int(hold), 0, int(note)))
        length = int((len(syllables) - 1) * ioi + hold + 0.3 * self.sample_rate)
        mono = render_as_scheduled(renderer, length).mean(axis=1)
        return (mono / max(float(np.max(np.abs(mono))), 1e-9)).astype(np.float32)

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


class InputRing:
    """Captured samples in a preallocated ring, with when the latest block's first sample was
    captured (monotonic s). :meth:`write` is real-time safe: slice copies into the ring and two
    float stores, published in a double buffer after the copy."""

    def __init__(self, sample_rate: int, buffer_s: float = 120.0) -> None:
        self.sample_rate = sample_rate
        self.ring = np.zeros(int(buffer_s * sample_rate), dtype=np.float32)
        self.written = 0  # samples captured so far
        self._anchors = np.zeros((2, 2), dtype=np.float64)  # (sample index, capture time s)
        self._slot = 0

    def write(self, block: np.ndarray, captured_s: float) -> None:
        """Append ``block`` (mono), whose first sample was captured at ``captured_s``."""
        start, frames, size = self.written, len(block), len(self.ring)
        if frames > size:  # only the newest ring's worth can be held
            block, start, captured_s = (
                block[-size:],
                start + frames - size,
                captured_s + (frames - size) / self.sample_rate,
            )
            frames = size
        pos = start % size
        first = min(frames, size - pos)
        self.ring[pos : pos + first] = block[:first]
        self.ring[: frames - first] = block[first:frames]
        slot = 1 - self._slot
        self._anchors[slot, 0] = start
        self._anchors[slot, 1] = captured_s
        self._slot = slot
        self.written = start + frames

    def sample_at(self, monotonic_s: float) -> float:
        """The (fractional) sample index captured at ``monotonic_s``."""
        index, captured_s = self._anchors[self._slot]
        return float(index + (monotonic_s - captured_s) * self.sample_rate)

    def first_time(self) -> float | None:
        """When the oldest sample the ring still holds was captured (monotonic s); None before
        the first block."""
        if self.written == 0:
            return None
        index, captured_s = self._anchors[self._slot]
        oldest = max(0, self.written - len(self.ring))
        return float(captured_s + (oldest - index) / self.sample_rate)

    def read(self, first: int, out: np.ndarray) -> None:
        """Copy samples ``first``.. into ``out`` where the ring still holds them."""
        size = len(self.ring)
        index = max(first, self.written - size, 0)
        end = min(first + len(out), self.written)
        while index < end:
            pos = index % size
            count = min(end - index, size - pos)
            out[index - first : index - first + count] = self.ring[pos : pos + count]
            index += count

    def span(self, mapping: ClockMapping, since_frame: int, until_frame: int) -> np.ndarray:
        """Engine frames ``since_frame``..``until_frame`` (heard-time axis) as captured audio."""
        first = math.floor(self.sample_at(mapping.time_of(since_frame)) + 0.5)
        out = np.zeros(max(0, until_frame - since_frame), dtype=np.float32)
        self.read(first, out)
        return out


class MicrophoneVoice:
    """The microphone through PortAudio, on the output's clock.

    The input callback copies each block into an :class:`InputRing` with the capture time of
    its first sample (a late-only callback time, as for the output's frame line, minus the
    input latency). :meth:`audio` maps engine frames to capture times through the output's
    :class:`ClockMapping` and reads the ring.
    """

    name = "microphone"
    input_kind = "live"

    def __init__(
        self,
        sample_rate: int,
        mapping: Callable[[], ClockMapping],
        *,
        device: Any = None,
        buffer_s: float = 120.0,
        wait_s: float = 0.5,
    ) -> None:
        try:
            import sounddevice as sd
        except OSError as error:  # PortAudio missing
            raise DeviceError(f"no microphone: {error} (apt-get install libportaudio2)") from None
        from .output import FrameLine

        self.sample_rate, self.mapping, self.wait_s = sample_rate, mapping, wait_s
        self.ring = InputRing(sample_rate, buffer_s)
        self._line = FrameLine(sample_rate)
        self.overflows = 0
        index = find_input_device(sd, device)
        self.stream = sd.InputStream(
            samplerate=sample_rate,
            device=index,
            channels=1,
            dtype="float32",
            latency="low",
            callback=self._callback,
        )
        self.latency_s = float(self.stream.latency)

    def _callback(self, indata: np.ndarray, frames: int, times: Any, status: Any) -> None:
        """PortAudio's audio thread: no allocation beyond views, no I/O, no locks, no logging."""
        now_s = time.monotonic()
        if status.input_overflow:
            self.overflows += 1
            self._line.reset()
        # the callback comes at least one block and the input latency after the block began
        end_s = self._line.time_of(self.ring.written + frames, now_s - self.latency_s)
        self.ring.write(indata[:frames, 0], end_s - frames / self.sample_rate)

    def observe(self, cue: Show, now_frame: int) -> None:
        """The microphone hears whatever comes; cues change nothing."""

    def opened_frame(self) -> float | None:
        """The engine frame of the oldest sample captured and still held (+inf before any)."""
        first_s = self.ring.first_time()
        return math.inf if first_s is None else self.mapping().frame_at(first_s)

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """The span, once captured (waiting up to ``wait_s`` for the input latency)."""
        mapping = self.mapping()
        deadline = time.monotonic() + self.wait_s
        while self.ring.sample_at(mapping.time_of(until_frame)) > self.ring.written:
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        return self.ring.span(mapping, since_frame, until_frame)

    def start(self) -> MicrophoneVoice:
        """Start capturing."""
        self.stream.start()
        return self

    def stop(self) -> None:
        """Stop and close the stream (idempotent)."""
        if not self.stream.closed:
            self.stream.stop()
            self.stream.close()


def microphone_status(device: Any = None) -> str:
    """``"ok: NAME"`` when PortAudio has an input ``device`` (default: the default one) a vocal
    activity can open, else ``"none: why"``: checked when the engine starts, so the therapist
    sees it before starting a vocal activity rather than as a refusal afterwards. (PortAudio
    lists devices once, when it starts: one plugged in later needs the engine restarted.)"""
    try:
        import sounddevice as sd
    except OSError as error:  # PortAudio missing
        return f"none: {error} (apt-get install libportaudio2)"
    try:
        index = find_input_device(sd, device)
        return f"ok: {sd.query_devices(index)['name']}"
    except Exception as error:  # DeviceError, PortAudioError: a check never stops the engine
        return f"none: {error}"
