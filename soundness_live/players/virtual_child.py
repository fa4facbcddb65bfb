"""A virtual child: a seeded, reproducible player that answers any activity's cues.

It "hears" the cues an activity shows (the same cues the child view shows) and plans the notes
it will play, with parameters a therapist would recognise: timing bias and spread, reaction
time, miss rate, impulsivity (chance of playing when it should wait), wrong notes, tempo drift
and a preferred tempo. It drives the demo, the tests and therapist training, and stands in for
the MIDI input: the engine takes its notes exactly as it takes a keyboard's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from typing import Any

from ..activities.base import ActivityDef, Response, Show
from ..activities.contract import Answer, Cue
from ..core.session import InputSource
from ..errors import ParameterError
from .child_sound import child_sound, players_of

DEFAULT_PAD_NOTE = 38
TAP_MS = 100.0


@dataclass(frozen=True)
class ChildTraits:
    """How the virtual child plays. Times in ms; rates are chances 0..1."""

    bias_ms: float = -20.0  # negative = early (children tend to anticipate the beat)
    spread_ms: float = 35.0  # SD of timing around the target
    reaction_ms: float = 550.0  # mean reaction time to a cue or to "your turn"
    reaction_sd_ms: float = 120.0
    miss_rate: float = 0.08  # chance of missing a note/beat/cue
    impulsivity: float = 0.15  # chance of playing when it should wait
    wrong_note_rate: float = 0.1  # chance an echoed note is a different one
    tempo_drift_pct: float = 3.0  # tempo change per minute when the child leads, in %
    preferred_bpm: float = 100.0  # own tempo when tapping unpaced or leading
    echo_tempo_ratio: float = 1.1  # echoes come a little slower than the call
    stop_delay_ms: float = 350.0  # time to stop after the music stops

    def __post_init__(self) -> None:
        for name in ("miss_rate", "impulsivity", "wrong_note_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"virtual child {name} must be in 0..1, got {value}")
        if not 20.0 <= self.preferred_bpm <= 300.0:
            raise ParameterError(
                f"virtual child preferred_bpm must be in 20..300, got {self.preferred_bpm}"
            )
        for name in ("spread_ms", "reaction_ms", "reaction_sd_ms", "stop_delay_ms"):
            if getattr(self, name) < 0:
                raise ParameterError(
                    f"virtual child {name} must be >= 0, got {getattr(self, name)}"
                )

    @classmethod
    def from_strings(cls, items: dict[str, str]) -> ChildTraits:
        """Traits from NAME=VALUE strings; unknown names list the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(items) - known)
        if unknown:
            raise ParameterError(
                f"virtual child has no trait {unknown[0]!r}; traits: {', '.join(sorted(known))}"
            )
        try:
            return cls(**{k: float(v) for k, v in items.items()})
        except ValueError as exc:
            raise ParameterError(f"virtual child traits must be numbers: {exc}") from None


