"""Where plans are kept, and finding, listing, saving and deleting them.

Plans live in the data directory: ``plans/shared/NAME.toml`` for every child and
``plans/CODE/NAME.toml`` for one child. A child's plan wins over a shared plan of the same name,
and a shared plan over a starter plan of the same name (the starter plans ship with the program
in ``soundness_live/data/plans/`` and cannot be deleted, only replaced). Folders are created
owner-only, like the rest of the data directory.

A plan is checked (:func:`~soundness_live.plans.checks.check_plan`) when it is saved and when it
is loaded. Saving hands the file's text to the ``write`` the caller gives (the shell's
owner-only, all-or-nothing writer), so a plan is either all there or as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import parse_toml, private_dir
from ..errors import FileFormatError
from .checks import check_plan
from .plan import Plan, PlanError, check_plan_name, plan_from_document, plan_toml

__all__ = [
    "CHILD",
    "SHARED",
    "STARTER",
    "STARTER_DIR",
    "FoundPlan",
    "Writer",
    "delete_child_plans",
    "delete_plan",
    "find_plan",
    "list_plans",
    "load_plan",
    "plan_path",
    "save_plan",
]

SHARED = "shared"
CHILD = "child"
STARTER = "starter"
PLANS_FOLDER = "plans"
STARTER_DIR = Path(__file__).resolve().parents[1] / "data" / "plans"
Writer = Callable[[Path, bytes], Path]


@dataclass(frozen=True)
class FoundPlan:
    """A plan file: its name, whose it is (``child``, ``shared`` or ``starter``), where it is."""

    name: str
    kind: str
    path: Path


def _folder(home: Path, child: str | None) -> Path:
    """``plans/CODE`` or ``plans/shared`` in ``home`` (not created)."""
    if child is None:
        return home / PLANS_FOLDER / SHARED
    if not child or child in (".", "..", SHARED) or "/" in child or "\\" in child:
        raise PlanError(f"a child's plans are kept under the child's code, got {child!r}")
    return home / PLANS_FOLDER / child


def plan_path(home: Path, name: str, child: str | None = None) -> Path:
    """Where the plan ``name`` of ``child`` (None: shared) is saved."""
    return _folder(home, child) / f"{check_plan_name(name)}.toml"


def _candidates(home: Path, name: str, child: str | None) -> list[FoundPlan]:
    """Every file that could hold plan ``name`` for ``child``, the one that wins first."""
    found = []
    if child is not None:
        found.append(FoundPlan(name, CHILD, plan_path(home, name, child)))
    found.append(FoundPlan(name, SHARED, plan_path(home, name)))
    found.append(FoundPlan(name, STARTER, STARTER_DIR / f"{name}.toml"))
    return found


def find_plan(home: Path, name: str, child: str | None = None) -> FoundPlan:
    """The plan file ``name`` stands for, for ``child``: theirs, else shared, else a starter."""
    for candidate in _candidates(home, check_plan_name(name), child):
        if candidate.path.is_file():
            return candidate
    known = ", ".join(found.name for found in list_plans(home, child)) or "none"
    whose = f"for {child} " if child else ""
    raise PlanError(f"no plan {name!r} {whose}(plans: {known})")


def load_plan(path: Path) -> Plan:
    """The plan in ``path``, read and checked; every fault names the file (and the step)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PlanError(f"{path}: cannot read the plan ({error})") from None
    try:
        document = parse_toml(text, path)
    except FileFormatError as error:
        raise PlanError(str(error)) from None
    return check_plan(plan_from_document(path.stem, document, str(path)), str(path))


def list_plans(home: Path, child: str | None = None) -> list[FoundPlan]:
    """The plans ``child`` (None: every child) can run, by name: where a name is in several
    places, the one that wins (the child's, else the shared one, else the starter)."""
    places = [(STARTER, STARTER_DIR), (SHARED, _folder(home, None))]
    if child is not None:
        places.append((CHILD, _folder(home, child)))
    found: dict[str, FoundPlan] = {}
    for kind, folder in places:  # later places win
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            found[path.stem] = FoundPlan(path.stem, kind, path)
    return [found[name] for name in sorted(found)]


def save_plan(
    home: Path, plan: Plan, write: Writer, *, child: str | None = None, replace: bool = False
) -> tuple[Plan, Path]:
    """Check ``plan`` and write it for ``child`` (None: shared); the checked plan and its file.
    An existing plan of that name and owner is replaced only when ``replace`` says so."""
    path = plan_path(home, plan.name, child)
    checked = check_plan(plan, f"plan {plan.name!r}")
    if path.exists() and not replace:
        raise PlanError(
            f"{path}: a plan {plan.name!r} exists already (replace it, or choose another name)"
        )
    private_dir(path.parent.parent)  # plans/ too: mkdir's mode reaches only the last folder
    private_dir(path.parent)
    write(path, plan_toml(checked).encode("utf-8"))
    return checked, path


def delete_plan(home: Path, name: str, child: str | None = None) -> Path:
    """Remove the plan ``name`` of ``child`` (None: the shared one); the file removed."""
    path = plan_path(home, name, child)
    if not path.is_file():
        starter = STARTER_DIR / f"{name}.toml"
        if child is None and starter.is_file():
            raise PlanError(
                f"{name!r} is a starter plan that ships with the program: it cannot be deleted "
                "(a shared plan of the same name replaces it)"
            )
        whose = f"plan {name!r} of {child}" if child else f"shared plan {name!r}"
        raise PlanError(f"no {whose} ({path} does not exist)")
    path.unlink()
    return path


def delete_child_plans(home: Path, child: str) -> int:
    """Remove every plan of ``child`` and their folder (the child is deleted); how many."""
    folder = _folder(home, child)
    if not folder.is_dir():
        return 0
    plans = sorted(folder.glob("*.toml"))
    for path in plans:
        path.unlink()
    for leftover in folder.iterdir():  # a partial file of a write that was killed
        leftover.unlink()
    folder.rmdir()
    return len(plans)
