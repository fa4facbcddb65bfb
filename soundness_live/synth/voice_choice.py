"""A whole note-on in one compiled call: which voices it releases, cuts and steals, then its own.

:func:`play_note` does in compiled code what the synth did in Python around
:func:`.note_on.start_voice`, by the same rules, with no allocation:

- the regions of the key and velocity: a preset's regions listed by key when the synth is made
  (``numbers[first:stop]``, the preset's order), each kept when the velocity is in its range,
  at most ``max_voices`` of them; none found, nothing happens;
- a repeated key restarts the note: the channel's sounding voices of the key are released;
- a region's exclusive class cuts the channel's voices of that class not yet over (released
  over ``choke_periods`` control periods, both envelopes, whatever the pedal);
- room: when the bank would hold more than ``max_voices`` voices not being killed, the oldest
  released ones fade out over ``fade_frames`` first, then the oldest held; when its columns
  run out, the voices that are over are cleared away, then the oldest fading ones;
- each region's voice in the next column (:func:`.note_on.start_voice`), its playback
  position from ``placements`` (the strips laid out for the region, see
  :meth:`.voices.VoiceBank.placement`).

Voices stay in start order: the kernel sums them in that order, so clearing a voice away never
changes the output.
"""

from __future__ import annotations

import numpy as np

from . import voice_state as vs
from .envelope import RELEASE, SECTIONS
from .note_on import EXCLUSIVE, N_SOURCES, VEL_HI, VEL_LO, RegionTables, start_voice
from .numba_cache import inner_jit
from .region import LOOP_UNTIL_RELEASE, Region

__all__ = ["N_PLACEMENT", "PLACED", "compile_note_on", "play_note"]

import numba  # noqa: E402 - after numba_cache, which sets numba's cache directory first

# a region's placement row (int64): the position fields of a new voice, and whether it is set
PLACED = len(vs.PLACEMENT_FIELDS)
N_PLACEMENT = PLACED + 1


@inner_jit()
def _alive(state, voice):  # pragma: no cover - compiled
    """Not being killed and not over."""
    return state[vs.KILLED, voice] == 0 and state[vs.DONE, voice] == 0


@inner_jit()
def _release(state, voice):  # pragma: no cover - compiled
    """Start the voice's release at its next control step; a loop-until-release voice plays
    on from now through its loop's end to the sample's end."""
    state[vs.NOTE_OFF, voice] = 1
    state[vs.RELEASED, voice], state[vs.SUSTAINED, voice] = 1, 0
    if state[vs.LOOP_MODE, voice] == LOOP_UNTIL_RELEASE:
        position, base = state[vs.POS, voice], state[vs.BASE, voice]
        length = state[vs.LENGTH, voice]
        if position >= base:  # back into the loop's first pass, then onto the plain strip
            position = base - length + (position - base) % length
        state[vs.POS, voice] = position + state[vs.PLAIN_SHIFT, voice]
        state[vs.BASE, voice] = state[vs.END_AT, voice] = state[vs.PLAIN_END_AT, voice]
        state[vs.LENGTH, voice] = vs.ONE
        state[vs.LOOP_MODE, voice] = 0


@numba.njit(cache=True, nogil=True)
def release_voices(state, flags):  # pragma: no cover - compiled
    """:func:`_release` for each voice flagged (bool per voice): the synth's note-offs, pedal
    lifts and all notes off in the audio callback, nothing allocated."""
    for voice in range(flags.size):
        if flags[voice]:
            _release(state, voice)


@inner_jit()
def _release_key(state, count, channel, key):  # pragma: no cover - compiled
    """Release the channel's sounding voices of ``key``."""
    for voice in range(count):
        if (
            _alive(state, voice)
            and state[vs.RELEASED, voice] == 0
            and state[vs.CHANNEL, voice] == channel
            and state[vs.KEY, voice] == key
        ):
            _release(state, voice)


@inner_jit()
def _choke(state, params, count, channel, exclusive, periods):  # pragma: no cover - compiled
    """Release the channel's voices of class ``exclusive`` not yet over, both envelopes
    falling in full over ``periods`` control periods. Cutting twice sets the same numbers, so
    a class shared by several regions of the note needs no check."""
    for voice in range(count):
        if (
            _alive(state, voice)
            and state[vs.CHANNEL, voice] == channel
            and state[vs.EXCLUSIVE, voice] == exclusive
        ):
            for which in range(2):  # the volume envelope, the modulation envelope
                section = which * SECTIONS + RELEASE
                state[vs.ENV_COUNTS + section, voice] = periods
                params[vs.ENV + section * 4 + 1, voice] = -1.0 / periods
            _release(state, voice)


@inner_jit()
def _steal(state, count, excess, fade_frames):  # pragma: no cover - compiled
    """Fade out ``excess`` voices: the oldest released first, then the oldest held."""
    for released in (1, 0):
        for voice in range(count):
            if excess == 0:
                return
            if _alive(state, voice) and (state[vs.RELEASED, voice] != 0) == (released == 1):
                state[vs.FADE_FRAMES, voice], state[vs.FADE_AGE, voice] = fade_frames, 0
                state[vs.RELEASED, voice] = 1
                state[vs.KILLED, voice] = 1
                excess -= 1


