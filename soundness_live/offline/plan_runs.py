"""Running a session plan headless: every step in order, on one timeline, as one session.

The steps follow each other on one frame axis (one sound: one WAV when asked), with the plan's
calm countdown as silence between two steps, as the live engine plays it. For a child, the
whole plan is one stored session: each step's trials are committed as they are scored, with
session-wide indices in the order they were played, and the session is marked interrupted if a
step fails. Everything is checked before the session opens (the plan, every step's parameters
with the child's profile, the input), so a plan that cannot run stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..activities.frames import ms_to_frames
from ..activities.params import resolve_params
from ..activities.record import TrialRecord
from ..activities.registry import get_activity
from ..config import check_therapist, load_settings
from ..core.session import RunResult, SessionHooks, SoundSink
from ..errors import ParameterError
from ..plans.checks import step_params
from ..plans.plan import Plan, PlanStep
from ..store.records import Store
from .runs import PlayOptions, make_sink, prepare_run
from .stored_runs import apply_profile, stored_session

__all__ = ["PlanResult", "StepResult", "plan_json", "run_plan"]


@dataclass
class StepResult:
    """One step as it ran: the step, its run, where it began on the plan's axis."""

    number: int
    step: PlanStep
    result: RunResult
    start_frame: int


@dataclass
class PlanResult:
    """A whole plan as it ran: its steps in order, the sound side, the stored session."""

    plan: Plan
    steps: list[StepResult] = field(default_factory=list)
    sample_rate: int = 0
    end_frame: int = 0
    sound: dict[str, Any] = field(default_factory=dict)
    session_id: int | None = None

    @property
    def trials(self) -> list[TrialRecord]:
        """Every step's trial records, in the order they were played."""
        return [trial for step in self.steps for trial in step.result.trials]


StepStarted = Callable[[int, PlanStep], None]


def _step_options(
    plan: Plan, template: PlayOptions, store: Store | None, child: str | None
) -> list[PlayOptions]:
    """Each step's options (its activity, preset and overrides, the child's profile), checked."""
    if template.input not in ("virtual",):
        raise ParameterError(
            f"a plan runs with --input virtual (the virtual child), got {template.input!r}: a "
            "MIDI file or a voice WAV plays one activity ('soundness-live play ACTIVITY')"
        )
    if template.voice_wav is not None:
        raise ParameterError("--voice-wav stands in for one activity's microphone, not a plan's")
    profile = store.get_child(child) if store is not None and child else None
    chosen = []
    for number, step in enumerate(plan.steps, 1):
        options = replace(template, activity=step.activity, params=step_params(step), wav=None)
        if profile is not None:
            options = apply_profile(options, profile)
        activity = get_activity(step.activity)
        try:
            resolve_params(activity.name, activity.specs, options.params)
        except ParameterError as error:
            raise ParameterError(f"plan {plan.name!r}: step {number}: {error}") from None
        chosen.append(options)
    return chosen


def run_plan(
    plan: Plan,
    template: PlayOptions,
    *,
    child: str | None = None,
    store: Store | None = None,
    therapist: str | None = None,
    on_step: StepStarted | None = None,
    on_trial: Callable[[TrialRecord], None] | None = None,
) -> PlanResult:
    """Run ``plan`` (checked) with ``template``'s input, seed and sound; for ``child`` (with
    ``store``), as one stored session. ``on_step`` hears each step begin, ``on_trial`` each
    trial once it is stored."""
    therapist = check_therapist(therapist, "--therapist")
    if child is not None and store is not None:
        therapist = therapist or load_settings(store.path.parent).therapist
    steps = _step_options(plan, template, store, child)
    first = steps[0]
    shared = make_sink(replace(first, wav=template.wav))  # one sound for every step
    result = PlanResult(plan, sample_rate=template.sample_rate)
    countdown_frames = ms_to_frames(plan.countdown_s * 1000.0, template.sample_rate)
    try:
        if child is None or store is None:
            hooks = _counted(on_trial)
            _run_steps(plan, steps, shared, countdown_frames, result, hooks, on_step)
        else:
            meta = {"plan": plan.name, "seed": template.seed, "input": str(template.input)}
            with stored_session(
                store, child, sample_rate=template.sample_rate, params=meta, therapist=therapist
            ) as session:
                result.session_id = session.session_id

                def hooks(step: PlanStep) -> SessionHooks:
                    return session.hooks(step.activity, SessionHooks(on_trial=on_trial))

                _run_steps(plan, steps, shared, countdown_frames, result, hooks, on_step)
        if template.wav is not None:
            result.sound = shared[0].write_wav(template.wav)  # type: ignore[attr-defined]
    except BaseException:
        discard = getattr(shared[0], "discard", None)  # a failed plan writes no WAV
        if discard is not None:
            discard()
        raise
    return result


def _counted(on_trial: Callable[[TrialRecord], None] | None) -> Callable[[PlanStep], SessionHooks]:
    """Hooks numbering the trials of an unstored plan across its steps, as a stored session
    does (the first trial of the second step follows the last of the first)."""
    played = 0

    def next_index() -> int:
        return played

    def count(record: TrialRecord) -> None:
        nonlocal played
        played += 1
        if on_trial is not None:
            on_trial(record)

    return lambda step: SessionHooks(on_trial=count, next_index=next_index)


def _run_steps(
    plan: Plan,
    steps: list[PlayOptions],
    shared: tuple[SoundSink, dict[str, str | None]],
    countdown_frames: int,
    result: PlanResult,
    hooks_for: Callable[[PlanStep], SessionHooks],
    on_step: StepStarted | None,
) -> None:
    sink = shared[0]
    for number, (step, options) in enumerate(zip(plan.steps, steps, strict=True), 1):
        if number > 1:
            sink.advance_to(sink.frame + countdown_frames)  # the calm countdown, in silence
        if on_step is not None:
            on_step(number, step)
        start = sink.frame
        run, _ = prepare_run(options, hooks_for(step), shared).run()
        result.steps.append(StepResult(number, step, run, start))
        result.end_frame = run.end_frame


def plan_json(result: PlanResult) -> dict[str, Any]:
    """The ``--json`` document of a plan: its steps (where each began and ended, its
    parameters) and every trial record of every step, in the order they were played."""
    rate = result.sample_rate
    steps = []
    for ran in result.steps:
        steps.append(
            {
                "step": ran.number,
                "activity": ran.step.activity,
                "preset": ran.step.preset,
                "label": ran.step.title,
                "params": ran.result.params,
                "start_ms": ran.start_frame * 1000.0 / rate,
                "end_ms": ran.result.end_frame * 1000.0 / rate,
                "trials": len(ran.result.trials),
            }
        )
    return {
        "plan": result.plan.name,
        "description": result.plan.description,
        "countdown_s": result.plan.countdown_s,
        "sample_rate": rate,
        "end_ms": result.end_frame * 1000.0 / rate,
        "session_id": result.session_id,
        "steps": steps,
        "trials": [trial.to_json() for trial in result.trials],
    }
