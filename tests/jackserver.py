"""A private JACK server for tests and benches, plus a frame-exact JACK probe client.

:func:`jack_server` starts ``jackd --no-realtime -d dummy`` under a private name (or, with
``realtime_priority``, ``jackd -R -P N``: a real-time server, as real installs run it; its
clients' process threads are real-time too — it needs the right to real-time scheduling)
(``JACK_DEFAULT_SERVER=sl-<pid>-<n>``, set in ``os.environ`` only while it runs, with
``JACK_NO_START_SERVER=1`` so no client ever starts a server of its own), waits until it
accepts clients (``jack_lsp`` answers), and stops it after. :func:`module_jack_server` makes
a module-scoped pytest fixture of it: ``jack = module_jack_server(period_frames=64)``.

Stopping (:func:`stop_jackd`, also :meth:`JackServer.stop`): SIGTERM, then SIGKILL after
:data:`STOP_GRACE_S`, because jackd on the dummy driver sometimes ignores SIGTERM and a test
must never leave it running. A killed jackd keeps its slot in JACK's server registry (eight
slots per machine: after eight such kills no JACK server starts), its semaphore files and its
sockets, so all are freed (:func:`free_registry_slot`), for that server only.

PortAudio lists the JACK host API only if the server runs when PortAudio initialises:
call :func:`refresh_portaudio` after the server is up.

:class:`JackProbe` (needs the PyPI package JACK-Client) sends MIDI notes at known JACK frames
and finds the frames where sound arrives on its audio input, both on JACK's frame clock.
"""

from __future__ import annotations

import itertools
import mmap
import os
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_servers = itertools.count()
_ENV_KEYS = ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")
READ_SKEW_S = 50e-6  # JackProbe: two clock readings this close bracket one frame count
READ_TRIES = 4
STOP_GRACE_S = 2.0  # jackd stops within ~0.2 s of SIGTERM when it listens at all
SHM_DIR = Path("/dev/shm")
# jackd2's server registry (common/shm.c, jack_shm_header_t): magic "JACK", protocol, type,
# sizes, then MAX_SERVERS entries of {pid_t pid; char name[257]} padded to 264 bytes
_REGISTRY_MAGIC, _SERVERS, _SERVER_AT, _SERVER_SIZE, _NAME_SIZE = 0x4A41434B, 8, 24, 264, 257


@dataclass(frozen=True)
class JackServer:
    """A running private jackd."""

    name: str
    period_frames: int
    sample_rate: int
    process: subprocess.Popen
    log: Any = None  # the file jackd writes its stdout and stderr to (None: not kept)

    def log_size(self) -> int:
        """Bytes jackd has written to its log so far (0 without a log)."""
        return 0 if self.log is None else os.fstat(self.log.fileno()).st_size

    def log_text(self, start: int = 0, end: int | None = None) -> str:
        """What jackd wrote from byte ``start`` of its log to byte ``end`` (None: all it has
        written); its x-run lines name the client not finished in time or the driver late."""
        if self.log is None:
            return ""
        self.log.seek(start)
        size = -1 if end is None else max(0, end - start)
        return self.log.read(size).decode(errors="replace")

    def stop(self, grace_s: float = STOP_GRACE_S) -> str:
        """Stop the server (see :func:`stop_jackd`); ``"terminated"`` or ``"killed"``."""
        return stop_jackd(self.process, self.name, grace_s)


def stop_jackd(process: subprocess.Popen, name: str, grace_s: float = STOP_GRACE_S) -> str:
    """SIGTERM, then SIGKILL after ``grace_s``; a killed server's registry slot is freed.

    Returns ``"terminated"``, ``"killed"`` or ``"gone"`` (it had ended already).
    """
    if process.poll() is not None:
        outcome = "gone"
    else:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
            outcome = "terminated"
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            outcome = "killed"
    if outcome != "terminated":
        free_registry_slot(process.pid, name)
    remove_leftovers(name)  # a killed client's semaphore outlives even a clean server stop
    return outcome


def free_registry_slot(pid: int, name: str, shm_dir: Path = SHM_DIR) -> bool:
    """Free the registry slot, semaphores and sockets of dead server ``name`` that ran as ``pid``.

    Only an entry with both that pid and that name is touched (other servers on the machine,
    other users' tests, keep theirs); the name is cleared before the pid, so a server
    registering meanwhile never sees a half-cleared slot as free. False when the registry is
    not the layout this knows (then nothing is written).
    """
    remove_leftovers(name, shm_dir)
    registry = shm_dir / "jack-shm-registry"
    if not registry.exists():
        return False
    with open(registry, "r+b") as file, mmap.mmap(file.fileno(), 0) as shared:
        if len(shared) < _SERVER_AT + _SERVERS * _SERVER_SIZE:
            return False
        if struct.unpack_from("<I", shared, 0)[0] != _REGISTRY_MAGIC:
            return False
        for slot in range(_SERVERS):
            at = _SERVER_AT + slot * _SERVER_SIZE
            entry_pid = struct.unpack_from("<i", shared, at)[0]
            entry_name = shared[at + 4 : at + 4 + _NAME_SIZE].split(b"\0")[0]
            if entry_pid == pid and f":{name}:".encode() in entry_name:
                shared[at + 4 : at + 4 + _NAME_SIZE] = bytes(_NAME_SIZE)
                struct.pack_into("<i", shared, at, 0)
                return True
    return False


