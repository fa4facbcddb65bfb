"""``soundness-live play``: one activity, headless."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..activities.contract import MetricSpec
from ..activities.params import (
    builtin_presets,
    describe,
    find_preset,
    load_preset,
    parse_assignments,
    preset_activity,
)
from ..activities.registry import all_activities, get_activity
from ..core.session import RunResult, SessionHooks
from ..errors import ParameterError
from ..offline.runs import PlayOptions, result_json, run_activity
from ..players.virtual_child import ChildTraits
from .output import print_trials, write_private_json


def list_activities() -> str:
    """Every activity with its variants, parameters (units, defaults, ranges) and outcome rule."""
    lines = []
    for name, activity in sorted(all_activities().items()):
        lines.append(f"{name}: {activity.summary}")
        lines.extend(describe(activity.specs))
        lines.append(f"  outcome: {activity.outcome_rule}")
        lines.append(f"  shown after each trial: {_measures(activity.live_metrics())}")
        lines.append("")
    lines.append("presets (--preset NAME): " + ", ".join(builtin_presets()))
    return "\n".join(lines)


def _measures(metrics: tuple[MetricSpec, ...]) -> str:
    """Metrics in words with their units: "notes correct (%), waited for turn (bool)"."""
    return ", ".join(f"{m.reads.label} ({m.unit})" for m in metrics) or "nothing"


def options_from_args(args: argparse.Namespace) -> PlayOptions:
    """PlayOptions from the parsed command line (preset first, then --param overrides)."""
    preset = find_preset(args.preset) if args.preset else None
    named = preset_activity(preset) if preset else None
    if args.activity and named and args.activity != named:
        raise ParameterError(f"preset {preset} is for {named!r}, not {args.activity!r}")
    args.activity = args.activity or named
    if not args.activity:
        raise ParameterError("play needs an ACTIVITY (see 'soundness-live play --list')")
    params: dict[str, Any] = load_preset(preset) if preset else {}
    params.update(parse_assignments(args.param))
    traits = ChildTraits.from_strings(parse_assignments(args.virtual)) if args.virtual else None
    source = _input(args)
    if args.therapist is not None and not args.child:
        raise ParameterError("--therapist names who ran a stored session: add --child CODE")
    if args.block_size < 1:
        raise ParameterError(f"--block-size must be >= 1 frame, got {args.block_size}")
    if args.soundfont is not None and args.wav is None:
        raise ParameterError(
            f"--soundfont {args.soundfont} sounds the run written with --wav OUT.wav; without "
            "--wav nothing is rendered and it would go unused (add --wav, or leave it out)"
        )
    get_activity(args.activity)
    return PlayOptions(
        activity=args.activity,
        params=params,
        input=source,
        seed=args.seed,
        sample_rate=args.sample_rate,
        block_size=args.block_size,
        wav=args.wav,
        soundfont=args.soundfont,
        traits=traits,
        voice_wav=getattr(args, "voice_wav", None),
    )


def _input(args: argparse.Namespace) -> str:
    """What plays: ``--input``, else live for a child (refused here: live MIDI input runs in the
    therapist's screen) and the virtual child without one. A simulated run is never taken for
    the child's own playing, so it is asked for by name."""
    source = args.input or ("live" if args.child else "virtual")
    if source not in ("virtual", "live") and not Path(source).is_file():
        raise ParameterError(
            f"--input expects virtual, live or a MIDI file, got {source!r} (no such file)"
        )
    if source == "live" and args.child:
        raise ParameterError(
            f"play --child {args.child} needs the child playing live, and live MIDI input runs "
            "in the therapist's screen ('soundness-live run'); to play here without the child, "
            "give --input virtual (the virtual child) or --input FILE.mid (a recorded "
            "performance): both are stored as simulated"
        )
    return source


def cmd_play(args: argparse.Namespace) -> int:
    """Run the activity; print each trial; write --json / --wav; store it with --child."""
    if args.list:
        print(list_activities())
        return 0
    if args.plan:
        from .plan_commands import cmd_play_plan

        return cmd_play_plan(args)
    options = options_from_args(args)
    if args.child:
        from ..offline.stored_runs import run_for_child

        result, sound, session_id = run_for_child(options, args.child, therapist=args.therapist)
        print(f"stored as session {session_id} of child {args.child}")
        if options.input != "live":
            kind = "the virtual child" if options.input == "virtual" else options.input
            print(f"SIMULATED: played by {kind}; it never counts toward {args.child}'s goals")
    else:
        result, sound = run_activity(options, SessionHooks())
    _report(result, sound, options, args.json)
    return 0


def _report(
    result: RunResult, sound: dict[str, Any], options: PlayOptions, json_path: Path | None
) -> None:
    print(
        f"{result.activity} ({result.params.get('variant')}), seed {options.seed}: "
        f"{len(result.trials)} trials, {result.end_frame / result.sample_rate:.1f} s"
    )
    print_trials(result.trials)
    if json_path:
        write_private_json(json_path, result_json(result))
        print(f"trial records: {json_path}")
    if options.wav:
        print(
            f"audio: {options.wav} (peak {sound.get('peak_dbfs', float('nan')):.1f} dBFS, "
            f"late events {sound.get('late_events', 0)})"
        )


def dumps(document: dict[str, Any]) -> str:
    """JSON text of a document (no NaN: a metric that cannot be computed is null)."""
    return json.dumps(document, indent=2, allow_nan=False)
