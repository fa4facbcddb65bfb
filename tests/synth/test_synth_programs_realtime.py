"""A live synth never lays out samples in the audio callback: a program chosen that is not
laid out plays the nearest program that is, until another thread has prepared it."""

from __future__ import annotations

import threading

import numpy as np

from soundness_live.core.events import NoteOn, ProgramChange
from soundness_live.synth.limiter import OutputStage
from soundness_live.synth.renderer import Renderer, build_renderer
from soundness_live.synth.synth import Synth

RATE = 48_000


def _live_renderer() -> Renderer:
    """The bundled bank with only its channels' programs laid out (as a large bank is)."""
    synth = Synth(build_renderer(None, RATE)[0].synth.soundfont, RATE)
    synth.prepare()
    synth.realtime = True
    return Renderer(synth, OutputStage(RATE, -6.0))


def test_a_program_not_laid_out_plays_the_nearest_one_until_it_is_prepared() -> None:
    renderer, out = _live_renderer(), np.zeros((128, 2), dtype=np.float32)
    synth = renderer.synth
    laid_out = synth.voices.layout.nbytes
    renderer.push(ProgramChange(0, 0, 12, 0))  # Marimba: not laid out
    renderer.push(NoteOn(0, 0, 60, 100))
    renderer.render_into(out)
    channel = synth.channels[0]
    assert synth.voices.layout.nbytes == laid_out  # the callback laid out nothing
    assert synth.active_voices == 1 and channel.preset.name == "Grand Piano"  # laid out
    assert channel.waiting.name == "Marimba" and list(synth.wanted) == [(0, 12)]
    (stand_in,) = synth.stand_ins
    assert (stand_in[0], stand_in[1].name, stand_in[2].program) == (0, "Marimba", 0)

    preparing = threading.Thread(target=synth.prepare_program, args=(0, 12))
    preparing.start()
    while preparing.is_alive():  # the callback renders on while another thread lays out
        renderer.render_into(out)
    preparing.join()
    assert synth.voices.layout.nbytes > laid_out
    renderer.push(NoteOn(renderer.frame, 0, 62, 100))
    renderer.render_into(out)
    assert channel.preset.name == "Marimba" and channel.waiting is None
    assert not synth.prepare_program(0, 12)  # laid out once


def test_an_offline_synth_lays_out_what_it_plays_on_the_spot() -> None:
    renderer, out = _live_renderer(), np.zeros((128, 2), dtype=np.float32)
    renderer.synth.realtime = False  # offline: no callback to keep in time
    renderer.push(ProgramChange(0, 0, 12, 0))
    renderer.push(NoteOn(0, 0, 60, 100))
    renderer.render_into(out)
    assert renderer.synth.channels[0].preset.name == "Marimba" and not renderer.synth.wanted
