"""Running an activity in tests: a silent sink with a chosen output latency, fixed inputs."""

from __future__ import annotations

from typing import Any

from soundness_live.activities.registry import get_activity
from soundness_live.core.session import RunResult, Session, SilentSink

RATE = 48_000


def run(
    activity: str, params: dict[str, Any], inputs: list, *, latency_ms: float = 0.0, seed: int = 0
) -> RunResult:
    """Run ``activity`` offline on a silent sink; return the result."""
    sink = SilentSink(output_latency_frames=latency_ms * RATE / 1000.0)
    session = Session(
        get_activity(activity), params, sink=sink, inputs=inputs, sample_rate=RATE, seed=seed
    )
    return session.run()


def prompt_ms(trial: dict[str, Any], **flags: Any) -> list[float]:
    """Onsets (ms, as heard) of a trial's prompt entries having every flag given."""
    return [p["onset_ms"] for p in trial["prompt"] if all(p.get(k) == v for k, v in flags.items())]
