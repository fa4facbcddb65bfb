"""The engine on JACK as one client: its sound out and its JACK MIDI ports in one process callback.

Through PortAudio the engine was three JACK clients in one process (PortAudio's, with its own
thread; the JACK MIDI input's; a probe's in the bench), each waking a Python callback every
cycle that waits for the one GIL, and a note read by the MIDI client waited for the next
cycle of the audio one. :class:`JackOutput` is one JACK client (JACK-Client) with two audio
out ports and, when a JACK MIDI input shares it (``JackMidiInputs(host=output)``), that
input's MIDI ports too. Its process callback is the one Python entry of each cycle:

1. the MIDI reader the input attached (:meth:`JackOutput.attach_midi`) reads the cycle's
   events, stamps them at their JACK frames and lets the live thru path place them, so a
   note played in this cycle is scheduled at its own frame before the block is rendered;
2. the source renders the block (:meth:`Output.process`: a block that raises plays silence
   and is counted, the output stage with its true-peak cap is the source's own);
3. the block is copied into the out ports.

Most cycles need none of it: no MIDI event came, nothing is queued or due, the voices sounding
render on. On Linux the callback registered with JACK is compiled (:mod:`.jack_cycle`): it
renders such a *quiet* cycle itself, with no Python and no GIL, and hands every other cycle to
the Python callback above. What a quiet cycle may assume is published by the Python cycle
before it; a change from another thread (the MIDI input's ports, a queued command, a new cap)
makes the next cycle Python's. Where it cannot run (another system, a JACK-Client without its
cffi objects, a source without a quiet table) the Python callback runs every cycle, and the
log says why.

The frame line (:class:`~.output.FrameLine`) is fed the time each callback began, as the
other backends feed it (its most punctual cycles give the line; every call into libjack lets
the GIL go, so the callback makes as few as it can). The output latency is JACK's own playback
latency of the ports the sound goes to (one period when libjack cannot be asked) plus the
source's delay. A server x-run counts as an under-run, as PortAudio on JACK reports it, and
restarts the frame line. The out ports connect to the server's physical playback ports, or to
the ports whose names contain the device setting (``--audio-device``).

The real-time contract of :meth:`Output.process` holds in the callback: no lock, no I/O, no
logging, nothing that blocks; the block buffer is allocated once (the largest JACK period).
JACK's notification thread (x-runs, port registrations, shutdown) only sets counters and
flags the process callback or the MIDI input's watcher thread act on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DeviceError
from .output import BlockSource, FrameLine, Output

log = logging.getLogger(__name__)

CLIENT_NAME = "soundness-live"
MAX_PERIOD_FRAMES = 8192  # the largest block the buffer holds (JACK's periods are powers of 2)
CycleReader = Callable[[int], None]
QuietPorts = Callable[[], "tuple[Any, ...] | None"]
PortListener = Callable[[Any, bool], None]
XrunListener = Callable[[float], None]
ShutdownListener = Callable[[Any, str], None]


def compiled_cycle_available() -> str:
    """Empty when the compiled process callback (:mod:`.jack_cycle`) can run here; else why
    not, in one line (it is not even compiled then)."""
    if not sys.platform.startswith("linux"):
        return f"the compiled JACK callback runs on Linux only (this is {sys.platform})"
    return ""


def load_jack() -> Any:
    """The ``jack`` module (JACK-Client); OSError naming what to install when it cannot load."""
    try:
        import jack
    except ImportError as error:
        raise OSError(f"JACK-Client is not installed ({error}; pip install JACK-Client)") from None
    except OSError as error:  # the module is there, libjack is not
        raise OSError(f"libjack not found ({error}; apt-get install libjack-jackd2-0)") from None
    return jack


def open_client(jack: Any, name: str, quiet: bool) -> Any:
    """A JACK client named ``name`` on the running server; DeviceError when none answers.

    ``quiet``: libjack's own lines on stderr ("Cannot connect to server socket...") are kept
    from the terminal while trying (``auto`` asks whether a server runs on every start).
    """
    said: list[str] = []
    if quiet:
        jack.set_error_function(said.append)
        jack.set_info_function(said.append)
    try:
        return jack.Client(name, no_start_server=True)
    except jack.JackError as error:
        raise DeviceError(f"no JACK server answered ({error})") from None
    finally:
        if quiet:
            jack.set_error_function(None)
            jack.set_info_function(None)


class JackOutput(Output):
    """Stereo sound out through one JACK client that JACK MIDI inputs can share (see module)."""

    backend = "jack"

    def __init__(
        self,
        source: BlockSource,
        block_size: int,
        sample_rate: int,
        device: Any = None,
        *,
        client_name: str = CLIENT_NAME,
        quiet: bool = False,
    ) -> None:
        super().__init__(source, block_size, sample_rate)
        jack = load_jack()
        client = open_client(jack, client_name, quiet)
        try:
            self._check_server(client, block_size, sample_rate)
            self.ports = (client.outports.register("out_1"), client.outports.register("out_2"))
            self.targets = playback_targets(client, device)
        except Exception:
            client.close()
            raise
        self.jack_client = client
        self.name = f"jack: {client.name} -> {describe_targets(self.targets)}"
        self.latency_s = playback_latency_frames(client, self.targets) / sample_rate
        self._line = FrameLine(sample_rate)
        self._buffer = np.zeros((MAX_PERIOD_FRAMES, 2), dtype=np.float32)
        self._xruns_seen = 0
        self.xruns = 0  # counted by JACK's notification thread; under-runs by the callback
        self.reader_errors = 0  # cycles whose MIDI reader raised (the block still played)
        # time in the Python process callback (perf counter, s): where a cycle's time goes
        self._python_cycles, self._python_s, self._python_max_s = 0, 0.0, 0.0
        self.server_gone = ""
        self._closed = False
        self._reader: CycleReader | None = None
        self._quiet_ports: QuietPorts | None = None
        self._port_listener: PortListener | None = None
        self._xrun_listener: XrunListener | None = None
        self._shutdown_listener: ShutdownListener | None = None
        self._get_buffer, self._ffi_buffer, self._port_ptrs = _libjack_buffers(jack, self.ports)
        # the out ports' buffers as arrays, after the addresses they were made for
        empty = np.zeros(0, dtype=np.float32)
        self._views: tuple[Any, Any, np.ndarray, np.ndarray] = (None, None, empty, empty)
        self._latency = np.array([self.latency_s])  # what a compiled cycle anchors with
        self.compiled: Any = None  # the compiled callback's shared state (jack_cycle.py)
        self.compiled_note = self._set_process_callback(jack, client)
        log.info("JACK process callback: %s", self.compiled_note)
        client.set_xrun_callback(self._xrun)
        client.set_shutdown_callback(self._shutdown)
        client.set_port_registration_callback(self._registered, only_available=False)

    def _set_process_callback(self, jack: Any, client: Any) -> str:
        """Register the compiled callback where it can run, else the Python one; what was
        registered (a line for the log and the status)."""
        quiet = getattr(self.source, "quiet", None)
        why = compiled_cycle_available()
        if not why and quiet is None:
            why = "the source renders no quiet blocks"
        if not why and (self._get_buffer is None or not hasattr(client, "_ptr")):
            why = "this JACK-Client hides its cffi objects"
        if why or quiet is None:
            client.set_process_callback(self._process)
            return f"Python ({why})"
        began = time.perf_counter()  # the compiled callback is made (or loaded) from here on
        try:
            shared = self._compiled_cycle(jack, quiet.table)
        except Exception as error:  # numba, libjack or the C library: the Python one serves
            client.set_process_callback(self._process)
            return f"Python (the compiled callback could not be made: {error})"
        ffi = jack._ffi
        callback = ffi.cast("JackProcessCallback", shared.callback_address())
        if jack._lib.jack_set_process_callback(
            client._ptr, callback, ffi.cast("void *", shared.argument)
        ):
            client.set_process_callback(self._process)
            return "Python (JACK refused the compiled callback)"
        self.compiled = shared
        quiet.published = True  # from now on the renderer publishes its quiet table
        ready_s = time.perf_counter() - began
        return f"compiled, quiet cycles run no Python (ready in {ready_s:.2f} s)"

    def _compiled_cycle(self, jack: Any, source_table: np.ndarray) -> Any:
        """The compiled callback's shared state for this output and ``source_table``."""
        from . import jack_cycle  # numba compiles the callback (or loads it) on import

        python_cycle = jack._ffi.callback("JackProcessCallback", self._python_cycle, error=0)
        return jack_cycle.CompiledCycle(
            jack,
            (self.ports[0]._ptr, self.ports[1]._ptr),
            python_cycle,
            {
                jack_cycle.LINE: self._line.figures,
                jack_cycle.ANCHORS: self._anchors,
                jack_cycle.MARKS: self._marks,
                jack_cycle.BUFFER: self._buffer,
                jack_cycle.LATENCY: self._latency,
            },
            source_table,
        )

    # -- what a cycle cost ---------------------------------------------------------------------
    @property
    def cycles(self) -> int:
        """Process cycles run (Python and compiled)."""
        return self._python_cycles + self.quiet_cycles

    @property
    def quiet_cycles(self) -> int:
        """Of them, the cycles the compiled callback rendered without Python."""
        return self.compiled.quiet_cycles if self.compiled is not None else 0

    @property
    def callback_s(self) -> float:
        """Time in the process callback in all (s): a compiled cycle's from its start, a Python
        cycle's from the Python callback's (the entry through cffi not counted, as JACK-Client's
        wrapper was not before)."""
        quiet = self.compiled.quiet_s if self.compiled is not None else 0.0
        return self._python_s + quiet

    @property
    def callback_max_s(self) -> float:
        """The longest process callback (s) since the start or the last reset."""
        quiet = self.compiled.quiet_max_s if self.compiled is not None else 0.0
        return max(self._python_max_s, quiet)

    @callback_max_s.setter
    def callback_max_s(self, value: float) -> None:
        """Set to 0 to measure a new stretch."""
        self._python_max_s = value
        if self.compiled is not None:
            self.compiled.reset_max()

    def _check_server(self, client: Any, block_size: int, sample_rate: int) -> None:
        if client.samplerate != sample_rate:
            raise DeviceError(
                f"the JACK server runs at {client.samplerate} Hz, the engine at {sample_rate} Hz: "
                f"start jackd with -r {sample_rate} or the engine with --sample-rate "
                f"{client.samplerate}"
            )
        if client.blocksize != block_size:  # JACK sets the period: a block is one cycle
            log.info(
                "JACK's period is %d frames (asked: %d): the engine renders one block per cycle",
                client.blocksize, block_size,
            )  # fmt: skip
            self.block_size = client.blocksize

    # -- what a JACK MIDI input sharing this client uses ------------------------------------
    def attach_midi(
        self,
        reader: CycleReader,
        on_port: PortListener,
        on_xrun: XrunListener,
        on_shutdown: ShutdownListener,
        quiet_ports: QuietPorts | None = None,
    ) -> None:
        """Run ``reader(frames)`` first in every cycle, before the block renders; forward
        JACK's port registrations, x-runs and shutdown to the other three. ``quiet_ports()``
        (in JACK's thread, after a Python cycle) gives the handles of the ports a compiled
        cycle must find no event on to skip the reader, or None when the next cycle must run
        it; without it every cycle runs the reader."""
        self._port_listener, self._xrun_listener = on_port, on_xrun
        self._shutdown_listener = on_shutdown
        self._quiet_ports = quiet_ports
        self._reader = reader  # published last: the callback finds the listeners set
        self.midi_changed()

    def detach_midi(self) -> None:
        """Stop calling the MIDI reader (a cycle that read it before may still be running)."""
        if self.compiled is not None:
            self.compiled.forbid_quiet()  # its ports may go: no compiled cycle looks at them
        self._reader = None
        self._quiet_ports = None
        self._port_listener = self._xrun_listener = self._shutdown_listener = None
        self.midi_changed()

    def midi_changed(self) -> None:
        """The MIDI input's ports changed (any thread): the next cycle runs the reader."""
        if self.compiled is not None:
            self.compiled.changed()

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> Output:
        """Activate the client and connect its out ports to the playback targets."""
        super().start()
        self.jack_client.activate()
        for port, target in zip(self.ports, self.targets, strict=False):
            try:
                self.jack_client.connect(port, target)
            except Exception as error:  # the port may have gone: the sound still renders
                log.warning("could not connect %s to %s: %s", port.name, target, error)
        return self

    def stop(self) -> None:
        """Deactivate and close the client (idempotent); its ports go with it."""
        if self._closed:
            return
        self._closed = True
        self._reader = None
        self.jack_client.deactivate()  # no callback runs after this returns
        self.jack_client.close()

    # -- JACK's process thread (real-time: no logging, no I/O, no locks) ----------------------
    def _python_cycle(self, frames: int, _argument: Any) -> int:
        """The Python cycle as the compiled callback calls it (JACK's callback type)."""
        self._process(frames)
        return 0

    def _process(self, frames: int) -> None:
        began_s = time.perf_counter()
        compiled = self.compiled
        if compiled is not None:
            compiled.python_cycle_began()
        try:
            self._cycle(frames)
            if compiled is not None:
                self._allow_quiet(compiled, frames)
        except Exception as error:  # JACK would stop calling a callback that raises
            self.errors += 1
            self.last_error = error
            if compiled is not None:
                compiled.forbid_quiet()  # the next cycle is Python's again
        spent_s = time.perf_counter() - began_s
        self._python_cycles += 1
        self._python_s += spent_s
        if spent_s > self._python_max_s:
            self._python_max_s = spent_s

    def _allow_quiet(self, compiled: Any, frames: int) -> None:
        """After a whole Python cycle: what the next compiled ones may assume."""
        reader, ports = self._reader, self._quiet_ports
        handles = () if reader is None else ports() if ports is not None else None
        if not getattr(self.source, "quiet_allowed", True):
            handles = None  # it must render the next block in Python
        compiled.allow_quiet(frames, self._xruns_seen, handles)

    def _cycle(self, frames: int) -> None:
        now_s = time.monotonic()  # late-only: the frame line keeps the most punctual cycle
        xruns = self.xruns
        if xruns != self._xruns_seen:  # the frame line moved: start it again
            self.underruns += xruns - self._xruns_seen
            self._xruns_seen = xruns
            self._line.reset()
        reader = self._reader
        if reader is not None:
            try:
                reader(frames)
            except Exception:  # the reader counts its own failures; the sound must go on
                self.reader_errors += 1
        block = self._buffer[:frames]
        due_s = self._line.time_of(self.source.frame, now_s)
        latency_s = self._latency[0] = self.latency_s  # what a compiled cycle anchors with too
        self.process(block, due_s + latency_s)
        left, right = self._port_arrays(frames)
        left[:] = block[:, 0]
        right[:] = block[:, 1]

    def _port_arrays(self, frames: int) -> tuple[np.ndarray, np.ndarray]:
        """This cycle's buffers of the two out ports, as float32 arrays (views).

        Straight from libjack where JACK-Client exposes it: its ``get_array`` asks the server
        for the period again for each port, and every call into libjack lets the GIL go, which
        another thread of the process may then hold for a switch interval. A port's buffer
        usually stays where it was, so the arrays of the cycle before serve while libjack gives
        the same addresses for the same period (cffi pointers compare by address)."""
        get_buffer = self._get_buffer
        if get_buffer is None:
            left, right = self.ports
            return left.get_array(), right.get_array()
        left_at = get_buffer(self._port_ptrs[0], frames)
        right_at = get_buffer(self._port_ptrs[1], frames)
        views = self._views
        if views[0] == left_at and views[1] == right_at and len(views[2]) == frames:
            return views[2], views[3]
        size = frames * 4  # float32 samples
        buffer = self._ffi_buffer
        left = np.frombuffer(buffer(left_at, size), np.float32)
        right = np.frombuffer(buffer(right_at, size), np.float32)
        self._views = (left_at, right_at, left, right)
        return left, right

    # -- JACK's notification thread ----------------------------------------------------------
    def _xrun(self, delay_usecs: float) -> None:
        self.xruns += 1
        if self.compiled is not None:
            self.compiled.counted_xruns(self.xruns)  # the next cycle restarts the frame line
        listener = self._xrun_listener
        if listener is not None:
            listener(delay_usecs)

    def _registered(self, port: Any, register: bool) -> None:
        listener = self._port_listener
        if listener is not None:
            listener(port, register)

    def _shutdown(self, status: Any, reason: str) -> None:
        self.server_gone = reason or "the JACK server shut down"
        listener = self._shutdown_listener
        if listener is not None:
            listener(status, reason)


