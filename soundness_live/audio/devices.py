"""What MIDI inputs and audio outputs this machine has (``soundness-live devices``).

Every section says clearly when there is nothing and why: no ALSA sequencer (no MIDI
system), PortAudio missing (libportaudio2 not installed), no sound card and JACK not running.
"""

from __future__ import annotations

from typing import Any

from ..errors import DeviceError


def find_output_device(sd: Any, device: Any) -> int:
    """Index of sounddevice output ``device``: None (default), an index, or a name substring.

    A name matches "device name, host API name" (so "JACK" finds the JACK device); no match
    or several matches raise DeviceError listing the candidates as ``[id] name`` lines.
    """
    outputs = [(i, d) for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] >= 2]
    if not outputs:
        raise DeviceError("no audio output device (no sound card, and JACK is not running)")
    if device is None:
        default = sd.default.device[1]
        return default if default is not None and default >= 0 else outputs[0][0]
    if isinstance(device, int):
        if device not in [i for i, _ in outputs]:
            raise DeviceError(f"audio output device {device} is not a stereo output")
        return device
    labels = {i: f"{d['name']}, {sd.query_hostapis(d['hostapi'])['name']}" for i, d in outputs}
    found = [i for i, label in labels.items() if str(device).lower() in label.lower()]
    if len(found) == 1:
        return found[0]
    candidates = "\n".join(f"[{i}] {labels[i]}" for i in (found or labels))
    problem = "Multiple" if found else "No"
    raise DeviceError(f"{problem} output devices found for {device!r}:\n{candidates}")
