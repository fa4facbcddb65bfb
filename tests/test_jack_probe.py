"""The JACK probe the JACK tests and benches measure with: its compiled process callback
writes one message a cycle at the offset asked, hears its own notes and records both on
JACK's frame clock and the monotonic clock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.jackserver import (
    JackProbe,
    JackServer,
    jack_connect,
    module_jack_server,
    require_jack_client,
)

pytestmark = pytest.mark.jack
PERIOD = 256
jack = module_jack_server(period_frames=PERIOD)


@pytest.fixture
def probe(jack: JackServer) -> JackProbe:
    require_jack_client()
    probe = JackProbe("sl-probe-test", threshold=0.5, quiet_frames=PERIOD)
    yield probe.activate()
    probe.close()


def test_messages_go_out_one_a_cycle_at_their_offsets_and_their_times_follow_the_clock(
    probe: JackProbe,
) -> None:
    before_s = time.monotonic()
    for note, offset in ((40, 10), (41, 3), (42, 500)):  # 500: past the period, its last frame
        probe.send(bytes([0x99, note, 100]), offset)
    wait_until(lambda: len(probe.sent) == 3, 5.0)
    after_s = time.monotonic()
    frames = [frame for frame, _, _ in probe.sent]
    offsets = [frame % PERIOD for frame in frames]  # the dummy driver's cycles start at 0
    assert offsets == [10, 3, PERIOD - 1]
    cycles = [frame // PERIOD for frame in frames]
    assert cycles == sorted(set(cycles))  # one message a cycle, in the order sent
    assert [note for _, _, note in probe.sent] == [40, 41, 42] and probe.refused == 0
    times = [time_s for _, time_s, _ in probe.sent]
    assert before_s - 0.1 < times[0] < times[1] < times[2] < after_s
    assert times[1] - times[0] == pytest.approx((frames[1] - frames[0]) / 48_000, abs=0.002)


def test_the_probe_hears_a_sound_begin_after_quiet_once(probe: JackProbe) -> None:
    from soundness_live.audio.jack_output import JackOutput
    from soundness_live.core.events import NoteOn
    from tests.jackserver import ClickSource

    source = ClickSource(amplitude=0.9, click_frames=16)
    output = JackOutput(source, PERIOD, 48_000, client_name="sl-click").start()
    try:
        jack_connect("sl-click:out_1", "sl-probe-test:in")
        time.sleep(0.1)
        assert probe.loud_frames == 0 and probe.onsets == []
        source.push(NoteOn(0, 9, 40, 100))
        wait_until(lambda: len(probe.onsets) == 1, 5.0)
        assert probe.loud_frames == 16
    finally:
        output.stop()


def test_a_message_the_probe_cannot_send_is_refused_in_one_line(probe: JackProbe) -> None:
    with pytest.raises(ValueError, match="expected a channel message of 1 to 3 bytes, got 4"):
        probe.send(bytes([0xF0, 1, 2, 0xF7]), 0)


_LOAD = (
    "import sys; sys.path.insert(0, sys.argv[1])\n"
    "from tests import jack_probe_cycle\n"
    "print(jack_probe_cycle.cycle.cache_hits)\n"
)


@pytest.mark.slow
def test_the_compiled_callback_is_loaded_from_numbas_cache_in_a_later_process(tmp_path) -> None:
    # the C functions' addresses are read when a probe is made, not compiled in: the code is
    # the same in every process, and numba keeps it
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    hits = [
        subprocess.run(
            [sys.executable, "-c", _LOAD, root], env=env, capture_output=True, text=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert hits == [["0"], ["1"]]


def test_records_past_the_rows_room_are_said_never_dropped_quietly() -> None:
    from tests import jack_probe_cycle as compiled

    require_jack_client()  # the table holds libjack's functions

    shared = compiled.Shared((0, 0, 0), 48_000, 0.5, 256, 50e-6, 4)
    assert shared.sent() == [] and shared.onsets() == []
    shared.counts[compiled.LOST] = 2  # as the callback counts a row it had no room for
    with pytest.raises(OverflowError, match="at most 65536 sent messages .*, 2 more came"):
        shared.sent()
    with pytest.raises(OverflowError, match="2 more came"):
        shared.onsets()
