"""Audio output backends: JACK, PortAudio (sounddevice), SDL (pygame-ce), null and offline.

Every backend pulls fixed-size stereo float32 blocks from a :class:`BlockSource` (the
engine's ``Renderer``) and keeps a :class:`~soundness_live.core.clock.ClockMapping` fresh: for each
block, the source's frame counter at the block start and the monotonic time at which that
frame reaches the DAC. Input events stamped on the monotonic clock are placed on the frame
axis through it (``MidiInputs(mapping=lambda: out.mapping)``).

Time bases. PortAudio's own stream clock (``outputBufferDacTime``) is not
``time.monotonic()`` on every host API, and on JACK (measured) it jitters by tens of ms and
can jump by hours after an xrun. So the DAC time of a block is taken from the frame line
instead: the sample clock is linear, a callback can only run *late*, so for block start
frame F called at monotonic ``now``, the origin ``now - F / rate`` is smallest for the most
punctual callback; DAC time = smallest origin + F / rate + output latency. The origin
follows new minima at once and may rise by at most 200 ppm of elapsed time (clock drift);
after an under-run the frame line has moved, so the estimate restarts. The output latency
(``latency_s``) is read once at the first callback (PortAudio's DAC time - current time,
else the stream's reported latency; SDL: two chunks) and kept: changing it would shift the
frame axis.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Protocol

import numpy as np

from ..core.clock import ClockMapping
from ..errors import DeviceError
from .devices import find_output_device
from .frame_line import FrameLine

log = logging.getLogger(__name__)


class BlockSource(Protocol):
    """What an output pulls from: the engine's Renderer, or a test source."""

    @property
    def frame(self) -> int:
        """Output frames rendered so far (the next block starts at this frame)."""
        ...

    def render_into(self, out: np.ndarray) -> None:
        """Fill ``out`` ((n, 2) float32) with the next n frames."""
        ...


class Output:
    """Common part of every backend: the real-time block step, counters and the mapping."""

    backend = "base"

    def __init__(self, source: BlockSource, block_size: int, sample_rate: int) -> None:
        self.source = source
        self.block_size = block_size
        self.sample_rate = sample_rate
        self.name = self.backend
        # the source's own delay (the output stage's look-ahead) is heard as output latency
        self.source_delay_s = getattr(source, "delay_frames", 0) / sample_rate
        self.fallback: str | None = None  # why "auto" came down to this backend, if it did
        self.latency_s = block_size / sample_rate
        self.underruns = 0
        self.errors = 0  # blocks whose rendering raised (played as silence)
        self.last_error: BaseException | None = None  # the latest of them (read off the thread)
        self._anchors = np.zeros((2, 2), dtype=np.float64)  # double buffer: (frame, dac_s)
        # the anchors' slot in use and the blocks played, where a compiled callback moves them
        self._marks = np.zeros(2, dtype=np.int64)
        self._started_s = time.monotonic()

    @property
    def blocks(self) -> int:
        """Blocks played."""
        return int(self._marks[1])

    @blocks.setter
    def blocks(self, blocks: int) -> None:
        self._marks[1] = blocks

    @property
    def latency_s(self) -> float:
        """From rendering a frame to hearing it (s): the device's latency and the source's
        delay (:attr:`source_delay_s`)."""
        return self._device_latency_s + self.source_delay_s

    @latency_s.setter
    def latency_s(self, device_latency_s: float) -> None:
        self._device_latency_s = device_latency_s

    def process(self, out: np.ndarray, dac_time_s: float) -> None:
        """One block, on the audio thread. The real-time contract applies here:

        no allocation beyond numpy views, no I/O, no locks shared with the UI, no logging;
        on any error the block is silence and the error is counted (``errors``) and kept
        (``last_error``) for the engine's snapshot, which reports and logs it off this thread.
        """
        frame = self.source.frame
        try:
            self.source.render_into(out)
        except Exception as error:
            out.fill(0.0)
            self.errors += 1
            self.last_error = error
        marks = self._marks
        slot = 1 - marks[0]
        self._anchors[slot, 0] = frame
        self._anchors[slot, 1] = dac_time_s
        marks[0] = slot  # published last: a reader sees the old or the new pair, whole
        marks[1] += 1

    @property
    def mapping(self) -> ClockMapping:
        """Frame axis <-> monotonic clock, from the latest block (before any: from start)."""
        if self.blocks == 0:
            return ClockMapping(
                self.sample_rate, 0, self._started_s + self.latency_s, self.latency_s
            )
        frame, dac_s = self._anchors[self._marks[0]]
        return ClockMapping(self.sample_rate, int(frame), float(dac_s), self.latency_s)

    def start(self) -> Output:
        """Start pulling blocks."""
        self._started_s = time.monotonic()
        return self

    def stop(self) -> None:
        """Stop pulling blocks (idempotent)."""

    def __enter__(self) -> Output:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class OfflineOutput(Output):
    """No thread, no device: :meth:`render` pulls N frames into an array (simulated clock:
    monotonic time == frame / sample_rate; the latency is the source's own delay alone)."""

    backend = "offline"

    def __init__(self, source: BlockSource, block_size: int, sample_rate: int) -> None:
        super().__init__(source, block_size, sample_rate)
        self.latency_s = 0.0
        self._started_s = 0.0

    def start(self) -> Output:
        """Nothing to start: rendering happens in :meth:`render`."""
        return self

    def render(self, n_frames: int) -> np.ndarray:
        """The next ``n_frames`` of output, rendered in blocks of ``block_size``."""
        audio = np.zeros((n_frames, 2), dtype=np.float32)
        for start in range(0, n_frames, self.block_size):
            block = audio[start : start + self.block_size]
            self.process(block, self.source.frame / self.sample_rate)
        return audio


