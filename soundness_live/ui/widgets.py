"""The therapist screen's calm animation, cue words, voice meter and status text: pure, no
pygame, no display (the touch targets are in :mod:`soundness_live.ui.controls`).

The child-facing cue area never flashes: colours cross-fade over :data:`FADE_S` and the
beat pulse follows the child's view's rule (size only, at most 8 %, every other beat above
180 BPM: :mod:`soundness_live.ui.child.calm`), one rule for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..activities.contract import Cue, CueMood
from ..activities.registry import metric_spec
from .child.calm import pulse_scale
from .controls import Rect, answers_with_voice

FADE_S = 0.5
PULSE_ALPHA = 0.8  # the preview's pulse disc: one brightness, beat or no beat
Colour = tuple[int, int, int]

#: The calm colour of each kind of cue (its words are the cue's own, :class:`Cue`).
MOOD_COLOURS: dict[CueMood, Colour] = {
    CueMood.LISTEN: (70, 110, 160),
    CueMood.ACT: (70, 140, 100),
    CueMood.HOLD: (150, 120, 70),
    CueMood.STOP: (150, 90, 90),
    CueMood.BEAT: (90, 120, 150),
    CueMood.DONE: (100, 100, 130),
}
IDLE_CUE: tuple[str, Colour] = ("", (60, 64, 72))
COUNTDOWN_CUE = "countdown"  # the engine's cue between two steps of a plan


def cue_words(cue: dict[str, Any] | None) -> tuple[str, Colour]:
    """The child-facing word and calm background colour of a cue. The end of a trial says
    "well done" only when the engine says it was a success (``success``); otherwise (or with
    no word from the engine on it) it is neutral. The countdown between two plan steps shows
    its whole seconds left, in the calm colour of waiting."""
    if not cue:
        return IDLE_CUE
    if cue.get("cue") == COUNTDOWN_CUE:  # between two plan steps: the whole seconds left
        return str(cue.get("seconds", "")), MOOD_COLOURS[CueMood.HOLD]
    shown = Cue.named(cue.get("cue"))
    if shown is None:
        return "", IDLE_CUE[1]
    if shown is Cue.DONE and cue.get("success") is not True:
        return IDLE_CUE
    return shown.words, MOOD_COLOURS[shown.mood]


BEAT_FIGURES = ("taps", "on_beat", "early", "late")  # the engine's count of taps by the beat
#: METRICS.md §1: matched beats / beats (a tap within 0.4 of the interval). Beside the taps
#: "on the beat" (within a tenth of it) "hit rate 100 %" read as a contradiction: it counts
#: beats, not taps, and says so.
HIT_RATE = "hit_rate"


def figure_lines(figures: dict[str, Any], activity: Any) -> list[str]:
    """The live figures of the latest trial of ``activity`` as the therapist reads them: the
    taps by the beat first, then each live metric in its own words ("notes correct: 75 %",
    "waits for the turn", "early by 23 ms on average")."""
    lines = []
    if all(key in figures for key in BEAT_FIGURES):
        lines.append(f"taps {figures['taps']}: on the beat {figures['on_beat']}")
        lines.append(f"early {figures['early']}  late {figures['late']}")
    for name, value in figures.items():
        spec = None if name in BEAT_FIGURES else metric_spec(name, activity)
        if name == HIT_RATE and isinstance(value, (int, float)):
            lines.append(f"beats met by a tap: {round(100 * value)} %")
        elif spec is not None:
            lines.append(spec.reading(value))
    return lines


def fade(start: Colour, end: Colour, elapsed_s: float) -> Colour:
    """Cross-fade from ``start`` to ``end`` over FADE_S (smoothstep: no sudden jump)."""
    t = min(1.0, max(0.0, elapsed_s / FADE_S))
    t = t * t * (3 - 2 * t)
    return tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))  # type: ignore[return-value]


def pulse(now_ms: float, beat_ms: float, ioi_ms: float | None) -> tuple[float, float]:
    """(size factor, alpha 0..1) of the small cue preview's beat pulse at ``now_ms``: the
    child's view's rule (:func:`~soundness_live.ui.child.calm.pulse_scale`: size only, at most
    8 % larger, every other beat above 180 BPM), at one steady alpha, so its brightness never
    changes. Without a beat period: still, (1.0, :data:`PULSE_ALPHA`)."""
    return pulse_scale(now_ms, beat_ms, ioi_ms), PULSE_ALPHA


# -- the live voice meter and the timing counters (status panel) -----------------------------
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
METER_FLOOR_DB = -60.0  # the level bar's empty end (dB re full scale); its full end is 0
NEEDLE_CENTS = 100.0  # the pitch track spans a semitone either side of the target
ON_PITCH_CENTS = 50.0  # METRICS.md §4: "on pitch" within 50 cents; shaded on the track


def note_name(hz: float) -> str:
    """The nearest equal-tempered note: 392.0 -> "G4", 261.6 -> "C4"."""
    key = round(69 + 12 * math.log2(hz / 440.0))
    return f"{NOTE_NAMES[key % 12]}{key // 12 - 1}"


def cents_off(pitch_hz: float, reference_hz: float) -> float:
    """How far ``pitch_hz`` is above (+) or below (-) ``reference_hz``, in cents."""
    return 1200.0 * math.log2(pitch_hz / reference_hz)


def pitch_label(pitch_hz: float | None, target_hz: float | None) -> str:
    """The sung pitch against the target note, e.g. "G4 +12 cents" (without a target, against
    the nearest note); the target's name alone while no pitch is heard; "" with neither."""
    if pitch_hz is None:
        return note_name(target_hz) if target_hz else ""
    reference = target_hz or 440.0 * 2 ** (round(12 * math.log2(pitch_hz / 440.0)) / 12)
    return f"{note_name(reference)} {round(cents_off(pitch_hz, reference)):+d} cents"


