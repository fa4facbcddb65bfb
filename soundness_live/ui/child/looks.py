"""What the child's view shows, frame by frame, from the engine's snapshot: a :class:`Look`.

The snapshot's ``cue`` (a :class:`~soundness_live.activities.contract.Cue` value, or the plan's
``countdown``) picks the picture (:mod:`.pictures`) and its calm background (one per
:class:`~soundness_live.activities.contract.CueMood`); the rest of the snapshot fills it in:
the child's instrument on "your turn" (a voice activity's open mouth and the rising voice
meter, else the kind of the child's connected device, else the instrument the activity plays
the child's notes with), the beat's slow pulse (``ioi_ms`` and ``at_ms`` of the cue against the
snapshot's ``now_ms``), whose turn it is (a cue's ``player``), the countdown's time left
(``plan.countdown_s`` of ``plan.countdown_total_s``), and whether a trial ended in success
(the "done" cue's ``success``, which the engine sets from the stored outcome: anything else
shows the calm neutral screen, nothing special). Pure: no pygame, the clock passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...activities.contract import Answer, Cue, CueMood
from ...activities.registry import find_activity
from . import pictures
from .calm import INK, ease, grow_in, halo, pulse_scale
from .shapes import Box, Colour, Disc, Shape, place

BACKGROUNDS: dict[CueMood, Colour] = {  # dark and calm: INK on each is at least 7:1
    CueMood.LISTEN: (24, 52, 96),
    CueMood.ACT: (22, 78, 52),
    CueMood.HOLD: (96, 64, 20),
    CueMood.STOP: (110, 34, 34),
    CueMood.BEAT: (52, 40, 100),
    CueMood.DONE: (20, 70, 80),
}
NEUTRAL: Colour = (30, 33, 40)
COUNTDOWN: Colour = (36, 44, 62)
STAR: Colour = (250, 218, 120)  # the success star: warm, at least 7:1 on its background
PULSED = (Cue.BEAT, Cue.PLAY)  # cues whose picture pulses with the beat the cue carries
METER_FLOOR_DB = -60.0  # the voice column is empty here and full at 0 dB re full scale
CHILD_PLAYERS = ("", "child")  # a turn for these players (or the session's child) is theirs


@dataclass(frozen=True)
class Scene:
    """A picture before it is placed: its name, background, shapes in the unit box, the
    small word for adults, and the pulse's size (None: no pulse)."""

    name: str
    background: Colour
    picture: pictures.Picture
    word: str = ""
    pulse: float | None = None


@dataclass(frozen=True)
class Look:
    """One frame of the child's view in pixels: what to fill, what to draw, in order."""

    name: str
    background: Colour
    shapes: tuple[Shape, ...]
    word: str
    word_centre: tuple[float, float]
    word_px: int


def picture_box(width: int, height: int) -> Box:
    """Where the picture goes: a square as large as leaves room for the word under it."""
    side = min(width * 0.8, height * 0.72)
    return Box(width / 2, height * 0.43, side / 2)


def place_scene(scene: Scene, width: int, height: int) -> Look:
    """``scene`` in a window of ``width`` x ``height`` pixels (any size, any shape)."""
    box = picture_box(width, height)
    shapes: tuple[Shape, ...] = ()
    if scene.pulse is not None:  # the halo behind the picture, its size the pulse's
        shapes = place((Disc(0.0, 0.0, 0.92, halo(scene.background)),), box, scene.pulse)
    shapes += place(scene.picture, box)
    word_px = max(14, round(min(width, height) * 0.04))
    return Look(scene.name, scene.background, shapes, scene.word, (width / 2, height * 0.9),
                word_px)  # fmt: skip


def neutral_scene() -> Scene:
    """Nothing asked of the child: the calm neutral screen, one soft dot."""
    return Scene("neutral", NEUTRAL, pictures.rest(halo(NEUTRAL)))


def instrument_of(state: dict[str, Any]) -> str:
    """The child's instrument as the view draws it: "voice" for an activity answered with the
    voice, else the kind of the child's connected device ("pad" or "keyboard"), else the
    instrument the activity plays the child's notes with."""
    activity = find_activity(state.get("activity"))
    if activity is not None and activity.answers_with is Answer.VOICE:
        return "voice"
    theirs = set(state.get("child_devices") or ())
    kinds = [d.get("kind") for d in state.get("devices") or ()
             if d.get("device") in theirs and d.get("connected")]  # fmt: skip
    if kinds:
        return "pad" if kinds[0] == "pad" else "keyboard"
    if activity is None:
        return "pad"
    variant = state.get("variant")
    try:
        params = activity.params(variant=variant) if variant else activity.params()
        instrument = activity.child_instrument(params)
    except Exception:  # an added activity without defaults, or whose function fails: the view
        return "pad"  # must still draw, and a drum pad is the engine's own default instrument
    return "pad" if instrument.drums else "keyboard"


def instrument_picture(kind: str) -> pictures.Picture:
    """The picture of a "pad", a "keyboard" or a "voice"."""
    if kind == "voice":
        return pictures.mouth(INK)
    return pictures.drum_pad(INK) if kind == "pad" else pictures.keyboard(INK)


def is_childs_turn(cue: dict[str, Any], state: dict[str, Any]) -> bool:
    """Whether a turn cue is the child's own: the activity says so (``scored``: the turn of the
    player it scores), else no player named, "child", or their code."""
    if isinstance(cue.get("scored"), bool):
        return bool(cue["scored"])
    player = cue.get("player")
    return player is None or str(player) in CHILD_PLAYERS or player == state.get("child")


