"""Waiting-game scores: cue reactions, freezes, go/no-go, turns (METRICS.md §3).

Times are ms on the engine's axis; ``wait_s`` alone is in seconds, as METRICS.md names it.
The classification of a trial by its first response (premature / anticipatory / valid /
omission) follows the conventions of simple-reaction-time and continuous-performance tasks
(e.g. the 100 ms anticipation floor of Whelan 2008, Psychol Rec; commission and omission
errors of go/no-go tasks, Conners' CPT); delay variants follow time-delay prompting, where
the wait before the cue grows from 0 s.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from soundness_live.errors import ParameterError
from soundness_live.metrics.circular import as_times_ms, check_positive

__all__ = [
    "CLASSIFICATIONS",
    "classify_response",
    "score_freeze",
    "score_go_no_go",
    "score_turns",
]

Metrics = dict[str, float | int | bool | str | list | None]

CLASSIFICATIONS = ("premature", "anticipatory", "valid", "omission")


def _classify(delay_ms: float | None, window_ms: float, anticipatory_ms: float) -> str:
    """Class of a first response ``delay_ms`` after the cue (None: no response)."""
    if delay_ms is None or delay_ms > window_ms:
        return "omission"
    if delay_ms < 0.0:
        return "premature"
    return "anticipatory" if delay_ms < anticipatory_ms else "valid"


def classify_response(
    cue_ms: float,
    response_onsets_ms: Sequence[float],
    *,
    trial_start_ms: float,
    window_ms: float = 3000.0,
    anticipatory_ms: float = 100.0,
) -> Metrics:
    """Classify a trial by its FIRST response at or after ``trial_start_ms``.

    premature: before the cue; anticipatory: 0 <= delay < ``anticipatory_ms`` (too fast to be
    a reaction to the cue); valid: ``anticipatory_ms`` <= delay <= ``window_ms``, with
    ``reaction_time_ms`` = delay (null otherwise); omission: no response, or the first one
    after the window. Responses before the trial start belong to the previous trial and are
    ignored. ``extra_responses`` counts every response after the first. ``wait_s`` is the time
    from trial start to the first response, capped at cue + window (the value for no response),
    in seconds: the score of "wait as long as you can" variants.
    """
    cue, start = float(cue_ms), float(trial_start_ms)
    if not math.isfinite(cue) or not math.isfinite(start) or cue < start:
        raise ParameterError(
            f"cue_ms: expected a finite time at or after trial_start_ms={trial_start_ms!r}, "
            f"got {cue_ms!r}"
        )
    window = check_positive(window_ms, "window_ms")
    if not 0.0 <= anticipatory_ms < window:
        raise ParameterError(
            f"anticipatory_ms: expected 0 <= anticipatory_ms < window_ms ({window:g}), "
            f"got {anticipatory_ms!r}"
        )
    onsets = np.sort(as_times_ms(response_onsets_ms, "response_onsets_ms"))
    onsets = onsets[onsets >= start]
    first = float(onsets[0]) if onsets.size else None
    delay = None if first is None else first - cue
    classification = _classify(delay, window, anticipatory_ms)
    waited_until = cue + window if first is None else min(first, cue + window)
    return {
        "classification": classification,
        "reaction_time_ms": delay if classification == "valid" else None,
        "extra_responses": max(int(onsets.size) - 1, 0),
        "wait_s": (waited_until - start) / 1000.0,
    }


def _checked_freezes(stops: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    freezes = sorted((float(stop), float(restart)) for stop, restart in stops)
    for index, (stop, restart) in enumerate(freezes):
        if not (math.isfinite(stop) and math.isfinite(restart) and stop < restart):
            raise ParameterError(
                f"stops[{index}]: expected (stop_ms, restart_ms) with stop < restart, "
                f"got ({stop}, {restart})"
            )
        if index and stop < freezes[index - 1][1]:
            raise ParameterError(f"stops[{index}]: overlaps the freeze before it")
    return freezes


def score_freeze(
    stops: Sequence[tuple[float, float]],
    responses_ms: Sequence[float],
    *,
    stop_tolerance_ms: float = 250.0,
) -> Metrics:
    """Freeze game: the music stops at ``stop_ms`` and restarts at ``restart_ms``.

    A freeze is [stop, restart). Its first ``stop_tolerance_ms`` are the time a child needs to
    notice the stop and lift the hand (a simple auditory reaction takes some 200-300 ms), so
    notes there are not violations; ``notes_in_freeze`` counts notes in
    [stop + stop_tolerance_ms, restart), summed (and ``notes_in_freeze_per_freeze``).
    Per freeze, time to stop = last note in [stop, restart) minus stop (played through: close
    to the freeze length), 0 when none. A child who played nothing in a freeze nor in the
    music before it (since the previous freeze's restart; for the first, before its stop) had
    nothing to stop: that freeze's time to stop is null, not 0. ``time_to_stop_ms`` is the
    mean of the measured ones (null when none is), ``time_to_stop_per_freeze_ms`` the list.
    ``freezes_held`` counts freezes with no violation that the child had something to stop
    in (a time to stop measured): one they played nothing around is not a freeze held.
    """
    if not math.isfinite(stop_tolerance_ms) or stop_tolerance_ms < 0.0:
        raise ParameterError(
            f"stop_tolerance_ms: expected a finite number >= 0, got {stop_tolerance_ms!r}"
        )
    freezes = _checked_freezes(stops)
    onsets = as_times_ms(responses_ms, "responses_ms")
    violations: list[int] = []
    times_to_stop: list[float | None] = []
    music_from = -math.inf  # the music before the first freeze: from the trial's start
    for stop, restart in freezes:
        inside = onsets[(onsets >= stop) & (onsets < restart)]
        violations.append(int(np.count_nonzero(inside >= stop + stop_tolerance_ms)))
        if inside.size:
            times_to_stop.append(float(inside.max() - stop))
        elif np.any((onsets >= music_from) & (onsets < stop)):
            times_to_stop.append(0.0)  # playing in the music, still from the stop on
        else:
            times_to_stop.append(None)  # nothing played: nothing to stop
        music_from = restart
    measured = [t for t in times_to_stop if t is not None]
    return {
        "notes_in_freeze": sum(violations),
        "notes_in_freeze_per_freeze": violations,
        "time_to_stop_ms": float(np.mean(measured)) if measured else None,
        "time_to_stop_per_freeze_ms": times_to_stop,
        "freezes_held": sum(
            1
            for count, stop in zip(violations, times_to_stop, strict=True)
            if count == 0 and stop is not None
        ),
    }


def score_go_no_go(
    stimuli: Sequence[tuple[float, bool]],
    responses_ms: Sequence[float],
    *,
    window_ms: float = 3000.0,
) -> Metrics:
    """Go/no-go: play on a go cue, hold on a no-go cue (stimuli = (onset_ms, is_no_go)).

    A stimulus owns the responses in [onset, min(onset + window_ms, next onset)). A go with a
    response is a hit, reaction time = its first response - onset; a go without one is an
    omission; a no-go with a response is a commission error, without one a correct rejection.
    ``commission`` is True when any commission error occurred (the trial's flag for a
    single-stimulus trial), ``commission_errors`` their count; ``reaction_time_ms`` the median
    over hits (the RT itself for one go), ``reaction_times_ms`` the list;
    ``responses_outside`` the responses no stimulus owns.
    """
    window = check_positive(window_ms, "window_ms")
    events = sorted((float(onset), bool(no_go)) for onset, no_go in stimuli)
    onsets = np.sort(as_times_ms(responses_ms, "responses_ms"))
    counts = {"hits": 0, "omissions": 0, "commission_errors": 0, "correct_rejections": 0}
    reaction_times: list[float] = []
    owned = 0
    for index, (onset, no_go) in enumerate(events):
        end = onset + window
        if index + 1 < len(events):
            end = min(end, events[index + 1][0])
        mine = onsets[(onsets >= onset) & (onsets < end)]
        owned += int(mine.size)
        if no_go:
            counts["commission_errors" if mine.size else "correct_rejections"] += 1
        elif mine.size:
            counts["hits"] += 1
            reaction_times.append(float(mine[0] - onset))
        else:
            counts["omissions"] += 1
    return {
        "commission": counts["commission_errors"] > 0,
        **counts,
        "reaction_time_ms": float(np.median(reaction_times)) if reaction_times else None,
        "reaction_times_ms": reaction_times,
        "responses_outside": int(onsets.size) - owned,
    }


def _player_order(
    turns: Sequence[tuple[Hashable, float, float]], responses: Sequence[tuple[Hashable, float]]
) -> list[Hashable]:
    players: dict[Hashable, None] = {}
    for player, *_times in turns:
        players.setdefault(player)
    for player, _onset in responses:
        players.setdefault(player)
    return list(players)


def score_turns(
    turns: Sequence[tuple[Hashable, float, float]],
    responses: Sequence[tuple[Hashable, float]],
) -> Metrics:
    """Turn-taking rounds with several players: plays inside and outside one's own turns.

    A turn is [start_ms, end_ms) of one player. A play is in turn when it falls in one of the
    player's own turns, otherwise out of turn (during another player's turn, between turns,
    before the first or after the last). ``players`` lists, per player (turn order first, then
    players seen only in responses), ``plays_in_turn``, ``plays_out_of_turn`` and ``waited``
    (no play out of turn); the top-level counts and ``waited`` sum up the group.
    """
    own: dict[Hashable, list[tuple[float, float]]] = {}
    for index, (player, start, end) in enumerate(turns):
        if not float(start) < float(end):
            raise ParameterError(f"turns[{index}]: expected start_ms < end_ms, got {start}, {end}")
        own.setdefault(player, []).append((float(start), float(end)))
    table = {p: {"in": 0, "out": 0} for p in _player_order(turns, responses)}
    onsets = as_times_ms([onset for _player, onset in responses], "responses")
    for (player, _onset), t in zip(responses, onsets, strict=True):
        inside = any(start <= t < end for start, end in own.get(player, []))
        table[player]["in" if inside else "out"] += 1
    players: list[dict[str, object]] = [
        {"player": p, "plays_in_turn": c["in"], "plays_out_of_turn": c["out"]}
        for p, c in table.items()
    ]
    for entry in players:
        entry["waited"] = entry["plays_out_of_turn"] == 0
    return {
        "plays_in_turn": sum(c["in"] for c in table.values()),
        "plays_out_of_turn": sum(c["out"] for c in table.values()),
        "waited": all(entry["waited"] for entry in players),
        "players": players,
    }
