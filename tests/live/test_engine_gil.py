"""While the engine plays, its audio callback gets the GIL back quickly from other threads."""

from __future__ import annotations

import sys

from soundness_live.live.engine import GIL_SWITCH_S, Engine, EngineOptions


def test_a_playing_engine_switches_the_gil_within_half_a_millisecond_and_gives_it_back(tmp_path):
    # the callback asks for the GIL at every block, on entry and after each compiled call:
    # Python's default 5 ms hand-over let a busy engine thread hold it past a 128-frame period
    before = sys.getswitchinterval()
    assert before > GIL_SWITCH_S  # Python's default (5 ms): the test shows a change
    engine = Engine(EngineOptions(tmp_path, audio="null", synth="none", midi="none"))
    engine.start()
    try:
        assert sys.getswitchinterval() <= 0.0005
    finally:
        engine.close()
    assert sys.getswitchinterval() == before  # as this process had it (engines run in tests)
