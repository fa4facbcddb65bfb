"""The SoundFont synth: 16 MIDI channels over a voice bank rendered by a compiled kernel.

``Synth.handle(event)`` applies one event *now* (at ``Synth.frame``); ``Synth.render(out)``
writes the next ``len(out)`` stereo frames and advances ``frame``. The renderer splits each
block at event offsets, so events land on exact frames. Output is bit-identical whatever the
block split (see :mod:`.voices` and :mod:`.envelope`).

Rendering is one compiled call per block at any number of voices (see :mod:`.voices`); the
kernel is compiled (or loaded from its cache) when the first synth of a process is made, so no
note waits for it (:func:`.kernel.compile_kernel`).
Each sample is laid out for the renderer the first time it sounds (:mod:`.sample_layout`):
for a long sample that takes milliseconds inside ``handle``, so a live engine calls
:meth:`Synth.prepare` for its instruments before the audio stream starts.

Levels follow SoundFont 2.04's default modulators: velocity, CC7 volume and CC11 expression
each attenuate on the concave 960 cB curve; initialAttenuation counts 0.4 cB per unit as
FluidSynth and EMU hardware do; CC10 pan adds to the region's pan; pan is equal-power.
Channel volume, expression and pan changes apply to sounding voices from the event's frame
(as a step, not a ramp). Pitch bend and modulators beyond the defaults are not implemented.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..core.clock import check_sample_rate
from ..core.events import (
    DRUM_CHANNEL,
    AllNotesOff,
    ControlChange,
    NoteOff,
    NoteOn,
    ProgramChange,
    SynthEvent,
)
from ..errors import ParameterError
from . import voices as v
from .envelope import (
    INITIAL_ATTENUATION_FACTOR,
    attack_ramp,
    controller_cb,
    decay_ramp,
    fade_ramps,
    frozen_ramps,
    release_frames,
    release_ramps,
    velocity_cb,
)
from .kernel import compile_kernel
from .region import LOOP_UNTIL_RELEASE, Preset, Region, SoundFontData
from .sf2.read import DRUM_BANK, find_preset

__all__ = ["Synth", "STEAL_FADE_MS"]

PREPARE_BANK_LIMIT = 256 << 20  # lay out a whole bank up to this size (4x its sample data)
STEAL_FADE_MS = 3.0  # a stolen or exclusive-class-choked voice fades over this, never cuts
SOUND_OFF_FADE_MS = 5.0  # CC120 all sound off
DEFAULT_GAIN = 0.25
REAP_FRAMES = 1024  # headroom: a few full-velocity notes stay below the output limiter


@dataclass
class _Channel:
    """Controller state of one MIDI channel."""

    bank: int = 0
    program: int = 0
    bank_select: int = 0  # CC0, used by the next program change
    volume: int = 100
    expression: int = 127
    pan: int = 64
    sustain: bool = False
    preset: Preset | None = field(default=None, repr=False)
    waiting: Preset | None = field(default=None, repr=False)  # chosen, not yet laid out


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
        self.frame = 0
        self.peak_voices = 0
        if interpolation not in v.INTERPOLATIONS:
            raise ParameterError(
                f"interpolation must be one of {v.INTERPOLATIONS}, got {interpolation!r}"
            )
        compile_kernel()
        self.voices = v.VoiceBank(
            2 * max_voices, soundfont.sample_data, interpolation=interpolation
        )
        regions = [r for preset in soundfont.presets.values() for r in preset.regions]
        self.voices.reserve({(v.region_span(r), v.region_loop_mode(r)) for r in regions})
        self._presets: dict[tuple[int, int], Preset] = {}
        # live: a preset whose samples are not laid out never sounds from the callback; the
        # nearest laid-out one stands in while another thread prepares it (prepare_program)
        self.realtime = False
        self._ready: set[tuple[int, int]] = set()  # (bank, program) of presets laid out
        self.wanted: deque[tuple[int, int]] = deque(maxlen=256)  # asked for, not laid out
        self.stand_ins: deque[tuple[int, Preset, Preset | None]] = deque(maxlen=256)
        self.channels = [_Channel() for _ in range(16)]
        for number in range(16):
            self._select(number, DRUM_BANK if number == DRUM_CHANNEL else 0, 0)

    @property
    def active_voices(self) -> int:
        """Voices still to be heard (sounding, releasing or fading out) at ``frame``."""
        self.voices.remove(self.voices.silent_from(self.frame))  # output is unchanged by this
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
                self.voices.strips(v.region_span(region), v.region_loop_mode(region))
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
        if out.ndim != 2 or out.shape[1] != 2 or out.dtype != np.float32:
            raise ParameterError(
                f"out must be float32 with shape (n, 2), got {out.dtype} {out.shape}"
            )
        if not out.flags.c_contiguous:
            raise ParameterError("out must be C-contiguous (frames, channels), got a strided view")
        chunk = self.voices.chunk_frames
        for start in range(0, out.shape[0], chunk):
            part = out[start : start + chunk]
            self.peak_voices = max(self.peak_voices, self.voices.count)
            end = self.frame + part.shape[0]
            # finished voices add exact zeros: clearing them every ~1000 frames is enough
            reap = end // REAP_FRAMES != self.frame // REAP_FRAMES
            self.voices.render(part, self.frame, reap)
            self.frame = end

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
        elif isinstance(event, ProgramChange):
            self._program(event.channel, event.program, event.bank)
        elif isinstance(event, AllNotesOff):
            rows = self._rows(event.channel, sounding=False)
            self._kill(rows, self._ms(event.fade_ms))
        else:
            raise ParameterError(f"expected a synth event, got {type(event).__name__}")

    def _rows(
        self, channel: int | None, key: int | None = None, sounding: bool = True
    ) -> np.ndarray:
        """Indices of voices not being killed (``sounding``: nor released) on channel/key."""
        state = self.voices.state[:, : self.voices.count]
        mask = state[v.KILLED] == 0
        if sounding:
            mask &= state[v.RELEASED] == 0
        if channel is not None:
            mask &= state[v.CHANNEL] == channel
        if key is not None:
            mask &= state[v.KEY] == key
        return np.flatnonzero(mask)

    def _note_on(self, channel: int, key: int, velocity: int) -> None:
        state = self.channels[channel]
        waiting = state.waiting
        if waiting is not None and (waiting.bank, waiting.program) in self._ready:
            state.preset, state.waiting = waiting, None  # prepared meanwhile: it plays now
        preset = state.preset
        regions = preset.regions_for(key, velocity) if preset is not None else []
        if not regions:
            return
        self.voices.remove(self.voices.silent_from(self.frame))
        self._release(self._rows(channel, key))  # a repeated key restarts the note
        for exclusive in {r.exclusive_class for r in regions if r.exclusive_class}:
            rows = self._rows(channel, sounding=False)
            rows = rows[self.voices.state[v.EXCLUSIVE, rows] == exclusive]
            self._kill(rows, self._ms(STEAL_FADE_MS))
        regions = regions[: self.max_voices]
        self._make_room(len(regions))
        first = self.voices.count
        for region in regions:
            self._start_voice(channel, key, velocity, region)
        self._update_gains(np.arange(first, self.voices.count))

    def _start_voice(self, channel: int, key: int, velocity: int, region: Region) -> None:
        key_used = region.fixed_key if region.fixed_key >= 0 else key
        velocity_used = region.fixed_velocity if region.fixed_velocity >= 0 else velocity
        cents = region.scale_tuning * (key_used - region.root_key) + region.tune_cents
        step = 2.0 ** (cents / 1200.0) * region.sample_rate / self.sample_rate
        rate = self.sample_rate
        fields = {
            v.STEP: int(round(step * (1 << v.FRAC_BITS))),
            v.LOOP_MODE: v.region_loop_mode(region),
            v.CHANNEL: channel,
            v.KEY: key,
            v.EXCLUSIVE: region.exclusive_class,
            v.RELEASE_FRAMES: release_frames(region, rate),
        }
        level = decay_ramp(region, key_used, self.frame, rate)
        linear = attack_ramp(region, key_used, self.frame, rate)
        atten = INITIAL_ATTENUATION_FACTOR * region.attenuation_cb + velocity_cb(velocity_used)
        self.voices.add(v.region_span(region), fields, level, linear, atten, region.pan)

    def _make_room(self, needed: int) -> None:
        state = self.voices.state[:, : self.voices.count]
        live = np.flatnonzero(state[v.KILLED] == 0)
        excess = live.size + needed - self.max_voices
        if excess > 0:
            released = live[state[v.RELEASED, live] != 0]
            held = live[state[v.RELEASED, live] == 0]
            self._kill(np.concatenate([released, held])[:excess], self._ms(STEAL_FADE_MS))
        overflow = self.voices.count + needed - self.voices.capacity
        if overflow > 0:  # only with > max_voices note-ons inside one steal fade
            state = self.voices.state[:, : self.voices.count]
            fading = np.flatnonzero(state[v.KILLED] != 0)[:overflow]
            dead = np.zeros(self.voices.count, dtype=bool)
            dead[fading] = True
            self.voices.remove(dead)

    def _note_off(self, channel: int, key: int) -> None:
        rows = self._rows(channel, key)
        if self.channels[channel].sustain:
            self.voices.state[v.SUSTAINED, rows] = 1
        else:
            self._release(rows)

    def _release(self, rows: np.ndarray) -> None:
        """Start the release phase of voices ``rows`` at the current frame."""
        if rows.size == 0:
            return
        voices, frame, state = self.voices, self.frame, self.voices.state
        level = release_ramps(
            voices.ramp_array(rows, v.LEVEL), frame, state[v.RELEASE_FRAMES, rows]
        )
        voices.set_ramps(rows, level, v.LEVEL)
        voices.set_ramps(rows, frozen_ramps(voices.ramp_array(rows, v.LINEAR), frame), v.LINEAR)
        state[v.RELEASED, rows], state[v.SUSTAINED, rows] = 1, 0
        # loop mode 3: from now on play on through the loop end to the sample end
        leaving = rows[state[v.LOOP_MODE, rows] == LOOP_UNTIL_RELEASE]
        if leaving.size:
            voices.leave_loop(leaving)

    def _kill(self, rows: np.ndarray, fade_frames: int) -> None:
        """Fade voices ``rows`` out linearly over ``fade_frames`` (no click), then drop them."""
        if rows.size == 0:
            return
        voices, frame = self.voices, self.frame
        fade = fade_ramps(voices.ramp_array(rows, v.LINEAR), frame, fade_frames)
        voices.set_ramps(rows, fade, v.LINEAR)
        voices.state[v.RELEASED, rows] = 1
        voices.state[v.KILLED, rows] = 1

    def _control(self, channel: int, control: int, value: int) -> None:
        state = self.channels[channel]
        if control == 0:
            state.bank_select = value
        elif control in (7, 10, 11):
            setattr(state, {7: "volume", 10: "pan", 11: "expression"}[control], value)
            self._update_gains(self._rows(channel, sounding=False))
        elif control == 64:
            state.sustain = value >= 64
            if not state.sustain:
                self._pedal_up(channel)
        elif control == 120:
            self._kill(self._rows(channel, sounding=False), self._ms(SOUND_OFF_FADE_MS))
        elif control == 121:  # reset controllers (GM: not volume, pan or bank)
            state.expression = 127
            state.sustain = False
            self._pedal_up(channel)
            self._update_gains(self._rows(channel, sounding=False))
        elif control == 123:
            for key in set(self.voices.state[v.KEY, self._rows(channel)].tolist()):
                self._note_off(channel, key)

    def _pedal_up(self, channel: int) -> None:
        state = self.voices.state[:, : self.voices.count]
        mask = (state[v.CHANNEL] == channel) & (state[v.SUSTAINED] != 0)
        self._release(np.flatnonzero(mask & (state[v.RELEASED] == 0)))

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

    def _update_gains(self, rows: np.ndarray) -> None:
        """Recompute the left/right gains of voices ``rows`` from their channel's controllers."""
        if rows.size == 0:
            return
        voices = self.voices
        controllers = np.array([(self._channel_cb(c), s.pan) for c, s in enumerate(self.channels)])
        channels = voices.state[v.CHANNEL, rows]
        volume_cb, pan_cc = controllers[channels].T
        amp = self.gain * 10.0 ** (-(voices.atten_cb[rows] + volume_cb) / 200.0)
        pan = np.clip(voices.pan[rows] + (pan_cc - 64.0) / 63.0, -1.0, 1.0)
        angle = (pan + 1.0) * (math.pi / 4.0)
        voices.set_gains(rows, amp * np.cos(angle), amp * np.sin(angle))

    def _channel_cb(self, channel: int) -> float:
        state = self.channels[channel]
        return controller_cb(state.volume) + controller_cb(state.expression)
