"""Which MIDI input the engine opens (``--midi jack`` or ``rtmidi``), with an honest fallback.

The JACK-native input (:mod:`.jack_input`) needs the PyPI package JACK-Client, the system's
libjack and a running JACK server. When one is missing the engine still hears the child:
python-rtmidi takes over, and one log line says what was missing and which stamps are used.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import DeviceError, ParameterError
from .delivery import ChangeCallback, EventCallback
from .jack_frames import OutputFrameTap
from .jack_input import JackHost, JackMidiInputs
from .ports import MappingSource, MidiInputs

log = logging.getLogger(__name__)

MIDI_INPUTS = ("jack", "rtmidi")


def open_midi_input(
    kind: str,
    api: str | None = None,
    *,
    on_event: EventCallback | None = None,
    on_device_change: ChangeCallback | None = None,
    mapping: MappingSource | None = None,
    frame_tap: OutputFrameTap | None = None,
    host: JackHost | None = None,
    queue_size: int = 4096,
) -> JackMidiInputs | MidiInputs:
    """A started MIDI input for the engine's ``--midi`` option (:data:`MIDI_INPUTS`).

    ``"jack"`` falls back to python-rtmidi with one warning line that says why: to rtmidi's
    JACK API when JACK-Client or libjack is missing (a server may still run), else to ``api``
    (None: rtmidi's default) when no JACK server answered. ``frame_tap`` (only for an audio
    output running on the same JACK server) makes the JACK input's frames exact; ``host`` (the
    engine's JACK output) puts the JACK input's ports on the output's own client, read in its
    process callback before each block renders.
    ``queue_size`` bounds the queue read by ``drain()`` (0: no queue, ``on_event`` takes all).
    """
    if kind not in MIDI_INPUTS:
        raise ParameterError(f"midi input must be one of {MIDI_INPUTS}, got {kind!r}")
    if kind == "jack":
        inputs = JackMidiInputs(
            on_event, on_device_change=on_device_change, mapping=mapping, frame_tap=frame_tap,
            host=host, queue_size=queue_size,
        )  # fmt: skip
        try:
            return inputs.start()
        except (OSError, DeviceError) as error:
            api = (api or "jack") if isinstance(error, OSError) else api
            log.warning(
                "JACK MIDI input unavailable: %s; falling back to python-rtmidi (%s API, "
                "rtmidi-delta stamps)", error, api or "default",
            )  # fmt: skip
    return MidiInputs(
        api, on_event=on_event, on_device_change=on_device_change, mapping=mapping,
        queue_size=queue_size,
    ).start()  # fmt: skip


def output_on_jack(output: Any) -> bool:
    """True when ``output``'s blocks follow JACK cycles: the JACK output, or a PortAudio
    stream on JACK."""
    backend = getattr(output, "backend", "")
    return backend == "jack" or (backend == "sounddevice" and "JACK" in output.name)
