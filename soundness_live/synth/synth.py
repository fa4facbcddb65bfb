"""The SoundFont synth: 16 MIDI channels over a voice bank rendered by a compiled kernel.

``Synth.handle(event)`` applies one event *now* (at ``Synth.frame``); ``Synth.render(out)``
writes the next ``len(out)`` stereo frames and advances ``frame``. The renderer splits each
block at event offsets, so events land on exact frames; each voice steps its envelopes, LFOs,
pitch and filter every 64 frames of its own age, so the output does not depend on the block
split (see :mod:`.voices`).

Rendering is one compiled call per block at any number of voices (see :mod:`.voices`), and a
note-on one compiled call that finds the voices it releases, cuts and steals and starts its own
(:mod:`.voice_choice`); the kernel is compiled (or loaded from its cache) when the first synth
of a process is made, so no note waits for it (:func:`.kernel.compile_kernel`).
Each sample is laid out for the renderer the first time it sounds (:mod:`.sample_layout`):
for a long sample that takes milliseconds inside ``handle``, so a live engine calls
:meth:`Synth.prepare` for its instruments before the audio stream starts.

The sound model is SoundFont 2.04 as FluidSynth 2.3 plays it (:mod:`.voice_setup`, :mod:`.envelope`,
:mod:`.modulators`, :mod:`.kernel`): the resonant low-pass filter, the modulation envelope, both
LFOs, the default modulators and the font's own, FluidSynth's gain staging. CC7 volume, CC11
expression, CC10 pan, CC1 mod wheel, the pitch wheel (with its sensitivity, RPN 0 through CC101/100
and data entry CC6/38; 2 semitones after power-on) and channel pressure follow sounding voices (from
their next control step: the kernel reads the wheel and the pressure from the channel at each
voice's step); other sources are read at note-on. Where we differ from FluidSynth, on purpose: a
stolen voice fades out over ``STEAL_FADE_MS`` instead of being cut (FluidSynth cuts a stolen voice
at once); notes shorter than 10 ms are not held longer. An
older voice of the same exclusive class (a closed hi-hat's open one) is released over
``CHOKE_RELEASE_TC`` as FluidSynth releases it. The wheel's sensitivity takes RPN 0's data
entry LSB as cents, as General MIDI says (FluidSynth reads the MSB alone).
"""

from __future__ import annotations

import array
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..core.clock import check_sample_rate
from ..core.events import (
    DRUM_CHANNEL,
    AllNotesOff,
    ChannelPressure,
    ControlChange,
    NoteOff,
    NoteOn,
    PitchBend,
    ProgramChange,
    SynthEvent,
)
from ..errors import ParameterError
from . import voice_state as vs
from . import voices as v
from .envelope import CONTROL_FRAMES
from .kernel import compile_kernel, render_voices
from .modulators import CONCAVE_TABLE, pitch_wheel_source
from .note_on import N_SOURCES, PRESSURE_AT, WHEEL_AT, WHEEL_RANGE_AT, RegionTables
from .region import Preset, Region, SoundFontData
from .sf2.read import DRUM_BANK, find_preset
from .voice_choice import N_PLACEMENT, PLACED, play_note, release_voices
from .voice_setup import pan_gains
from .voices import REAP_FRAMES

__all__ = ["Synth", "STEAL_FADE_MS", "REAP_FRAMES"]

PREPARE_BANK_LIMIT = 256 << 20  # lay out a whole bank up to this size (4x its sample data)
STEAL_FADE_MS = 3.0  # a stolen voice fades over this, never cuts
# a voice cut by its exclusive class releases over this (timecents, 0.89 s for the full 96 dB):
# FluidSynth's fluid_voice_kill_excl, "found through listening tests with hi-hat samples"
CHOKE_RELEASE_TC = -200.0
SOUND_OFF_FADE_MS = 5.0  # CC120 all sound off
DEFAULT_GAIN = 0.2  # FluidSynth's synth.gain: the same level as FluidSynth
GM_CONTROLLERS = {7: 100, 10: 64, 11: 127, 100: 127, 101: 127}  # after a reset; others 0
WHEEL_CENTRE = 8192
DEFAULT_BEND_RANGE = 2.0  # semitones: General MIDI's pitch bend sensitivity at power-on
RPN_MSB, RPN_LSB, NRPN_MSB, NRPN_LSB, DATA_MSB, DATA_LSB = 101, 100, 99, 98, 6, 38
RPN_NULL = 127
_STEREO = (2,)  # a block's shape after its frames
# the concave, negative curve of each CC value 0..127, as :func:`.modulators.concave`
_CONCAVE_OF_CC = np.interp(
    127.0 * (1.0 - np.arange(128.0) / 128.0), np.arange(128.0), CONCAVE_TABLE
)


