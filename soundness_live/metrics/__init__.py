"""Scoring of every activity family, as pure functions over times in ms (METRICS.md).

``timing`` and ``follow``: tempo-following (§1); ``sequences``: call and response (§2);
``waiting``: waiting games (§3); ``circular``: the circular statistics behind §1. Every
scorer returns a plain dict keyed by the METRICS.md metric names, ``None`` where a measure
cannot be computed, ready for JSON as is. No device, UI or database code lives here.
"""

from __future__ import annotations

from soundness_live.metrics.follow import FollowChild, tempo_step
from soundness_live.metrics.sequences import drum_group, score_echo
from soundness_live.metrics.timing import (
    TapMatch,
    match_taps,
    preferred_tempo,
    remove_double_taps,
    score_synchronisation,
)
from soundness_live.metrics.waiting import (
    classify_response,
    score_freeze,
    score_go_no_go,
    score_turns,
)

__all__ = [
    "FollowChild",
    "TapMatch",
    "classify_response",
    "drum_group",
    "match_taps",
    "preferred_tempo",
    "remove_double_taps",
    "score_echo",
    "score_freeze",
    "score_go_no_go",
    "score_synchronisation",
    "score_turns",
    "tempo_step",
]
