"""The JACK bench's reading of jackd's log (whom the server found late) and of the synth's
thread CPU."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_synth_jack import busiest_thread_us, late_counts, thread_cpu_ns  # noqa: E402

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


def test_the_busiest_thread_is_the_one_whose_cpu_grew_most_per_period() -> None:
    before = {10: 5_000_000, 11: 1_000_000_000}
    after = {10: 6_000_000, 11: 1_000_000_000 + 30_000_000, 12: 2_000_000}
    # 30 ms of CPU over 1 s of 128-frame periods (375 of them at 48 kHz): 80 us a period
    assert busiest_thread_us(before, after, 1.0, 128) == pytest.approx(80.0)
    assert np.isnan(busiest_thread_us({}, {}, 1.0, 128))


def test_thread_cpu_is_read_for_every_thread_of_a_process() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread CPU times are read from Linux's /proc")
    cpu = thread_cpu_ns(os.getpid())
    assert threading.get_native_id() in cpu and all(ns >= 0 for ns in cpu.values())