def _libjack_buffers(jack: Any, ports: tuple[Any, Any]) -> tuple[Any, Any, tuple[Any, ...]]:
    """libjack's ``jack_port_get_buffer``, cffi's ``buffer`` and the ports' handles, from
    JACK-Client's own cffi objects; (None, None, ()) when this JACK-Client hides them."""
    try:
        return jack._lib.jack_port_get_buffer, jack._ffi.buffer, tuple(p._ptr for p in ports)
    except AttributeError:
        return None, None, ()


def playback_targets(client: Any, device: Any) -> list[str]:
    """The two ports the sound goes to: the server's physical playback ports (``device``
    None, "" or "JACK", as PortAudio connects), else the audio inputs whose names contain
    ``device``; DeviceError listing the candidates when none does."""
    physical = device in (None, "", "JACK", "jack")
    inputs = client.get_ports(is_audio=True, is_input=True, is_physical=physical or None)
    own = f"{client.name}:"
    names = [port.name for port in inputs if not port.name.startswith(own)]
    if not physical:
        chosen = [name for name in names if str(device).lower() in name.lower()]
        if not chosen:
            listed = "".join(f"\n  {name}" for name in names) or " (none)"
            raise DeviceError(f"no JACK audio input port matches {device!r}; the ports:{listed}")
        names = chosen
    if not names:
        log.warning("the JACK server has no physical playback ports: the sound is not connected")
    return names[:2] if len(names) != 1 else names * 2  # one port: both channels into it


