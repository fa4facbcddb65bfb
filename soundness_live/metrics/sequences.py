"""Call-and-response scores: the child's echo against the call (METRICS.md §2).

Notes are ``(onset_ms, note)`` pairs on the engine's axis (call onsets as heard). Note matching
follows the mir_eval.transcription conventions (Raffel et al. 2014): a note matches only when
its onset is within the tolerance AND its pitch (or pitch class, or drum group) is equal. Tempo
is factored out first (children are not tempo-locked), and rhythm is compared through IOI
proportions, a tempo-free representation as in Müllensiefen & Frieler's rhythm measures.
The alignment lives in ``echo_alignment`` (the candidate search) and ``echo_matching`` (the
in-order matching of one candidate).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.metrics.circular import as_times_ms
from soundness_live.metrics.echo_alignment import align_robustly, echo_notes_considered
from soundness_live.metrics.echo_matching import EchoAlignment, align_echo

__all__ = [
    "DRUM_GROUPS",
    "MATCH_MODES",
    "EchoAlignment",
    "align_echo",
    "count_order_errors",
    "drum_group",
    "rhythm_error",
    "score_echo",
]

Metrics = dict[str, float | int | bool | str | list | None]
NoteKey = int | str

MATCH_MODES = ("exact", "pitch_class", "drum_group")

#: General MIDI percussion key map (channel 10) grouped by instrument family. Snare covers
#: snares, hand clap and side stick (rim); hand percussion covers Latin percussion, tambourine,
#: cowbell, wood blocks, triangles and the GM2 shaker/jingle bell/bell tree/castanets.
DRUM_GROUPS: dict[str, frozenset[int]] = {
    "kick": frozenset({35, 36}),
    "snare": frozenset({37, 38, 39, 40}),
    "hi_hat": frozenset({42, 44, 46}),
    "tom": frozenset({41, 43, 45, 47, 48, 50}),
    "cymbal": frozenset({49, 51, 52, 53, 55, 57, 59}),
    "hand_percussion": frozenset({54, 56, 58, *range(60, 71), *range(73, 86)}),
}


def drum_group(note: int) -> str:
    """Instrument group of a GM drum note: kick, snare (snare/clap/rim), hi_hat, tom, cymbal,
    hand_percussion, or other (whistles, GM2 effects, notes outside the kit)."""
    key = _checked_note(note, "note")
    for group, notes in DRUM_GROUPS.items():
        if key in notes:
            return group
    return "other"


def _checked_note(note: object, name: str) -> int:
    if isinstance(note, bool) or not isinstance(note, (int, np.integer)) or not 0 <= note <= 127:
        raise ParameterError(f"{name}: expected a MIDI note number 0-127, got {note!r}")
    return int(note)


def _note_key(note: int, match: str) -> NoteKey:
    if match == "pitch_class":
        return note % 12
    if match == "drum_group":
        return drum_group(note)
    return note


def _checked_notes(notes: Sequence[tuple[float, int]], name: str) -> list[tuple[float, int]]:
    """Notes sorted by (onset, note); onsets finite, notes MIDI numbers."""
    try:
        onsets = as_times_ms([onset for onset, _note in notes], name)
        pitches = [_checked_note(note, name) for _onset, note in notes]
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ParameterError):
            raise
        raise ParameterError(f"{name}: expected (onset_ms, note) pairs, got {notes!r}") from exc
    return sorted(zip((float(t) for t in onsets), pitches, strict=True))


def count_order_errors(call_keys: Sequence[NoteKey], echo_keys: Sequence[NoteKey]) -> int:
    """Notes present in the echo but out of order: (notes shared as a multiset) minus (the
    longest common subsequence of the two note sequences). Timing plays no part, so a right
    note played late but in its place is not an order error (it is omission + insertion)."""
    shared = sum((Counter(call_keys) & Counter(echo_keys)).values())
    previous = [0] * (len(echo_keys) + 1)
    for key in call_keys:
        current = [0]
        for j, other in enumerate(echo_keys, start=1):
            current.append(previous[j - 1] + 1 if key == other else max(previous[j], current[-1]))
        previous = current
    return shared - previous[-1]


def rhythm_error(call_onsets_ms: Sequence[float], echo_onsets_ms: Sequence[float]) -> float | None:
    """Mean |log2(r_child / r_target)| over IOI proportions r_k = IOI_k / sum(IOI).

    ``None`` when either has fewer than 2 notes, when the counts differ (proportions pair only
    one-to-one), or when an IOI is 0 (a chord: the log ratio is undefined).
    """
    if len(call_onsets_ms) < 2 or len(echo_onsets_ms) != len(call_onsets_ms):
        return None
    target = np.diff(np.asarray(call_onsets_ms, dtype=float))
    child = np.diff(np.asarray(echo_onsets_ms, dtype=float))
    if np.any(target <= 0.0) or np.any(child <= 0.0):
        return None
    return float(np.mean(np.abs(np.log2((child / child.sum()) / (target / target.sum())))))


def _no_echo_metrics(n_target: int, played_during_call: bool) -> Metrics:
    """No echo: every call note omitted; the % correct is 0 when the child played over the call
    only, and null when the child did not respond at all (METRICS.md's "null when" column)."""
    return {
        "hits": 0, "omissions": n_target, "insertions": 0, "substitutions": 0, "order_errors": 0,
        "notes_correct_pct": 0.0 if played_during_call else None, "median_onset_error_ms": None,
        "tempo_ratio": None, "rhythm_error": None, "response_latency_ms": None,
        "onset_errors_ms": [],
    }  # fmt: skip


def _one_note_alignment(call_key: NoteKey, echo_keys: list[NoteKey]) -> EchoAlignment:
    """A one-note call scores pitch alone: the first echo note of its key is a hit, else the
    first echo note a substitution; every other echo note is an insertion."""
    same = [j for j, key in enumerate(echo_keys) if key == call_key]
    paired = same[0] if same else 0
    return EchoAlignment(
        hits=((0, paired),) if same else (),
        substitutions=() if same else ((0, paired),),
        omissions=(),
        insertions=tuple(j for j in range(len(echo_keys)) if j != paired),
        errors_ms=(),
    )


def _echo_metrics(
    call: list[tuple[float, int]], echo: list[tuple[float, int]], tolerance_ms: float, match: str
) -> Metrics:
    call_on, echo_on = [t for t, _ in call], [t for t, _ in echo]
    call_keys = [_note_key(note, match) for _, note in call]
    echo_keys = [_note_key(note, match) for _, note in echo]
    tempo_ratio: float | None = None
    if len(call) == 1:  # a one-note call has no rhythm to keep: pitch alone decides
        aligned = _one_note_alignment(call_keys[0], echo_keys)
    else:
        robust = align_robustly(call_keys, call_on, echo_keys, echo_on, tolerance_ms)
        aligned, tempo_ratio = robust.alignment, robust.tempo_ratio
    considered = echo_keys[: echo_notes_considered(len(call))]
    return {
        "hits": len(aligned.hits),
        "omissions": len(aligned.omissions),
        "insertions": len(aligned.insertions),
        "substitutions": len(aligned.substitutions),
        "order_errors": count_order_errors(call_keys, considered),
        "notes_correct_pct": 100.0 * len(aligned.hits) / len(call),
        "median_onset_error_ms": (
            float(np.median(np.abs(aligned.errors_ms))) if aligned.errors_ms else None
        ),
        "tempo_ratio": tempo_ratio,
        "rhythm_error": rhythm_error(call_on, echo_on),
        "response_latency_ms": None,
        "onset_errors_ms": list(aligned.errors_ms),
    }


def score_echo(
    call: Sequence[tuple[float, int]],
    response: Sequence[tuple[float, int]],
    *,
    call_end_ms: float,
    call_start_ms: float | None = None,
    tolerance_ms: float = 50.0,
    match: str = "exact",
) -> Metrics:
    """Score the child's echo of a call (METRICS.md §2); keys are the METRICS.md names.

    ``response`` is everything the child played in the trial. ``waited_for_turn`` is False
    when any response onset lies in [call_start_ms, call_end_ms) (call_start defaults to the
    first call onset), True otherwise, and ``None`` when the child played nothing from the
    call's start on. The echo is every response at or after ``call_end_ms`` (the last call
    note's note-off as heard); ``notes_during_call`` counts the others from the call's start.
    ``response_latency_ms`` = first echo onset - call end. The echo is aligned robustly
    (``echo_alignment.align_robustly``: the best of every anchoring candidate, tempo ratio r in
    [0.5, 2], over the first 2n + 4 echo notes; ``tempo_ratio`` = the chosen r, > 1 = slower):
    a hit needs the mapped onset within ``tolerance_ms`` AND the same note under ``match``
    ("exact" MIDI note, "pitch_class", "drum_group" via ``drum_group``); a right note outside
    the tolerance counts as an omission plus an insertion (mir_eval); a wrong note inside it
    is a substitution; echo notes past the first 2n + 4 are insertions. ``order_errors`` see
    ``count_order_errors``; ``rhythm_error`` see ``rhythm_error``; ``median_onset_error_ms``
    is the median |error| over the hits (on the call's axis) and ``onset_errors_ms`` the
    signed errors. Headline: ``notes_correct_pct`` = 100 * hits / n.

    A one-note call scores pitch and latency only: its note is a hit when ANY echo note has
    the same key (timing ignored), a substitution when the echo has only other notes; further
    notes are insertions; notes_correct_pct is 0 or 100; median_onset_error_ms, tempo_ratio
    and rhythm_error are null; order_errors is 0. No echo: hits 0, omissions n, latency,
    median error, tempo ratio and rhythm error null; notes_correct_pct 0 when the child played
    during the call only, and null (as waited_for_turn) when the child played nothing at all.
    """
    if match not in MATCH_MODES:
        raise ParameterError(f"match: expected one of {MATCH_MODES}, got {match!r}")
    if not 0.0 <= tolerance_ms < float("inf"):
        raise ParameterError(f"tolerance_ms: expected a finite number >= 0, got {tolerance_ms!r}")
    call_notes = _checked_notes(call, "call")
    if not call_notes:
        raise ParameterError("call: expected at least one (onset_ms, note), got none")
    responses = _checked_notes(response, "response")
    start = call_notes[0][0] if call_start_ms is None else float(call_start_ms)
    end = float(call_end_ms)
    if not start <= call_notes[-1][0] <= end:
        raise ParameterError(
            f"call_end_ms: expected call_start_ms <= last call onset ({call_notes[-1][0]}) <= "
            f"call_end_ms, got call_start_ms={start}, call_end_ms={end}"
        )
    during = [r for r in responses if start <= r[0] < end]
    echo = [r for r in responses if r[0] >= end]
    scores = _echo_metrics(call_notes, echo, tolerance_ms, match) if echo else {}
    if echo:
        scores["response_latency_ms"] = echo[0][0] - end
    return {
        "n_target": len(call_notes),
        "n_response": len(echo),
        **(scores or _no_echo_metrics(len(call_notes), bool(during))),
        "waited_for_turn": (not during) if (during or echo) else None,
        "notes_during_call": len(during),
    }
