"""What MIDI inputs this machine has (``soundness-live devices``, beside the audio devices).

It says clearly when there is nothing and why: no ALSA sequencer (no MIDI system), or no
device plugged in.
"""

from __future__ import annotations


def describe_midi(api: int | str | None = None) -> list[str]:
    """Lines about MIDI inputs: each port, or why there are none."""
    import rtmidi

    from .ports import SKIP_PORT_PREFIXES, midi_api

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
