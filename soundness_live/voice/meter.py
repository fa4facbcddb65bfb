"""A live pitch and level meter for the therapist's screen (30 fps and more).

:class:`VoiceMeter` keeps the last ~40 ms of microphone input in a preallocated ring and runs
YIN on it when asked. It belongs to the UI side of the engine, not to the audio callback: feed
it blocks copied out of the callback's queue.
"""

from __future__ import annotations

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.voice.pitch import check_pitch_range, yin_frames

SILENT_DB = -120.0


class VoiceMeter:
    """Pitch (YIN over the last ``window_ms``) and level (dB re full scale) of a live input.

    ``feed(block)`` returns ``(pitch_hz or None, level_db)``: pitch is None when the window is
    quieter than ``gate_db`` or aperiodic; level is the RMS of the block just fed, in dB re full
    scale plus ``calibration_db``. The window must hold two periods of ``floor_hz``. YIN runs at
    most once per ``update_ms`` of input (tiny blocks reuse the last pitch), ~0.4 ms a run.
    """

    def __init__(
        self,
        sample_rate: int,
        *,
        window_ms: float = 40.0,
        floor_hz: float = 60.0,
        ceiling_hz: float = 1000.0,
        gate_db: float = -50.0,
        calibration_db: float = 0.0,
        update_ms: float = 10.0,
    ) -> None:
        check_pitch_range(floor_hz, ceiling_hz)
        if sample_rate < 8000:
            raise ParameterError(f"sample_rate must be >= 8000 Hz, got {sample_rate}")
        size = int(round(window_ms * sample_rate / 1000.0))
        if size < 2 * int(np.ceil(sample_rate / floor_hz)) + 1:
            raise ParameterError(
                f"window_ms={window_ms} is too short for floor_hz={floor_hz}: "
                f"it must hold two periods ({2000.0 / floor_hz:.1f} ms)"
            )
        self.sample_rate = sample_rate
        self.floor_hz = floor_hz
        self.ceiling_hz = ceiling_hz
        self.gate_db = gate_db
        self.calibration_db = calibration_db
        self._ring = np.zeros(size)
        self._filled = 0
        self._update_samples = max(int(update_ms * sample_rate / 1000.0), 1)
        self._since_update = 0
        self._pitch_hz: float | None = None

    def _push(self, block: np.ndarray) -> None:
        """Append ``block`` to the ring, keeping only its newest samples."""
        size = len(self._ring)
        if len(block) >= size:
            self._ring[:] = block[-size:]
        else:
            self._ring[: -len(block)] = self._ring[len(block) :]
            self._ring[-len(block) :] = block
        self._filled = min(size, self._filled + len(block))

    def feed(self, block: np.ndarray) -> tuple[float | None, float]:
        """Take the next input ``block`` (mono float, or frames × channels); return the pitch
        of the last window and the block's level."""
        x = np.asarray(block, dtype=np.float64)
        if x.ndim == 2:
            x = x.mean(axis=1)
        if x.ndim != 1:
            raise ParameterError(f"block must be 1-D or (frames, channels), got shape {x.shape}")
        if x.size == 0:
            return None, SILENT_DB + self.calibration_db
        self._push(x)
        self._since_update += len(x)
        level_db = _db(float(np.mean(x * x))) + self.calibration_db
        if self._since_update >= self._update_samples:
            self._since_update = 0
            self._pitch_hz = self._window_pitch()
        return self._pitch_hz, level_db

    def _window_pitch(self) -> float | None:
        """YIN pitch of the full window; None while filling, below the gate, or aperiodic."""
        if self._filled < len(self._ring) or _db(float(np.mean(self._ring**2))) < self.gate_db:
            return None
        f0 = yin_frames(
            self._ring[None, :],
            self.sample_rate,
            floor_hz=self.floor_hz,
            ceiling_hz=self.ceiling_hz,
        )[0]
        return float(f0) if np.isfinite(f0) and self.floor_hz <= f0 <= self.ceiling_hz else None


def _db(power: float) -> float:
    """Power (mean square re full scale) in dB, floored at SILENT_DB."""
    return max(float(10.0 * np.log10(power)), SILENT_DB) if power > 0 else SILENT_DB