def level_fraction(level_db: float) -> float:
    """The level bar's filled fraction, 0 at METER_FLOOR_DB and below, 1 at 0 dB and above."""
    return min(1.0, max(0.0, (level_db - METER_FLOOR_DB) / -METER_FLOOR_DB))


def ease(current: float, target: float, elapsed_s: float, time_constant_s: float = 0.12) -> float:
    """Move ``current`` toward ``target`` smoothly (one-pole): meter values glide, never jump."""
    return target + (current - target) * math.exp(-max(0.0, elapsed_s) / time_constant_s)


@dataclass(frozen=True)
class MeterLayout:
    """The voice meter's parts: the level bar (track and filled part), the pitch track with
    its on-pitch zone and centre, and the needle (None when no pitch is heard)."""

    level: Rect
    level_fill: Rect
    track: Rect
    zone: Rect
    needle: Rect | None


def meter_layout(box: Rect, scale: float, level_db: float, cents: float | None) -> MeterLayout:
    """The meter in ``box`` (label row on top, left to the caller): the needle sits at the
    centre on pitch and at an end a semitone (or more) sharp or flat."""
    row = round(30 * scale)
    level = Rect(box.x, box.y + row, box.w, max(4, round(14 * scale)))
    fill = Rect(level.x, level.y, round(level.w * level_fraction(level_db)), level.h)
    track_y = level.y + level.h + round(12 * scale)
    track = Rect(box.x, track_y, box.w, max(8, min(round(28 * scale), box.y + box.h - track_y)))
    half = track.w / 2
    zone_w = round(2 * half * ON_PITCH_CENTS / NEEDLE_CENTS)
    zone = Rect(track.center[0] - zone_w // 2, track.y, zone_w, track.h)
    needle = None
    if cents is not None:
        width = max(2, round(4 * scale))
        offset = min(1.0, max(-1.0, cents / NEEDLE_CENTS)) * (half - width / 2)
        needle = Rect(round(track.x + half + offset - width / 2), track.y, width, track.h)
    return MeterLayout(level, fill, track, zone, needle)


#: The engine's timing counters in a therapist's words: output under-runs (a gap heard in the
#: sound), scheduled sounds handed on late, the child's notes too late for their constant thru
#: delay, commands dropped by a full renderer queue.
COUNTER_WORDS = (
    ("underruns", "sound glitches"),
    ("late_events", "sounds late"),
    ("thru_late", "the child's notes late"),
    ("dropped_commands", "sounds dropped"),
)


def diagnostics_text(state: dict[str, Any]) -> str:
    """The engine's timing counters in one small line, each only when it is not zero ("sound
    glitches: 8 · sounds late: 2"); empty while all is well."""
    counts = [(words, int(state.get(key) or 0)) for key, words in COUNTER_WORDS]
    return " · ".join(f"{words}: {count}" for words, count in counts if count)


def trial_text(done: int | None, total: int) -> str:
    """Which trial is under way: "trial 1 of 3" while the first is played (none done yet); the
    last once every trial is done and the activity winds down."""
    return f"trial {min((done or 0) + 1, total)} of {total}"


# -- trouble: what the therapist must see at once, without a tap (status panel, top) ---------
ENGINE_SILENT_S = 2.0  # no word from the engine this long (at least 3 snapshot periods): say so
Trouble = tuple[str, str]  # (headline, detail)
NO_INPUT_DEVICE = "connect the child's keyboard or drum pad, or choose the virtual child"


def silent_limit_s(state: dict[str, Any]) -> float:
    """How long the engine may say nothing before the screen says it stopped answering: it
    sends ``snapshot_hz`` snapshots a second, so :data:`ENGINE_SILENT_S` or three periods."""
    hz = state.get("snapshot_hz")
    period_s = 1.0 / hz if isinstance(hz, (int, float)) and hz > 0 else 0.0
    return max(ENGINE_SILENT_S, 3.0 * period_s)


def trouble(
    state: dict[str, Any], needs_microphone: bool, lacks_input_device: bool = False
) -> list[Trouble]:
    """What keeps the session from working as the therapist expects, most serious first: the
    engine gone or silent (``_connected``, ``_silent_s``: the screen's own view of the link),
    no sound output, a stopped output, sound that failed (audio blocks played as silence,
    scheduled sounds not handed on), a MIDI input that failed (any status but ok/off) or
    played notes it had no room to keep, no device of the child's connected when a live
    activity for them is chosen or running (``controls.lacks_input_device``: the MIDI input
    may read "ok: 0 input(s)"), no microphone when a vocal activity with live input is chosen
    or running."""
    found = _engine_trouble(state)
    sound = state.get("sound_output")
    if isinstance(sound, str) and sound != "ok":
        found.append(("NO SOUND OUTPUT", _gist(sound.removeprefix("none: "))))
    if state.get("output_stalled"):
        found.append(("SOUND OUTPUT STOPPED", "check the audio device or audio server"))
    found.extend(_failure_trouble(state))
    midi = state.get("midi_status")
    if isinstance(midi, str) and midi != "off" and not midi.startswith("ok"):
        failed = midi.startswith("failed:")
        headline = "MIDI INPUT FAILED" if failed else "NO MIDI INPUT"
        found.append((headline, midi.removeprefix("failed:").strip()))
    lost = int(state.get("midi_queue_dropped") or 0)
    if lost:
        found.append(("PLAYED NOTES LOST", f"{lost} notes came faster than they could be kept"))
    if lacks_input_device:
        found.append(("NO INPUT DEVICE", NO_INPUT_DEVICE))
    microphone = state.get("microphone")
    if needs_microphone and isinstance(microphone, str) and not microphone.startswith("ok"):
        found.append(("NO MICROPHONE", _gist(microphone.removeprefix("none: "))))
    return found


def _failure_trouble(state: dict[str, Any]) -> list[Trouble]:
    """The engine's sound failures, counted since it started (the engine log has each one)."""
    found: list[Trouble] = []
    blocks = int(state.get("output_errors") or 0)
    if blocks:
        why = state.get("output_error") or "see the engine log"
        found.append(("SOUND FAILED", f"{blocks} audio blocks played as silence: {why}"))
    rounds = int(state.get("feed_errors") or 0)
    if rounds:
        found.append(("SOUNDS MAY BE MISSING", f"handing sounds on failed {rounds} times"))
    unread = int(state.get("jack_frame_errors") or 0)
    if unread:
        found.append(("NOTE TIMES UNSURE", f"the JACK frame of {unread} blocks could not be read"))
    return found


def _gist(reason: str) -> str:
    """A device reason without its technical aside in brackets (the engine log has it all):
    "no audio output could be opened (PortAudio: ...)" -> "no audio output could be opened"."""
    return reason.split(" (", 1)[0]


def _engine_trouble(state: dict[str, Any]) -> list[Trouble]:
    if state.get("_connected") is False:  # what the screen does about it (ui/link.py)
        doing = state.get("_reconnect") or "close this window and run soundness-live run again"
        return [("ENGINE CONNECTION LOST", str(doing))]
    silent_s = float(state.get("_silent_s") or 0.0)
    if silent_s >= silent_limit_s(state):
        return [("ENGINE NOT ANSWERING", f"no word from it for {int(silent_s)} s")]
    return []


def engine_lost(state: dict[str, Any]) -> bool:
    """True when the screen no longer hears the engine (its state may be out of date)."""
    return bool(_engine_trouble(state))


def needs_microphone(state: dict[str, Any], activity: str | None, live_input: bool) -> bool:
    """True when an activity the child answers with their voice runs with live input, or is
    chosen on the screen with live input."""
    running = answers_with_voice(state.get("activity")) and state.get("input") == "live"
    return running or (answers_with_voice(activity) and live_input)
