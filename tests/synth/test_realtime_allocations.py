"""The audio callback keeps nothing per note: memory it holds does not grow with notes played.

``Renderer.render_into`` is what the audio callback runs. tracemalloc traces every allocation
(numpy's too) while 600 blocks start and stop 2,400 notes on four channels with program
changes between them; once every note has faded, what the package holds is compared with
before. Anything kept per note (a scheduler entry, a voice row, a sample laid out, a view)
would leave at least 16 bytes a note: 38 KB. What a note-on works out once per kind of
note is worked out when the synth is made (each preset's regions by key, each region's row).

Nor do the events that release or cut voices allocate per voice: a note-off, the sustain
pedal's lift, all notes off and all sound off flag the voices they change in buffers the
synth keeps, so the most memory they hold at once is the same among 300 voices or 900; nor
do the controllers the sounding voices follow (CC1, 7, 10, 11 and their reset).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from soundness_live.core.events import AllNotesOff, ControlChange, NoteOff, NoteOn, ProgramChange
from soundness_live.synth import voice_state as vs
from soundness_live.synth.region import LOOP_UNTIL_RELEASE
from soundness_live.synth.renderer import Renderer, build_renderer
from soundness_live.synth.synth import Synth
from tests.synth.test_synth import RATE, tone_font

BLOCK = 128
NOTES_PER_BLOCK = 4
BLOCKS = 600
PACKAGE = [tracemalloc.Filter(True, "*soundness_live*")]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return build_renderer(None, 48_000)[0]  # the bundled bank, laid out before it plays


def _play_block(renderer: Renderer, out: np.ndarray, index: int) -> None:
    frame = renderer.frame
    for k in range(NOTES_PER_BLOCK):
        note = 40 + (index * NOTES_PER_BLOCK + k) % 40
        renderer.push(NoteOn(frame + 29 * k, k, note, 100))
        renderer.push(NoteOff(frame + 29 * k + 11, k, 40 + (note - 52) % 40))
    if index % 50 == 0:
        renderer.push(ProgramChange(frame + 5, 3, (index // 50) % 8, 0))
    renderer.render_into(out)


def _settle(renderer: Renderer, out: np.ndarray) -> None:
    """Every note released and faded."""
    renderer.push(NoteOff(renderer.frame, 0, 0))
    for channel in range(NOTES_PER_BLOCK):
        for note in range(128):
            renderer.push(NoteOff(renderer.frame, channel, note))
        renderer.render_into(out)
    for _ in range(400):
        renderer.render_into(out)


def test_the_callback_keeps_no_memory_per_note(renderer: Renderer) -> None:
    out = np.zeros((BLOCK, 2), dtype=np.float32)
    for index in range(400):  # every program and shape met once
        _play_block(renderer, out, index)
    _settle(renderer, out)
    layout_bytes = renderer.synth.voices.layout.nbytes
    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot().filter_traces(PACKAGE)
        for index in range(BLOCKS):
            _play_block(renderer, out, index)
        _settle(renderer, out)
        after = tracemalloc.take_snapshot().filter_traces(PACKAGE)
    finally:
        tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert renderer.synth.peak_voices >= NOTES_PER_BLOCK  # the notes did sound
    assert renderer.synth.active_voices == 0 and len(renderer.scheduler) == 0
    assert renderer.synth.voices.layout.nbytes == layout_bytes  # no sample laid out
    assert kept < 4096, f"{kept} bytes kept over {BLOCKS * NOTES_PER_BLOCK} notes"


# held in the pedal, let go, released, all notes off, all sound off, a panic's fade: each
# finds voices sounding on channel 0 (20 notes) among those on channels 1..8
RELEASING = [
    ControlChange(0, 0, 64, 127),
    *(NoteOff(0, 0, key) for key in range(40, 45)),
    ControlChange(0, 0, 64, 0),
    *(NoteOff(0, 0, key) for key in range(45, 50)),
    ControlChange(0, 0, 123, 0),
    ControlChange(0, 0, 120, 0),
    AllNotesOff(0, 0, 10.0),
    AllNotesOff(0, None, 10.0),
]


def handling_peak_bytes(synth: Synth, events: list) -> int:
    """The most memory held at once while ``synth`` handles ``events``, beyond what was held
    before."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        for event in events:
            synth.handle(event)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _releasing_peak_bytes(sounding: int) -> int:
    """The most memory held at once by :data:`RELEASING` beyond what was held before, with
    ``sounding`` voices on channels 1..8 and 20 on channel 0."""
    synth = Synth(tone_font(), RATE, max_voices=1024)
    for key in range(sounding):
        synth.handle(NoteOn(0, 1 + key % 8, 20 + key % 100, 100))
    for key in range(40, 60):
        synth.handle(NoteOn(0, 0, key, 100))
    peak = handling_peak_bytes(synth, RELEASING)
    state = synth.voices.state[:, : synth.voices.count]
    assert synth.voices.count == sounding + 20 and state[vs.KILLED].sum() == sounding + 20
    return peak


