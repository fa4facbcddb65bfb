"""``child``, ``goals``, ``sessions``, ``export`` and ``report``: the store and the exports."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import check_therapist, initials, load_settings
from ..core.provenance import session_words
from ..errors import ParameterError
from ..goals.goal import builtin_goals, check_goal_file, load_goals
from ..goals.words import criterion_words, help_words
from ..players.profiles import ChildProfile, Consent
from ..store.records import Store


def cmd_child(args: argparse.Namespace) -> int:
    """Add, edit, list, show, set consent for, or delete children (codes; names only here)."""
    commands = {
        "add": _child_add,
        "edit": _child_edit,
        "list": _child_list,
        "show": _child_show,
        "consent": _child_consent,
        "delete": _child_delete,
    }
    with _store() as store:
        commands[args.child_command](store, args)
    return 0


# child add/edit option -> ChildProfile field
_PROFILE_FIELDS = {
    "name": "display_name",
    "dob": "date_of_birth",
    "volume_cap_dbfs": "volume_cap_dbfs",
    "preferred_bpm": "preferred_tempo_bpm",
    "voice_range_hz": "voice_range_hz",
}


def _given_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The profile fields the command line sets (options not given are left out)."""
    fields: dict[str, Any] = {
        field: getattr(args, option)
        for option, field in _PROFILE_FIELDS.items()
        if getattr(args, option) is not None
    }
    if "voice_range_hz" in fields:
        fields["voice_range_hz"] = tuple(fields["voice_range_hz"])
    if args.voice_consent:
        fields["consent"] = Consent(voice_recording=True)
    return fields


def _author(store: Store, args: argparse.Namespace) -> str | None:
    """Who sets a child's goals: --therapist, else config.toml's therapist."""
    given = check_therapist(getattr(args, "therapist", None), "--therapist")
    return given or load_settings(store.path.parent).therapist


def _child_add(store: Store, args: argparse.Namespace) -> None:
    goals = load_goals(args.goals) if args.goals else None
    profile = ChildProfile(code=args.code, **_given_fields(args))
    store.add_child(profile, goals, author=_author(store, args) if goals else None)
    print(f"added child {args.code}" + (f" with {len(goals)} goals" if goals else ""))


def _child_edit(store: Store, args: argparse.Namespace) -> None:
    fields = _given_fields(args)
    for option in args.clear:
        fields[_PROFILE_FIELDS[option.replace("-", "_")]] = None
    goals = load_goals(args.goals) if args.goals else None
    if not fields and goals is None:
        raise ParameterError(
            "child edit expects at least one change (--name, --dob, --volume-cap-dbfs, "
            "--preferred-bpm, --voice-range-hz, --voice-consent, --goals or --clear), got none"
        )
    child = store.get_child(args.code)
    store.update_profile(replace(child, **fields), goals, author=_author(store, args))
    changed = sorted({*fields, *(["goals"] if goals is not None else [])})
    print(f"changed child {args.code}: {', '.join(changed)}")


def _child_list(store: Store, args: argparse.Namespace) -> None:
    children = store.list_children()
    if not children:
        print("no children yet: add one with 'soundness-live child add CODE'")
    for child in children:
        name = f"  ({child.display_name})" if child.display_name else ""
        print(f"{child.code}{name}  volume cap {child.volume_cap_dbfs:g} dBFS")


def _child_show(store: Store, args: argparse.Namespace) -> None:
    child = store.get_child(args.code)
    for key, value in child.to_dict().items():
        print(f"{key}: {value}")
    for goal in store.goals_for(args.code):
        variant = goal.variant or "every variant"
        print(f"goal {goal.id} [{goal.domain}] {goal.activity} ({variant}): {goal.text}")
        print(f"    succeeds when it {criterion_words(goal.to_dict())}")
        print(f"    most help allowed: {help_words(goal.max_prompt_level)}")
        print(f"    rule: {goal.success}")


def _child_consent(store: Store, args: argparse.Namespace) -> None:
    deleted = store.set_voice_consent(args.code, args.voice == "yes")
    if args.voice == "yes":
        print(f"{args.code}: voice recordings may be kept from now on")
    else:
        print(
            f"{args.code}: consent to keep voice withdrawn; {_count(deleted, 'recording')} "
            "deleted and erased from the store's files"
        )


def _child_delete(store: Store, args: argparse.Namespace) -> None:
    child = store.get_child(args.code)
    holdings = store.holdings(args.code)
    listed = _listed(holdings)
    who = args.code + (f" ({child.display_name})" if child.display_name else "")
    if not args.yes:
        _confirm(
            f"Delete {who} and everything kept of them ({listed})? This cannot be undone. "
            f"Type {args.code} to confirm: ",
            args.code,
        )
    shared = store.shared_with_clinic(args.code)
    deleted = store.delete_child(args.code)
    _erase_from_logs(store.path.parent, args.code, child.display_name)
    from ..plans.library import delete_child_plans

    plans = delete_child_plans(store.path.parent, args.code)
    if plans:
        deleted["plans"] = plans
    print(f"deleted child {args.code} ({_listed(deleted)}) and erased them from the store's files")
    if any(shared.values()):
        print(
            f"the clinic server keeps what this laptop sent of {args.code} "
            f"({shared['sent']} sessions sent, {shared['received']} received from other "
            "laptops), and other laptops keep their copies: this laptop never sends "
            f"anything of {args.code} again; the clinic's administrator deletes it on the server"
        )


