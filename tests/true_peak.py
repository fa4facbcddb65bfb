"""An ITU-R BS.1770-4 Annex 2 true-peak meter, written for the tests apart from the engine's
output stage so that the stage is measured by code it does not share.

Annex 2: 4x oversampling with the Recommendation's 48-tap interpolating FIR, split into four
phases of 12 taps; the true peak is the largest magnitude among the interpolated samples. The
meter runs over the joined output as one signal. Silence comes before it (the output starts
from silence); nothing is assumed after it (a rendered excerpt does not end in a cut), so only
the interpolated samples whose 12 input samples are all known are measured.
"""

from __future__ import annotations

import math

import numpy as np

# BS.1770-4 Annex 2, Table: phase k, coefficient j (interpolated sample 4n + k from x[n - j])
ANNEX_2_PHASES = np.array(
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


def true_peak(audio: np.ndarray) -> float:
    """The true peak (linear) of ``audio`` ((n,) or (n, channels)); inf if any sample is not
    finite."""
    return float(np.max(true_peak_trace(audio), initial=0.0))


def true_peak_trace(audio: np.ndarray) -> np.ndarray:
    """The true peak at each sample of ``audio`` ((n,) or (n, channels)): the largest magnitude
    of the four interpolated values that end at it, over the channels (the value at sample i
    reads samples i-11..i, silence before the first); inf everywhere if any sample is not
    finite."""
    signal = np.asarray(audio, dtype=np.float64)
    if signal.ndim == 1:
        signal = signal[:, None]
    if not np.all(np.isfinite(signal)):
        return np.full(len(signal), math.inf)
    trace = np.zeros(len(signal))
    for channel in signal.T:
        for taps in ANNEX_2_PHASES:
            interpolated = np.convolve(channel, taps)[: len(channel)]  # silence before
            np.maximum(trace, np.abs(interpolated), out=trace)
    return trace


def true_peak_dbfs(audio: np.ndarray) -> float:
    """:func:`true_peak` in dBFS (-inf for silence)."""
    peak = true_peak(audio)
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf
