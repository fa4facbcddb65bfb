"""The synth's Python work per block does not grow with the number of voices.

Proved without timing (timed tests are flaky on shared machines): every Python line, Python
call and C call made while rendering a block is counted with ``sys.settrace`` and
``sys.setprofile``. A Python loop over voices, or a slower path taken only by voices near a
loop or sample edge, would make the count depend on how many voices there are and where
they are in their samples.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_synth import traced_events
from soundness_live.core.events import NoteOff, NoteOn, ProgramChange
from soundness_live.synth.region import LOOP_CONTINUOUS, Preset, Region, SoundFontData
from soundness_live.synth.synth import REAP_FRAMES, Synth
from soundness_live.synth.voice_state import END_AT, POS, STEP

RATE = 48_000
BLOCK = 64
N = 24_000


def edge_font() -> SoundFontData:
    """Program 0: a 37-sample loop (every voice crosses it in every block); 1: a 400-sample
    loop; 2: a 200-sample one-shot (over before the blocks counted); 3: a one-shot longer
    than the blocks counted. The drum kit: a 3000-sample one-shot (ends while counted)."""
    tone = np.sin(2 * np.pi * np.arange(N + 46) / 100.0).astype(np.float32)
    tone[N:] = 0.0
    base = dict(key_lo=0, key_hi=127, vel_lo=0, vel_hi=127, sample_end=N, sample_rate=RATE)
    loop, one_shot = dict(loop_mode=LOOP_CONTINUOUS), dict(loop_start=0, loop_end=0)
    shapes = {
        (0, 0): dict(sample_start=9_550, loop_start=9_600, loop_end=9_637, **loop),
        (0, 1): dict(sample_start=9_500, loop_start=9_600, loop_end=10_000, **loop),
        (0, 2): dict(sample_start=0, **one_shot, sample_end=200),
        (0, 3): dict(sample_start=0, **one_shot),
        (128, 0): dict(sample_start=0, **one_shot, sample_end=3_000),
    }
    presets = {}
    for (bank, program), shape in shapes.items():
        fields = {**base, **shape, "root_key": 69, "release_s": 0.2}
        region = Region(**fields)  # type: ignore[arg-type]
        presets[bank, program] = Preset(f"edge {bank}:{program}", bank, program, (region,))
    return SoundFontData("edge tones", "0" * 64, tone, presets)


def counts_per_block(
    n_voices: int, n_blocks: int = 40, interpolation: str = "cubic", releasing: bool = False
) -> tuple[list[int], list[bool], Synth]:
    """Events per 64-frame block of ``n_voices`` voices spread over the four programs (one
    released note among them if ``releasing``), and which blocks clear finished voices away."""
    synth = Synth(edge_font(), RATE, max_voices=256, interpolation=interpolation)
    channels = [c for c in range(16) if c != 9]
    for channel in channels:
        synth.handle(ProgramChange(0, channel, channel % 4))
    for i in range(n_voices):  # no key twice on a channel: a repeated key restarts the note
        synth.handle(NoteOn(0, channels[i % 15], 57 + (i // 15) * 5 + i % 3, 100))
    synth.handle(NoteOn(0, 9, 69, 100))  # in both runs, one voice ends and is cleared away
    if releasing:
        synth.handle(NoteOff(0, channels[0], 57))  # the 37-sample loop, 0.2 s release
    out = np.zeros((BLOCK, 2), np.float32)
    synth.render(np.zeros((REAP_FRAMES - BLOCK, 2), np.float32))  # attack over, short ones done
    counts, reaps = [], []
    for _ in range(n_blocks):
        reaps.append((synth.frame + BLOCK) // REAP_FRAMES != synth.frame // REAP_FRAMES)
        counts.append(traced_events(lambda: synth.render(out)))
    return counts, reaps, synth


@pytest.mark.parametrize("releasing", [False, True])
@pytest.mark.parametrize("interpolation", ["cubic", "linear"])
def test_python_work_per_block_is_the_same_at_8_and_128_voices(
    interpolation: str, releasing: bool
) -> None:
    few, reaps, _ = counts_per_block(8, interpolation=interpolation, releasing=releasing)
    many, same_reaps, synth = counts_per_block(
        128, interpolation=interpolation, releasing=releasing
    )
    assert reaps == same_reaps and any(reaps)
    assert synth.active_voices > 64  # most still sound; the 200-sample one-shots are over
    assert few == many  # the same work in every block, whatever the number of voices
    # once caches are refilled after voices were cleared away, every block is the same,
    # wherever the voices are in their samples and loops
    settled = [count for i, count in enumerate(few) if i >= 2 and not any(reaps[i - 2 : i + 1])]
    assert len(settled) > len(few) // 2 and len(set(settled)) == 1


def test_voices_do_cross_loop_edges_and_sample_ends_while_counted() -> None:
    _, _, synth = counts_per_block(128, n_blocks=0)
    voices, per_program = synth.voices, 128 // 15 * 4
    ended = voices.state[POS, : voices.count] >= voices.state[END_AT, : voices.count]
    assert ended.sum() >= per_program  # the 200-sample one-shots: past their end, parked
    synth.render(np.zeros((BLOCK, 2), np.float32))  # clears them away
    before = voices.state[POS, : voices.count].copy()
    synth.render(np.zeros((BLOCK, 2), np.float32))
    travelled = before + voices.state[STEP, : voices.count] * BLOCK
    wrapped = voices.state[POS, : voices.count] != travelled
    assert wrapped.sum() >= per_program  # every voice on the 37-sample loop, every block