def describe_targets(targets: list[str]) -> str:
    """The playback ports, for the output's name."""
    return ", ".join(dict.fromkeys(targets)) or "not connected"


class _LatencyRange(ctypes.Structure):
    _fields_ = [("min", ctypes.c_uint32), ("max", ctypes.c_uint32)]


_PLAYBACK_LATENCY = 1  # jack_latency_callback_mode_t: JackPlaybackLatency


def playback_latency_frames(client: Any, targets: list[str]) -> int:
    """Frames from a cycle's output to the sound leaving the server: the largest playback
    latency JACK gives for ``targets`` (JACK-Client does not wrap that call: libjack is asked
    through ctypes), else one period (what PortAudio reports on JACK's dummy driver)."""
    period = int(client.blocksize)
    path = ctypes.util.find_library("jack")
    if not targets or path is None:
        return period
    try:
        library = ctypes.CDLL(path)
        get_range = library.jack_port_get_latency_range
        get_range.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_LatencyRange)]
        get_range.restype = None
        import jack

        latency = 0
        for name in targets:
            port = client.get_port_by_name(name)
            found = _LatencyRange()
            get_range(int(jack._ffi.cast("uintptr_t", port._ptr)), _PLAYBACK_LATENCY, found)
            latency = max(latency, int(found.max))
    except (OSError, AttributeError, TypeError) as error:
        log.info("JACK's playback latency unknown (%s): one period assumed", error)
        return period
    return latency or period
