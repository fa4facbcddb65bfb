"""``soundness-live plan save|list|show|delete`` and ``soundness-live play --plan NAME``."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from ..activities.params import parse_assignments
from ..activities.record import TrialRecord
from ..audio.private_file import write_private_bytes
from ..config import data_dir
from ..errors import ParameterError
from ..offline.plan_runs import PlanResult, plan_json, run_plan
from ..offline.runs import PlayOptions
from ..plans.checks import step_params
from ..plans.library import (
    CHILD,
    SHARED,
    STARTER,
    delete_plan,
    find_plan,
    list_plans,
    load_plan,
    save_plan,
)
from ..plans.plan import COUNTDOWN_S, Plan, PlanError, PlanStep, check_plan_name, parse_step_spec
from ..players.profiles import validate_code
from ..players.virtual_child import ChildTraits
from .output import trial_line, write_private_json

WHOSE = {CHILD: "the child's own", SHARED: "shared", STARTER: "starter"}


def cmd_plan(args: argparse.Namespace) -> int:
    """Run one ``plan`` sub-command."""
    child = validate_code(args.child) if args.child else None
    home = data_dir()
    if args.plan_command == "save":
        return _save(args, home, child)
    if args.plan_command == "list":
        return _list(home, child)
    if args.plan_command == "show":
        found = find_plan(home, args.name, child)
        print(show_plan(load_plan(found.path), f"{WHOSE[found.kind]} plan, {found.path}"))
        return 0
    path = delete_plan(home, args.name, child)
    print(f"deleted plan {args.name!r} ({path})")
    return 0


def _save(args: argparse.Namespace, home: Path, child: str | None) -> int:
    if child is not None:
        from ..store.records import Store

        store = Store.open()
        try:
            store.get_child(child)  # a plan for a child who is not stored is a typo
        finally:
            store.close()
    steps = tuple(parse_step_spec(spec, f"--step {n}") for n, spec in enumerate(args.step, 1))
    countdown_s = COUNTDOWN_S if args.countdown_s is None else args.countdown_s
    plan = Plan(check_plan_name(args.name), steps, args.description, countdown_s)
    checked, path = save_plan(home, plan, write_private_bytes, child=child, replace=args.replace)
    print(f"saved plan {checked.name!r} ({len(checked.steps)} steps): {path}")
    return 0


def _list(home: Path, child: str | None) -> int:
    found = list_plans(home, child)
    for plan_file in found:
        try:
            plan = load_plan(plan_file.path)
        except PlanError as error:
            print(f"{plan_file.name:<20} {plan_file.kind:<8} CANNOT RUN: {error}")
            continue
        titles = ", ".join(step.title for step in plan.steps)
        print(f"{plan.name:<20} {plan_file.kind:<8} {len(plan.steps)} steps: {titles}")
    return 0


def show_plan(plan: Plan, where: str) -> str:
    """A plan in words: where it is kept, what it is for, each step with what it sets."""
    lines = [f"{plan.name} ({where})"]
    if plan.description:
        lines.append(f"  {plan.description}")
    lines.append(f"  countdown between steps: {plan.countdown_s:g} s")
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"  {number}. {step.title}: {step.spec()}")
        given = ", ".join(f"{k}={v}" for k, v in step_params(step).items())
        lines.append(f"     {given or 'the activity defaults'}")
    return "\n".join(lines)


def cmd_play_plan(args: argparse.Namespace) -> int:
    """``play --plan NAME``: every step in order, one session for ``--child``."""
    if args.activity or args.preset or args.param:
        raise ParameterError(
            "--plan runs the plan's own steps: give no ACTIVITY, --preset or --param"
        )
    child = validate_code(args.child) if args.child else None
    if args.therapist is not None and not child:
        raise ParameterError("--therapist names who ran a stored session: add --child CODE")
    source = args.input or ("live" if child else "virtual")
    if source == "live":
        raise ParameterError(
            f"play --plan --child {child} needs the child playing live, and live MIDI input runs "
            "in the therapist's screen ('soundness-live run'); to play the plan here without the "
            "child, give --input virtual: it is stored as simulated"
        )
    home = data_dir()
    found = find_plan(home, args.plan, child)
    plan = load_plan(found.path)
    template = PlayOptions(
        activity=plan.steps[0].activity,
        input=source,
        seed=args.seed,
        sample_rate=args.sample_rate,
        block_size=args.block_size,
        wav=args.wav,
        soundfont=args.soundfont,
        traits=ChildTraits.from_strings(parse_assignments(args.virtual)) if args.virtual else None,
        voice_wav=args.voice_wav,
    )
    print(f"plan {plan.name} ({WHOSE[found.kind]}): {len(plan.steps)} steps")
    result = _run(plan, template, child, args.therapist)
    _report(result, child, args.json, args.wav)
    return 0


def _run(plan: Plan, template: PlayOptions, child: str | None, therapist: str | None) -> PlanResult:
    def on_step(number: int, step: PlanStep) -> None:
        print(f"\nstep {number} of {len(plan.steps)}: {step.title} ({step.spec()})")

    def on_trial(record: TrialRecord) -> None:
        print(trial_line(record))

    if child is None:
        return run_plan(plan, template, on_step=on_step, on_trial=on_trial)
    from ..store.records import Store

    store = Store.open()
    try:
        return run_plan(
            plan, template, child=child, store=store, therapist=therapist,
            on_step=on_step, on_trial=on_trial,
        )  # fmt: skip
    finally:
        store.close()


def _report(
    result: PlanResult, child: str | None, json_path: Path | None, wav: Path | None
) -> None:
    seconds = result.end_frame / result.sample_rate
    counts = Counter(trial.outcome.value for trial in result.trials)
    print(
        f"\nplan {result.plan.name}: {len(result.steps)} steps, {len(result.trials)} trials, "
        f"{seconds:.1f} s; outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    if result.session_id is not None:
        print(f"stored as session {result.session_id} of child {child}")
        print(f"SIMULATED: played by the virtual child; it never counts toward {child}'s goals")
    if json_path:
        write_private_json(json_path, plan_json(result))
        print(f"trial records: {json_path}")
    if wav is not None:
        peak = result.sound.get("peak_dbfs", float("nan"))
        print(
            f"audio: {wav} (peak {peak:.1f} dBFS, late events {result.sound.get('late_events', 0)})"
        )