def remove_leftovers(name: str, shm_dir: Path = SHM_DIR) -> None:
    """Remove the semaphore files and sockets of stopped server ``name`` (its clients' too)."""
    leftovers = [*shm_dir.glob(f"jack_sem.*_{name}_*"), *shm_dir.glob(f"jack_{name}_*")]
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)


def registry_pids(shm_dir: Path = SHM_DIR) -> list[int]:
    """Process ids of the servers in JACK's registry (empty when there is none)."""
    registry = shm_dir / "jack-shm-registry"
    if not registry.exists():
        return []
    data = registry.read_bytes()[: _SERVER_AT + _SERVERS * _SERVER_SIZE]
    pids = [struct.unpack_from("<i", data, _SERVER_AT + k * _SERVER_SIZE)[0] for k in range(8)]
    return [pid for pid in pids if pid]


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
    realtime_priority: int | None = None,
) -> Iterator[JackServer]:
    """Run a private jackd on the dummy driver for the duration of the ``with`` block.

    ``realtime_priority``: run it real-time (``-R -P``) at that SCHED_FIFO priority instead of
    ``--no-realtime``; a server that cannot get real-time scheduling exits, which raises.

    With ``portaudio``, PortAudio is re-initialised once the server is up (so it lists JACK),
    terminated before the server stops (PortAudio's JACK code asserts if the server is gone)
    and initialised again after.
    """
    name = f"sl-{os.getpid()}-{next(_servers)}"
    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    os.environ.update(JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1")
    scheduling = ["--no-realtime"] if realtime_priority is None else ["-R", "-P"]
    if realtime_priority is not None:
        scheduling.append(str(realtime_priority))
    command = ["jackd", *scheduling, "-d", "dummy", "-r", str(sample_rate)]
    command += ["-p", str(period_frames)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(server, timeout_s)
            if portaudio:
                refresh_portaudio()
            try:
                yield JackServer(name, period_frames, sample_rate, server, log)
            finally:
                if portaudio:
                    _portaudio("_terminate")
        finally:
            stop_jackd(server, name)
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


def require_jack_client() -> None:
    """Skip (fail under CI=true) without the JACK-Client package or the libjack it loads."""
    from tests.conftest import require

    try:
        import jack  # noqa: F401
    except (ImportError, OSError) as error:
        require(False, f"JACK-Client unavailable ({error}; pip install JACK-Client)")


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
    next cycle (one message a cycle: JACK takes a cycle's events in time order only, and two
    queued while the callback was held up would come in any order) and records its frame and
    true time: the cycle's start on the monotonic clock
    (now - frames since cycle start) + offset / rate. (JACK's own frames-to-time estimate is
    not used: it goes wrong after xruns, which non-realtime jackd has many of.) The cycle's
    start is read between two clock readings close together (a thread preempted between
    reading the clock and the frames since the cycle started would place the cycle that much
    early), and both of one cycle: JACK's frame and frames-since-start come from the server's
    timer as it is when read, so a read across the timer's move to the next cycle is made
    again. The audio input records onsets: the first frame above ``threshold`` after
    ``quiet_frames`` quiet.

    The process callback is compiled (:mod:`tests.jack_probe_cycle`): the probe sits in the
    graph the synths under test play in, and a Python callback's cost made x-runs of its own.
    """

    def __init__(self, name: str = "sl-probe", threshold: float = 1e-3, quiet_frames: int = 2400):
        import jack

        from tests import jack_probe_cycle as compiled

        self.client = jack.Client(name, no_start_server=True)
        self.midi_out = self.client.midi_outports.register("midi_out")
        self.audio_in = self.client.inports.register("in")
        self.threshold = threshold
        self.quiet_frames = quiet_frames
        ffi, lib = jack._ffi, jack._lib
        ports = (self.client._ptr, self.audio_in._ptr, self.midi_out._ptr)
        try:
            self._shared = compiled.Shared(
                tuple(int(ffi.cast("uintptr_t", port)) for port in ports),
                self.client.samplerate, threshold, quiet_frames, READ_SKEW_S, READ_TRIES,
            )  # fmt: skip
            self._callback = ffi.cast("JackProcessCallback", compiled.cycle.address)
            argument = ffi.cast("void *", self._shared.argument)
            if lib.jack_set_process_callback(self.client._ptr, self._callback, argument):
                raise RuntimeError("JACK refused the probe's process callback")
        except Exception:
            self.client.close()
            raise
        self._compiled = compiled

    @property
    def sent(self) -> list[tuple[int, float, int]]:
        """The messages written so far: (JACK frame, true monotonic s, note)."""
        return self._shared.sent()

    @property
    def onsets(self) -> list[int]:
        """The JACK frames where sound began after ``quiet_frames`` of quiet."""
        return self._shared.onsets()

    @property
    def refused(self) -> int:
        """Messages JACK would not write (never in :attr:`sent`)."""
        return int(self._shared.counts[self._compiled.REFUSED])

    @property
    def loud_frames(self) -> int:
        """Frames above the threshold, in all."""
        return int(self._shared.counts[self._compiled.LOUD_FRAMES])

    def activate(self) -> JackProbe:
        """Start processing."""
        self.client.activate()
        return self

    def close(self) -> None:
        """Deactivate and close the client (no callback runs after it: its arrays may go)."""
        self.client.deactivate()
        self.client.close()

    def send(self, message: bytes, offset: int) -> None:
        """Send ``message`` (a channel message: 1 to 3 bytes) at frame ``offset`` of the next
        cycle (of the next free one, when another message waits)."""
        self._shared.push(message, offset)