class VirtualChild:
    """Plans responses when it observes cues; the engine takes them with :meth:`take_until`."""

    sounds_itself = False  # the engine plays its notes (thru), as it does a file's
    input_kind = "virtual"  # simulated: its trials never count as the child's

    def __init__(
        self,
        traits: ChildTraits,
        *,
        sample_rate: int,
        seed: int = 0,
        player: str = "child",
        device: str = "virtual",
        pad_note: int = DEFAULT_PAD_NOTE,
        channel: int = 9,
    ) -> None:
        self.traits = traits
        self.sample_rate = sample_rate
        self.player = player
        self.device = device
        self.pad_note = pad_note
        self.channel = channel
        self.rng = random.Random(f"{seed}:{player}")
        self._planned: list[Response] = []
        self._handlers = {
            Cue.LISTEN: self._on_listen,
            Cue.THERAPIST_CALL: self._ignore,
            Cue.YOUR_TURN: self._on_your_turn,
            Cue.WAIT: self._on_wait,
            Cue.GO: self._on_go,
            Cue.NO_GO: self._on_no_go,
            Cue.PLAY: self._on_play,
            Cue.STOP: self._on_stop,
            Cue.BEAT: self._on_beat,
            Cue.TAP: self._on_tap,
            Cue.LEAD: self._on_lead,
            Cue.TURN: self._on_turn,
            Cue.DONE: self._on_done,
        }

    # -- the input-source protocol -------------------------------------------------------------
    def observe(self, cue: Show, now_frame: int) -> None:
        """Hear a cue and plan what to play. Unknown cues are ignored (nothing to answer)."""
        self._handlers.get(cue.cue, self._ignore)(cue, now_frame)

    def take_until(self, until_frame: int) -> list[Response]:
        """Every planned note before ``until_frame``, in time order (removed from the plan)."""
        self._planned.sort(key=lambda r: r.frame)
        due = [r for r in self._planned if r.frame < until_frame]
        self._planned = [r for r in self._planned if r.frame >= until_frame]
        return due

    # -- helpers ---------------------------------------------------------------------------
    def _frames(self, ms: float) -> float:
        return ms * self.sample_rate / 1000.0

    def _reaction(self) -> float:
        t = self.traits
        return self._frames(max(180.0, self.rng.gauss(t.reaction_ms, t.reaction_sd_ms)))

    def _jitter(self) -> float:
        t = self.traits
        return self._frames(self.rng.gauss(t.bias_ms, t.spread_ms))

    def _play(self, frame: float, note: int | None = None, floor: float = 0.0) -> None:
        frame = max(frame, floor)
        velocity = max(1, min(127, int(self.rng.gauss(90, 15))))
        self._planned.append(
            Response(
                frame=float(round(frame, 3)),
                note=self.pad_note if note is None else note,
                velocity=velocity,
                device=self.device,
                player=self.player,
                clock="virtual",
                channel=self.channel,
                duration_frames=self._frames(TAP_MS),
            )
        )

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _ignore(self, cue: Show, now: int) -> None:
        return None

    # -- cue handlers ------------------------------------------------------------------------
    def _on_listen(self, cue: Show, now: int) -> None:
        if self._chance(self.traits.impulsivity):
            self._play(cue.frame + self._frames(self.rng.uniform(150, 700)), floor=now)

    def _on_your_turn(self, cue: Show, now: int) -> None:
        player = cue.detail.get("player")
        if player not in (None, self.player):
            if self._chance(self.traits.impulsivity):
                self._play(cue.frame + self._reaction(), floor=now)
            return
        if self._chance(self.traits.miss_rate / 2):
            return  # no answer this time
        start = cue.frame + self._reaction()
        for offset_ms, note in cue.detail.get("call", []):
            if self._chance(self.traits.miss_rate):
                continue
            played = self._wrong(note) if self._chance(self.traits.wrong_note_rate) else note
            self._play(
                start + self._frames(offset_ms * self.traits.echo_tempo_ratio) + self._jitter(),
                played,
                floor=now,
            )

    def _wrong(self, note: int) -> int:
        if 35 <= note <= 81 and note in (35, 36, 38, 40, 42, 45, 48, 39):
            return 45 if note in (35, 36) else 36
        return note + self.rng.choice((-2, -1, 1, 2))

    def _on_wait(self, cue: Show, now: int) -> None:
        if self._chance(self.traits.impulsivity):
            self._play(cue.frame + self._frames(self.rng.uniform(300, 2500)), floor=now)

    def _on_go(self, cue: Show, now: int) -> None:
        if not self._chance(self.traits.miss_rate):
            self._play(cue.detail.get("heard_frame", cue.frame) + self._reaction(), floor=now)

    def _on_no_go(self, cue: Show, now: int) -> None:
        if self._chance(self.traits.impulsivity * 2):
            self._play(cue.detail.get("heard_frame", cue.frame) + self._reaction(), floor=now)

    def _on_play(self, cue: Show, now: int) -> None:
        ioi = self._frames(cue.detail.get("ioi_ms", 60000.0 / self.traits.preferred_bpm))
        frame = cue.frame + self._reaction()
        horizon = cue.detail.get("until_frame", cue.frame) + self._frames(10000)
        while frame < horizon:
            if not self._chance(self.traits.miss_rate):
                self._play(frame + self._jitter(), floor=now)
            frame += ioi

    def _on_stop(self, cue: Show, now: int) -> None:
        stop_at = cue.frame + self._frames(max(0.0, self.rng.gauss(self.traits.stop_delay_ms, 100)))
        late = [r for r in self._planned if r.frame >= stop_at and r.player == self.player]
        keep = (
            late[: self.rng.randint(1, 3)] if late and self._chance(self.traits.impulsivity) else []
        )
        self._planned = [r for r in self._planned if r.frame < stop_at or r in keep]

    def _on_beat(self, cue: Show, now: int) -> None:
        ioi = cue.detail.get("ioi_ms", 500.0)
        beats = cue.detail.get("beats", [])
        silent_from = cue.detail.get("silent_from", len(beats))
        for i, beat in enumerate(beats):
            if self._chance(self.traits.miss_rate):
                continue
            # without the beat (continuation) the child's own period drifts: here, faster
            k = max(0, i - silent_from + 1)
            drift = -k * ioi * self.traits.tempo_drift_pct / 100.0
            self._play(beat + self._frames(drift) + self._jitter(), floor=now)

    def _own_tempo(self, cue: Show, now: int, until_frame: float) -> None:
        period = self._frames(60000.0 / self.traits.preferred_bpm)
        per_tap = 1.0 + self.traits.tempo_drift_pct / 100.0 * period / self._frames(60000.0)
        frame = cue.frame + self._reaction()
        while frame < until_frame:
            if not self._chance(self.traits.miss_rate):
                self._play(
                    frame + self._frames(self.rng.gauss(0.0, self.traits.spread_ms)), floor=now
                )
            frame += period
            period /= per_tap  # positive drift = speeding up, as excited children do

    def _on_tap(self, cue: Show, now: int) -> None:
        self._own_tempo(cue, now, cue.detail.get("until_frame", cue.frame))

    def _on_lead(self, cue: Show, now: int) -> None:
        until = cue.detail.get("until_frame", cue.frame)
        self._own_tempo(cue, now, until + (until - cue.frame) * 0.6)

    def _on_turn(self, cue: Show, now: int) -> None:
        until = cue.detail.get("until_frame", cue.frame)
        if cue.detail.get("player") == self.player:
            frame = cue.frame + self._reaction()
            for _ in range(self.rng.randint(2, 4)):
                if frame < until - self._frames(150):
                    self._play(frame, floor=now)
                frame += self._frames(self.rng.uniform(250, 500))
        elif self._chance(self.traits.impulsivity):
            self._play(self.rng.uniform(cue.frame, until), floor=now)

    def _on_done(self, cue: Show, now: int) -> None:
        # the activity says this part is over: the child stops playing
        self._planned = [r for r in self._planned if r.frame < cue.frame]


def virtual_inputs(
    activity: ActivityDef,
    params: dict[str, Any],
    *,
    seed: int,
    sample_rate: int,
    traits: ChildTraits | None = None,
) -> list[InputSource]:
    """One virtual child per player (group mode and turn games have several); none for an
    activity the child answers with their voice (the virtual singer answers it)."""
    if activity.answers_with is Answer.VOICE:
        return []
    sound = child_sound(activity, params)
    return [
        VirtualChild(
            traits or ChildTraits(),
            sample_rate=sample_rate,
            seed=seed,
            player=player,
            device=f"virtual-{i + 1}",
            pad_note=sound.pad_note,
            channel=sound.channel,
        )
        for i, player in enumerate(players_of(activity, params))
    ]