def test_releasing_and_cutting_voices_allocates_nothing_per_voice_sounding() -> None:
    # a mask or an index array over the voices would hold a byte or more a voice at once;
    # what is left (views of the synth's buffers, Python ints) is the same at any count
    _releasing_peak_bytes(20)  # numpy's first calls of a kind made ready
    few, many = _releasing_peak_bytes(300), _releasing_peak_bytes(900)
    assert many == few and few < 1024, (few, many)


# the controllers the synth follows on sounding voices, and reset all controllers
FOLLOWING = [ControlChange(0, 0, control, value) for control, value in
             ((7, 90), (11, 70), (10, 20), (1, 64), (121, 0))]  # fmt: skip


def _following_peak_bytes(sounding: int) -> int:
    """The most memory held at once by :data:`FOLLOWING` beyond what was held before, with
    ``sounding`` voices on channel 0."""
    synth = Synth(tone_font(), RATE, max_voices=1024)
    for key in range(sounding):
        synth.handle(NoteOn(0, 0, key % 128, 100))
    state = synth.voices.state[:, : synth.voices.count]
    assert np.count_nonzero((state[vs.CHANNEL] == 0) & (state[vs.KILLED] == 0)) == sounding
    return handling_peak_bytes(synth, FOLLOWING)


def test_following_a_controller_allocates_nothing_per_voice_sounding() -> None:
    # before: index arrays and workings per voice of the channel (8032 bytes among 100
    # voices, 34992 among 600); now views of the synth's buffers, the same at any count
    _following_peak_bytes(20)  # numpy's first calls of a kind made ready
    few, many = _following_peak_bytes(100), _following_peak_bytes(600)
    assert many == few and few < 4096, (few, many)


def _leaving_peak_bytes(sounding: int) -> int:
    """The most memory held at once while the sustain pedal's lift releases ``sounding``
    loop-until-release voices on channel 0 (each leaves its loop)."""
    synth = Synth(tone_font(loop_mode=LOOP_UNTIL_RELEASE), RATE, max_voices=1024)
    synth.handle(ControlChange(0, 0, 64, 127))
    for key in range(sounding):
        synth.handle(NoteOn(0, 0, key % 128, 100))
        synth.handle(NoteOff(0, 0, key % 128))  # held by the pedal
    peak = handling_peak_bytes(synth, [ControlChange(0, 0, 64, 0)])
    state = synth.voices.state[:, : synth.voices.count]
    assert np.count_nonzero(state[vs.LOOP_MODE] == 0) == sounding  # every one left its loop
    return peak


def test_voices_leaving_their_loop_allocate_nothing_per_voice() -> None:
    # before: an index array and workings per voice (10,000 bytes at once releasing 100,
    # 11,568 releasing 600); now views and a few Python ints (above 256 each is an object)
    _leaving_peak_bytes(20)
    few, many = _leaving_peak_bytes(100), _leaving_peak_bytes(600)
    assert abs(many - few) < 64 and few < 4096, (few, many)


def _reaping_peak_bytes(sounding: int) -> int:
    """The most memory held at once while the bank clears away half of ``sounding`` voices
    (every other one is over), as the synth's render does every ~1000 frames."""
    synth = Synth(tone_font(), RATE, max_voices=1024)
    for key in range(sounding):
        synth.handle(NoteOn(0, key % 8, key % 128, 100))
    voices = synth.voices
    voices.state[vs.DONE, : voices.count : 2] = 1
    kept = voices.state[vs.CHANNEL, 1 : voices.count : 2].copy()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        voices.reap()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert voices.count == sounding // 2  # the others kept, in their order
    assert np.array_equal(voices.state[vs.CHANNEL, : voices.count], kept)
    return peak


def test_clearing_away_voices_that_are_over_allocates_nothing_per_voice() -> None:
    # before: the voices kept were gathered into new arrays (every state and parameter row
    # of each: about a kilobyte a voice)
    _reaping_peak_bytes(20)
    few, many = _reaping_peak_bytes(100), _reaping_peak_bytes(600)
    assert abs(many - few) < 64 and few < 4096, (few, many)
