"""Parameters, adaptive rules and helpers shared by the built-in activities."""

from __future__ import annotations

from dataclasses import dataclass

from .params import ParamSpec

PROMPT_LEVELS = ("full_physical", "partial_physical", "model", "verbal", "gestural", "independent")


def common_params(
    *, trials: int, tempo_bpm: float, variants: tuple[str, ...]
) -> tuple[ParamSpec, ...]:
    """Parameters every built-in activity has."""
    return (
        ParamSpec("variant", str, variants[0], "which form of the activity", choices=variants),
        ParamSpec("trials", int, trials, "number of trials", min=1, max=200),
        ParamSpec("tempo_bpm", float, tempo_bpm, "tempo of prompts and music", "BPM", 30, 240),
        ParamSpec("lead_in_ms", float, 2000.0, "silence before the first prompt", "ms", 0, 30000),
        ParamSpec("gap_ms", float, 1500.0, "pause between trials", "ms", 0, 30000),
        ParamSpec(
            "prompt_level", str, "independent", "help given (therapist)", choices=PROMPT_LEVELS
        ),
        ParamSpec("start_level", int, 2, "difficulty level of the first trial", min=1, max=8),
        ParamSpec(
            "min_level", int, 1, "lowest difficulty the adaptive rule may choose", min=1, max=8
        ),
        ParamSpec(
            "max_level", int, 6, "highest difficulty the adaptive rule may choose", min=1, max=8
        ),
        ParamSpec("adaptive", bool, True, "adapt difficulty (2 successes up, 1 failure down)"),
    )


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


def staircase_from(params: dict) -> Staircase:
    """The staircase the common parameters describe."""
    return Staircase(
        level=int(params["start_level"]),
        min_level=int(params["min_level"]),
        max_level=int(params["max_level"]),
        enabled=bool(params["adaptive"]),
    )
