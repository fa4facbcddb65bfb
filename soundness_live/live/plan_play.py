"""The engine playing a session plan: its commands, the countdown between steps, its state.

``start_plan`` loads the plan a child can run (theirs, else shared, else a starter: the same
files as ``play --plan``, checked again as they load) and starts its first step at once. Each
step is the engine's own ``start_activity`` with the step's activity and parameters, for the
same child, input and therapist, in the same stored session. When a step ends by itself the
calm countdown (the plan's ``countdown_s``) runs and the next step starts when it runs out; the
child's view shows it as the ``countdown`` cue (whole seconds left, the next step's label).

The therapist moves the plan on (:mod:`soundness_live.plans.progress` says how): ``next_step``
cuts a running step short and counts down to the next, or starts the upcoming step at once;
``skip_step`` cuts a running step short, or leaves out the upcoming one; ``repeat_step`` plays
the running or the last step again after a countdown. Whatever stops the sound for the
therapist holds the countdown until they tap next: ``stop``, ``pause``, the quiet button, a
step that failed, an activity started by hand between two steps. ``end_session`` ends the plan.

Each command runs under the engine's lock; so does the countdown's end, which starts the step
only if the countdown it was armed for still holds (a skip or repeat in between re-arms it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import ParameterError
from ..plans.checks import step_params
from ..plans.library import find_plan, list_plans, load_plan
from ..plans.plan import PlanError
from ..plans.progress import BETWEEN, DONE, RUNNING, PlanProgress

Fields = dict[str, Any]
RunCommand = Callable[[dict[str, Any]], dict[str, Any]]  # a command message -> its reply
STEP_FIELDS = ("child", "input", "therapist", "seed", "traits")  # what every step shares
clock: Callable[[], float] = time.monotonic  # the countdown's clock, in seconds


class EngineOptionsLike(Protocol):
    """What of the engine's options a plan needs: the data directory its files are in."""

    @property
    def data_dir(self) -> Path:
        """The data directory."""
        ...


class PlanEngine(Protocol):
    """What a plan needs of the live engine (:class:`~soundness_live.live.engine.Engine`)."""

    plan: LivePlan | None
    changed: threading.Event

    @property
    def options(self) -> EngineOptionsLike:
        """The engine's options (its data directory)."""
        ...

    @property
    def lock(self) -> threading.RLock:
        """The lock every command runs under."""
        ...

    @property
    def activity_running(self) -> bool:
        """True while an activity's thread runs."""
        ...

    def state_of(self, key: str) -> Any:
        """One field of the engine's own state."""

    def stop_activity(self) -> None:
        """Stop the activity running (its trial in progress is kept)."""

    def silence(self) -> None:
        """Every sound fades out now."""

    def new_cue_run(self) -> None:
        """Cues announced before never show."""

    def broadcast_notice(self, text: str) -> None:
        """A message for the therapist's screen."""


@dataclass
class LivePlan:
    """The plan the engine plays: where it stands, what every step is started with, the
    countdown's timer, and whether the plan itself is starting or stopping an activity."""

    progress: PlanProgress
    start: Fields
    run_command: RunCommand
    starting: bool = False
    cutting: bool = False
    timer: threading.Timer | None = field(default=None, repr=False)


# -- commands -----------------------------------------------------------------------------------
def start_plan(engine: PlanEngine, fields: Fields, run_command: RunCommand) -> dict[str, Any]:
    """Load the plan ``fields["plan"]`` for the child (or shared) and start its first step;
    ``run_command`` carries out one of the engine's commands (each step is a
    ``start_activity``)."""
    if engine.activity_running:
        raise ParameterError(
            f"activity {engine.state_of('activity')!r} is running; stop it before starting a plan"
        )
    found = find_plan(engine.options.data_dir, fields["plan"], fields["child"])
    shared = {k: fields[k] for k in STEP_FIELDS}
    live = LivePlan(PlanProgress(load_plan(found.path)), shared, run_command)
    end_plan(engine)
    engine.plan = live
    try:
        _start_step(engine, live)
    except BaseException:
        engine.plan = None
        raise
    return {"plan": live.progress.view(clock())}


def next_step(engine: PlanEngine, fields: Fields) -> None:
    """Running: cut the step short, count down to the next; counting down: start it now."""
    live = _playing(engine, "next_step")
    if live.progress.state == RUNNING:
        _cut_short(engine, live, repeat=False)
    else:
        _start_step(engine, live)


def skip_step(engine: PlanEngine, fields: Fields) -> None:
    """Running: cut the step short; counting down: leave the upcoming step out."""
    live = _playing(engine, "skip_step")
    if live.progress.state == RUNNING:
        _cut_short(engine, live, repeat=False)
    else:
        live.progress.skip_upcoming(clock())
        _arm(engine, live)


def repeat_step(engine: PlanEngine, fields: Fields) -> None:
    """Play the running step, or the last one played, again after the countdown."""
    live = _current(engine, "repeat_step")
    if live.progress.state == RUNNING:
        _cut_short(engine, live, repeat=True)
    else:
        live.progress.repeat_last(clock())
        _arm(engine, live)


