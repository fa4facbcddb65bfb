"""One MIDI message as it comes off the wire: its type, or None when the bytes are not one.

Every input hands over whole messages (python-rtmidi one per callback or ``get_message``, JACK
one per event), but a device can still send anything: a cable pulled mid-message, firmware
that truncates a pitch bend (``E0 10``), a quarter frame without its data byte (``F1``). The
rule here is MIDI 1.0's: a status byte (0x80-0xFF) followed by exactly the data bytes its type
takes, each 0x00-0x7F; system exclusive is ``F0``, data bytes, ``F7``. Undefined statuses
(``F4 F5 F9 FD``), a lone ``F7`` and a message that starts with a data byte (running status,
which no input hands over) are not messages. :func:`message_type` never raises for a
sequence of integers, so a device cannot stop an input thread, whatever it sends.

Type names are mido's, so counts read the same as the rest of the package.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["message_type", "CHANNEL_TYPES", "SYSTEM_TYPES"]

# status >> 4 -> (type, length in bytes with the status byte)
CHANNEL_TYPES: dict[int, tuple[str, int]] = {
    0x8: ("note_off", 3),
    0x9: ("note_on", 3),
    0xA: ("polytouch", 3),
    0xB: ("control_change", 3),
    0xC: ("program_change", 2),
    0xD: ("aftertouch", 2),
    0xE: ("pitchwheel", 3),
}
SYSTEM_TYPES: dict[int, tuple[str, int]] = {
    0xF1: ("quarter_frame", 2),
    0xF2: ("songpos", 3),
    0xF3: ("song_select", 2),
    0xF6: ("tune_request", 1),
    0xF8: ("clock", 1),
    0xFA: ("start", 1),
    0xFB: ("continue", 1),
    0xFC: ("stop", 1),
    0xFE: ("active_sensing", 1),
    0xFF: ("reset", 1),
}
SYSEX_START, SYSEX_END = 0xF0, 0xF7


def message_type(data: Sequence[int]) -> str | None:
    """The type of the one MIDI message in ``data``, or None when ``data`` is not one."""
    size = len(data)
    if size == 0 or not 0x80 <= data[0] <= 0xFF:
        return None
    status = data[0]
    if status == SYSEX_START:
        whole = size >= 2 and data[-1] == SYSEX_END
        return "sysex" if whole and _all_data(data, 1, size - 1) else None
    spec = CHANNEL_TYPES[status >> 4] if status < 0xF0 else SYSTEM_TYPES.get(status)
    if spec is None or size != spec[1]:
        return None
    if size > 1 and not 0 <= data[1] <= 0x7F or size > 2 and not 0 <= data[2] <= 0x7F:
        return None  # (no type is longer than 3 bytes: two checks, no loop, for floods)
    return spec[0]


def _all_data(data: Sequence[int], start: int, stop: int) -> bool:
    """True when every byte in ``data[start:stop]`` is a data byte (0x00-0x7F)."""
    return all(0 <= data[index] <= 0x7F for index in range(start, stop))
