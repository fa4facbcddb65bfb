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


def describe_midi(api: int | str | None = None) -> list[str]:
    """Lines about MIDI inputs: each port, or why there are none."""
    import rtmidi

    from ..midi.ports import SKIP_PORT_PREFIXES, midi_api

    api_id = midi_api(api) if api is None or isinstance(api, str) else api
    api_name = rtmidi.get_api_display_name(api_id) if api_id else "default API"
    try:
        lister = rtmidi.MidiIn(api_id, "soundness-live-devices")
    except rtmidi.SystemError as error:
        return [
            f"MIDI inputs ({api_name}): none - no MIDI system: {error}",
            "  (Linux: no ALSA sequencer /dev/snd/seq; or set SOUNDNESS_LIVE_MIDI_API=jack "
            "with a JACK server running)",
        ]
    try:
        names = [n for n in lister.get_ports() if not n.startswith(SKIP_PORT_PREFIXES)]
    finally:
        lister.delete()
    if not names:
        return [f"MIDI inputs ({api_name}): none connected (plug in a keyboard or pad)"]
    return [f"MIDI inputs ({api_name}):"] + [f"  {name}" for name in names]


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


def describe_devices() -> str:
    """MIDI inputs and audio outputs of this machine, as text for ``soundness-live devices``."""
    return "\n".join(describe_midi() + describe_audio())
