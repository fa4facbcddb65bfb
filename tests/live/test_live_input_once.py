"""Each MIDI event is shaped and routed once, and a played note is queued once, bounded.

The sound the renderer gets and the response the activity scores come from one route, made
when the note arrives: an aid or a role changed before the activity reads the note does not
change the note the record says sounded. A flood beyond the queue is dropped and counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from soundness_live.audio.backends import open_output
from soundness_live.core.events import InputEvent, NoteOn
from soundness_live.live import input as live_input
from soundness_live.live.input import LiveInput
from soundness_live.live.timeline import StandInRenderer
from soundness_live.players.aids import AidSettings
from soundness_live.players.roles import DeviceRole

RATE = 48_000


@pytest.fixture()
def live() -> Iterator[tuple[LiveInput, StandInRenderer]]:
    renderer = StandInRenderer()
    output = open_output(renderer, "null", block_size=64, sample_rate=RATE).start()
    try:
        yield LiveInput(renderer, lambda: output.mapping, RATE), renderer
    finally:
        output.stop()


def _event(kind: str, note: int, device: str = "keys") -> InputEvent:
    velocity = 100 if kind == "note_on" else 0
    return InputEvent(kind, 0, note, velocity, device, time.monotonic(), "rtmidi-delta")


def test_a_note_is_routed_once_for_its_sound_and_its_response(live, monkeypatch) -> None:
    player, renderer = live
    player.set_role(DeviceRole("keys", "S-014", "keyboard", program=12))
    player.set_aids("keys", AidSettings(transpose_semitones=12))
    routed: list[int] = []
    route = type(player.roles).route

    def counting(self, device, channel, note):  # type: ignore[no-untyped-def]
        routed.append(note)
        return route(self, device, channel, note)

    monkeypatch.setattr(type(player.roles), "route", counting)
    player.on_event(_event("note_on", 60))
    player.on_event(_event("note_off", 60))
    (response,) = player.drain()
    assert routed == [72, 72]  # the note-on's sound and the note-off's: once each
    assert (response.note, response.sounded_note, response.player) == (60, 72, "S-014")
    assert [e for e, _ in renderer.commands][0] == NoteOn(0, 0, 72, 100)


def test_the_record_keeps_the_note_that_sounded_when_the_aids_change_before_it_is_read(
    live,
) -> None:
    player, renderer = live
    player.set_role(DeviceRole("keys", "S-014", "keyboard"))
    player.set_aids("keys", AidSettings(transpose_semitones=7))
    player.on_event(_event("note_on", 60))
    player.on_event(_event("note_off", 60))
    player.set_aids("keys", AidSettings())  # the therapist turns the aid off meanwhile
    player.set_role(DeviceRole("keys", "T-001", "keyboard"))
    (response,) = player.drain()
    sounded = [e.note for e, _ in renderer.commands if isinstance(e, NoteOn)]
    assert sounded == [67] and response.sounded_note == 67 and response.player == "S-014"


def test_a_flood_beyond_the_queue_is_dropped_and_counted(live, monkeypatch) -> None:
    player, renderer = live
    monkeypatch.setattr(live_input, "PLAYED_CAPACITY", 10)
    for note in range(16):
        player.on_event(_event("note_on", 40 + note))
    assert player.dropped == 6
    assert [r.note for r in player.drain()] == list(range(40, 50))
    assert len(renderer.commands) == 16  # every note still sounded: only its record was lost
    player.on_event(_event("note_on", 90))  # room again once the activity has read them
    assert [r.note for r in player.drain()] == [90] and player.dropped == 6
