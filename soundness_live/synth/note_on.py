"""A note-on in numbers: each region's voice set-up as table rows built when the synth is made,
and one compiled call that writes a new voice's columns from them.

:func:`.voice_setup.new_voice` is the model in readable Python; this is the same arithmetic,
split where it can be: everything a region alone decides (the generators in the synth's units,
the envelopes' sections but their key-scaled hold and decay, the amounts of the routes the
synth follows, the font's modulators as rows) is computed once per region by
:class:`RegionTables`, off the audio thread, and :func:`start_voice` computes the rest in
compiled code from the key, the velocity and the channel's sources — no Python work and no
allocation per note. The two give the same numbers (``tests/synth/test_note_on_tables.py``
holds them equal, region by region, on FluidR3 and TimGM6mb).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from . import voice_state as vs
from .envelope import CONTROL_FRAMES, INSTANT_S, MAX_TIME_S, SECTIONS, envelope_sections
from .modulators import (
    CONCAVE_TABLE,
    CONVEX_TABLE,
    ControllerAmounts,
    split_modulators,
    voice_modulators,
)
from .numba_cache import inner_jit
from .region import Modulator, Region, region_loop_mode
from .voice_setup import INITIAL_ATTENUATION_FACTOR, Q_OFFSET_DB

__all__ = ["N_SOURCES", "RegionTables", "start_voice"]

import numba  # noqa: E402 - after numba_cache, which sets numba's cache directory first

# -- a region's row (float64) -----------------------------------------------------------------
(FIXED_KEY, FIXED_VELOCITY, SCALE_TUNING, ROOT_KEY, TUNE, RATE_CENTS) = range(6)
(ATTEN, PAN, FILTER_FC, FILTER_Q, ENV_TO_FC, LFO_TO_FC) = range(6, 12)
(MOD_LFO_STEP, VIB_LFO_STEP, MOD_LFO_DELAY, VIB_LFO_DELAY) = range(12, 16)
(LFO_TO_PITCH, LFO_TO_VOL, VIB_TO_PITCH, ENV_TO_PITCH) = range(16, 20)
(CC7, CC11, CC10, CC1, WHEEL, PRESSURE) = range(20, 26)  # the followed routes' amounts
LOOP_MODE, EXCLUSIVE, FIRST_MOD, MODS = range(26, 30)
PERIODS_PER_S = 30  # control periods per second of the output
ENV_KEYED = 31  # 2 envelopes x (hold s, hold tc per key, decay s, decay tc per key)
VEL_LO, VEL_HI = ENV_KEYED + 8, ENV_KEYED + 9  # the velocities the region sounds at
N_ROW = ENV_KEYED + 10
# -- a modulator's row (float64): what it reads, where it goes, how much ----------------------
M_SOURCE, M_AMOUNT_SOURCE, M_DESTINATION, M_AMOUNT, M_TRANSFORM = range(5)
# -- a channel's sources at note-on (float64): its 128 CCs, then these -----------------------
PRESSURE_AT, WHEEL_AT, WHEEL_RANGE_AT = 128, 129, 130
N_SOURCES = 131
N_GENERATORS = 64  # the generator numbers a modulator may reach (0..60 defined)

# generator numbers (SoundFont 2.04 §8.1.2) the set-up reads modulators' totals of
(G_MOD_LFO_TO_PITCH, G_VIB_LFO_TO_PITCH, G_MOD_ENV_TO_PITCH, G_FILTER_FC, G_FILTER_Q) = (
    5,
    6,
    7,
    8,
    9,
)
G_MOD_LFO_TO_FC, G_MOD_ENV_TO_FC, G_MOD_LFO_TO_VOLUME, G_PAN, G_ATTENUATION = 10, 11, 13, 17, 48
G_MOD_LFO_DELAY, G_MOD_LFO_FREQ, G_VIB_LFO_DELAY, G_VIB_LFO_FREQ = 21, 22, 23, 24
G_COARSE_TUNE, G_FINE_TUNE = 51, 52

_CONCAVE, _CONVEX_CURVE = CONCAVE_TABLE, CONVEX_TABLE
_PAN_SCALE = math.pi / 2002.0  # FluidSynth's equal-power pan law


class RegionTables:
    """Every region's row, envelope sections and modulators, for one sample rate.

    ``rows`` (regions, N_ROW), ``counts`` (regions, 14) and ``sections`` (regions, 56) hold
    what :func:`start_voice` copies; ``modulators`` (m, 5) the font's and default modulators
    that are not followed routes, each distinct set once. :meth:`number` gives a region's row,
    adding one for a region made by hand (that copies the tables: not for the audio thread).
    """

    def __init__(self, regions: Iterable[Region], sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._numbers: dict[int, int] = {}
        self._kept: list[Region] = []  # the regions numbered: their ids stay theirs
        self._mod_sets: dict[tuple, int] = {}
        self._splits: dict[tuple, tuple[ControllerAmounts, tuple[Modulator, ...]]] = {}
        self._mod_rows: list[tuple[float, ...]] = []
        self._totals = np.zeros(N_GENERATORS, dtype=np.float64)
        self.rows: np.ndarray
        self.counts: np.ndarray
        self.sections: np.ndarray
        self.modulators: np.ndarray
        self.arrays: tuple[np.ndarray, ...]
        built = [self._build(region) for region in regions]
        self._set_arrays(built)

    def number(self, region: Region) -> int:
        """The row of ``region``, made now when it is new to these tables."""
        found = self._numbers.get(id(region))
        if found is None:
            row, counts, sections = self._build(region)
            self.rows = np.vstack([self.rows, row])
            self.counts = np.vstack([self.counts, counts])
            self.sections = np.vstack([self.sections, sections])
            self.modulators = _modulator_array(self._mod_rows)
            self._tie()
            found = self._numbers[id(region)]
        return found

    def region(self, number: int) -> Region:
        """The region of row ``number``."""
        return self._kept[number]

    def _tie(self) -> None:
        """What :func:`start_voice` takes, in one tuple, with the modulators' totals' scratch
        row (one synth's note-ons run one at a time)."""
        self.arrays = (self.rows, self.counts, self.sections, self.modulators, self._totals)

    def _set_arrays(self, built: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self.rows = np.array([b[0] for b in built], dtype=np.float64).reshape(-1, N_ROW)
        self.counts = np.array([b[1] for b in built], dtype=np.int64).reshape(-1, 2 * SECTIONS)
        self.sections = np.array([b[2] for b in built], dtype=np.float64).reshape(-1, 8 * SECTIONS)
        self.modulators = _modulator_array(self._mod_rows)
        self._tie()

    def _build(self, region: Region) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One region's row, and its envelopes' sections at key 60 (the key-scaled counts
        are computed again at note-on)."""
        self._numbers[id(region)] = len(self._kept)
        self._kept.append(region)
        row = region_row(region, self.sample_rate)
        zone = (region.instrument_modulators, region.preset_modulators)
        split = self._splits.get(zone)  # most zones of a font share theirs (none, mostly)
        if split is None:
            split = self._splits[zone] = split_modulators(voice_modulators(*zone))
        amounts, others = split
        row[CC7 : PRESSURE + 1] = (
            amounts.volume,
            amounts.expression,
            amounts.pan,
            amounts.vibrato,
            amounts.wheel,
            amounts.pressure,
        )
        row[FIRST_MOD], row[MODS] = self._modulator_set(others), len(others)
        counts, sections = [], []
        for modulation in (False, True):
            c, s = envelope_sections(region, 60, self.sample_rate, modulation=modulation)
            counts.append(c)
            sections.append(s.ravel())
        return row, np.concatenate(counts), np.concatenate(sections)

    def _modulator_set(self, modulators: tuple) -> int:
        """The first row of ``modulators`` in the shared table (added when new)."""
        key = tuple(
            (m.source, m.amount_source, m.destination, m.amount, m.transform) for m in modulators
        )
        first = self._mod_sets.get(key)
        if first is None:
            first = self._mod_sets[key] = len(self._mod_rows)
            self._mod_rows.extend(tuple(float(x) for x in m) for m in key)
        return first


def _modulator_array(rows: list[tuple[float, ...]]) -> np.ndarray:
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def region_row(region: Region, sample_rate: int) -> np.ndarray:
    """What of a voice ``region`` alone decides, in :func:`start_voice`'s units: each value
    the same float :func:`.voice_setup.new_voice` computes on the way."""
    row = np.zeros(N_ROW, dtype=np.float64)
    row[FIXED_KEY], row[FIXED_VELOCITY] = region.fixed_key, region.fixed_velocity
    row[SCALE_TUNING], row[ROOT_KEY], row[TUNE] = (
        region.scale_tuning,
        region.root_key,
        region.tune_cents,
    )
    row[RATE_CENTS] = 1200.0 * math.log2(region.sample_rate / sample_rate)
    row[ATTEN] = INITIAL_ATTENUATION_FACTOR * region.attenuation_cb
    row[PAN] = 500.0 * region.pan
    row[FILTER_FC], row[FILTER_Q] = region.filter_fc_cents, region.filter_q_cb
    row[ENV_TO_FC], row[LFO_TO_FC] = region.mod_env_to_fc, region.mod_lfo_to_fc
    row[MOD_LFO_STEP] = 4.0 * CONTROL_FRAMES * region.mod_lfo_hz
    row[VIB_LFO_STEP] = 4.0 * CONTROL_FRAMES * region.vib_lfo_hz
    row[MOD_LFO_DELAY] = sample_rate * max(region.mod_lfo_delay_s, INSTANT_S)
    row[VIB_LFO_DELAY] = sample_rate * max(region.vib_lfo_delay_s, INSTANT_S)
    row[LFO_TO_PITCH], row[LFO_TO_VOL] = region.mod_lfo_to_pitch, region.mod_lfo_to_volume_cb
    row[VIB_TO_PITCH], row[ENV_TO_PITCH] = region.vib_lfo_to_pitch, region.mod_env_to_pitch
    row[LOOP_MODE], row[EXCLUSIVE] = region_loop_mode(region), region.exclusive_class
    row[PERIODS_PER_S] = sample_rate / CONTROL_FRAMES
    row[VEL_LO], row[VEL_HI] = region.vel_lo, region.vel_hi
    row[ENV_KEYED : ENV_KEYED + 8] = (
        max(region.hold_s, INSTANT_S),
        region.key_to_hold_tc,
        max(region.decay_s, INSTANT_S),
        region.key_to_decay_tc,
        max(region.mod_hold_s, INSTANT_S),
        region.key_to_mod_hold_tc,
        max(region.mod_decay_s, INSTANT_S),
        region.key_to_mod_decay_tc,
    )
    return row


# -- compiled ---------------------------------------------------------------------------------
@inner_jit()
def _curve(table, x):  # pragma: no cover - compiled
    """``table`` read at ``x`` (0..127), linearly between its points (modulators._curve)."""
    if x <= 0.0:
        return table[0]
    if x >= 127.0:
        return table[127]
    i = int(x)
    return table[i] + (table[i + 1] - table[i]) * (x - i)


@inner_jit()
def _shape(curve, u):  # pragma: no cover - compiled
    """A unipolar curve at ``u`` in 0..1 (0 linear, 1 concave, 2 convex, 3 switch)."""
    if curve == 1:
        return _curve(_CONCAVE, 127.0 * u)
    if curve == 2:
        return _curve(_CONVEX_CURVE, 127.0 * u)
    if curve == 3:
        return 1.0 if u >= 0.5 else 0.0
    return u


@inner_jit()
def _transform(operator, value, value_range):  # pragma: no cover - compiled
    """A source value through the operator's direction, polarity and curve (§8.2.1)."""
    u = value / value_range
    curve = (operator >> 10) & 3
    if operator & 0x100:
        u = 1.0 - u
    if not operator & 0x200:
        return _shape(curve, u)
    if curve == 0:
        return 2.0 * u - 1.0
    if curve == 3:
        return 1.0 if u >= 0.5 else -1.0
    if u > 0.5:
        return _shape(curve, 2.0 * (u - 0.5))
    return -_shape(curve, 2.0 * (0.5 - u))


@inner_jit()
def _present(operator):  # pragma: no cover - compiled
    """False for the source operator "no controller"."""
    return (operator & 0x80) != 0 or (operator & 0x7F) != 0


@inner_jit()
def _source(operator, key, velocity, sources, channel):  # pragma: no cover - compiled
    """The transformed value of a source operator at note-on (not "no controller")."""
    index = operator & 0x7F
    if operator & 0x80:
        return _transform(operator, sources[channel, index], 128.0)
    if index == 2:
        return _transform(operator, float(velocity), 128.0)
    if index == 3:
        return _transform(operator, float(key), 128.0)
    if index == 14:
        return _transform(operator, sources[channel, WHEEL_AT], 16384.0)
    if index == 16:
        return _transform(operator, sources[channel, WHEEL_RANGE_AT], 128.0)
    if index == 13:
        return _transform(operator, sources[channel, PRESSURE_AT], 128.0)
    return _transform(operator, 0.0, 128.0)  # polyphonic pressure, link: at rest


@inner_jit()
def _modulate(
    totals, modulators, first, count, key, velocity, sources, channel
):  # pragma: no cover
    """Each modulator's contribution summed per destination, in the modulators' order."""
    totals[:] = 0.0
    for m in range(first, first + count):
        row = modulators[m]
        destination = int(row[M_DESTINATION])
        source, amount_source = int(row[M_SOURCE]), int(row[M_AMOUNT_SOURCE])
        value = 0.0
        if _present(source):
            primary = _source(source, key, velocity, sources, channel)
            secondary = 1.0
            if _present(amount_source):
                secondary = _source(amount_source, key, velocity, sources, channel)
            value = row[M_AMOUNT] * primary * secondary
            if row[M_TRANSFORM] == 2.0:
                value = abs(value)
        if 0 <= destination < N_GENERATORS:
            totals[destination] = totals[destination] + value


@inner_jit()
def _clamp(value, limit):  # pragma: no cover - compiled
    return min(max(value, -limit), limit)


@inner_jit()
def _envelopes(state, params, column, counts, sections, row, key):  # pragma: no cover
    """Both envelopes' sections, with the hold and decay scaled by ``key``."""
    periods = row[PERIODS_PER_S]
    for which in range(2):
        first_count, first_row = vs.ENV_COUNTS + which * SECTIONS, vs.ENV + which * SECTIONS * 4
        for i in range(SECTIONS):
            state[first_count + i, column] = counts[which * SECTIONS + i]
        for i in range(SECTIONS * 4):
            params[first_row + i, column] = sections[which * SECTIONS * 4 + i]
        keyed = ENV_KEYED + 4 * which
        hold_s = row[keyed] * 2.0 ** ((60 - key) * row[keyed + 1] / 1200.0)
        decay_s = row[keyed + 2] * 2.0 ** ((60 - key) * row[keyed + 3] / 1200.0)
        decay = int(periods * min(decay_s, MAX_TIME_S) + 0.5)
        state[first_count + 2, column] = int(periods * hold_s + 0.5)
        state[first_count + 3, column] = decay
        params[first_row + 3 * 4 + 1, column] = -1.0 / decay if decay else 0.0


@inner_jit()
def _level(params, column, row, totals, cc, channel, gain):  # pragma: no cover
    """Attenuation and pan, with their controller parts kept apart for later changes."""
    base_cb = row[ATTEN] + totals[G_ATTENUATION]
    params[vs.ATTEN_BASE, column] = base_cb
    params[vs.PAN_BASE, column] = row[PAN] + totals[G_PAN]
    params[vs.CC7_AMOUNT, column], params[vs.CC11_AMOUNT, column] = row[CC7], row[CC11]
    params[vs.CC10_AMOUNT, column], params[vs.CC1_AMOUNT, column] = row[CC10], row[CC1]
    params[vs.WHEEL_AMOUNT, column] = row[WHEEL]
    params[vs.PRESSURE_AMOUNT, column] = row[PRESSURE]
    cc_cb = row[CC7] * _curve(_CONCAVE, 127.0 * (1.0 - cc[channel, 7] / 128.0))
    cc_cb += row[CC11] * _curve(_CONCAVE, 127.0 * (1.0 - cc[channel, 11] / 128.0))
    params[vs.ATTEN, column] = min(max(base_cb + cc_cb, 0.0), 1440.0)
    pan = params[vs.PAN_BASE, column] + row[CC10] * (2.0 * cc[channel, 10] / 128.0 - 1.0)
    pan = min(max(pan, -500.0), 500.0)
    params[vs.GAIN_L, column] = gain * np.sin((500.0 - pan) * _PAN_SCALE)
    params[vs.GAIN_R, column] = gain * np.sin((500.0 + pan) * _PAN_SCALE)


@inner_jit()
def _filter_and_lfos(
    state, params, column, row, totals, cc, channel, sample_rate
):  # pragma: no cover
    """Cutoff, Q and its gain; both LFOs' steps, delays and routings."""
    params[vs.FC, column] = row[FILTER_FC] + totals[G_FILTER_FC]
    q_db = min(max((row[FILTER_Q] + totals[G_FILTER_Q]) / 10.0, 0.0), 96.0) - Q_OFFSET_DB
    q = 10.0 ** (q_db / 20.0)
    params[vs.Q_LIN, column], params[vs.FILTER_GAIN, column] = q, 1.0 / np.sqrt(q)
    params[vs.LAST_HZ, column] = -1.0
    params[vs.MOD_ENV_TO_FC, column] = _clamp(row[ENV_TO_FC] + totals[G_MOD_ENV_TO_FC], 12000.0)
    params[vs.MOD_LFO_TO_FC, column] = _clamp(row[LFO_TO_FC] + totals[G_MOD_LFO_TO_FC], 12000.0)
    mod_step = row[MOD_LFO_STEP] * 2.0 ** (totals[G_MOD_LFO_FREQ] / 1200.0)
    vib_step = row[VIB_LFO_STEP] * 2.0 ** (totals[G_VIB_LFO_FREQ] / 1200.0)
    params[vs.MOD_LFO_INC, column] = mod_step / sample_rate
    params[vs.VIB_LFO_INC, column] = vib_step / sample_rate
    delay = row[MOD_LFO_DELAY] * 2.0 ** (totals[G_MOD_LFO_DELAY] / 1200.0)
    state[vs.MOD_LFO_DELAY, column] = int(delay)
    state[vs.VIB_LFO_DELAY, column] = int(
        row[VIB_LFO_DELAY] * 2.0 ** (totals[G_VIB_LFO_DELAY] / 1200.0)
    )
    pitch = row[LFO_TO_PITCH] + totals[G_MOD_LFO_TO_PITCH]
    params[vs.MOD_LFO_TO_PITCH, column] = _clamp(pitch, 12000.0)
    volume = row[LFO_TO_VOL] + totals[G_MOD_LFO_TO_VOLUME]
    params[vs.MOD_LFO_TO_VOL, column] = _clamp(volume, 960.0)
    params[vs.VIB_BASE, column] = row[VIB_TO_PITCH] + totals[G_VIB_LFO_TO_PITCH]
    vibrato = params[vs.VIB_BASE, column] + row[CC1] * cc[channel, 1] / 128.0
    params[vs.VIB_LFO_TO_PITCH, column] = _clamp(vibrato, 12000.0)
    pitch = row[ENV_TO_PITCH] + totals[G_MOD_ENV_TO_PITCH]
    params[vs.MOD_ENV_TO_PITCH, column] = _clamp(pitch, 12000.0)


@numba.njit(cache=True, nogil=True)
def start_voice(  # pragma: no cover - compiled
    state, params, column, tables, region, channel, key, velocity, sources, sample_rate, gain
):
    """Write the columns ``column`` of ``state`` and ``params`` for a voice of region number
    ``region`` of ``tables`` (rows, counts, sections, modulators, scratch totals) for
    ``key`` at ``velocity`` on ``channel``, whose note-on sources are ``sources[channel]``
    (128 CCs, pressure, wheel, wheel range): what :func:`.voice_setup.new_voice` computes,
    with the loop mode, channel, key and exclusive class set too. Positions are the
    caller's."""
    rows, counts, sections, modulators, totals = tables
    row = rows[region]
    state[:, column] = 0
    params[:, column] = 0.0
    params[vs.KEPT : vs.N_PARAMS, column] = np.nan
    key_used = int(row[FIXED_KEY]) if row[FIXED_KEY] >= 0.0 else key
    velocity_used = int(row[FIXED_VELOCITY]) if row[FIXED_VELOCITY] >= 0.0 else velocity
    first, count = int(row[FIRST_MOD]), int(row[MODS])
    _modulate(totals, modulators, first, count, key_used, velocity_used, sources, channel)
    cents = row[SCALE_TUNING] * (key_used - row[ROOT_KEY]) + row[TUNE]
    cents += 100.0 * totals[G_COARSE_TUNE] + totals[G_FINE_TUNE]
    params[vs.PITCH, column] = cents + row[RATE_CENTS]
    _level(params, column, row, totals, sources, channel, gain)
    _filter_and_lfos(state, params, column, row, totals, sources, channel, sample_rate)
    _envelopes(state, params, column, counts[region], sections[region], row, key_used)
    state[vs.LOOP_MODE, column] = int(row[LOOP_MODE])
    state[vs.CHANNEL, column], state[vs.KEY, column] = channel, key
    state[vs.EXCLUSIVE, column] = int(row[EXCLUSIVE])
