"""True peak (ITU-R BS.1770-4 Annex 2) and the last step that holds a true-peak ceiling exactly.

Annex 2 measures the true peak by 4x oversampling with a 48-tap interpolating FIR given as four
phases of 12 taps: interpolated sample ``4n + k`` is ``sum_j ANNEX_2_TAPS[k, j] * x[n - j]``.
The output stage keeps every such interpolated sample (and every plain sample) at or under the
ceiling, over the joined output and whatever the block split.

How it can hold exactly with a look-ahead of a few samples: a window's interpolated value
depends on the 12 newest samples, and the last step emits one sample at a time, not knowing the
next. It keeps one promise instead: **with every later sample held at the newest one's value,
every window is under the ceiling.** Emitting the same value again always keeps that promise
(it is what was assumed), so at each sample the values allowed form a non-empty interval (48
linear constraints, one per window and phase it reaches, plus the sample itself), and the
sample is clipped into it. Held continuations read a steady or slow signal exactly; above about
10 kHz they over-read a little (a 15 kHz tone is held about 0.6 dB under the ceiling, a 20 kHz
one 2.6 dB), where music has little energy.

:data:`HELD_WINDOWS` gives, for each sample, the weights of the values that promise is about;
the limiter reads the same values from its input to set its gain, so the clip is a backstop that
ordinary material never reaches. :mod:`.stage_kernel` computes them and applies the clip: each
sample, from the first with a value over the ceiling, is clipped into the interval its values
allow (when a lowered ceiling leaves none, it moves toward silence as fast as the ceiling its
history keeps allows), rounded to float32 inside the interval.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ANNEX_2_TAPS",
    "WINDOW_FRAMES",
    "HELD_WINDOWS",
]

# BS.1770-4 Annex 2: the order-48, 4-phase FIR interpolating filter, one row per phase
ANNEX_2_TAPS = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
WINDOW_FRAMES = ANNEX_2_TAPS.shape[1]  # 12: an interpolated sample reads this many samples


def _held_windows() -> np.ndarray:
    """(12, 49): row ``j`` weighs ``x[s - j]``; column ``4 t + k`` is phase ``k`` of the window
    ending ``t`` samples after ``s`` with those samples held at ``x[s]``; column 48 is
    ``x[s]`` itself."""
    phases, taps = ANNEX_2_TAPS.shape
    matrix = np.zeros((taps, taps * phases + 1))
    for held in range(taps):
        for phase in range(phases):
            column = held * phases + phase
            matrix[0, column] = ANNEX_2_TAPS[phase, : held + 1].sum()
            matrix[1 : taps - held, column] = ANNEX_2_TAPS[phase, held + 1 :]
    matrix[0, -1] = 1.0
    return matrix


HELD_WINDOWS = _held_windows()
