"""Ending a system exclusive message that python-rtmidi's JACK API would otherwise hold open.

Measured (python-rtmidi 1.5.8 on jackd2 1.9.21): rtmidi's JACK input takes a JACK MIDI event
that starts with ``F0`` and does not end with ``F7`` as the first part of a long system
exclusive message, and joins every later event to it, handing over nothing until an event
ends with ``F7``. One truncated sysex from a device (a cable pulled during a dump, a firmware
bug) then silences the child's keyboard until the device happens to send ``F7`` — perhaps
never. With sysex ignored, rtmidi drops those later events instead, which is worse.

So each input port read through rtmidi's JACK API gets a second source of our own,
:class:`SysexEnd`, that sends a lone ``F7`` every :data:`SYSEX_END_INTERVAL_S`. It ends such a
message within that time: the notes held in it arrive joined to the fragment, a byte string
that is not one MIDI message, dropped and counted as malformed (their times are lost, so they
are not played late). Otherwise the ``F7`` arrives alone and the port ignores it
(:data:`SYSEX_END`). A genuine sysex that a bridge splits over several JACK events may be cut
by it too; the note path never uses sysex. ALSA, CoreMIDI and WinMM do not hold messages back
this way and need no such source.

The price: one more JACK client per port, and JACK now mixes two sources into the port. A
mix with a source buffer not yet written (the source's first cycle, its last) loses that
cycle's events ("MidiBufferMixdown - invalid source buffer"), and on a busy machine with a
non-realtime server the extra client makes late cycles a little likelier (measured at 64-frame
periods: a 20-note loopback lost a note in 2 of 50 runs with the source, 1 of 50 without).
``--midi jack`` (:mod:`.jack_input`) reads JACK's events raw and needs none of this.
"""

from __future__ import annotations

import logging

import rtmidi

log = logging.getLogger(__name__)

__all__ = ["SysexEnd", "SYSEX_END", "SYSEX_END_INTERVAL_S"]

SYSEX_END = [0xF7]
SYSEX_END_INTERVAL_S = 0.02  # the longest a truncated sysex can hold the child's notes back


class SysexEnd:
    """A JACK MIDI source of our own, connected to one rtmidi input port, that sends ``F7``.

    ``client_name`` names its JACK client, ``target_port`` is the full JACK name of the input
    port to feed (``"soundness-live-in0:in"``). Raises ``rtmidi.RtMidiError`` or
    ``ValueError`` (port not found) when it cannot be connected.
    """

    def __init__(self, client_name: str, target_port: str) -> None:
        self._out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, client_name)
        try:
            self._out.open_port(self._out.get_ports().index(target_port), "sysex-end")
        except (rtmidi.RtMidiError, ValueError):
            self._out.delete()
            raise

    def send(self) -> None:
        """Send one ``F7`` (rtmidi's JACK thread writes it in the next cycle; no waiting)."""
        try:
            self._out.send_message(SYSEX_END)
        except rtmidi.RtMidiError as error:  # the server is going away: the watcher will see
            log.debug("sending F7 failed: %s", error)

    def close(self) -> None:
        """Disconnect and close the JACK client."""
        try:
            self._out.close_port()
            self._out.delete()
        except rtmidi.RtMidiError as error:
            log.debug("closing the sysex-end source: %s", error)
