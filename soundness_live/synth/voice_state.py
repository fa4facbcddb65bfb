"""Where each quantity of a voice lives: row numbers of the voice bank's two state arrays.

``state`` (int64) and ``params`` (float64) hold one column per voice. The synth writes them at
note-on and on note and controller events; the compiled kernel (:mod:`.kernel`) reads and advances
them every block. ``channels`` (float64) holds one column per MIDI channel: the sources every voice
of the channel follows at each control step (pitch wheel, pressure). Positions are 40.24 fixed
point, in rows of the sample layout.

The arrays are column-major (:func:`voice_columns`): a voice's quantities lie together in
memory. A control step reads some sixty of them; row-major, they would lie the bank's capacity
x 8 bytes apart (4 KB at 512 voices), every one in the same set of the processor's first-level
cache, which holds only a handful of them at once: the kernel ran a third slower.
"""

from __future__ import annotations

import numpy as np

from .envelope import SECTIONS

FRAC_BITS = 24
ONE = 1 << FRAC_BITS  # one sample of travel, fixed point

# -- state (int64) ----------------------------------------------------------------------------
# a voice at or past BASE + LENGTH moves back by whole LENGTHs (its loop, or parked past END_AT)
POS, STEP, BASE, LENGTH, END_AT = range(5)
LOOP_MODE, CHANNEL, KEY, EXCLUSIVE = range(5, 9)
RELEASED, SUSTAINED, KILLED = range(9, 12)  # flags the synth sets
PLAIN_SHIFT, PLAIN_END_AT = 12, 13  # loop-until-release: the plain strip, from the loop strip
# a new voice's position fields, where ``VoiceBank.placement`` gives them (in this order)
PLACEMENT_FIELDS = (POS, BASE, LENGTH, END_AT, PLAIN_SHIFT, PLAIN_END_AT)
TO_TICK = 14  # frames to the next control step (0: at the next frame rendered)
AGE = 15  # frames from the note's start to the current control period's start
NOTE_OFF = 16  # a note-off waits for the next control step
DONE = 17  # the voice is over: it renders nothing and waits to be cleared away
VOL_SECTION, VOL_COUNT, MOD_SECTION, MOD_COUNT = range(18, 22)
MOD_LFO_DELAY, VIB_LFO_DELAY = 22, 23  # frames of age before each LFO starts
FILTER_LEFT = 24  # samples of the filter coefficients' ramp still to go
FILTER_SET = 25  # the filter has had its first coefficients
QUIET = 26  # this control period renders nothing (delay, or silent and still)
FADE_FRAMES, FADE_AGE = 27, 28  # a killed voice's fade: its length, and how far it is
ENV_COUNTS = 29  # 2 envelopes x 7 sections: control periods each section lasts
N_STATE = ENV_COUNTS + 2 * SECTIONS

# -- params (float64) -------------------------------------------------------------------------
AMP, AMP_INC = 0, 1  # envelope x attenuation amplitude now, and its change per frame
PITCH = 2  # cents: playback step = 2 ** (PITCH / 1200) samples per frame, before modulation
ATTEN = 3  # centibels of attenuation (initialAttenuation x 0.4 and every modulator)
GAIN_L, GAIN_R = 4, 5  # synth gain x pan law
MOD_LFO, MOD_LFO_INC, VIB_LFO, VIB_LFO_INC = range(6, 10)  # triangle value, step per period
MOD_LFO_TO_PITCH, MOD_LFO_TO_FC, MOD_LFO_TO_VOL, VIB_LFO_TO_PITCH = range(10, 14)
VOL_VAL, MOD_VAL, MOD_ENV_TO_PITCH, MOD_ENV_TO_FC = range(14, 18)
FC, Q_LIN, FILTER_GAIN, LAST_HZ = range(18, 22)  # cutoff (cents), Q, gain, cutoff in force
A1, A2, B02, B1 = range(22, 26)  # biquad coefficients
A1_INC, A2_INC, B02_INC, B1_INC = range(26, 30)  # their ramp per sample
H1, H2, COMPENSATE = 30, 31, 32  # filter history; rescale it while b0 ramps far
# what the synth needs to follow controllers while the note sounds (not read by the kernel)
ATTEN_BASE, PAN_BASE, VIB_BASE = 33, 34, 35  # ATTEN, pan, vibrato without CC7/11/10/1
CC7_AMOUNT, CC11_AMOUNT, CC10_AMOUNT, CC1_AMOUNT = range(36, 40)
# the voice's pitch wheel and channel pressure routes (the kernel reads them with its
# channel's sources at every control step): cents at a full source
WHEEL_AMOUNT, PRESSURE_AMOUNT = 40, 41
ENV = 42  # 2 envelopes x 7 sections x (coeff, incr, low, high)
# what the kernel's last control step computed from what, so an unchanged input costs no
# power of ten or two: (centibels, amplitude) of the level and of the envelope, and the cents
# behind STEP and behind the cutoff in force. NaN (a new voice): not computed yet.
KEPT = ENV + 2 * SECTIONS * 4
LEVEL_CB, LEVEL_AMP, ENVELOPE_CB, ENVELOPE_AMP, STEP_CENTS, CUTOFF_CENTS = range(KEPT, KEPT + 6)
N_PARAMS = KEPT + 6

# -- channel sources (float64, one column per MIDI channel) -----------------------------------
# the pitch wheel's default modulator source: bipolar wheel (-1..1, 8192 = 0) x its
# sensitivity / 128 (RPN 0, semitones); and channel pressure / 128
WHEEL_SOURCE, PRESSURE_SOURCE = 0, 1
N_CHANNEL_SOURCES = 2
N_CHANNELS = 16


def voice_columns(rows: int, voices: int, dtype: type) -> np.ndarray:
    """A zeroed (``rows``, ``voices``) array of voice quantities, one voice's together in
    memory (column-major): the only layout the compiled kernel and note-on take."""
    return np.zeros((rows, voices), dtype=dtype, order="F")