@inner_jit()
def _clear_away(state, params, count, fading):  # pragma: no cover - compiled
    """Remove the voices that are over and then the ``fading`` oldest killed ones, keeping
    start order; returns the voices left."""
    kept = 0
    for voice in range(count):
        gone = state[vs.DONE, voice] != 0
        if not gone and fading > 0 and state[vs.KILLED, voice] != 0:
            gone, fading = True, fading - 1
        if not gone:
            if kept != voice:  # row by row: a column copy compiles numba's shape checks
                for row in range(state.shape[0]):
                    state[row, kept] = state[row, voice]
                for row in range(params.shape[0]):
                    params[row, kept] = params[row, voice]
            kept += 1
    return kept


@numba.njit(cache=True, nogil=True)
def clear_away(state, params, count, fading):  # pragma: no cover - compiled
    """:func:`_clear_away` for the voice bank's reap in the audio callback (``fading`` 0:
    only the voices that are over go), nothing allocated; returns the voices left. The bank
    passes ``fading``, so the helper is compiled once, with the note-on's types."""
    return _clear_away(state, params, count, fading)


@inner_jit()
def _make_room(state, params, count, needed, max_voices, fade_frames):  # pragma: no cover
    """Room for ``needed`` new voices; returns the voices left in the bank."""
    if count + needed <= max_voices:
        return count  # fewer voices than the limit, even counting those that are over
    live = 0
    for voice in range(count):
        if _alive(state, voice):
            live += 1
    if live + needed > max_voices:
        _steal(state, count, live + needed - max_voices, fade_frames)
    capacity = state.shape[1]
    if count + needed > capacity:  # the voices that are over go, then if need be the oldest
        done = 0  # fading ones (only with > max_voices note-ons inside one steal fade)
        for voice in range(count):
            if state[vs.DONE, voice] != 0:
                done += 1
        count = _clear_away(state, params, count, max(count - done + needed - capacity, 0))
    return count


@inner_jit()
def _wanted(row, velocity):  # pragma: no cover - compiled
    return row[VEL_LO] <= velocity <= row[VEL_HI]


@numba.njit(cache=True, nogil=True)
def play_note(  # pragma: no cover - compiled
    state,
    params,
    count,
    numbers,
    first,
    stop,
    placements,
    tables,
    channel,
    key,
    velocity,
    sources,
    sample_rate,
    gain,
    max_voices,
    fade_frames,
    periods,
):
    """A note-on of ``key`` at ``velocity`` on ``channel`` among the bank's ``count`` voices,
    from the regions ``numbers[first:stop]`` of ``tables`` (see :func:`.note_on.start_voice`),
    at most ``max_voices`` sounding, a stolen voice fading over ``fade_frames``, a cut one
    released over ``periods`` control periods; returns the voices in the bank after it."""
    rows = tables[0]
    needed = 0
    for i in range(first, stop):
        if _wanted(rows[numbers[i]], velocity):
            needed += 1
    if needed == 0:
        return count
    _release_key(state, count, channel, key)  # a repeated key restarts the note
    for i in range(first, stop):
        row = rows[numbers[i]]
        if _wanted(row, velocity) and row[EXCLUSIVE] != 0.0:
            _choke(state, params, count, channel, int(row[EXCLUSIVE]), periods)
    needed = min(needed, max_voices)
    count = _make_room(state, params, count, needed, max_voices, fade_frames)
    for i in range(first, stop):
        region = numbers[i]
        if needed == 0:
            break
        if not _wanted(rows[region], velocity):
            continue
        start_voice(
            state, params, count, tables, region, channel, key, velocity, sources, sample_rate, gain
        )
        for field in range(PLACED):
            state[vs.PLACEMENT_FIELDS[field], count] = placements[region, field]
        count += 1
        needed -= 1
    return count


def compile_note_on() -> bool:
    """Compile (or load from the cache) :func:`play_note`, :func:`.note_on.start_voice`,
    :func:`release_voices` and :func:`clear_away` for the only types the synth passes, then
    refuse any other; True when the cache served them."""
    tables = RegionTables((Region(0, 127, 0, 127, 0, 8, 0, 8, 48_000, 60),), 48_000)
    state = vs.voice_columns(vs.N_STATE, 2, np.int64)
    params = vs.voice_columns(vs.N_PARAMS, 2, np.float64)
    sources = np.zeros((vs.N_CHANNELS, N_SOURCES), dtype=np.float64)
    numbers, placements = np.zeros(1, np.int64), np.zeros((1, N_PLACEMENT), np.int64)
    arguments = (numbers, 0, 1, placements, tables.arrays, 0, 60, 100, sources, 48_000.0, 0.2)
    play_note(state, params, 0, *arguments, 1, 144, 2)
    start_voice(state, params, 0, tables.arrays, 0, 0, 60, 100, sources, 48_000.0, 0.2)
    release_voices(state, np.zeros(2, dtype=np.bool_))
    clear_away(state, params, 0, 0)
    cached = True
    entries = (play_note, start_voice, release_voices, clear_away)
    for compiled in entries:  # start_voice: the tests call it alone
        compiled.disable_compile()
        stats = compiled.stats
        cached = cached and stats.cache_hits.total() > 0 and stats.cache_misses.total() == 0
    return cached
