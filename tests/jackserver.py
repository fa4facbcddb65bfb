"""A private JACK server for tests and benches, plus a frame-exact JACK probe client.

:func:`jack_server` starts ``jackd --no-realtime -d dummy`` under a private name
(``JACK_DEFAULT_SERVER=sl-<pid>-<n>``, set in ``os.environ`` only while it runs, with
``JACK_NO_START_SERVER=1`` so no client ever starts a server of its own), waits until it
accepts clients (``jack_lsp`` answers), and stops it after. :func:`module_jack_server` makes
a module-scoped pytest fixture of it: ``jack = module_jack_server(period_frames=64)``.

PortAudio lists the JACK host API only if the server runs when PortAudio initialises:
call :func:`refresh_portaudio` after the server is up.

:class:`JackProbe` (needs the PyPI package JACK-Client) sends MIDI notes at known JACK frames
and finds the frames where sound arrives on its audio input, both on JACK's frame clock.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

_servers = itertools.count()
_ENV_KEYS = ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")


@dataclass(frozen=True)
class JackServer:
    """A running private jackd."""

    name: str
    period_frames: int
    sample_rate: int
    process: subprocess.Popen


def _wait_ready(server: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            code = server.returncode
            raise RuntimeError(f"jackd exited with code {code} before accepting clients")
        probe = subprocess.run(["jack_lsp"], capture_output=True, timeout=5)
        if probe.returncode == 0 and b"system:playback_1" in probe.stdout:
            return
        time.sleep(0.05)
    raise RuntimeError(f"jackd did not accept clients within {timeout_s} s")


@contextmanager
def jack_server(
    period_frames: int = 64,
    sample_rate: int = 48_000,
    timeout_s: float = 10.0,
    portaudio: bool = True,
) -> Iterator[JackServer]:
    """Run a private jackd on the dummy driver for the duration of the ``with`` block.

    With ``portaudio``, PortAudio is re-initialised once the server is up (so it lists JACK),
    terminated before the server stops (PortAudio's JACK code asserts if the server is gone)
    and initialised again after.
    """
    name = f"sl-{os.getpid()}-{next(_servers)}"
    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    os.environ.update(JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1")
    command = ["jackd", "--no-realtime", "-d", "dummy", "-r", str(sample_rate)]
    command += ["-p", str(period_frames)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(server, timeout_s)
            if portaudio:
                refresh_portaudio()
            try:
                yield JackServer(name, period_frames, sample_rate, server)
            finally:
                if portaudio:
                    _portaudio("_terminate")
        finally:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})
            if portaudio:
                _portaudio("_initialize")


def module_jack_server(period_frames: int = 64) -> Callable[..., Any]:
    """A module-scoped pytest fixture running a private jackd (skips without jackd)."""
    import pytest

    from tests.conftest import require_program

    @pytest.fixture(scope="module")
    def jack() -> Iterator[JackServer]:
        require_program("jackd", "jackd2")
        require_program("jack_lsp", "jackd2")
        with jack_server(period_frames) as server:
            yield server

    return jack


def refresh_portaudio() -> None:
    """Make PortAudio enumerate host APIs again (it sees JACK only if jackd ran at init).

    Call it while the JACK server it last saw (if any) still runs.
    """
    _portaudio("_terminate")
    _portaudio("_initialize")


def _portaudio(step: str) -> None:
    try:
        import sounddevice as sd
    except OSError:
        return
    getattr(sd, step)()


def jack_connect(source: str, destination: str) -> None:
    """Connect two JACK ports by name (raises CalledProcessError on failure)."""
    subprocess.run(["jack_connect", source, destination], check=True, capture_output=True)


class ClickSource:
    """A BlockSource for tests: silence, and a click at the start of the block after each
    note-on pushed (the Renderer's ``push`` signature)."""

    def __init__(self, click_frames: int = 32, amplitude: float = 0.5) -> None:
        self.frame = 0
        self.click_frames = click_frames
        self.amplitude = amplitude
        self.requested = 0
        self.played = 0

    def push(self, event: Any, immediate: bool = False) -> bool:
        """Queue a click for a note-on (an event with a velocity > 0); others are ignored."""
        if getattr(event, "velocity", 0) > 0 and getattr(event, "kind", "note_on") == "note_on":
            self.requested += 1
        return True

    def render_into(self, out: np.ndarray) -> None:
        """Silence, with the click at offset 0 when one is due."""
        out.fill(0.0)
        if self.played < self.requested:
            self.played += 1
            out[: self.click_frames] = self.amplitude
        self.frame += len(out)


class JackProbe:
    """A JACK client with a MIDI output and an audio input, working on JACK frames.

    :meth:`send` queues a message; the process callback writes it at a chosen offset of the
    next cycle and records its frame and true time: the cycle's start on the monotonic clock
    (now - frames since cycle start) + offset / rate. (JACK's own frames-to-time estimate is
    not used: it goes wrong after xruns, which non-realtime jackd has many of.) The audio
    input records onsets: the first frame above ``threshold`` after ``quiet_frames`` quiet.
    """

    def __init__(self, name: str = "sl-probe", threshold: float = 1e-3, quiet_frames: int = 2400):
        import jack

        self.client = jack.Client(name, no_start_server=True)
        self.midi_out = self.client.midi_outports.register("midi_out")
        self.audio_in = self.client.inports.register("in")
        self.threshold = threshold
        self.quiet_frames = quiet_frames
        self.sent: list[tuple[int, float, int]] = []  # (frame, true monotonic s, note)
        self.onsets: list[int] = []
        self.loud_frames = 0  # frames above the threshold, in all
        self._pending: deque[tuple[bytes, int]] = deque()
        self._last_loud = -(10**9)
        self.lock = threading.Lock()
        self.client.set_process_callback(self._process)

    def activate(self) -> JackProbe:
        """Start processing."""
        self.client.activate()
        return self

    def close(self) -> None:
        """Deactivate and close the client."""
        self.client.deactivate()
        self.client.close()

    def send(self, message: bytes, offset: int) -> None:
        """Send ``message`` at frame ``offset`` of the next cycle."""
        self._pending.append((message, offset))

    def _process(self, frames: int) -> None:
        start = self.client.last_frame_time
        rate = self.client.samplerate
        cycle_s = time.monotonic() - self.client.frames_since_cycle_start / rate
        self.midi_out.clear_buffer()
        while self._pending:
            message, offset = self._pending.popleft()
            offset = min(offset, frames - 1)
            self.midi_out.write_midi_event(offset, message)
            with self.lock:
                self.sent.append((start + offset, cycle_s + offset / rate, message[1]))
        loud = np.flatnonzero(np.abs(self.audio_in.get_array()) > self.threshold)
        self.loud_frames += len(loud)
        if len(loud):
            if start + loud[0] - self._last_loud > self.quiet_frames:
                with self.lock:
                    self.onsets.append(int(start + loud[0]))
            self._last_loud = int(start + loud[-1])
