"""``soundness-live demo``: a whole simulated session with a virtual child, no hardware.

A hello song, one of each activity (call-and-response on the drums, a freeze game,
play-with-the-beat, sung syllables when that activity is registered) and a goodbye song, all
on one timeline, rendered to one WAV; every trial is scored, printed, stored under the demo
child's code, and exported (JSON of the trial records and the HTML report).

The demo keeps its own data directory inside its output folder (``OUT/data``), never the
user's store: a simulated child has no place among real children's records. Every trial is
played by the virtual child, so it is stored as simulated, the report says so in a banner over
the scores, and no goal is ever counted as met or mastered from it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..activities.contract import Answer
from ..activities.registry import all_activities, get_activity
from ..audio.private_file import private_folder
from ..config import DB_NAME, private_dir
from ..core.session import Session, SoundSink
from ..goals.goal import builtin_goals
from ..players.child_sound import child_sound
from ..players.profiles import ChildProfile
from ..players.virtual_child import ChildTraits, virtual_inputs
from ..store.records import Store
from ..store.session import StoredSession
from ..synth.singing import SyllableSinger
from ..voice.scoring import VOICE_SCORING
from ..voice.sources import VirtualSinger
from .output import print_trials, write_private_json

DEMO_CHILD = "DEMO-01"
SAMPLE_RATE = 48_000

PLAN: tuple[tuple[str, dict[str, Any]], ...] = (
    ("free-play", {"variant": "hello", "bars": 4}),
    ("call-and-response", {"variant": "drums", "trials": 5, "tempo_bpm": 96}),
    ("waiting", {"variant": "freeze", "trials": 3, "play_ms": 3500}),
    ("tempo-following", {"variant": "with-beat", "trials": 2, "beats": 12}),
)
GOODBYE = ("free-play", {"variant": "goodbye", "bars": 4})


def demo_plan(quick: bool) -> list[tuple[str, dict[str, Any]]]:
    """The activities of the demo session, with their parameters."""

    shorten = {"trials": 2} if quick else {}
    plan = [(name, params | (shorten if name != "free-play" else {})) for name, params in PLAN]
    if "vocal-prompts" in all_activities():
        plan.append(("vocal-prompts", {"trials": 2 if quick else 3}))
    plan.append(GOODBYE)
    return plan


def _ensure_demo_child(store: Store) -> None:
    try:
        store.get_child(DEMO_CHILD)
    except Exception:
        store.add_child(ChildProfile(code=DEMO_CHILD, volume_cap_dbfs=-12.0))
        store.set_goals(DEMO_CHILD, builtin_goals())


def _make_sink(wav: bool) -> tuple[SoundSink, dict[str, str | None]]:
    if not wav:
        from ..core.session import SilentSink

        return SilentSink(), {"name": None, "sha256": None}
    from ..offline.sink import OfflineRenderSink

    sink = OfflineRenderSink.create(sample_rate=SAMPLE_RATE, block_size=256, cap_dbfs=-12.0)
    return sink, sink.soundfont_info


def demo_store_path(out: Path) -> Path:
    """The demo's own store: ``OUT/data/soundness.db`` (owner-only, like the real one)."""
    return private_dir(out / "data") / DB_NAME


def run_demo(out: Path, *, seed: int = 0, quick: bool = False, wav: bool = True) -> dict[str, Any]:
    """Run the demo session; return what was written where, and the trial records."""
    private_folder(out)
    sink, soundfont = _make_sink(wav)
    store = Store.open(demo_store_path(out))
    trials: list[dict[str, Any]] = []
    try:
        _ensure_demo_child(store)
        stored = StoredSession.start(
            store, DEMO_CHILD, sample_rate=SAMPLE_RATE, params={"demo": True, "seed": seed}
        )
        ok = False
        try:
            for name, params in demo_plan(quick):
                trials += _run_one(name, params, sink, stored, soundfont, seed)
            ok = True
        finally:
            stored.close(ok=ok)
        bundle = store.export_bundle(DEMO_CHILD, stored.session_id)
    finally:
        store.close()
    return _write_outputs(out, sink, bundle, trials, stored.session_id, wav)


def _run_one(
    name: str,
    params: dict[str, Any],
    sink: SoundSink,
    stored: StoredSession,
    soundfont: dict[str, str | None],
    seed: int,
) -> list[dict[str, Any]]:
    activity = get_activity(name)
    resolved = {spec.name: spec.default for spec in activity.specs} | params
    inputs = virtual_inputs(
        activity, resolved, seed=seed, sample_rate=SAMPLE_RATE, traits=ChildTraits()
    )
    sound = child_sound(activity, resolved)
    voice = None
    if activity.answers_with is Answer.VOICE:
        voice = VirtualSinger(SAMPLE_RATE, SyllableSinger(SAMPLE_RATE), seed=seed)
    session = Session(
        activity,
        params,
        sink=sink,
        inputs=inputs,
        sample_rate=SAMPLE_RATE,
        seed=seed,
        soundfont=soundfont,
        hooks=stored.hooks(name),
        child_programs={sound.channel: (sound.program, sound.bank)},
        voice=voice,
        voice_scoring=VOICE_SCORING,
    )
    print(f"\n{name} ({session.params['variant']})")
    result = session.run()
    print_trials(result.trials)
    return result.records


def _write_outputs(
    out: Path,
    sink: SoundSink,
    bundle: dict[str, Any],
    trials: list[dict[str, Any]],
    session_id: int,
    wav: bool,
) -> dict[str, Any]:
    from ..export import export

    written: dict[str, Any] = {"session_id": session_id, "trials": trials}
    if wav:
        written["wav"] = out / "demo-session.wav"
        written["sound"] = sink.write_wav(written["wav"])  # type: ignore[attr-defined]
    written["json"] = out / "demo-trials.json"
    write_private_json(
        written["json"], {"child": DEMO_CHILD, "session_id": session_id, "trials": trials}
    )
    written["report"] = export(bundle, "html", out)
    return written


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo and say where everything went."""
    out = (args.out or Path("soundness-demo")).resolve()
    print(f"Soundness Live demo: a simulated session with a virtual child ({DEMO_CHILD})")
    written = run_demo(out, seed=args.seed, quick=args.quick)
    outcomes: dict[str, int] = {}
    for trial in written["trials"]:
        outcomes[trial["outcome"]] = outcomes.get(trial["outcome"], 0) + 1
    print(
        f"\n{len(written['trials'])} trials: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    )
    if "wav" in written:
        print(f"session audio:   {written['wav']}")
    print(f"trial records:   {written['json']}")
    for path in written["report"]:
        print(f"report:          {path}")
    print(
        f"stored:          session {written['session_id']} of {DEMO_CHILD} in "
        f"{demo_store_path(out)} (the demo's own store; every trial marked simulated)"
    )
    return 0
