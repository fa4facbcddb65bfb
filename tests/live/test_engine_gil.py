"""While the engine plays, its audio callback gets the GIL back quickly from other threads."""

from __future__ import annotations

import gc
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


def test_a_playing_engines_collections_walk_none_of_what_start_up_made(tmp_path):
    # a full collection walks every tracked object while holding the GIL: with a General MIDI
    # SoundFont loaded some 150,000 (22-33 ms, ten 128-frame periods); frozen at start, they
    # are walked by none while the engine plays, and given back when it closes
    made_before = {"a plan": ["of", "lists"]}
    assert gc.get_freeze_count() == 0
    engine = Engine(EngineOptions(tmp_path, audio="null", synth="none", midi="none"))
    engine.start()
    try:
        walked = gc.get_objects()
        assert not any(thing is made_before for thing in walked)
        assert gc.get_freeze_count() > len(walked)  # the start-up's objects, not a few
        made_while_playing = {"a trial": ["record"]}
        assert any(thing is made_while_playing for thing in gc.get_objects())
    finally:
        engine.close()
    assert gc.get_freeze_count() == 0
    assert any(thing is made_before for thing in gc.get_objects())