def _erase_from_logs(folder: Path, code: str, name: str | None) -> None:
    """The logs in the data folder (the engine's) keep no mention of a deleted child: their
    code and name are overwritten in place (an engine appending to its log goes on)."""
    words = [code, *([name, *name.split()] if name else [])]
    choices = sorted({w.encode() for w in words if len(w) >= 2}, key=len, reverse=True)
    pattern = re.compile(rb"(?<!\w)(?:" + b"|".join(map(re.escape, choices)) + rb")(?!\w)", re.I)
    for log in sorted(folder.glob("*.log")):
        with open(log, "r+b") as handle:
            text = handle.read()
            cleaned = pattern.sub(b"[deleted child]", text)
            if cleaned != text:
                handle.seek(0)
                handle.write(cleaned)
                handle.truncate()


def _confirm(question: str, expected: str) -> None:
    """Ask on the terminal; anything but ``expected`` (or no answer) stops the command."""
    try:
        answer = input(question)
    except EOFError:
        answer = None
    if answer is None or answer.strip() != expected:
        got = "no answer" if answer is None else repr(answer.strip())
        raise ParameterError(
            f"not deleted: expected {expected!r} as confirmation, got {got} "
            "(add --yes to delete without asking)"
        )


def _listed(holdings: dict[str, int]) -> str:
    """``{"sessions": 2, "notes": 1}`` -> "2 sessions, 1 note"."""
    return ", ".join(_count(count, kind.removesuffix("s")) for kind, count in holdings.items())


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def cmd_goals(args: argparse.Namespace) -> int:
    """Validate a goal file, print the built-in library, or a child's goal history."""
    if args.goals_command == "history":
        with _store() as store:
            _goal_history(store, args)
        return 0
    goals = check_goal_file(args.file) if args.goals_command == "check" else builtin_goals()
    for goal in goals:
        activity = f"{goal.activity} ({goal.variant})" if goal.variant else goal.activity
        print(f"{goal.id:<24} {goal.domain:<22} {activity:<32} {goal.success}")
    if args.goals_command == "check":
        print(f"{args.file}: {len(goals)} goals, all valid")
    return 0


def _goal_history(store: Store, args: argparse.Namespace) -> None:
    """Every version of a child's goals, newest first: who set it, on which laptop, when."""
    store.get_child(args.code)
    history = store.goal_history(args.code)
    if not history:
        print(f"{args.code} has no goals yet: set them with 'soundness-live child edit "
              f"{args.code} --goals FILE.toml'")  # fmt: skip
        return
    print(f"{args.code}: {_count(len(history), 'version')} of the goals, newest first; "
          "the newest is the one in force")  # fmt: skip
    here = load_settings(store.path.parent).laptop
    for version in history:
        author = version["author"] if args.include_names else initials(version["author"])
        who = f"by {author}" if author else "by someone not recorded (set before versions)"
        where = version["laptop"] if version["from_clinic"] else here
        place = f" on {where}" if where else ""
        mark = "  (in force)" if version["current"] else ""
        received = "  received from the clinic" if version["from_clinic"] else ""
        when = str(version["created_at"])[:16].replace("T", " ")
        print(f"version {version['version']}  {when}  {who}{place}"
              f"{mark}{received}")  # fmt: skip
        for goal in version["goals"]:
            activity = f"{goal.activity} ({goal.variant})" if goal.variant else goal.activity
            print(f"    {goal.id} [{goal.domain}] {activity}: {goal.success}")
        if not version["goals"]:
            print("    (no goals)")


def cmd_prompt(args: argparse.Namespace) -> int:
    """Store a recorded prompt (analysed once), or show a stored one."""
    from ..voice.prompts import import_prompt_asset

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
    """List stored sessions, oldest first: what played them (simulated ones say so) and who
    ran them (initials; the name with --include-names)."""
    with _store() as store:
        if args.child:
            store.get_child(args.child)  # a code that is not there: one line, not "no sessions"
        sessions = store.sessions(args.child)
        if not sessions:
            print("no sessions stored" + (f" for {args.child}" if args.child else ""))
        for s in sessions:
            trials = store.trials(s["id"])
            started, status = s["started_at"], s["status"]
            who = s["therapist"] if args.include_names else initials(s["therapist"])
            print(
                f"{s['id']:>4}  {s['child_code']:<10} {started}  {status:<11} "
                f"{len(trials)} trials  {session_words(s['input'], trials)}"
                + (f"  therapist {who}" if who else "")
                + (f"  from {s['laptop']}" if s["from_clinic"] else "")
            )
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    """Keep a therapist's note with a session (exported only with --include-notes)."""
    with _store() as store:
        store.add_note(args.session, args.text)
    print(f"note added to session {args.session}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export de-identified records (names and notes only when asked; the child's kept voice
    recordings with --include-voice)."""
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
        if args.format == "midi" and not bundle["sessions"]:
            print(f"no MIDI file written: no sessions stored for {args.child}")
        if getattr(args, "include_voice", False):
            paths += _export_voice(store, bundle, args.out)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _export_voice(store: Store, bundle: dict[str, Any], out: Any) -> list[Any]:
    """The kept voice recordings of the bundle's sessions, as WAV files named by code."""
    from ..export.voice import write_voice_recordings

    code = bundle["child"]["code"]
    if not bundle["child"]["consent"]["voice_recording"]:
        print(f"no voice recordings exported: {code} has no consent to keep voice")
        return []
    written = write_voice_recordings(bundle, store.voice_recording, out)
    if not written:
        print(f"no voice recordings exported: none are kept for {code}")
    return written


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