def plans_for(engine: PlanEngine, fields: Fields) -> dict[str, Any]:
    """The plans a child (or any child) can run: name, whose, description, steps' labels;
    a plan file that no longer checks says why instead of its steps."""
    found = []
    for plan_file in list_plans(engine.options.data_dir, fields["child"]):
        entry: dict[str, Any] = {"name": plan_file.name, "kind": plan_file.kind}
        try:
            plan = load_plan(plan_file.path)
        except PlanError as error:
            entry["error"] = str(error)
        else:
            entry["description"] = plan.description
            entry["steps"] = [step.title for step in plan.steps]
        found.append(entry)
    return {"plans": found}


def _current(engine: PlanEngine, command: str) -> LivePlan:
    live = engine.plan
    if live is None:
        raise ParameterError(f"{command}: no plan is playing (start_plan starts one)")
    return live


def _playing(engine: PlanEngine, command: str) -> LivePlan:
    live = _current(engine, command)
    if live.progress.state == DONE:
        raise ParameterError(
            f"{command}: plan {live.progress.plan.name!r} is done (repeat_step plays its last "
            "step again)"
        )
    return live


# -- starting and stopping steps ----------------------------------------------------------------
def _start_step(engine: PlanEngine, live: LivePlan) -> None:
    """Start the current step through the engine's own ``start_activity``."""
    progress = live.progress
    step = progress.plan.steps[progress.current]
    _cancel(live)
    msg = {"type": "start_activity", "activity": step.activity, "params": step_params(step)}
    live.starting = True
    try:
        reply = live.run_command({**msg, **live.start})
    finally:
        live.starting = False
    if not reply["ok"]:
        progress.hold()
        where = f"step {progress.current + 1} ({step.title})"
        raise ParameterError(f"plan {progress.plan.name!r}: {where}: {reply['error']}")
    progress.started()


def _cut_short(engine: PlanEngine, live: LivePlan, *, repeat: bool) -> None:
    """Stop the running step for the therapist; count down to the next step or to itself."""
    running = live.progress.current
    engine.new_cue_run()
    live.cutting = True
    try:
        engine.stop_activity()  # its trial in progress is kept
    finally:
        live.cutting = False
    engine.silence()
    now = clock()
    if live.progress.state == RUNNING:
        live.progress.cut_short(now, to=running if repeat else None)
    elif repeat:  # it ended by itself while it stopped: lead back to it all the same
        live.progress.repeat_last(now)
    _arm(engine, live)


# -- what the engine tells the plan ---------------------------------------------------------------
def activity_starting(engine: PlanEngine) -> None:
    """An activity is about to start: one the therapist started by hand holds the plan."""
    live = engine.plan
    if live is not None and not live.starting:
        live.progress.hold()
        _cancel(live)


def activity_ended(engine: PlanEngine, result: str) -> None:
    """The activity thread ended with ``result`` (finished, stopped, failed: ...); called
    under the engine's lock."""
    live = engine.plan
    if live is None or live.cutting or live.progress.state != RUNNING:
        return  # not a step of the plan, or stopped by the plan itself
    now = clock()
    if result == "finished":
        live.progress.step_ended(now)
    elif result == "stopped":
        live.progress.cut_short(now, held=True)  # the therapist stopped it: wait for them
    else:
        live.progress.step_ended(now, failed=True)
    _arm(engine, live)


def hold(engine: PlanEngine) -> None:
    """Sound stopped for the therapist (pause, quiet): the countdown waits for their next."""
    live = engine.plan
    if live is not None:
        live.progress.hold()
        _cancel(live)


def end_plan(engine: PlanEngine) -> None:
    """The plan ends (the session ended, the engine closes, another plan starts)."""
    live = engine.plan
    if live is not None:
        _cancel(live)
        engine.plan = None


# -- the countdown ------------------------------------------------------------------------------
def _arm(engine: PlanEngine, live: LivePlan) -> None:
    """Start the timer that starts the current step when the countdown runs out."""
    _cancel(live)
    until = live.progress.countdown_until_s
    if until is not None:
        timer = threading.Timer(
            max(0.0, until - clock()), _countdown_ran_out, (engine, live, until)
        )
        timer.daemon = True
        live.timer = timer
        timer.start()
    engine.changed.set()


def _cancel(live: LivePlan) -> None:
    if live.timer is not None:
        live.timer.cancel()
        live.timer = None


def _countdown_ran_out(engine: PlanEngine, live: LivePlan, until: float) -> None:
    with engine.lock:
        progress = live.progress
        if engine.plan is not live or progress.countdown_until_s != until:
            return  # ended, moved on or re-armed since
        if not progress.due(clock()):
            _arm(engine, live)  # woken early: wait for the rest
            return
        try:
            _start_step(engine, live)
        except ParameterError as error:
            engine.broadcast_notice(f"the plan waits for you: {error}")
    engine.changed.set()


# -- the snapshot ------------------------------------------------------------------------------
def plan_state(engine: PlanEngine, state: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's ``plan`` (None without one), ``trial`` ("n of m" while an activity runs)
    and, while the countdown runs and nothing plays, its cue."""
    live = engine.plan
    now = clock()
    running = engine.activity_running
    shown: dict[str, Any] = {"plan": live.progress.view(now) if live is not None else None}
    total, done = state.get("trials_total"), state.get("trials_done") or 0
    shown["trial"] = {"n": min(done + 1, total), "of": total} if running and total else None
    if live is not None and not running and live.progress.state == BETWEEN:
        shown["cue"] = live.progress.countdown_cue(now)
    return shown
