"""Parameters, adaptive rules and helpers shared by the built-in activities."""

from __future__ import annotations

from dataclasses import dataclass

from .contract import Outcome
from .params import ActivityParams, param
from .record import TrialRecord

PROMPT_LEVELS = ("full_physical", "partial_physical", "model", "verbal", "gestural", "independent")


def variant_param(variants: tuple[str, ...]) -> str:
    """The ``variant`` parameter: which form of the activity (the first is the default)."""
    return param(variants[0], "which form of the activity", choices=variants)


def trials_param(trials: int) -> int:
    """The ``trials`` parameter with this activity's default."""
    return param(trials, "number of trials", min=1, max=200)


def tempo_param(tempo_bpm: float) -> float:
    """The ``tempo_bpm`` parameter with this activity's default."""
    return param(tempo_bpm, "tempo of prompts and music", "BPM", 30, 240)


@dataclass(frozen=True)
class CommonParams(ActivityParams):
    """Parameters every built-in activity with trials and levels has. A subclass sets its own
    ``variant``, ``trials`` and ``tempo_bpm`` with :func:`variant_param`, :func:`trials_param`
    and :func:`tempo_param` (they keep their place, first)."""

    variant: str = param("", "which form of the activity")
    trials: int = trials_param(6)
    tempo_bpm: float = tempo_param(90.0)
    lead_in_ms: float = param(2000.0, "silence before the first prompt", "ms", 0, 30000)
    gap_ms: float = param(1500.0, "pause between trials", "ms", 0, 30000)
    prompt_level: str = param("independent", "help given (therapist)", choices=PROMPT_LEVELS)
    start_level: int = param(2, "difficulty level of the first trial", min=1, max=8)
    min_level: int = param(1, "lowest difficulty the adaptive rule may choose", min=1, max=8)
    max_level: int = param(6, "highest difficulty the adaptive rule may choose", min=1, max=8)
    adaptive: bool = param(True, "adapt difficulty (2 successes up, 1 failure down)")


@dataclass
class Staircase:
    """Adaptive difficulty: ``up_after`` successes in a row -> one level up; ``down_after``
    failures in a row -> one level down; always within the therapist's bounds."""

    level: int
    min_level: int
    max_level: int
    up_after: int = 2
    down_after: int = 1
    enabled: bool = True
    _successes: int = 0
    _failures: int = 0

    def __post_init__(self) -> None:
        low, high = sorted((self.min_level, self.max_level))
        self.min_level, self.max_level = low, high
        self.level = min(max(self.level, low), high)

    def update(self, success: bool) -> int:
        """Record one trial's result; return the level for the next trial."""
        if not self.enabled:
            return self.level
        if success:
            self._successes, self._failures = self._successes + 1, 0
            if self._successes >= self.up_after:
                self.level, self._successes = min(self.level + 1, self.max_level), 0
        else:
            self._failures, self._successes = self._failures + 1, 0
            if self._failures >= self.down_after:
                self.level, self._failures = max(self.level - 1, self.min_level), 0
        return self.level

    def after(self, final: TrialRecord) -> int:
        """The level after a trial as it was stored: a correct one counts as a success, any
        other scored one as a failure, and a void one (cut short, or nothing to score) not at
        all: it leaves the level and the runs of successes and failures where they were."""
        if final.outcome is Outcome.VOID:
            return self.level
        return self.update(final.outcome is Outcome.CORRECT)


def staircase_from(params: CommonParams) -> Staircase:
    """The staircase the common parameters describe."""
    return Staircase(
        level=params.start_level,
        min_level=params.min_level,
        max_level=params.max_level,
        enabled=params.adaptive,
    )
