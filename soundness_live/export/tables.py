"""What the exports know about a bundle: metric names and units, checks, trial iteration.

Metric names, units and meanings follow METRICS.md ("Metric names"). A metric this table does
not know still exports; its unit is read from its name's suffix (``_ms``, ``_pct``, ...).

The CSV files and the report show numbers to the precision they carry (:func:`rounded`: times to
0.1 ms, percentages to 0.1 %, ...); the JSON export keeps every digit the engine stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from soundness_live.errors import ParameterError

#: Known metrics in report/column order: name -> (unit, meaning).
METRIC_DOCS: dict[str, tuple[str, str]] = {
    # call and response (METRICS.md section 2)
    "n_target": ("count", "notes in the call"),
    "hits": ("count", "call notes echoed (matched one-to-one, in order)"),
    "omissions": ("count", "call notes not echoed"),
    "insertions": ("count", "extra notes in the echo"),
    "substitutions": ("count", "echo notes with the wrong pitch or drum group"),
    "order_errors": ("count", "echo notes out of order"),
    "notes_correct_pct": ("%", "call notes echoed correctly and in order"),
    "rhythm_error": ("log2 units", "mean |log2(child IOI share / call IOI share)|"),
    "median_onset_error_ms": ("ms", "median |onset error| after tempo alignment"),
    "response_latency_ms": ("ms", "first echo onset minus the end of the call"),
    "waited_for_turn": ("bool", "no note played during the call"),
    # tempo-following (section 1)
    "mean_asynchrony_ms": ("ms", "mean tap minus heard beat; negative = early"),
    "sd_asynchrony_ms": ("ms", "sample SD of asynchronies"),
    "resultant_length": ("0-1", "phase locking R (0 random, 1 locked)"),
    "circular_mean_ms": ("ms", "circular mean asynchrony"),
    "circular_sd": ("rad", "circular SD of relative phase"),
    "rayleigh_p": ("p", "Rayleigh test p; < .05 = synchronised"),
    "iti_cv": ("ratio", "SD / mean of inter-tap intervals"),
    "median_iti_ms": ("ms", "median inter-tap interval"),
    "tapping_bpm": ("BPM", "60000 / median inter-tap interval"),
    "tempo_ratio": ("ratio", "child's tempo relative to the target"),
    "hit_rate": ("ratio", "matched beats / beats"),
    "missed_beats": ("count", "beats without a matched tap"),
    "extra_taps": ("count", "taps without a matched beat"),
    "within_window_pct": ("%", "beats with a tap within the timing window"),
    "longest_run": ("count", "longest run of beats with a tap within the window"),
    "matched_taps": ("count", "taps matched to beats"),
    "reliable": ("bool", "taps within 50-150 % of beats and >= 6 matched"),
    "asynchronies_ms": ("ms (list)", "asynchrony per matched beat, ';'-joined"),
    "tempo_curve_bpm": ("BPM (list)", "accompaniment tempo per beat, ';'-joined"),
    "final_bpm": ("BPM", "accompaniment tempo at the end of the trial"),
    # waiting games (section 3)
    "classification": ("text", "premature / anticipatory / valid / omission"),
    "reaction_time_ms": ("ms", "first response minus the cue (valid responses only)"),
    "extra_responses": ("count", "responses after the first"),
    "wait_s": ("s", "time waited before the first play"),
    "notes_in_freeze": ("count", "notes played after the music stopped"),
    "time_to_stop_ms": ("ms", "time from the music stopping to the last note"),
    "commission": ("bool", "played on a no-go stimulus"),
    "plays_in_turn": ("count", "notes the child played in their own turn"),
    "plays_out_of_turn": ("count", "notes the child played in another's turn"),
    "waited": ("bool", "the child played nothing in another's turn"),
    # vocal prompts (section 4)
    "voice_onset_latency_ms": ("ms", "voice onset minus the end of the prompt"),
    "syllables": ("count", "syllable nuclei detected"),
    "target_syllables": ("count", "syllables in the prompt"),
    "median_f0_hz": ("Hz", "median voice pitch"),
    "pitch_error_cents": ("cents", "mean signed pitch deviation from the target"),
    "pitch_sd_cents": ("cents", "SD of pitch deviation"),
    "contour_correct": ("bool", "high/low contour matches the prompt"),
    "duration_ms": ("ms", "voiced duration"),
    "intensity_db": ("dB", "intensity re calibration"),
    # free play
    "notes_played": ("count", "notes the child played"),
    "played_s": ("s", "time from the first note to the last"),
    "first_note_ms": ("ms", "the first note, from the start of the trial"),
}

_SUFFIX_UNITS = (
    ("_ms", "ms"),
    ("_s", "s"),
    ("_pct", "%"),
    ("_bpm", "BPM"),
    ("_hz", "Hz"),
    ("_cents", "cents"),
    ("_db", "dB"),
)


#: Decimal places a number is shown with, by unit. A p value keeps 2 significant digits, and a
#: number of a unit not listed here 4 (enough for any ratio a reviewer compares), never fewer
#: than its whole digits.
DECIMALS = {"ms": 1, "%": 1, "BPM": 1, "Hz": 1, "cents": 1, "dB": 1, "frames": 1, "s": 2,
            "ratio": 3, "0-1": 3, "log2 units": 3, "rad": 3}  # fmt: skip
_SIGNIFICANT = {"p": 2}
#: The unit of a trial's ``difficulty`` where it is not a staircase level: tempo-following's
#: difficulty is the tempo of its beat.
DIFFICULTY_UNITS = {"tempo-following": "BPM"}


def rounded(value: Any, unit: str) -> Any:
    """``value`` rounded for reading in ``unit`` (lists item by item; integers, text, booleans
    and null unchanged)."""
    if isinstance(value, (list, tuple)):
        return [rounded(item, unit) for item in value]
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    base = unit.removesuffix(" (list)")
    places = DECIMALS.get(base)
    if places is None:
        whole_digits = math.floor(math.log10(abs(value))) + 1 if value else 1
        places = max(0, _SIGNIFICANT.get(base, 4) - whole_digits)
    return round(value, places) + 0.0  # + 0.0: no "-0.0"


def metric_unit(name: str) -> str:
    """Unit of metric ``name``: from the table, else from its suffix, else "as named"."""
    if name in METRIC_DOCS:
        return METRIC_DOCS[name][0]
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return "as named"


def metric_meaning(name: str) -> str:
    """One line on what metric ``name`` measures (METRICS.md), or a generic line."""
    if name in METRIC_DOCS:
        return METRIC_DOCS[name][1]
    return "metric reported by the activity (see METRICS.md)"


def metric_names(trials: list[Mapping[str, Any]]) -> list[str]:
    """Union of metric names over ``trials``: known ones in table order, then others sorted."""
    seen: set[str] = set()
    for trial in trials:
        seen.update((trial.get("metrics") or {}).keys())
    known = [name for name in METRIC_DOCS if name in seen]
    return known + sorted(seen - set(known))


def check_bundle(bundle: Any) -> None:
    """Raise ParameterError unless ``bundle`` has the export-bundle shape exports rely on."""
    if not isinstance(bundle, Mapping):
        raise ParameterError(f"export bundle: expected a dict, got {type(bundle).__name__}")
    for key, kind in (("child", Mapping), ("goals", list), ("sessions", list), ("progress", list)):
        if not isinstance(bundle.get(key), kind):
            got = type(bundle.get(key)).__name__
            raise ParameterError(f"export bundle: key {key!r} must be a {kind.__name__}, got {got}")
    if not bundle["child"].get("code"):
        raise ParameterError("export bundle: child.code is required, got none")
    for number, session in enumerate(bundle["sessions"]):
        if not isinstance(session.get("trials", []), list):
            raise ParameterError(f"export bundle: sessions[{number}].trials must be a list")


def find_non_finite(value: Any, path: str = "bundle") -> str | None:
    """Path of the first NaN or infinite number inside ``value``, or None if all are finite."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, Mapping):
        items: Any = ((f"{path}.{key}", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for item_path, item in items:
        found = find_non_finite(item, item_path)
        if found is not None:
            return found
    return None


def refuse_non_finite(value: Any, where: str) -> None:
    """Raise ParameterError naming the first non-finite number in ``value`` (JSON has none)."""
    found = find_non_finite(value)
    if found is not None:
        raise ParameterError(
            f"{where}: expected finite numbers (null when not computable), got a non-finite "
            f"value at {found}"
        )


def iter_trials(bundle: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(session, trial) pairs in session order, then trial order."""
    for session in bundle["sessions"]:
        for trial in session.get("trials", []):
            yield session, trial
