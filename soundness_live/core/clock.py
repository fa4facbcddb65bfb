"""Frame clock: the engine's one time base is the output sample counter.

Frame 0 is the start of the run. Times in records are milliseconds on that axis, unrounded
(frames <-> ms: :mod:`soundness_live.activities.frames`, where the activities below the core
reach it).
Live, a :class:`ClockMapping` ties frames to a monotonic clock (seconds) through the audio
stream's report of when each block reaches the DAC, so input events stamped on the monotonic
clock can be placed on the frame axis, and scheduled sounds reported when they are heard.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError

DEFAULT_SAMPLE_RATE = 48_000


def check_sample_rate(sample_rate: int) -> int:
    """Return ``sample_rate`` if it is a plausible audio rate, else raise ParameterError."""
    if not isinstance(sample_rate, int) or not 8_000 <= sample_rate <= 192_000:
        raise ParameterError(
            f"sample_rate must be an integer in 8000..192000 Hz, got {sample_rate!r}"
        )
    return sample_rate


@dataclass(frozen=True, slots=True)
class ClockMapping:
    """Maps the engine's frame axis to a monotonic clock (seconds).

    The stream reports that output frame ``anchor_frame`` reaches the DAC (is heard) at
    monotonic time ``anchor_time``. ``output_latency_s`` is how long a frame takes from being
    rendered to being heard (offline 0). On the engine's axis a sound scheduled at frame F is
    heard at F + latency; an input stamped at monotonic time t lies at :meth:`frame_at` (t), so
    a tap made exactly when a beat is heard lands on the beat's heard frame.
    """

    sample_rate: int
    anchor_frame: int = 0
    anchor_time: float = 0.0
    output_latency_s: float = 0.0

    @property
    def latency_frames(self) -> float:
        """Output latency in (fractional) frames."""
        return self.output_latency_s * self.sample_rate

    def frame_at(self, monotonic_s: float) -> float:
        """Position on the engine's frame axis of an input stamped at ``monotonic_s``."""
        return (
            self.anchor_frame
            + (monotonic_s - self.anchor_time) * self.sample_rate
            + self.latency_frames
        )

    def time_of(self, frame: float) -> float:
        """Monotonic time (s) of engine-axis position ``frame`` (inverse of :meth:`frame_at`)."""
        return (
            self.anchor_time + (frame - self.anchor_frame - self.latency_frames) / self.sample_rate
        )

    def heard_frame(self, scheduled_frame: float) -> float:
        """Engine-axis position at which a sound scheduled at ``scheduled_frame`` is heard."""
        return scheduled_frame + self.latency_frames
