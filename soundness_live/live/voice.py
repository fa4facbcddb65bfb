"""The child's voice in a live session: the microphone on the session's axis.

The microphone is captured against the output clock (its own axis); a live session runs on the
session axis (the output axis less an offset that moves on pause and skip). This adapter
converts between the two so a voice take lines up with the prompt the child answered.

While the microphone is open, :class:`LiveVoiceMeter` measures the sung pitch and the level for
the therapist's screen on a small thread of its own: it reads the newest samples the input
callback left in the capture ring (never inside the callback) and runs a
:class:`~soundness_live.voice.meter.VoiceMeter` on them.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from ..activities.base import ActivityDef, Show
from ..activities.contract import Answer, Cue
from ..core.clock import ClockMapping
from ..errors import DeviceError

log = logging.getLogger(__name__)
METER_HZ = 40.0  # readings a second (about 0.3 ms of CPU each at 48 kHz)
METER_WINDOW_MS = 40.0  # the newest audio each reading looks at: two periods of 60 Hz
PUBLISH_S = 0.05  # a changed reading is announced at most 20 times a second


class SessionAxisVoice:
    """A voice source whose frames are session frames, over one on output frames (the live
    microphone, or a stand-in opened in its place)."""

    input_kind = "live"

    def __init__(self, source: Any, to_output: Callable[[float], float]) -> None:
        self.source = source
        self.to_output = to_output
        self.name = getattr(source, "name", "microphone")

    def observe(self, cue: Show, now_frame: int) -> None:
        """Pass cues on (a microphone ignores them)."""
        self.source.observe(cue, now_frame)

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """The span, read on the output axis."""
        start = int(round(self.to_output(since_frame)))
        return self.source.audio(start, start + (until_frame - since_frame))

    def opened_frame(self) -> float | None:
        """When the microphone began to hear, on the session axis."""
        opened = self.source.opened_frame()
        return None if opened is None else opened - self.to_output(0.0)

    def stop(self) -> None:
        """Stop the microphone."""
        self.source.stop()


def live_voice(
    activity: ActivityDef[Any],
    params: dict[str, Any],
    source: str,
    *,
    sample_rate: int,
    seed: int,
    mapping: Callable[[], ClockMapping],
    to_output: Callable[[float], float],
    device: Any = None,
    open_microphone: Callable[[int, Callable[[], ClockMapping]], Any] | None = None,
) -> Any:
    """The voice source for a live-engine session: None unless the child answers the activity
    with their voice;
    the virtual singer for virtual input; the microphone for live input (a clear error when there
    is none). ``open_microphone(sample_rate, mapping)`` opens and starts a stand-in instead of
    the PortAudio microphone (tests)."""
    if activity.answers_with is not Answer.VOICE:
        return None
    from ..audio.mic import MicrophoneVoice
    from ..synth.singing import SyllableSinger
    from ..voice.sources import VirtualSinger

    if source != "live":
        return VirtualSinger(sample_rate, SyllableSinger(sample_rate), seed=seed)
    try:
        if open_microphone is not None:
            mic = open_microphone(sample_rate, mapping)
        else:
            mic = MicrophoneVoice(sample_rate, mapping, device=device).start()
    except DeviceError as error:
        raise DeviceError(f"{activity.name} needs a microphone: {error}") from error
    return SessionAxisVoice(mic, to_output)


class CaptureRing(Protocol):
    """What the meter reads: an input ring (``audio.mic.InputRing``) filled by a callback."""

    written: int

    def read(self, first: int, out: np.ndarray) -> None:
        """Copy samples ``first``.. into ``out``."""


def midi_hz(note: float) -> float:
    """The frequency of MIDI key ``note`` (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def target_notes(cue: Show) -> tuple[int, ...]:
    """The notes the child is to sing during their turn (none for any other cue)."""
    answer = cue.detail.get("answer") if cue.cue is Cue.YOUR_TURN else None
    return tuple(int(n) for n in (answer or {}).get("notes") or ())


class LiveVoiceMeter:
    """The live pitch and level of the microphone, for the therapist's screen.

    Every 1/``rate_hz`` s a daemon thread reads the newest ``window_ms`` of the capture ring
    into a preallocated buffer and feeds it to a ``VoiceMeter``; ``on_change()`` is called when
    the reading changed, at most once per :data:`PUBLISH_S`. :meth:`reading` is the latest
    ``{pitch_hz, level_db, target_hz}``: ``target_hz`` is the target note nearest the sung
    pitch (two-note answers move between two targets), the first one when no pitch is heard,
    None outside the child's turn.
    """

    def __init__(
        self,
        ring: CaptureRing,
        sample_rate: int,
        *,
        on_change: Callable[[], None] = lambda: None,
        rate_hz: float = METER_HZ,
        window_ms: float = METER_WINDOW_MS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from ..voice.meter import SILENT_DB, VoiceMeter

        self.ring, self.on_change, self.clock = ring, on_change, clock
        self.period_s = 1.0 / rate_hz
        self.meter = VoiceMeter(sample_rate, window_ms=window_ms)
        self._window = np.zeros(int(round(window_ms * sample_rate / 1000.0)))
        self._latest: tuple[float | None, float] = (None, SILENT_DB)
        self._published: tuple[float | None, float] = self._latest
        self._published_s = -math.inf
        self._read_to = 0
        self._targets_hz: tuple[float, ...] = ()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def set_targets(self, notes: Sequence[int]) -> None:
        """The notes the child is to sing now (empty: not the child's turn)."""
        self._targets_hz = tuple(midi_hz(n) for n in notes)
        self.on_change()

    def update(self) -> bool:
        """Take one reading of the newest audio; True when the change was announced."""
        written = self.ring.written
        if written < len(self._window) or written == self._read_to:
            return False  # not a window captured yet, or nothing new since the last reading
        self._read_to = written
        self.ring.read(written - len(self._window), self._window)
        pitch_hz, level_db = self.meter.feed(self._window)
        self._latest = (pitch_hz, level_db)
        now_s = self.clock()
        if now_s - self._published_s < PUBLISH_S or not _differs(self._published, self._latest):
            return False
        self._published, self._published_s = self._latest, now_s
        self.on_change()
        return True

    def reading(self) -> dict[str, float | None]:
        """The latest ``{pitch_hz, level_db, target_hz}`` (Hz, dB re full scale)."""
        pitch_hz, level_db = self._latest
        targets = self._targets_hz
        target_hz = targets[0] if targets else None
        if pitch_hz is not None and targets:
            target_hz = min(targets, key=lambda hz: abs(math.log2(pitch_hz / hz)))
        return {
            "pitch_hz": None if pitch_hz is None else round(pitch_hz, 2),
            "level_db": round(level_db, 1),
            "target_hz": None if target_hz is None else round(target_hz, 2),
        }

    def start(self) -> LiveVoiceMeter:
        """Start the reading thread."""
        self._thread = threading.Thread(target=self._loop, name="voice-meter", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the reading thread (idempotent)."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)

    def _loop(self) -> None:
        try:
            while not self._stopping.wait(self.period_s):
                self.update()
        except Exception:  # the meter is a display: never let it take the engine down
            log.exception("the voice meter stopped")


def _differs(old: tuple[float | None, float], new: tuple[float | None, float]) -> bool:
    """A change worth announcing: pitch found or lost, 1 cent or more, level 0.5 dB or more."""
    (old_hz, old_db), (new_hz, new_db) = old, new
    if (old_hz is None) != (new_hz is None):
        return True
    if old_hz is not None and new_hz is not None and abs(1200 * math.log2(new_hz / old_hz)) >= 1:
        return True
    return abs(new_db - old_db) >= 0.5


def meter_for(voice: Any, sample_rate: int, on_change: Callable[[], None]) -> LiveVoiceMeter | None:
    """A started :class:`LiveVoiceMeter` over a live microphone's capture ring; None for a
    voice source without one (the virtual singer, a WAV)."""
    ring = getattr(getattr(voice, "source", None), "ring", None)
    if ring is None:
        return None
    return LiveVoiceMeter(ring, sample_rate, on_change=on_change).start()
