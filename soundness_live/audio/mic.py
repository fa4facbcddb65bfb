"""The child's voice through the microphone: a PortAudio input stream on the output's clock.

:class:`MicrophoneVoice` is a :class:`~soundness_live.core.session.VoiceSource`: it answers
``audio(since_frame, until_frame)`` with mono float32 at the engine's sample rate on the
engine's frame axis (the axis on which a prompt is placed when it is HEARD), so a voice onset
and a prompt's end are compared directly, and ``opened_frame()`` with the first frame it really
heard (the voice analysis feeds the VAD from there and measures the room before the prompt;
METRICS.md §4). Its callback only copies into a preallocated ring (the real-time contract
below). Raw audio stays in memory; whether a take is kept is decided by the store, from the
child's consent. The voices that are not a device (a WAV standing in for the microphone, a
virtual singer) are in :mod:`soundness_live.voice.sources`.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..activities.base import Show
from ..core.clock import ClockMapping
from ..errors import DeviceError
from .devices import find_input_device

# PortAudio's start and stop (Pa_Initialize/Pa_Terminate) are not thread-safe: the engine's
# microphone check and a microphone opening for a vocal activity may run on two threads
_PORTAUDIO_LOCK = threading.Lock()
# the microphones open now (PortAudio is never stopped under one), and whether PortAudio was
# started for them (then it stops again with the last of them)
_PORTAUDIO = {"users": 0, "started_for_them": False}


def release_portaudio(sd: Any) -> bool:
    """Stop PortAudio (sounddevice starts it on import) until a microphone opens; whether it
    was running and stopped (never while a microphone is open). On a JACK server PortAudio's
    JACK host API keeps a JACK client of its own, active, whose thread the server wakes every
    cycle and counts an x-run against whenever it is late: an engine whose sound and MIDI are
    one JACK client would be two clients for the whole session for nothing but a device list.
    (``_terminate``/``_initialize`` are sounddevice's own calls for starting PortAudio again,
    as it documents for rescanning.)"""
    with _PORTAUDIO_LOCK:
        if not sd._initialized or _PORTAUDIO["users"]:
            return False
        sd._terminate()
        return True


def release_loaded_portaudio() -> bool:
    """:func:`release_portaudio` when sounddevice is loaded (never loading it); whether
    PortAudio was running."""
    sd = sys.modules.get("sounddevice")
    return release_portaudio(sd) if sd is not None else False


def restart_portaudio() -> None:
    """Start PortAudio again after :func:`release_loaded_portaudio` (for whoever uses it next
    in this process), unless a microphone did meanwhile."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        with _PORTAUDIO_LOCK:
            if not sd._initialized:
                sd._initialize()


def _take_portaudio(sd: Any) -> None:
    """A microphone opens: PortAudio runs (started if it was released) and stays running
    until :func:`_give_back_portaudio`."""
    with _PORTAUDIO_LOCK:
        _PORTAUDIO["users"] += 1
        if not sd._initialized:
            sd._initialize()
            _PORTAUDIO["started_for_them"] = True


def _give_back_portaudio(sd: Any) -> None:
    """A microphone closed: PortAudio stops again with the last one if it was started for
    them."""
    with _PORTAUDIO_LOCK:
        _PORTAUDIO["users"] -= 1
        if _PORTAUDIO["users"] == 0 and _PORTAUDIO["started_for_them"]:
            _PORTAUDIO["started_for_them"] = False
            if sd._initialized:
                sd._terminate()


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
        self._sd = sd
        _take_portaudio(sd)  # running while this is open, whatever another thread does
        self._holds_portaudio = True
        try:
            index = find_input_device(sd, device)
            self.stream = sd.InputStream(
                samplerate=sample_rate,
                device=index,
                channels=1,
                dtype="float32",
                latency="low",
                callback=self._callback,
            )
        except BaseException:
            self._release()
            raise
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
        """Stop and close the stream (idempotent); PortAudio stops again if this started it."""
        try:
            if not self.stream.closed:
                self.stream.stop()
                self.stream.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._holds_portaudio:
            self._holds_portaudio = False
            _give_back_portaudio(self._sd)


def microphone_status(device: Any = None) -> str:
    """``"ok: NAME"`` when PortAudio has an input ``device`` (default: the default one) a vocal
    activity can open, else ``"none: why"``: checked when the engine starts, so the therapist
    sees it before starting a vocal activity rather than as a refusal afterwards. (PortAudio
    lists devices when it starts: one plugged in later needs the engine restarted, unless
    PortAudio was released after the check — :func:`release_portaudio` — and starts again
    when the microphone opens.)"""
    try:
        import sounddevice as sd
    except OSError as error:  # PortAudio missing
        return f"none: {error} (apt-get install libportaudio2)"
    try:
        with _PORTAUDIO_LOCK:  # not while the engine's check stops PortAudio on another thread
            index = find_input_device(sd, device)
            return f"ok: {sd.query_devices(index)['name']}"
    except Exception as error:  # DeviceError, PortAudioError: a check never stops the engine
        return f"none: {error}"