@dataclass
class _Channel:
    """Controller state of one MIDI channel."""

    bank: int = 0
    program: int = 0
    bank_select: int = 0  # CC0, used by the next program change
    controllers: list[int] = field(default_factory=lambda: _reset_controllers([0] * 128))
    sustain: bool = False
    pitch_wheel: int = WHEEL_CENTRE  # 0..16383
    pressure: int = 0
    bend_semitones: int = 2  # RPN 0: data entry MSB
    bend_cents: int = 0  # RPN 0: data entry LSB
    preset: Preset | None = field(default=None, repr=False)
    waiting: Preset | None = field(default=None, repr=False)  # chosen, not yet laid out


def _reset_controllers(values: list[int]) -> list[int]:
    """``values`` with every CC at its General MIDI reset value."""
    values[:] = [GM_CONTROLLERS.get(number, 0) for number in range(128)]
    return values


class Synth:
    """A polyphonic SoundFont synth rendering float32 stereo blocks.

    ``max_voices`` limits sounding voices; beyond it the oldest released voice (else the
    oldest) is stolen with a short fade. Voices fading out after a steal do not count
    towards the limit; they use spare rows (the bank holds ``2 * max_voices``).
    """

    def __init__(
        self,
        soundfont: SoundFontData,
        sample_rate: int = 48_000,
        max_voices: int = 256,
        gain: float = DEFAULT_GAIN,
        interpolation: str = "cubic",
    ) -> None:
        check_sample_rate(sample_rate)
        if not isinstance(max_voices, int) or not 1 <= max_voices <= 4096:
            raise ParameterError(f"max_voices must be an integer in 1..4096, got {max_voices!r}")
        if not 0.0 <= gain <= 16.0:
            raise ParameterError(f"gain must be in 0..16, got {gain!r}")
        self.soundfont = soundfont
        self.sample_rate = sample_rate
        self.max_voices = max_voices
        self.gain = gain
        # the next block's first frame, in an array compiled code moves on too (a renderer's
        # quiet block)
        # (an array.array read by Python and a numpy view of it whose address compiled code takes)
        self._frame = array.array("q", [0])
        self.frames = np.frombuffer(self._frame, dtype=np.int64)
        self.peak_voices = 0
        self._rate = float(sample_rate)
        if interpolation not in v.INTERPOLATIONS:
            raise ParameterError(
                f"interpolation must be one of {v.INTERPOLATIONS}, got {interpolation!r}"
            )
        compile_kernel()
        self.voices = v.VoiceBank(
            2 * max_voices, soundfont.sample_data, interpolation=interpolation
        )
        # the voices an event changes are flagged here: a note-off allocates no mask
        self._flags = np.zeros(self.voices.capacity, dtype=bool)
        self._test = np.zeros(self.voices.capacity, dtype=bool)
        self._values = np.zeros((3, self.voices.capacity))  # a controller change's workings
        regions = [r for preset in soundfont.presets.values() for r in preset.regions]
        self.voices.reserve({(v.region_span(r), v.region_loop_mode(r)) for r in regions})
        # what each region alone decides of a new voice, as numbers a note-on copies
        self._tables = RegionTables(regions, sample_rate)
        # each region's new voice's position fields, once its strips are laid out
        self._placements = np.zeros((len(regions), N_PLACEMENT), dtype=np.int64)
        # every preset's regions by key, in the preset's order, as region numbers: a note-on
        # reads the span of its key (a velocity then chooses among few)
        self._key_regions, self._key_spans = _regions_by_key(soundfont, self._tables)
        self._steal_frames = self._ms(STEAL_FADE_MS)
        self._choke_periods = 1 + int(
            sample_rate / CONTROL_FRAMES * 2.0 ** (CHOKE_RELEASE_TC / 1200.0)
        )
        self._presets: dict[tuple[int, int], Preset] = {}
        # live: a preset whose samples are not laid out never sounds from the callback; the
        # nearest laid-out one stands in while another thread prepares it (prepare_program)
        self.realtime = False
        self._ready: set[tuple[int, int]] = set()  # (bank, program) of presets laid out
        self.wanted: deque[tuple[int, int]] = deque(maxlen=256)  # asked for, not laid out
        self.stand_ins: deque[tuple[int, Preset, Preset | None]] = deque(maxlen=256)
        self.channels = [_Channel() for _ in range(16)]
        # each channel's sources a note-on reads (CCs, pressure, wheel, its range), as numbers
        self._note_sources = np.zeros((16, N_SOURCES), dtype=np.float64)
        for number in range(16):
            self._sync_sources(number)
        for number in range(16):
            self._select(number, DRUM_BANK if number == DRUM_CHANNEL else 0, 0)

    @property
    def frame(self) -> int:
        """The frame the next block starts at (frames rendered so far)."""
        return self._frame[0]

    @property
    def active_voices(self) -> int:
        """Voices still to be heard (sounding, releasing or fading out) at ``frame``."""
        self.voices.reap()  # the output is unchanged by this
        return self.voices.count

    def prepare(self, channels: Iterable[int] | None = None) -> int:
        """Lay out now every sample the presets on ``channels`` (default: all) may play;
        returns the bytes of sample layout built so far.

        Otherwise a sample is laid out the first time it sounds, inside :meth:`handle` —
        milliseconds for a long sample, which the audio callback may not have. Call this
        where the callback is not running (before the stream starts, or from it while
        nothing else runs), never from another thread while it renders.
        """
        presets = [self.channels[c].preset for c in (range(16) if channels is None else channels)]
        return self._lay_out(p for p in presets if p is not None)

    def prepare_bank(self, limit_bytes: int = PREPARE_BANK_LIMIT) -> int:
        """Lay out every preset's samples when the bank is small enough (the bundled bank,
        TimGM6mb), so no instrument chosen later lays out a sample in the audio callback;
        a larger bank gets :meth:`prepare` of the current channels. Returns the bytes built."""
        if self.soundfont.sample_data.nbytes * 4 > limit_bytes:
            return self.prepare()
        return self._lay_out(self.soundfont.presets.values())

    def prepare_program(
        self, bank: int, program: int, between: Callable[[], object] | None = None
    ) -> bool:
        """Lay out the samples of the preset playing (``bank``, ``program``); False when
        they were laid out already. ``between`` is called after each region's samples (a
        thread laying out beside the audio callback lets it have the GIL there).

        Safe from another thread while the audio callback renders a :attr:`realtime` synth:
        the callback then never lays out a sample itself, the rows are reserved ahead (no
        copy of the arena) and the preset counts as ready only once all of them are built.
        """
        preset = find_preset(self.soundfont, bank, program)
        if (preset.bank, preset.program) in self._ready:
            return False
        self._lay_out((preset,), between)
        return True

    def _lay_out(
        self, presets: Iterable[Preset], between: Callable[[], object] | None = None
    ) -> int:
        for preset in presets:
            for region in preset.regions:
                self._place(self._tables.number(region))
                if between is not None:
                    between()
            self._ready.add((preset.bank, preset.program))  # after its last strip
        return self.voices.layout.nbytes

    def _stand_in(self, preset: Preset) -> Preset | None:
        """The laid-out preset nearest ``preset`` (drums for drums; the closest program,
        lower first), or None when nothing is laid out."""
        drums, laid_out = preset.bank == DRUM_BANK, tuple(self._ready)  # one atomic copy
        ready = [k for k in laid_out if (k[0] == DRUM_BANK) == drums] or laid_out
        if not ready:
            return None
        bank, program = min(ready, key=lambda k: (abs(k[1] - preset.program), k[1], k[0]))
        return self.soundfont.presets[(bank, program)]

    def _ms(self, ms: float) -> int:
        return max(1, int(round(ms * self.sample_rate / 1000.0)))

    # -- rendering -------------------------------------------------------------------------------
    def render(self, out: np.ndarray) -> None:
        """Write the next ``len(out)`` frames into ``out`` (float32, shape (n, 2))."""
        if out.shape[1:] != _STEREO:
            raise ParameterError(f"out must have shape (n, 2), got {out.shape}")
        voices = self.voices
        count = voices.count
        if count > self.peak_voices:
            self.peak_voices = count
        try:  # the kernel takes C-contiguous float32 only (it is never compiled again)
            rows = voices.layout.rows  # moves when the layout grows
            state, params, channels = voices.state, voices.params, voices.channels
            render_voices(out, count, state, params, channels, rows, voices.mix, self._rate)
        except TypeError:
            raise ParameterError(
                f"out must be C-contiguous float32, got {out.dtype}"
                f"{'' if out.flags.c_contiguous else ' (a strided view)'}"
            ) from None
        frame = self._frame
        begin = frame[0]
        frame[0] = end = begin + out.shape[0]
        # voices that are over add nothing: clearing them every ~1000 frames is enough
        if end // REAP_FRAMES != begin // REAP_FRAMES:
            voices.reap()

    # -- events ----------------------------------------------------------------------------------
    def handle(self, event: SynthEvent) -> None:
        """Apply ``event`` at the current frame (its own ``frame`` field is not consulted)."""
        if isinstance(event, NoteOn):
            if event.velocity == 0:
                self._note_off(event.channel, event.note)
            else:
                self._note_on(event.channel, event.note, event.velocity)
        elif isinstance(event, NoteOff):
            self._note_off(event.channel, event.note)
        elif isinstance(event, ControlChange):
            self._control(event.channel, event.control, event.value)
        elif isinstance(event, PitchBend):
            self._pitch_wheel(event.channel, event.value)
        elif isinstance(event, ChannelPressure):
            self._pressure(event.channel, event.value)
        elif isinstance(event, ProgramChange):
            self._program(event.channel, event.program, event.bank)
        elif isinstance(event, AllNotesOff):
            self._kill(self._find(event.channel, sounding=False), self._ms(event.fade_ms))
        else:
            raise ParameterError(f"expected a synth event, got {type(event).__name__}")

    def _find(
        self, channel: int | None, key: int | None = None, sounding: bool = True
    ) -> np.ndarray:
        """The voices not being killed (``sounding``: nor released) on channel/key, flagged:
        a bool per voice of the bank, in a buffer the next search overwrites (no allocation)."""
        state = self.voices.state[:, : self.voices.count]
        flags, test = self._flags[: state.shape[1]], self._test[: state.shape[1]]
        np.equal(state[vs.KILLED], 0, out=flags)
        flags &= np.equal(state[vs.DONE], 0, out=test)
        if sounding:
            flags &= np.equal(state[vs.RELEASED], 0, out=test)
        if channel is not None:
            flags &= np.equal(state[vs.CHANNEL], channel, out=test)
        if key is not None:
            flags &= np.equal(state[vs.KEY], key, out=test)
        return flags

    def _note_on(self, channel: int, key: int, velocity: int) -> None:
        state = self.channels[channel]
        waiting = state.waiting
        if waiting is not None and (waiting.bank, waiting.program) in self._ready:
            state.preset, state.waiting = waiting, None  # prepared meanwhile: it plays now
        preset = state.preset
        if preset is None:
            return
        spans = self._key_spans.get(id(preset))
        if spans is None:  # a preset of no font (made by hand)
            numbers = np.array([self._tables.number(r) for r in preset.regions_for(key, velocity)])
            first, stop = 0, numbers.size
        else:
            numbers, first, stop = self._key_regions, int(spans[key]), int(spans[key + 1])
        if (preset.bank, preset.program) not in self._ready:
            for number in numbers[first:stop]:  # laid out the first time they sound
                self._place(int(number))
        voices = self.voices
        voices.count = play_note(
            voices.state,
            voices.params,
            voices.count,
            numbers,
            first,
            stop,
            self._placements,
            self._tables.arrays,
            channel,
            key,
            velocity,
            self._note_sources,
            self._rate,
            self.gain,
            self.max_voices,
            self._steal_frames,
            self._choke_periods,
        )

    def _regions_for(self, preset: Preset, key: int, velocity: int) -> list[Region]:
        """The regions a note-on of ``key`` at ``velocity`` on ``preset`` sounds, in order."""
        spans = self._key_spans.get(id(preset))
        if spans is None:
            return preset.regions_for(key, velocity)
        found = (self._tables.region(n) for n in self._key_regions[spans[key] : spans[key + 1]])
        return [r for r in found if r.vel_lo <= velocity <= r.vel_hi]

    def _place(self, number: int) -> None:
        """Lay out the strips of region ``number`` and keep its voices' position fields."""
        if number >= self._placements.shape[0]:  # a region made by hand, numbered now
            grown = np.zeros((self._tables.rows.shape[0], N_PLACEMENT), dtype=np.int64)
            grown[: self._placements.shape[0]] = self._placements
            self._placements = grown
        if self._placements[number, PLACED] == 0:
            region = self._tables.region(number)
            mode = v.region_loop_mode(region)
            self._placements[number, :PLACED] = self.voices.placement(v.region_span(region), mode)
            self._placements[number, PLACED] = 1

    def _sync_sources(self, channel: int) -> None:
        """The channel's row of note-on sources, from its controllers, pressure and wheel."""
        state, row = self.channels[channel], self._note_sources[channel]
        row[:128] = state.controllers
        row[PRESSURE_AT], row[WHEEL_AT] = state.pressure, state.pitch_wheel
        row[WHEEL_RANGE_AT] = _bend_range(state)

    def _note_off(self, channel: int, key: int | None) -> None:
        """Release the channel's sounding voices of ``key`` (None: of every key), or hold
        them in the sustain pedal."""
        flags = self._find(channel, key)
        if self.channels[channel].sustain:
            np.copyto(self.voices.state[vs.SUSTAINED, : flags.size], 1, where=flags)
        else:
            self._release(flags)

    def _release(self, flags: np.ndarray) -> None:
        """Start the release phase of the voices flagged (at their next control step); a
        loop-until-release voice plays on from now through its loop's end to the sample end."""
        if np.count_nonzero(flags):
            release_voices(self.voices.state, flags)  # the note-on's own release, compiled

    def _kill(self, flags: np.ndarray, fade_frames: int) -> None:
        """Fade the voices flagged out linearly over ``fade_frames`` (no click), then drop
        them."""
        if not np.count_nonzero(flags):
            return
        state = self.voices.state[:, : flags.size]
        np.copyto(state[vs.FADE_FRAMES], fade_frames, where=flags)
        np.copyto(state[vs.FADE_AGE], 0, where=flags)
        np.copyto(state[vs.RELEASED], 1, where=flags)
        np.copyto(state[vs.KILLED], 1, where=flags)

    def _control(self, channel: int, control: int, value: int) -> None:
        state = self.channels[channel]
        state.controllers[control] = value
        self._note_sources[channel, control] = value
        if control == 0:
            state.bank_select = value
        elif control in (1, 7, 10, 11):
            self._follow_controllers(channel)
        elif control == 64:
            state.sustain = value >= 64
            if not state.sustain:
                self._pedal_up(channel)
        elif control == 120:
            self._kill(self._find(channel, sounding=False), self._ms(SOUND_OFF_FADE_MS))
        elif control in (DATA_MSB, DATA_LSB):
            self._data_entry(channel, control, value)
        elif control in (NRPN_MSB, NRPN_LSB):  # no NRPN is taken: data entry goes nowhere
            state.controllers[RPN_MSB] = state.controllers[RPN_LSB] = RPN_NULL
            self._sync_sources(channel)
        elif control == 121:  # reset controllers (GM: not volume, pan or bank)
            volume, pan = state.controllers[7], state.controllers[10]
            _reset_controllers(state.controllers)
            state.controllers[7], state.controllers[10] = volume, pan
            state.sustain = False
            state.pressure = 0
            self._pedal_up(channel)
            self._follow_controllers(channel)
            self._pitch_wheel(channel, WHEEL_CENTRE)  # the channel's note-on sources too
        elif control == 123:  # all notes off: a note-off of every key sounding
            self._note_off(channel, None)

    def _data_entry(self, channel: int, control: int, value: int) -> None:
        """Data entry for the registered parameter selected: RPN 0 (pitch bend
        sensitivity) takes the MSB as semitones and the LSB as cents; others are ignored."""
        state = self.channels[channel]
        if state.controllers[RPN_MSB] != 0 or state.controllers[RPN_LSB] != 0:
            return
        if control == DATA_MSB:
            state.bend_semitones = value
        else:
            state.bend_cents = value
        self._pitch_wheel(channel, state.pitch_wheel)

    def _pitch_wheel(self, channel: int, value: int) -> None:
        """The channel's pitch wheel at ``value`` (0..16383): every voice of the channel
        bends from its next control step."""
        if not 0 <= value <= 16383:
            raise ParameterError(f"pitch wheel value must be in 0..16383, got {value!r}")
        state = self.channels[channel]
        state.pitch_wheel = value
        source = pitch_wheel_source(value, _bend_range(state))
        self.voices.channels[vs.WHEEL_SOURCE, channel] = source
        self._sync_sources(channel)

    def _pressure(self, channel: int, value: int) -> None:
        """The channel pressure at ``value`` (0..127): every voice's vibrato deepens from
        its next control step (50 cents at full pressure by default)."""
        if not 0 <= value <= 127:
            raise ParameterError(f"channel pressure must be in 0..127, got {value!r}")
        self.channels[channel].pressure = value
        self.voices.channels[vs.PRESSURE_SOURCE, channel] = value / 128.0
        self._note_sources[channel, PRESSURE_AT] = value

    def _pedal_up(self, channel: int) -> None:
        """Release the channel's voices the pedal held."""
        state = self.voices.state[:, : self.voices.count]
        flags, test = self._flags[: state.shape[1]], self._test[: state.shape[1]]
        np.equal(state[vs.CHANNEL], channel, out=flags)
        flags &= np.not_equal(state[vs.SUSTAINED], 0, out=test)
        flags &= np.equal(state[vs.RELEASED], 0, out=test)
        self._release(flags)

    def _program(self, channel: int, program: int, bank: int) -> None:
        state = self.channels[channel]
        if channel == DRUM_CHANNEL and bank == 0:
            bank = DRUM_BANK
        elif bank == 0:
            bank = state.bank_select
        self._select(channel, bank, program)

    def _select(self, channel: int, bank: int, program: int) -> None:
        key = (bank, program)
        if key not in self._presets:
            self._presets[key] = find_preset(self.soundfont, bank, program)
        state, preset = self.channels[channel], self._presets[key]
        state.bank, state.program, state.preset, state.waiting = bank, program, preset, None
        if self.realtime and (preset.bank, preset.program) not in self._ready:
            stand_in = self._stand_in(preset)  # never lay out samples in the callback
            self.wanted.append(key)
            self.stand_ins.append((channel, preset, stand_in))
            state.preset, state.waiting = stand_in, preset

    def _follow_controllers(self, channel: int) -> None:
        """Attenuation, pan gains and vibrato depth of the channel's voices not being killed
        from its CC7, CC11, CC10 and CC1 now (the kernel takes them up at each voice's next
        step). Worked out for every voice in buffers the synth keeps and copied to the
        channel's: nothing is allocated per voice in the callback."""
        flags = self._find(channel, sounding=False)
        if not np.count_nonzero(flags):
            return
        count, cc = len(flags), self.channels[channel].controllers
        p = self.voices.params[:, :count]
        value, left, right = (row[:count] for row in self._values)  # left: a term, then a gain
        np.multiply(p[vs.CC7_AMOUNT], _CONCAVE_OF_CC[cc[7]], out=value)  # attenuation (cB)
        value += np.multiply(p[vs.CC11_AMOUNT], _CONCAVE_OF_CC[cc[11]], out=left)
        value += p[vs.ATTEN_BASE]
        np.copyto(p[vs.ATTEN], np.clip(value, 0.0, 1440.0, out=value), where=flags)
        np.multiply(p[vs.CC10_AMOUNT], 2.0 * cc[10] / 128.0 - 1.0, out=value)  # pan
        value += p[vs.PAN_BASE]
        pan_gains(value, self.gain, left, right)
        np.copyto(p[vs.GAIN_L], left, where=flags)
        np.copyto(p[vs.GAIN_R], right, where=flags)
        np.multiply(p[vs.CC1_AMOUNT], cc[1], out=value)  # vibrato depth (cents)
        value /= 128.0
        value += p[vs.VIB_BASE]
        np.copyto(p[vs.VIB_LFO_TO_PITCH], np.clip(value, -12000.0, 12000.0, out=value), where=flags)


def _regions_by_key(
    soundfont: SoundFontData, tables: RegionTables
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Every preset's regions whose key range holds each key 0..127, in the preset's order,
    as region numbers of ``tables`` in one array, and for each preset (by id) where each key's
    numbers begin (129 offsets: key k's are ``[spans[k], spans[k + 1])``)."""
    numbers: list[int] = []
    spans: dict[int, np.ndarray] = {}
    for preset in soundfont.presets.values():
        offsets = np.zeros(129, dtype=np.int64)
        for key in range(128):
            offsets[key] = len(numbers)
            numbers.extend(tables.number(r) for r in preset.regions if r.key_lo <= key <= r.key_hi)
        offsets[128] = len(numbers)
        spans[id(preset)] = offsets
    return np.array(numbers, dtype=np.int64), spans


def _bend_range(channel: _Channel) -> float:
    """The channel's pitch wheel sensitivity in semitones (RPN 0)."""
    return channel.bend_semitones + channel.bend_cents / 100.0
