"""A controller flood on the engine's own JACK client: what stays and what goes in a cycle.

On the client the engine shares with its JACK output, no more than one cycle's delivery of
controller rows waits in the input's ring (the rest is dropped and counted), so a child's note
is never held behind a flood's backlog. A pedal lifted, or all sound / notes off, must never
be what is dropped: the notes it ends would ring on for a child sensitive to sound.
"""

from __future__ import annotations

import pytest

from soundness_live.midi.jack_input import JackMidiInputs

RATE = 48_000


class FloodedPort:
    """A JACK MIDI port whose cycle holds a stuck controller's flood, then ``last``."""

    def __init__(self, flood: int, last: bytes) -> None:
        self.events = [(n, bytes([0xB0, 1, n % 128])) for n in range(flood)] + [(255, last)]

    def incoming_midi_events(self):
        return iter(self.events)


class StillTimer:
    last_frame_time = 4096
    frames_since_cycle_start = 10
    samplerate = RATE


def shared_input(delivered: list) -> JackMidiInputs:
    """An input as on the engine's own JACK client: its ring bounded for the flood's rows."""
    from soundness_live.midi.jack_input import CYCLE_DELIVER_ROWS

    inputs = JackMidiInputs(delivered.append, queue_size=0)
    inputs._client, inputs._rate = StillTimer(), RATE
    inputs._ring.spare_room = CYCLE_DELIVER_ROWS
    inputs._devices[0] = "keys"
    return inputs


@pytest.mark.parametrize("number", [64, 66, 120, 121, 123])
def test_a_pedal_lifted_or_a_stop_at_the_end_of_a_flooded_cycle_is_kept(number: int) -> None:
    delivered: list = []
    inputs = shared_input(delivered)
    inputs._table = ((0, FloodedPort(flood=60, last=bytes([0xB0, number, 0]))),)
    inputs._process(256)
    inputs._deliver_rows()
    assert (delivered[-1].kind, delivered[-1].note, delivered[-1].velocity) == ("cc", number, 0)


def test_the_flood_itself_is_cut_to_a_cycles_delivery() -> None:
    delivered: list = []
    inputs = shared_input(delivered)
    inputs._table = ((0, FloodedPort(flood=60, last=bytes([0xB0, 1, 0]))),)
    inputs._process(256)
    assert inputs._ring.shed == 61 - 32  # the mod wheel's last change went with the flood
