"""A JACK cycle's frame and start time are read from one cycle of the server's timer.

JACK's ``last_frame_time`` and ``frames_since_cycle_start`` read the server's timer as it is
when called (jackd2), not as it was when the callback was called: a callback late enough for
the server to start the next cycle between two reads must not pair one cycle's frame with
another's start time (measured on a loaded machine: a note placed 10 ms late at 256 frames).
"""

from __future__ import annotations

from soundness_live.midi.jack_input import JackMidiInputs

RATE = 48_000
PERIOD = 256


class MovingTimer:
    """A JACK client's view of a server whose cycle starts every :data:`PERIOD` frames of
    ``now_s``; every read moves time on by ``step_s`` (a callback that runs late)."""

    def __init__(self, now_s: float, step_s: float) -> None:
        self.now_s = now_s
        self.step_s = step_s
        self.samplerate = RATE

    def _tick(self) -> float:
        self.now_s += self.step_s
        return self.now_s

    def clock(self) -> float:
        return self._tick()

    @property
    def last_frame_time(self) -> int:
        return int(self._tick() * RATE) // PERIOD * PERIOD

    @property
    def frames_since_cycle_start(self) -> int:
        return int(self._tick() * RATE) % PERIOD


def test_a_cycle_start_read_across_the_servers_next_cycle_pairs_frame_and_time_of_one_cycle():
    period_s = PERIOD / RATE
    # the first read lands just before a cycle boundary: the frame is of one cycle and the
    # frames since its start (read two steps later) would be of the next one
    timer = MovingTimer(now_s=100 * period_s - 1.5e-5, step_s=1e-5)
    inputs = JackMidiInputs(clock=timer.clock)
    inputs._rate = RATE
    frame, start_s = inputs._cycle_start(timer)
    assert abs(start_s - frame / RATE) < 1.5 / RATE  # this frame's start, not the next cycle's
