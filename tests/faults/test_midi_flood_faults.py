"""A stuck controller floods the MIDI input: the child's notes still sound and count, every
message of the flood is either taken or counted as dropped, and nothing grows without bound.

A source process on a private JACK server sends one control change :data:`FLOOD_PER_S` times
a second for :data:`FLOOD_S` seconds (a mod wheel stuck in a loop), and the child's note every
quarter second in the middle of it, through python-rtmidi's JACK API and through the
JACK-native input, into the engine's thru path. Everything the input receives must be taken or
counted, to the message; a child's note may be missing only when the (non-realtime, busy) test
server lost it on the way, which the count of messages received shows. Whether the audio keeps
time under a flood is a benchmark's question (``bench/bench_flood.py``), not a test's.
"""

from __future__ import annotations

from typing import Any

import pytest

from soundness_live.core.events import ControlChange, NoteOn
from soundness_live.midi.delivery import EventDelivery
from soundness_live.midi.flood import CONTROLS_BURST, CONTROLS_PER_S
from soundness_live.midi.jack_input import JackMidiInputs
from soundness_live.midi.ports import MidiInputs
from tests.faults.test_midi_input_faults import PROBE_VELOCITY, Rig, jack_rig, wait_until
from tests.jackserver import module_jack_server, require_jack_client

jack = module_jack_server(period_frames=256)  # fewer x-runs than 128 on busy cores
FLOOD_PER_S = 8000.0
FLOOD_S = 2.0
STUCK_WHEEL = bytes([0xB0, 0x01, 0x40])
CHILD_NOTE = bytes([0x90, 60, PROBE_VELOCITY])


def rtmidi_on_jack(rig: Rig) -> EventDelivery:
    return MidiInputs(
        api="jack", on_event=rig.live.on_event, queue_size=0, poll_interval_s=0.1,
        client_name="sl-flood-in",
    ).start()  # fmt: skip


def jack_native(rig: Rig) -> EventDelivery:
    require_jack_client()
    return JackMidiInputs(rig.live.on_event, queue_size=0, client_name="sl-flood-jack").start()


@pytest.mark.parametrize("start", [rtmidi_on_jack, jack_native], ids=["rtmidi-jack", "jack"])
def test_a_stuck_controller_never_silences_the_child(jack: Any, start: Any) -> None:
    with jack_rig(start) as (rig, inputs, source):
        xruns_before = source.send([])
        sent, notes = source.flood(FLOOD_PER_S, FLOOD_S, STUCK_WHEEL, 0.25, CHILD_NOTE)
        xruns = source.send([]) - xruns_before
        wait_until(lambda: False, 0.3)  # the input's last batches
        taken = len(pushed(rig, ControlChange))
        sounded = [e for e in pushed(rig, NoteOn) if e.velocity == PROBE_VELOCITY]
        scored = [r for r in rig.live.drain() if r.velocity == PROBE_VELOCITY]
        received, dropped = inputs.received, inputs.flood_dropped
        print(
            f"\n{start.__name__}: {sent} control changes in {FLOOD_S:.0f} s "
            f"({sent / FLOOD_S:,.0f}/s), {received - len(sounded)} received, {taken} taken, "
            f"{dropped} dropped and counted; {xruns} x-runs of the server; the child's notes: "
            f"{notes} sent, {len(sounded)} sounded, {len(scored)} kept for scoring"
        )
        # everything the input received is taken or counted, to the message
        assert received == taken + len(sounded) + dropped
        assert inputs.flood_dropped_notes == 0 and len(scored) == len(sounded)
        # the child's notes all sound, but for those the server lost on the way in its
        # x-runs (a late client's events are lost for that cycle, or handed over twice)
        lost_on_the_way = sent + notes - received
        if xruns == 0:
            assert lost_on_the_way == 0 and len(sounded) == notes == FLOOD_S / 0.25 - 1
        assert notes - max(lost_on_the_way, 0) <= len(sounded) <= notes - min(lost_on_the_way, 0)
        # the controls' budget: its burst, then its rate (the flood is far above both)
        assert taken <= CONTROLS_BURST + CONTROLS_PER_S * (FLOOD_S + 1.0)
        assert len(inputs._queue) == 0 and inputs.status.startswith("ok")


def pushed(rig: Rig, kind: type) -> list[Any]:
    """What the thru path pushed to the renderer, of one kind."""
    return [event for event, _ in list(rig.renderer.commands) if isinstance(event, kind)]
