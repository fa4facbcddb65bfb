"""Session plans: reading, checking, finding, saving and deleting plan files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from soundness_live.audio.private_file import write_private_bytes
from soundness_live.goals.goal import builtin_goals, serves
from soundness_live.plans.checks import check_plan, step_params
from soundness_live.plans.library import (
    CHILD,
    SHARED,
    STARTER,
    delete_plan,
    find_plan,
    list_plans,
    load_plan,
    plan_path,
    save_plan,
)
from soundness_live.plans.plan import (
    Plan,
    PlanError,
    PlanStep,
    parse_step_spec,
    plan_from_document,
    plan_toml,
)

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

STARTERS = ("early-years", "motor-focus", "school-age")


def two_steps(name: str = "short") -> Plan:
    return Plan(
        name,
        (
            PlanStep("free-play", "hello"),
            PlanStep("waiting", "freeze-game", {"trials": "2"}, label="freeze"),
        ),
    )


def write(home: Path, relative: str, text: str) -> Path:
    path = home / "plans" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_step_spec_reads_activity_preset_and_quoted_values() -> None:
    step = parse_step_spec("vocal-prompts:sung-syllables trials=2 'syllables=ba ma'")
    given = {"trials": "2", "syllables": "ba ma"}
    assert step == PlanStep("vocal-prompts", "sung-syllables", given)
    assert parse_step_spec(step.spec()) == step


@pytest.mark.parametrize("spec", ["", "waiting trials", "waiting =3", "waiting 'open"])
def test_a_malformed_step_spec_is_refused(spec: str) -> None:
    with pytest.raises(PlanError, match="--step"):
        parse_step_spec(spec)


def test_checking_converts_overrides_to_their_types() -> None:
    checked = check_plan(two_steps(), "plan 'short'")
    assert checked.steps[1].params == {"trials": 2}
    assert step_params(checked.steps[1]) == {
        "variant": "freeze",
        "play_ms": 4000,
        "foreperiod_ms": 1500,
        "wait_step_ms": 750,
        "trials": 2,
    }


def test_the_toml_text_reads_back_as_the_same_plan() -> None:
    plan = check_plan(
        Plan(
            "odd",
            (PlanStep("vocal-prompts", "sung-syllables", {"syllables": 'b"a\\ \u00e9'}, "\u00e9"),),
            description='say "hello"\nthen go',
            countdown_s=3.5,
        ),
        "plan 'odd'",
    )
    document = tomllib.loads(plan_toml(plan))
    assert plan_from_document("odd", document, "odd.toml") == plan


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (PlanStep("drumming"), r"step 2: no activity 'drumming'; known activities: call-and-"),
        (PlanStep("waiting", "hello"), r"step 2: preset 'hello' is for 'free-play', not 'waiting'"),
        (
            PlanStep("waiting", "freez"),
            r"step 2: no preset 'freez'; presets of waiting: freeze-game, wait-for-the-cue",
        ),
        (PlanStep("waiting", None, {"tempo": "90"}), r"step 2 \(waiting\): .*no parameter 'tempo'"),
        (PlanStep("waiting", None, {"trials": "0"}), r"step 2 \(waiting\): parameter 'trials'"),
    ],
)
def test_a_plan_naming_what_does_not_exist_is_refused_naming_the_step(
    step: PlanStep, message: str
) -> None:
    plan = Plan("bad", (PlanStep("free-play", "hello"), step))
    with pytest.raises(PlanError, match="^plan 'bad': " + message):
        check_plan(plan, "plan 'bad'")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("description = 'x'\n", r"at least one \[\[step\]\]"),
        ("[[step]]\nactivity = 'free-play'\npreset = 'hello'\ntempo = 3\n", "step 1: unknown key"),
        ("[[step]]\nactivity = 3\n", "step 1: 'activity' must name an activity"),
        ("[[step]]\nactivity = 'waiting'\nparams = 4\n", "step 1: 'params' must be a table"),
        ("[[step]]\nactivity = 'waiting'\nparams = { a = [1] }\n", "step 1: parameter 'a'"),
        ("countdown_s = 99\n[[step]]\nactivity = 'waiting'\n", "'countdown_s' must be in 0..60"),
        ("colour = 'red'\n[[step]]\nactivity = 'waiting'\n", "unknown key 'colour'"),
        ("[[step]\n", "not valid TOML"),
        ("x = " + "[" * 5000, "expected TOML nested at most 32 levels deep"),
        (
            "[[step]]\nactivity = 'free-play'\n[[step]]\nactivity = 'waiting'\npreset = 'nope'\n",
            "step 2: no preset 'nope'",
        ),
    ],
)
def test_a_plan_file_is_checked_when_loaded_naming_the_file_and_step(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "shared/broken.toml", text)
    with pytest.raises(PlanError, match=f"^{path}: .*{message}"):
        load_plan(path)


def test_the_starter_plans_load_and_every_scored_step_serves_a_builtin_goal() -> None:
    goals = builtin_goals()
    for name in STARTERS:
        found = find_plan(Path("/nonexistent"), name)
        assert found.kind == STARTER
        plan = load_plan(found.path)
        assert plan.description and len(plan.steps) >= 3
        assert [plan.steps[0].preset, plan.steps[-1].preset] == ["hello", "goodbye"]
        for step in plan.steps[1:-1]:
            trial = {"activity": step.activity, "variant": step_params(step)["variant"]}
            assert [g.id for g in goals if serves(g, trial)], (name, step)


def test_the_shipped_presets_are_what_plans_name() -> None:
    assert step_params(PlanStep("free-play", "hello"))["variant"] == "hello"
    assert step_params(PlanStep("free-play", "goodbye"))["variant"] == "goodbye"
    sung = step_params(PlanStep("vocal-prompts", "sung-syllables"))
    assert (sung["variant"], sung["syllables"], sung["tap_per_syllable"]) == (
        "echo-syllables",
        "ba",
        True,
    )


def test_a_saved_plan_is_owner_only_and_reads_back(tmp_path: Path) -> None:
    checked, path = save_plan(tmp_path, two_steps(), write_private_bytes)
    assert path == tmp_path / "plans" / "shared" / "short.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    assert load_plan(path) == checked


def test_saving_a_bad_plan_writes_nothing(tmp_path: Path) -> None:
    bad = Plan("bad", (PlanStep("waiting", "hello"),))
    with pytest.raises(PlanError, match="step 1: preset 'hello'"):
        save_plan(tmp_path, bad, write_private_bytes, child="S-014")
    assert not (tmp_path / "plans").exists()


def test_saving_over_a_plan_needs_replace(tmp_path: Path) -> None:
    save_plan(tmp_path, two_steps(), write_private_bytes)
    with pytest.raises(PlanError, match="exists already"):
        save_plan(tmp_path, Plan("short", (PlanStep("free-play"),)), write_private_bytes)
    assert len(load_plan(plan_path(tmp_path, "short")).steps) == 2
    save_plan(tmp_path, Plan("short", (PlanStep("free-play"),)), write_private_bytes, replace=True)
    assert len(load_plan(plan_path(tmp_path, "short")).steps) == 1


def test_a_failed_write_leaves_the_old_plan(tmp_path: Path) -> None:
    save_plan(tmp_path, two_steps(), write_private_bytes)
    before = plan_path(tmp_path, "short").read_bytes()

    def broken(path: Path, data: bytes) -> Path:
        from soundness_live.audio.private_file import PendingFile

        pending = PendingFile(path)
        pending.handle.write(data[:10])
        pending.discard()
        raise OSError("disk full")

    with pytest.raises(OSError):
        save_plan(tmp_path, Plan("short", (PlanStep("free-play"),)), broken, replace=True)
    assert plan_path(tmp_path, "short").read_bytes() == before


def test_a_childs_plan_wins_over_a_shared_one_and_a_shared_over_a_starter(
    tmp_path: Path,
) -> None:
    save_plan(tmp_path, two_steps("school-age"), write_private_bytes)
    save_plan(
        tmp_path, Plan("school-age", (PlanStep("free-play"),)), write_private_bytes, child="S-014"
    )
    assert find_plan(tmp_path, "school-age").kind == SHARED
    assert find_plan(tmp_path, "school-age", "S-014").kind == CHILD
    assert len(load_plan(find_plan(tmp_path, "school-age", "S-014").path).steps) == 1
    assert find_plan(tmp_path, "school-age", "T-001").kind == SHARED
    kinds = {found.name: found.kind for found in list_plans(tmp_path, "S-014")}
    assert kinds == {"early-years": STARTER, "motor-focus": STARTER, "school-age": CHILD}
    assert {f.name: f.kind for f in list_plans(tmp_path)}["school-age"] == SHARED


def test_an_unknown_plan_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"no plan 'nope' for S-014 \(plans: early-years, motor"):
        find_plan(tmp_path, "nope", "S-014")


def test_a_plan_is_one_to_thirty_steps_with_a_countdown_of_at_most_a_minute() -> None:
    with pytest.raises(PlanError, match="a plan has 1..30 steps, got 0"):
        Plan("empty", ())
    with pytest.raises(PlanError, match=r"countdown between steps must be in 0..60 s, got 61"):
        Plan("slow", (PlanStep("free-play"),), countdown_s=61)


@pytest.mark.parametrize("name", ["../x", "a b", "", "-x", "x.toml"])
def test_a_plan_name_cannot_leave_its_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(PlanError, match="a plan name is 1-64 letters"):
        plan_path(tmp_path, name)


@pytest.mark.parametrize("child", ["..", "shared", "a/b", ""])
def test_a_child_code_cannot_leave_the_plans_folder(tmp_path: Path, child: str) -> None:
    with pytest.raises(PlanError, match="kept under the child's code"):
        plan_path(tmp_path, "x", child)


def test_deleting_removes_only_the_named_owners_plan(tmp_path: Path) -> None:
    save_plan(tmp_path, two_steps(), write_private_bytes)
    save_plan(tmp_path, two_steps(), write_private_bytes, child="S-014")
    assert delete_plan(tmp_path, "short", "S-014") == plan_path(tmp_path, "short", "S-014")
    assert find_plan(tmp_path, "short", "S-014").kind == SHARED
    with pytest.raises(PlanError, match="no plan 'short' of S-014"):
        delete_plan(tmp_path, "short", "S-014")


def test_a_starter_plan_cannot_be_deleted(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="starter plan that ships with the program"):
        delete_plan(tmp_path, "early-years")


def test_every_shipped_preset_checks_as_a_step_of_its_activity() -> None:
    from soundness_live.activities.params import builtin_presets, preset_activity

    presets = builtin_presets()
    assert {"hello", "goodbye", "sung-syllables"} <= set(presets)
    for name, path in presets.items():
        step = PlanStep(str(preset_activity(path)), name)
        check_plan(Plan("each", (step,)), f"preset {name}")