class NullOutput(Output):
    """Headless live output: a thread renders blocks paced by the monotonic clock and drops
    them. A block is "heard" one block after it is rendered; a block rendered after its own
    DAC time counts as an under-run (and the pacing re-syncs)."""

    backend = "null"

    def __init__(self, source: BlockSource, block_size: int, sample_rate: int) -> None:
        super().__init__(source, block_size, sample_rate)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Output:
        """Start the pacing thread."""
        super().start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="null-audio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and join the pacing thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def _run(self) -> None:
        buffer = np.zeros((self.block_size, 2), dtype=np.float32)
        block_s = self.block_size / self.sample_rate
        render_s = time.monotonic()
        while not self._stop.is_set():
            self.process(buffer, render_s + self.latency_s)
            render_s += block_s
            late_s = time.monotonic() - render_s
            if late_s > block_s:
                self.underruns += 1
                render_s = time.monotonic()
            elif late_s < 0:
                time.sleep(-late_s)


class SoundDeviceOutput(Output):
    """PortAudio callback stream (``latency='low'``); under-flows counted."""

    backend = "sounddevice"

    def __init__(self, source: BlockSource, block_size: int, sample_rate: int, device: Any):
        super().__init__(source, block_size, sample_rate)
        import sounddevice as sd  # raises OSError when PortAudio is missing

        self._line = FrameLine(sample_rate)
        self._latency_fixed = False
        index = find_output_device(sd, device)
        info = sd.query_devices(index)
        host = sd.query_hostapis(info["hostapi"])["name"]
        self.name = f"sounddevice: {info['name']} ({host})"
        self.stream = sd.OutputStream(
            samplerate=sample_rate,
            blocksize=block_size,
            device=index,
            channels=2,
            dtype="float32",
            latency="low",
            callback=self._callback,
        )
        self.latency_s = float(self.stream.latency)

    def _callback(self, outdata: np.ndarray, frames: int, times: Any, status: Any) -> None:
        """PortAudio's audio thread: the real-time contract of :meth:`Output.process`."""
        now_s = time.monotonic()
        if status.output_underflow:
            self.underruns += 1
            self._line.reset()
        if not self._latency_fixed:
            measured_s = times.outputBufferDacTime - times.currentTime
            self.latency_s = measured_s if 0 < measured_s < 1 else self._device_latency_s
            self._latency_fixed = True
        due_s = self._line.time_of(self.source.frame, now_s)
        self.process(outdata, due_s + self.latency_s)

    def start(self) -> Output:
        """Start the PortAudio stream."""
        super().start()
        self.stream.start()
        return self

    def stop(self) -> None:
        """Stop and close the PortAudio stream."""
        if not self.stream.closed:
            self.stream.stop()
            self.stream.close()