class ChildLooks:
    """Turns each snapshot into a look; remembers what moves slowly across frames (when the
    current cue began, for the success star's growth, and the voice column's glide)."""

    def __init__(self) -> None:
        self._cue_key: tuple[Any, ...] | None = None
        self._cue_since_s = 0.0
        self._level = 0.0
        self._drawn_s: float | None = None

    def scene(self, state: dict[str, Any], now_s: float, age_s: float = 0.0) -> Scene:
        """What to show for ``state`` at ``now_s`` (client seconds); ``age_s``: how long ago
        the snapshot came, so the pulse and the countdown run on between snapshots."""
        elapsed_s = 0.0 if self._drawn_s is None else now_s - self._drawn_s
        self._drawn_s = now_s
        cue = state.get("cue")
        cue = cue if isinstance(cue, dict) and cue else None  # anything else asks nothing
        key = None if cue is None else (cue.get("cue"), cue.get("at_ms"), cue.get("player"))
        if key != self._cue_key:
            self._cue_key, self._cue_since_s = key, now_s
        if cue is None:
            self._level = 0.0
            return neutral_scene()
        if cue.get("cue") == "countdown":
            return countdown_scene(state, age_s)
        shown = Cue.named(cue.get("cue"))
        if shown is None:
            return neutral_scene()
        if shown is Cue.DONE:
            return self._done(cue, now_s)
        if shown in (Cue.YOUR_TURN, Cue.TURN):
            return self._turn(shown, cue, state, elapsed_s)
        return cue_scene(shown, cue, state, age_s)

    def _done(self, cue: dict[str, Any], now_s: float) -> Scene:
        if cue.get("success") is not True:  # not a success: nothing special
            return neutral_scene()
        grown = grow_in(now_s - self._cue_since_s)
        star = pictures.success_star(STAR, grown)
        return Scene("done", BACKGROUNDS[CueMood.DONE], star, Cue.DONE.words)

    def _turn(
        self, shown: Cue, cue: dict[str, Any], state: dict[str, Any], elapsed_s: float
    ) -> Scene:
        player = cue.get("player")
        if shown is Cue.TURN and not is_childs_turn(cue, state):
            word = f"{player}'s turn"
            return Scene("their_turn", BACKGROUNDS[CueMood.HOLD], pictures.their_turn(INK), word)
        word = shown.words if is_childs_turn(cue, state) else f"{shown.words}: {player}"
        background = BACKGROUNDS[shown.mood]
        kind = instrument_of(state)
        if kind != "voice":
            self._level = 0.0
            return Scene(f"your_turn-{kind}", background, instrument_picture(kind), word)
        reading = state.get("voice_meter") or {}
        level_db = reading.get("level_db")
        target = 0.0 if level_db is None else 1.0 - float(level_db) / METER_FLOOR_DB
        self._level = ease(self._level, max(0.0, min(1.0, target)), elapsed_s)
        meter = pictures.voice_meter(halo(background), INK, self._level)
        mouth = pictures.moved(pictures.mouth(INK), -0.18, 0.0, 0.8)
        return Scene("your_turn-voice", background, (*mouth, *meter), word)


def cue_scene(shown: Cue, cue: dict[str, Any], state: dict[str, Any], age_s: float) -> Scene:
    """The scene of a cue that asks the same of every child whatever their instrument's
    state: listen, wait, go, no-go, play, stop, the beat, your own beat, you lead."""
    background, word = BACKGROUNDS[shown.mood], shown.words
    instrument = instrument_picture(instrument_of(state))
    drawn = {
        Cue.LISTEN: lambda: pictures.ear(INK),
        Cue.THERAPIST_CALL: lambda: pictures.listen_to_grown_up(INK),
        Cue.WAIT: lambda: pictures.hand(INK),
        Cue.GO: lambda: pictures.arrow(INK),
        Cue.NO_GO: lambda: pictures.hand_in_ring(INK),
        Cue.PLAY: lambda: pictures.playing(instrument, INK),
        Cue.STOP: lambda: pictures.octagon(INK),
        Cue.BEAT: lambda: pictures.beat(INK),
        Cue.TAP: lambda: pictures.own_beat(instrument, INK),
        Cue.LEAD: lambda: pictures.lead(INK),
    }[shown]()
    pulse = None
    if shown in PULSED:
        now_ms = float(state.get("now_ms") or 0.0) + age_s * 1000.0
        pulse = pulse_scale(now_ms, float(cue.get("at_ms") or 0.0), cue.get("ioi_ms"))
    return Scene(shown.value, background, drawn, word, pulse)


def countdown_scene(state: dict[str, Any], age_s: float) -> Scene:
    """The calm countdown between two plan steps: the time left as a slice that empties,
    smoothly between snapshots; the next step's name as the small word."""
    cue = state.get("cue") or {}
    plan = state.get("plan") or {}
    left_s, total_s = plan.get("countdown_s"), plan.get("countdown_total_s")
    if isinstance(left_s, (int, float)) and isinstance(total_s, (int, float)) and total_s > 0:
        fraction = max(0.0, float(left_s) - age_s) / float(total_s)
    else:  # only the whole seconds: a full disc
        fraction = 1.0
    word = f"next: {cue['next']}" if cue.get("next") else ""
    return Scene("countdown", COUNTDOWN, pictures.countdown(INK, fraction), word)
