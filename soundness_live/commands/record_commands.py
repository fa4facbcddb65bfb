"""``child``, ``goals``, ``sessions``, ``export`` and ``report``: the store and the exports."""

from __future__ import annotations

import argparse

from ..goals import builtin_goals, check_goal_file, load_goals
from ..profiles import ChildProfile, Consent
from ..store.records import Store


def cmd_child(args: argparse.Namespace) -> int:
    """Add, list or show children (codes; names only on this screen)."""
    with _store() as store:
        if args.child_command == "add":
            fields = {
                "code": args.code,
                "display_name": args.name,
                "date_of_birth": args.dob,
                "consent": Consent(voice_recording=bool(args.voice_consent)),
            }
            if args.volume_cap_dbfs is not None:
                fields["volume_cap_dbfs"] = args.volume_cap_dbfs
            if args.preferred_bpm is not None:
                fields["preferred_tempo_bpm"] = args.preferred_bpm
            if args.voice_range_hz is not None:
                fields["voice_range_hz"] = tuple(args.voice_range_hz)
            goals = load_goals(args.goals) if args.goals else []
            fields["goal_ids"] = tuple(g.id for g in goals)
            store.add_child(ChildProfile(**fields))
            if goals:
                store.set_goals(args.code, goals)
            print(f"added child {args.code}" + (f" with {len(goals)} goals" if goals else ""))
        elif args.child_command == "list":
            children = store.list_children()
            if not children:
                print("no children yet: add one with 'soundness-live child add CODE'")
            for child in children:
                name = f"  ({child.display_name})" if child.display_name else ""
                print(f"{child.code}{name}  volume cap {child.volume_cap_dbfs:g} dBFS")
        else:
            child = store.get_child(args.code)
            for key, value in child.to_dict().items():
                print(f"{key}: {value}")
            for goal in store.goals_for(args.code):
                print(f"goal {goal.id} [{goal.domain}] {goal.activity}: {goal.text}")
                print(f"    success if {goal.success}")
    return 0


def cmd_goals(args: argparse.Namespace) -> int:
    """Validate a goal file, or print the built-in library."""
    goals = check_goal_file(args.file) if args.goals_command == "check" else builtin_goals()
    for goal in goals:
        print(f"{goal.id:<24} {goal.domain:<22} {goal.activity:<18} {goal.success}")
    if args.goals_command == "check":
        print(f"{args.file}: {len(goals)} goals, all valid")
    return 0


def cmd_prompt(args: argparse.Namespace) -> int:
    """Store a recorded prompt (analysed once), or show a stored one."""
    from ..errors import ParameterError
    from ..voice_prompts import import_prompt_asset

    with _store() as store:
        if args.prompt_command == "add":
            analysis = import_prompt_asset(store, args.name, args.wav)
            print(
                f"stored prompt {args.name!r}: {analysis['syllables']} syllables, "
                f"{analysis['duration_ms']:.0f} ms"
            )
            print(
                "use it with: play vocal-prompts --param prompt_source=asset "
                f"--param prompt_asset={args.name}"
            )
            return 0
        asset = store.prompt_asset(args.name)
        if asset is None:
            raise ParameterError(f"no stored prompt {args.name!r}")
        for key, value in asset["analysis"].items():
            print(f"{key}: {value}")
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    """List stored sessions, oldest first."""
    with _store() as store:
        sessions = store.sessions(args.child)
        if not sessions:
            print("no sessions stored" + (f" for {args.child}" if args.child else ""))
        for s in sessions:
            trials = len(store.trials(s["id"]))
            started, status = s["started_at"], s["status"]
            print(f"{s['id']:>4}  {s['child_code']:<10} {started}  {status:<11} {trials} trials")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    """Keep a therapist's note with a session (exported only with --include-notes)."""
    with _store() as store:
        store.add_note(args.session, args.text)
    print(f"note added to session {args.session}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export de-identified records (names and notes only when asked)."""
    from ..export import export

    with _store() as store:
        bundle = store.export_bundle(args.child, args.session)
    paths = export(
        bundle,
        args.format,
        args.out,
        include_names=args.include_names,
        include_notes=args.include_notes,
    )
    for path in paths:
        print(f"wrote {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The HTML progress report."""
    args.format, args.session = "html", None
    return cmd_export(args)


class _store:
    """``with _store() as store``: the default store, closed afterwards."""

    def __enter__(self) -> Store:
        self.store = Store.open()
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()