class SdlOutput(Output):
    """SDL audio through pygame-ce's ``_sdl2.audio.AudioDevice`` (float32 stereo callback).

    pygame.init() is never called: only SDL's audio subsystem is started, so a UI process
    and this device do not fight over the mixer. Headless: ``SDL_AUDIODRIVER=dummy``.
    """

    backend = "sdl"

    def __init__(self, source: BlockSource, block_size: int, sample_rate: int, device: Any):
        super().__init__(source, block_size, sample_rate)
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        # SDL would take SIGINT and SIGTERM for its event queue, which nothing here reads:
        # a process with this output would then ignore a polite request to stop
        os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
        import pygame._sdl2 as sdl2
        import pygame._sdl2.audio as sdl_audio

        try:
            sdl2.init_subsystem(sdl2.INIT_AUDIO)
            self.device = sdl_audio.AudioDevice(
                devicename=device,
                iscapture=False,
                frequency=sample_rate,
                audioformat=sdl_audio.AUDIO_F32,
                numchannels=2,
                chunksize=block_size,
                allowed_changes=0,
                callback=self._callback,
            )
        except sdl2.error as error:
            raise DeviceError(
                f"SDL audio output could not open {device or 'the default device'}: {error} "
                "(headless machines: set SDL_AUDIODRIVER=dummy)"
            ) from error
        self.driver = os.environ.get("SDL_AUDIODRIVER", "default")  # dummy, disk: no sound
        self.name = f"sdl: {device or 'default device'} ({self.driver})"
        self.latency_s = 2 * block_size / sample_rate
        self._line = FrameLine(sample_rate)

    def _callback(self, _device: Any, stream: memoryview) -> None:
        """SDL's audio thread: the real-time contract of :meth:`Output.process`."""
        out = np.frombuffer(stream, dtype=np.float32).reshape(-1, 2)
        due_s = self._line.time_of(self.source.frame, time.monotonic())
        self.process(out, due_s + self.latency_s)

    def start(self) -> Output:
        """Unpause the SDL device."""
        super().start()
        self.device.pause(0)
        return self

    def stop(self) -> None:
        """Pause and close the SDL device.

        The pause goes through :func:`sdl_pause_without_gil` where SDL's library can be found:
        pygame-ce's ``pause`` keeps the GIL while it waits for SDL's device lock, and SDL's
        audio thread holds that lock while our callback waits for the GIL, so a stop that met
        a callback between the two never returned (seen on a loaded machine). Once paused,
        SDL calls no callback, and ``close`` can join its thread with the GIL held.
        """
        if not sdl_pause_without_gil(self.device.deviceid):
            self.device.pause(1)
        self.device.close()


def _sdl_library() -> Any:
    """The SDL2 library pygame-ce loaded, through ctypes (None when it cannot be found)."""
    import ctypes
    import ctypes.util
    import glob

    import pygame

    here = os.path.dirname(pygame.__file__)
    bundled = [
        *glob.glob(os.path.join(here, os.pardir, "pygame_ce.libs", "libSDL2-2*")),  # Linux
        *glob.glob(os.path.join(here, ".dylibs", "libSDL2-2*")),  # macOS
        *glob.glob(os.path.join(here, "SDL2.dll")),  # Windows
    ]
    for path in [*bundled, ctypes.util.find_library("SDL2")]:
        if path:
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


_SDL_AUDIO_PAUSED = 2  # SDL_GetAudioDeviceStatus: SDL_AUDIO_PAUSED


def sdl_pause_without_gil(device_id: int) -> bool:
    """Pause SDL audio device ``device_id`` through ctypes, which lets the GIL go while SDL
    waits for the device's lock; True once SDL says the device is paused."""
    library = _sdl_library()
    if library is None:
        log.warning("SDL's library not found for ctypes: stopping SDL audio through pygame")
        return False
    library.SDL_PauseAudioDevice(device_id, 1)
    return bool(library.SDL_GetAudioDeviceStatus(device_id) == _SDL_AUDIO_PAUSED)
