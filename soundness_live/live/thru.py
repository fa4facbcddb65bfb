"""Thru timing: where the sound of a note the child plays is placed on the output axis.

Two modes (:data:`THRU_MODES`):

- ``"immediate"``: the sounding event plays at the start of the next block the audio callback
  renders. The delay from tap to sound is whatever is left of the block being rendered when
  the note reaches Python, so it spreads over a whole block (1.33 ms at 64 frames) and more
  when the MIDI thread waits for the GIL.
- ``"constant"``: the event is scheduled at ``round(mapping.frame_at(t) - latency_frames) +
  delay_frames``, where ``t`` is the note's timestamp and ``delay_frames`` is the output
  latency plus :attr:`ThruTiming.added_frames`. Every note then sounds the same time after it
  was played (its timestamp's error is the only spread left), sample-exact inside its block.
  ``added_frames`` must cover the note's trip to the audio thread: one block (the note can
  arrive just after a block started) plus a margin for delivery and the GIL; by default
  :func:`default_delay_ms` = one block + :data:`DELAY_MARGIN_MS`. A note that still arrives
  after its frame was rendered plays at the next block (as in immediate mode) and is counted
  late; its note-off keeps the note's length.

Default (:data:`DEFAULT_THRU_MODE`): immediate, from ``bench/bench_latency.py`` (private JACK
dummy-driver loopback, the modes taking turns note by note in one run; 60 notes each, 2 busy
cores). Added tap-to-sound latency in ms, p50 / p99 / jitter p99-p1:

=============  ===================  ===================  ====================================
period         immediate            constant             constant, exact stamps (diagnostic)
=============  ===================  ===================  ====================================
64 frames      1.23 / 5.43 / 5.14   2.41 / 7.79 / 6.22   2.54 / 7.88 / 5.99
128 frames     1.70 / 4.23 / 3.96   3.20 / 6.22 / 4.51   3.85 / 6.72 / 2.94
256 frames     3.00 / 5.45 / 5.15   4.53 / 8.32 / 6.29   6.50 / 9.31 / 2.89
=============  ===================  ===================  ====================================

Constant mode cannot beat its timestamps, and on JACK python-rtmidi stamps a message when its
JACK cycle is processed (``jack_get_time()``), dropping the message's offset in the cycle: the
stamp is quantised to the period, so constant mode keeps a period's spread and adds the
delay on top (1-2 of its 120 notes a run still came too late and played at once). Fed the
true send time instead ("exact stamps"), its jitter is 25-45 % below immediate mode's at 128
and 256 frames; at 64 frames xruns of the non-realtime server (871 in the run) dominate. So
immediate stays the default for rtmidi stamps; constant mode is for inputs stamped finer than
the audio block. The engine's ``--thru auto`` (its default) picks constant when the JACK-native
MIDI input stamps notes with their exact JACK frame (``--midi jack``, ``jack-frame`` clock)
and the output runs on the same JACK server. Measured that way (one run, load ~1 on 2 cores):
constant on jack-frame stamps 3.90 / 3.90 / 0.000 ms at 128 frames and 6.56 / 6.56 / 0.000 at
256 frames (sample-exact); at 64 frames the output's under-runs on the non-realtime dummy
server moved some notes one period (2.56 / 5.02 / 2.45 ms), against immediate's 0.84 / 1.72 /
1.44. When the JACK MIDI input shares the JACK output's client (``--audio jack``, or ``auto``
on a JACK server), a note is read in the callback that renders, before its block: constant
mode then adds no delay to the output latency (:func:`~.engine_setup.exact_thru`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.clock import ClockMapping
from ..errors import ParameterError

__all__ = [
    "THRU_MODES",
    "DEFAULT_THRU_MODE",
    "DELAY_MARGIN_MS",
    "ThruTiming",
    "default_delay_ms",
]

THRU_MODES = ("constant", "immediate")
DEFAULT_THRU_MODE = "immediate"
DELAY_MARGIN_MS = 1.0  # MIDI delivery to Python and the wait for the GIL, beyond one block


def default_delay_ms(block_size: int, sample_rate: int) -> float:
    """Constant mode's added delay: one output block plus :data:`DELAY_MARGIN_MS`."""
    return 1000.0 * block_size / sample_rate + DELAY_MARGIN_MS


@dataclass(frozen=True, slots=True)
class ThruTiming:
    """How thru events are placed: ``mode`` and, in constant mode, the added delay.

    ``added_frames`` is the delay from a note's timestamp to its sound on the output, not
    counting the output's own latency (the device adds that to every sound alike).
    """

    mode: str = DEFAULT_THRU_MODE
    added_frames: int = 0

    def __post_init__(self) -> None:
        if self.mode not in THRU_MODES:
            raise ParameterError(f"thru mode must be one of {THRU_MODES}, got {self.mode!r}")
        if not isinstance(self.added_frames, int) or self.added_frames < 0:
            raise ParameterError(
                f"thru added_frames must be an integer >= 0, got {self.added_frames!r}"
            )

    @classmethod
    def for_output(
        cls,
        block_size: int,
        sample_rate: int,
        mode: str = DEFAULT_THRU_MODE,
        delay_ms: float | None = None,
    ) -> ThruTiming:
        """The timing for an output's block size; ``delay_ms`` None = :func:`default_delay_ms`."""
        if delay_ms is None:
            delay_ms = default_delay_ms(block_size, sample_rate)
        if not 0.0 <= delay_ms <= 100.0:
            raise ParameterError(f"thru delay must be 0..100 ms, got {delay_ms!r}")
        return cls(mode, int(round(delay_ms * sample_rate / 1000.0)))

    @property
    def constant(self) -> bool:
        """True when thru events are scheduled at a constant delay from their timestamp."""
        return self.mode == "constant"

    def delay_frames(self, mapping: ClockMapping) -> int:
        """Frames from the output frame heard at a note's time to the frame it sounds at."""
        return int(round(mapping.latency_frames)) + self.added_frames

    def frame_for(self, mapping: ClockMapping, time_s: float) -> int:
        """Output frame at which a note stamped ``time_s`` (monotonic s) sounds."""
        heard_now = mapping.frame_at(time_s) - mapping.latency_frames
        return int(round(heard_now)) + self.delay_frames(mapping)

    def delay_ms(self, sample_rate: int) -> float:
        """The added delay in milliseconds."""
        return 1000.0 * self.added_frames / sample_rate


IMMEDIATE = ThruTiming("immediate", 0)
