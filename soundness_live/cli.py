"""The ``soundness-live`` command: parse, call, print. Work lives in the modules it calls."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import SoundnessError

Handler = Callable[[argparse.Namespace], int]


def _add_play(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("play", help="run one activity headless (virtual child or a MIDI file)")
    p.add_argument(
        "activity", nargs="?", help="call-and-response, waiting, tempo-following, vocal-prompts"
    )
    p.add_argument("--list", action="store_true", help="list activities with their parameters")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--preset", help="a built-in preset name or a TOML file with a [params] table")
    p.add_argument(
        "--input",
        help="virtual (the virtual child: the default without --child), FILE.mid, or live "
        "(the default with --child; live MIDI runs in 'soundness-live run'); virtual and a file "
        "are stored as simulated",
    )
    p.add_argument(
        "--virtual",
        action="append",
        default=[],
        metavar="TRAIT=VALUE",
        help="virtual child traits, e.g. impulsivity=0.4 spread_ms=60",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, metavar="OUT.json")
    p.add_argument("--wav", type=Path, metavar="OUT.wav")
    p.add_argument("--soundfont", type=Path)
    p.add_argument("--sample-rate", type=int, default=48000)
    p.add_argument("--block-size", type=int, default=256)
    p.add_argument(
        "--child", metavar="CODE", help="run for this child: profile applied, session stored"
    )
    p.add_argument(
        "--voice-wav", type=Path, help="vocal-prompts: a WAV standing in for the microphone"
    )
    p.add_argument(
        "--therapist", metavar="NAME", help="who ran the session (default: config.toml's)"
    )
    p.add_argument(
        "--plan", metavar="NAME", help="run a session plan's steps in order, as one session"
    )
    p.set_defaults(handler=_lazy("play_command", "cmd_play"))


def _add_live(sub: argparse._SubParsersAction) -> None:
    # Their options live with the engine; parsed only when the command runs (fast start-up).
    for name, text in (
        ("run", "the therapist's screen (starts or attaches to the engine)"),
        ("engine", "the headless engine process that the screen controls"),
    ):
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(handler=_live_handler(name))


def _live_handler(name: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        from .commands import live_commands

        parser = argparse.ArgumentParser(prog=f"soundness-live {name}")
        if name == "run":
            live_commands.add_run_options(parser)
            return int(live_commands.cmd_run(parser.parse_args(args.rest)) or 0)
        live_commands.add_engine_options(parser)
        return int(live_commands.cmd_engine(parser.parse_args(args.rest)) or 0)

    return handler


def _add_child_view(sub: argparse._SubParsersAction) -> None:
    # Its options live with the command; parsed only when it runs (fast start-up).
    p = sub.add_parser(
        "child-view", add_help=False,
        help="the child's own view of the session: pictures, not words (a client of the engine)",
    )  # fmt: skip
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_child_view_handler)


def _child_view_handler(args: argparse.Namespace) -> int:
    from .commands import child_view_command

    parser = argparse.ArgumentParser(prog="soundness-live child-view")
    child_view_command.add_child_view_options(parser)
    return int(child_view_command.cmd_child_view(parser.parse_args(args.rest)) or 0)


def _add_simple(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a whole simulated session with a virtual child, no hardware")
    p.add_argument(
        "--out", type=Path, help="folder for the WAV, JSON and report (default: ./soundness-demo)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="fewer trials per activity")
    p.set_defaults(handler=_lazy("demo", "cmd_demo"))

    p = sub.add_parser(
        "render", help="render a Standard MIDI File to WAV through the engine's synth"
    )
    p.add_argument("midi", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.wav")
    p.add_argument("--soundfont", type=Path)
    p.add_argument("--sample-rate", type=int, default=48000)
    p.add_argument("--block-size", type=int, default=512)
    p.set_defaults(handler=_lazy("sound_commands", "cmd_render"))

    p = sub.add_parser(
        "screenshots",
        help="every page of the therapist's screen at 1280x800, 1920x1080 and 800x1280, as PNG",
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="where the PNG files go")
    p.add_argument("--show", action="store_true", help="show the window while it plays")
    p.set_defaults(handler=_lazy("screenshot_command", "cmd_screenshots"))

    p = sub.add_parser("soundfonts", help="list the SoundFonts found on this machine")
    p.add_argument("paths", nargs="*", type=Path, help="more files or folders to look in")
    p.set_defaults(handler=_lazy("sound_commands", "cmd_soundfonts"))

    p = sub.add_parser("devices", help="list MIDI inputs and audio outputs")
    p.set_defaults(handler=_lazy("sound_commands", "cmd_devices"))

    p = sub.add_parser(
        "bench",
        help=(
            "benchmarks: synth, synth-jack, stage, latency, voice, gil, trouble, scoring, flood,"
            " clinic, child-view, remote"
        ),
    )
    p.add_argument(
        "which",
        choices=(
            "synth",
            "synth-jack",
            "stage",
            "latency",
            "voice",
            "gil",
            "trouble",
            "scoring",
            "flood",
            "clinic",
            "child-view",
            "remote",
        ),  # fmt: skip
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_lazy("sound_commands", "cmd_bench"))

    p = sub.add_parser("analyze-voice", help="analyse a recorded vocal answer (WAV)")
    p.add_argument("wav", type=Path)
    p.add_argument("--prompt-end-ms", type=float)
    p.add_argument(
        "--listen-from-ms", type=float, metavar="MS",
        help="listen for the answer from here on; the room before it (at most its first "
        "300 ms) sets the noise floor a voice must clear",
    )  # fmt: skip
    p.add_argument("--target-syllables", type=int)
    p.add_argument("--target-hz", type=float)
    p.add_argument("--json", type=Path, metavar="OUT")
    p.set_defaults(handler=_lazy("sound_commands", "cmd_analyze_voice"))


def _add_records(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("child", help="children's profiles: add, edit, list, show, consent, delete")
    csub = p.add_subparsers(dest="child_command", required=True)
    _child_options(csub.add_parser("add", help="add a child under a pseudonymous code"))
    edit = csub.add_parser("edit", help="change a child's profile (only the options given)")
    _child_options(edit)
    edit.add_argument(
        "--clear",
        action="append",
        default=[],
        choices=("name", "dob", "preferred-bpm", "voice-range-hz"),
        help="remove a field (may be repeated)",
    )
    csub.add_parser("list")
    show = csub.add_parser("show")
    show.add_argument("code")
    consent = csub.add_parser("consent", help="grant or withdraw consent to keep voice")
    consent.add_argument("code")
    consent.add_argument(
        "--voice",
        required=True,
        choices=("yes", "no"),
        help="no: withdraw, and delete the voice recordings already kept",
    )
    delete = csub.add_parser("delete", help="delete a child and everything kept of them, for good")
    delete.add_argument("code")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=_lazy("record_commands", "cmd_child"))

    p = sub.add_parser("goals", help="goal files")
    gsub = p.add_subparsers(dest="goals_command", required=True)
    check = gsub.add_parser("check", help="validate a goal file")
    check.add_argument("file", type=Path)
    gsub.add_parser("library", help="print the built-in example goals")
    history = gsub.add_parser(
        "history", help="every version of a child's goals: who set it, where, when"
    )
    history.add_argument("code")
    history.add_argument("--include-names", action="store_true", help="therapists' full names")
    p.set_defaults(handler=_lazy("record_commands", "cmd_goals"))

    p = sub.add_parser("prompt", help="prompts the therapist recorded once, to reuse")
    psub = p.add_subparsers(dest="prompt_command", required=True)
    add = psub.add_parser(
        "add", help="store a WAV as a prompt (its syllables and pitches analysed)"
    )
    add.add_argument("name")
    add.add_argument("wav", type=Path)
    show = psub.add_parser("show", help="a stored prompt's analysis")
    show.add_argument("name")
    p.set_defaults(handler=_lazy("record_commands", "cmd_prompt"))

    p = sub.add_parser("note", help="add a therapist's note to a session")
    p.add_argument("session", type=int, metavar="SESSION_ID")
    p.add_argument("text")
    p.set_defaults(handler=_lazy("record_commands", "cmd_note"))

    p = sub.add_parser("sessions", help="list stored sessions")
    p.add_argument("--child", metavar="CODE")
    p.add_argument("--include-names", action="store_true", help="the therapist's full name")
    p.set_defaults(handler=_lazy("record_commands", "cmd_sessions"))

    p = sub.add_parser("export", help="export a child's sessions for review")
    p.add_argument("--child", required=True, metavar="CODE")
    p.add_argument("--session", type=int, metavar="ID")
    p.add_argument("--format", required=True, choices=("csv", "json", "midi", "html"))
    p.add_argument("--out", type=Path, default=Path("."))
    p.add_argument("--include-names", action="store_true")
    p.add_argument("--include-notes", action="store_true")
    p.add_argument(
        "--include-voice", action="store_true", help="also the voice recordings consent allowed"
    )
    p.set_defaults(handler=_lazy("record_commands", "cmd_export"))

    p = sub.add_parser("report", help="the HTML progress report for a child")
    p.add_argument("--child", required=True, metavar="CODE")
    p.add_argument("--out", type=Path, default=Path("."))
    p.add_argument("--include-names", action="store_true")
    p.add_argument("--include-notes", action="store_true")
    p.set_defaults(handler=_lazy("record_commands", "cmd_report"))


def _add_clinic(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clinic", help="share finished sessions through the clinic's PostgreSQL")
    csub = p.add_subparsers(dest="clinic_command", required=True)
    connect = csub.add_parser(
        "connect", help="connect this laptop to the clinic's server (password kept privately)"
    )
    connect.add_argument("url", help="postgresql://ROLE@HOST[:PORT]/DATABASE (no password)")
    connect.add_argument("--laptop", metavar="LABEL", help="this laptop as people name it")
    init = csub.add_parser(
        "init", help="create or migrate the server's tables (the clinic's administrator, once)"
    )
    init.add_argument("url", help="postgresql:// URL of the administrator's role")
    init.add_argument("--laptops", required=True, metavar="ROLE", help="the laptops' role")
    init.add_argument(
        "--share-names", action=argparse.BooleanOptionalAction, default=None,
        help="keep children's names and birth dates on the server too (default: codes only)",
    )  # fmt: skip
    for command in (connect, init):
        command.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
    csub.add_parser("status", help="what this laptop has still to send and to fetch")
    sync = csub.add_parser("sync", help="send finished sessions, fetch other laptops' sessions")
    sync.add_argument(
        "--include-simulated", action="store_true",
        help="send simulated sessions too (virtual child, MIDI files)",
    )  # fmt: skip
    sync.add_argument(
        "--child", action="append", default=[], metavar="CODE",
        help="also fetch this child, new to this laptop (may be repeated)",
    )  # fmt: skip
    p.set_defaults(handler=_lazy("clinic_commands", "cmd_clinic"))


def _add_plan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="session plans: save, list, show, delete")
    psub = p.add_subparsers(dest="plan_command", required=True)
    save = psub.add_parser("save", help="save a plan (checked first), shared or for one child")
    save.add_argument("name")
    save.add_argument(
        "--step", action="append", required=True, metavar="'ACTIVITY[:PRESET] [k=v ...]'",
        help="one step, in order (repeat for each), e.g. --step free-play:hello "
        "--step 'waiting:freeze-game trials=4'",
    )  # fmt: skip
    save.add_argument("--description", default="", help="what the plan is for, in words")
    save.add_argument("--countdown-s", type=float, help="calm countdown between steps (5 s)")
    save.add_argument("--replace", action="store_true", help="replace a plan of that name")
    listing = psub.add_parser("list", help="the plans there are (for a child: theirs too)")
    show = psub.add_parser("show", help="a plan's steps and what each sets")
    show.add_argument("name")
    delete = psub.add_parser("delete", help="delete a shared plan, or a child's own")
    delete.add_argument("name")
    for q in (save, listing, show, delete):
        q.add_argument("--child", metavar="CODE", help="the child's own plans (else shared)")
    p.set_defaults(handler=_lazy("plan_commands", "cmd_plan"))


def _child_options(p: argparse.ArgumentParser) -> None:
    """The profile options of ``child add`` (and ``child edit``)."""
    p.add_argument("code")
    p.add_argument("--name", help="display name (shown only on the therapist's screen)")
    p.add_argument("--dob", help="date of birth, YYYY-MM-DD")
    p.add_argument("--volume-cap-dbfs", type=float)
    p.add_argument("--preferred-bpm", type=float)
    p.add_argument(
        "--voice-range-hz", type=float, nargs=2, metavar=("LOW", "HIGH"),
        help="the child's pitch range for voice analysis (default search: 50-1000 Hz)",
    )  # fmt: skip
    p.add_argument(
        "--voice-consent", action="store_true", help="parents consent to keeping voice recordings"
    )
    p.add_argument(
        "--goals", type=Path, help="a goal file (TOML) for this child: their goals, own ids"
    )
    p.add_argument(
        "--therapist", metavar="NAME",
        help="who sets the goals, kept with their version (default: config.toml's)",
    )  # fmt: skip


def _lazy(module: str, function: str) -> Handler:
    """Import the command's module only when it runs (start-up stays fast)."""

    def handler(args: argparse.Namespace) -> int:
        from importlib import import_module

        return int(getattr(import_module(f"soundness_live.commands.{module}"), function)(args) or 0)

    return handler


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar."""
    parser = argparse.ArgumentParser(
        prog="soundness-live",
        description="Live music for music-therapy sessions: the therapist screen, headless "
        "activities with a virtual child, SoundFont rendering, goals, and exports for review.",
    )
    parser.add_argument("--version", action="version", version=f"soundness-live {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_play(sub)
    _add_live(sub)
    _add_child_view(sub)
    _add_simple(sub)
    _add_records(sub)
    _add_clinic(sub)
    _add_plan(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a command; a SoundnessError becomes a one-line message and exit 2."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("run", "engine"):  # their options are the engine's own
        args = argparse.Namespace(handler=_live_handler(argv[0]), rest=argv[1:])
    elif argv and argv[0] == "child-view":  # its options are its own (and --help with them)
        args = argparse.Namespace(handler=_child_view_handler, rest=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SoundnessError as exc:
        print(f"soundness-live: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("soundness-live: stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
