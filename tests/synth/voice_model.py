"""The synth's note-on in readable Python: the reference the compiled note-on is held to.

:func:`model_note_on` is the note-on the synth ran in Python before it became one compiled call
(:func:`soundness_live.synth.voice_choice.play_note`): the voices it releases (the key
restarted), cuts (exclusive class) and steals (the oldest released, then the oldest held, when
the bank is full), found by numpy masks, and each region's voice from
:func:`soundness_live.synth.voice_setup.new_voice`. A test gives a synth this note-on and
compares it with one running the compiled one.
"""

from __future__ import annotations

import numpy as np

from soundness_live.synth import voice_state as vs
from soundness_live.synth.envelope import CONTROL_FRAMES, RELEASE, SECTIONS
from soundness_live.synth.region import Region, region_loop_mode, region_span
from soundness_live.synth.synth import CHOKE_RELEASE_TC, STEAL_FADE_MS, Synth
from soundness_live.synth.voice_setup import new_voice
from soundness_live.synth.voices import VoiceBank

__all__ = ["model_note_on", "with_model_note_on"]


def with_model_note_on(synth: Synth) -> Synth:
    """``synth``, its note-ons run by :func:`model_note_on` from now on."""
    synth._note_on = lambda c, k, v: model_note_on(synth, c, k, v)  # type: ignore[method-assign]
    return synth


def model_note_on(synth: Synth, channel: int, key: int, velocity: int) -> None:
    """A note-on of ``key`` at ``velocity`` on ``channel``, in Python."""
    state = synth.channels[channel]
    waiting = state.waiting
    if waiting is not None and (waiting.bank, waiting.program) in synth._ready:
        state.preset, state.waiting = waiting, None
    if state.preset is None:
        return
    regions = state.preset.regions_for(key, velocity)
    if not regions:
        return
    synth._release(synth._find(channel, key))  # a repeated key restarts the note
    for exclusive in {r.exclusive_class for r in regions if r.exclusive_class}:
        rows = np.flatnonzero(synth._find(channel, sounding=False))
        _choke(synth, rows[synth.voices.state[vs.EXCLUSIVE, rows] == exclusive])
    regions = regions[: synth.max_voices]
    _make_room(synth, len(regions))
    for region in regions:
        _start_voice(synth, channel, key, velocity, region)


def _start_voice(synth: Synth, channel: int, key: int, velocity: int, region: Region) -> None:
    of = synth.channels[channel]
    wheel = (of.pressure, of.pitch_wheel, of.bend_semitones + of.bend_cents / 100)
    state, params = new_voice(
        region, key, velocity, of.controllers, synth.sample_rate, synth.gain, wheel
    )
    state[vs.LOOP_MODE] = region_loop_mode(region)
    state[vs.CHANNEL], state[vs.KEY] = channel, key
    state[vs.EXCLUSIVE] = region.exclusive_class
    synth.voices.add(region_span(region), state, params)


def _choke(synth: Synth, rows: np.ndarray) -> None:
    """Voices ``rows`` released over CHOKE_RELEASE_TC for a full fall, both envelopes."""
    if rows.size == 0:
        return
    periods = 1 + int(synth.sample_rate / CONTROL_FRAMES * 2.0 ** (CHOKE_RELEASE_TC / 1200.0))
    for which in (0, 1):
        synth.voices.state[vs.ENV_COUNTS + which * SECTIONS + RELEASE, rows] = periods
        increment_row = vs.ENV + (which * SECTIONS + RELEASE) * 4 + 1
        synth.voices.params[increment_row, rows] = -1.0 / periods
    synth._release(_flags(synth, rows))


def _flags(synth: Synth, rows: np.ndarray) -> np.ndarray:
    """Voices ``rows`` flagged, a bool per voice of the bank, as the synth's own searches."""
    flags = np.zeros(synth.voices.count, dtype=bool)
    flags[rows] = True
    return flags


def _make_room(synth: Synth, needed: int) -> None:
    voices = synth.voices
    if voices.count + needed <= synth.max_voices:
        return
    state = voices.state[:, : voices.count]
    live = np.flatnonzero((state[vs.KILLED] == 0) & (state[vs.DONE] == 0))
    excess = live.size + needed - synth.max_voices
    if excess > 0:
        released = live[state[vs.RELEASED, live] != 0]
        held = live[state[vs.RELEASED, live] == 0]
        stolen = np.concatenate([released, held])[:excess]
        synth._kill(_flags(synth, stolen), synth._ms(STEAL_FADE_MS))
    if voices.count + needed > voices.capacity:
        _remove(voices, voices.state[vs.DONE, : voices.count] != 0)  # the voices that are over
    overflow = voices.count + needed - voices.capacity
    if overflow > 0:
        state = voices.state[:, : voices.count]
        fading = np.flatnonzero(state[vs.KILLED] != 0)[:overflow]
        dead = np.zeros(voices.count, dtype=bool)
        dead[fading] = True
        _remove(voices, dead)


def _remove(voices: VoiceBank, dead: np.ndarray) -> None:
    """Drop the voices flagged in ``dead`` (bool per voice), keeping start order."""
    keep = (~dead).nonzero()[0]
    voices.state[:, : keep.size] = voices.state[:, keep]
    voices.params[:, : keep.size] = voices.params[:, keep]
    voices.count = keep.size
