"""A sound output that stops (device unplugged, audio server gone) is noticed and reported."""

from __future__ import annotations

from soundness_live.live.engine import Engine
from soundness_live.live.output_watch import STALL_S, OutputWatch
from tests.conftest import until_state


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_watch_reports_a_stop_once_and_the_return_once() -> None:
    frame, clock = [0], Clock()
    watch = OutputWatch(lambda: frame[0], clock=clock)
    for _ in range(10):  # blocks keep coming: nothing to say
        clock.now += 0.1
        frame[0] += 256
        assert watch.check() is None
    clock.now += STALL_S - 0.01
    assert watch.check() is None and not watch.stalled  # not yet a second without a block
    clock.now += 0.02
    assert watch.check() == "stopped" and watch.stalled
    clock.now += 5.0
    assert watch.check() is None  # said once
    assert watch.message("stopped", "JACK").startswith("sound output stopped: check the audio")
    assert watch.detail("JACK") == "JACK has asked for no sound for 6.0 s"
    frame[0] += 256
    assert watch.check() == "running" and not watch.stalled
    assert watch.message("running", "JACK") == "sound output running again (JACK)"
    clock.now += 0.5
    assert watch.check() is None
    watch.restart()
    assert not watch.stalled


def test_the_engine_says_when_its_output_stopped(engine_here: Engine) -> None:
    messages: list[dict] = []
    engine_here.broadcast = messages.append
    assert until_state(engine_here, lambda s: s["now_ms"] > 50, 5.0)["output_stalled"] is False
    engine_here.output.stop()  # no more blocks, as when the device goes
    state = until_state(engine_here, lambda s: s["output_stalled"], STALL_S + 5.0)
    assert state["output_stalled"] is True
    notices = [m["text"] for m in messages if m["type"] == "notice"]
    assert len(notices) == 1 and notices[0].startswith("sound output stopped: ")
