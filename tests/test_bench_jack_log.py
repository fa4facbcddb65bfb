"""The JACK bench's reading of jackd's log: whom the server found late."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_synth_jack import late_counts  # noqa: E402

LOG = """\
JackTimedDriver::Process XRun = 74 usec
JackAudioDriver::ProcessGraphAsyncMaster: Process error
JackEngine::XRun: client = soundness-live was not finished, state = Running
JackEngine::XRun: client = sl-probe was not finished, state = Triggered
JackEngine::XRun: client soundness-live finished after current callback
JackEngine::XRun: client = sl-fluid was not finished, state = Triggered
JackTimedDriver::Process XRun = 6 usec
"""


def test_late_parties_are_counted_by_name() -> None:
    assert late_counts(LOG, "soundness-live") == (2, 2, 1)
    assert late_counts(LOG, "sl-fluid") == (2, 1, 1)
    assert late_counts("", "sl-fluid") == (0, 0, 0)
