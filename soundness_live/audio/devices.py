"""What audio outputs and inputs this machine has: finding one, listing them.

The listing (``soundness-live devices``, with :mod:`soundness_live.midi.devices` for the MIDI
inputs) says clearly when there is nothing and why: PortAudio missing (libportaudio2 not
installed), no sound card and JACK not running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DeviceError


@dataclass(frozen=True)
class _Kind:
    """What makes a device usable one way: its channel count, default slot and words."""

    word: str  # "output" / "input"
    channels_key: str
    min_channels: int
    default_slot: int  # sd.default.device is (input, output)
    none_found: str
    wrong_index: str


OUTPUT = _Kind("output", "max_output_channels", 2, 1,
               "no audio output device (no sound card, and JACK is not running)",
               "is not a stereo output")  # fmt: skip
INPUT = _Kind("input", "max_input_channels", 1, 0,
              "no audio input device (no microphone, and JACK is not running)",
              "is not an input")  # fmt: skip


def find_device(sd: Any, device: Any, kind: _Kind) -> int:
    """Index of sounddevice ``device`` usable as ``kind``: None (default), an index, or a name
    substring matching "device name, host API name" (so "JACK" finds the JACK device); no
    match or several matches raise DeviceError listing the candidates as ``[id] name`` lines.
    """
    usable = [
        (i, d)
        for i, d in enumerate(sd.query_devices())
        if d[kind.channels_key] >= kind.min_channels
    ]
    if not usable:
        raise DeviceError(kind.none_found)
    if device is None:
        default = sd.default.device[kind.default_slot]
        return default if default is not None and default >= 0 else usable[0][0]
    if isinstance(device, int):
        if device not in [i for i, _ in usable]:
            raise DeviceError(f"audio {kind.word} device {device} {kind.wrong_index}")
        return device
    labels = {i: f"{d['name']}, {sd.query_hostapis(d['hostapi'])['name']}" for i, d in usable}
    found = [i for i, label in labels.items() if str(device).lower() in label.lower()]
    if len(found) == 1:
        return found[0]
    candidates = "\n".join(f"[{i}] {labels[i]}" for i in (found or labels))
    problem = "Multiple" if found else "No"
    raise DeviceError(f"{problem} {kind.word} devices found for {device!r}:\n{candidates}")


def find_output_device(sd: Any, device: Any) -> int:
    """Index of the stereo output ``device`` (see :func:`find_device`)."""
    return find_device(sd, device, OUTPUT)


def find_input_device(sd: Any, device: Any) -> int:
    """Index of the input (microphone) ``device`` (see :func:`find_device`)."""
    return find_device(sd, device, INPUT)


def describe_audio() -> list[str]:
    """Lines about audio outputs: each device with its host API, or why there are none."""
    try:
        import sounddevice as sd
    except OSError as error:
        return [
            f"Audio outputs: PortAudio missing ({error}; apt-get install libportaudio2); "
            "SDL audio will be used"
        ]
    hostapis = sd.query_hostapis()
    outputs = [
        f"  [{i}] {d['name']} ({hostapis[d['hostapi']]['name']}, {d['max_output_channels']} ch)"
        for i, d in enumerate(sd.query_devices())
        if d["max_output_channels"] > 0
    ]
    if outputs:
        return ["Audio outputs (PortAudio):"] + outputs
    jack_running = any("JACK" in api["name"] for api in hostapis)
    why = "no sound card found" + ("" if jack_running else ", and JACK is not running")
    fallback = "output falls back to SDL audio, else to the null output"
    return [f"Audio outputs (PortAudio): none - {why}; {fallback}"]
