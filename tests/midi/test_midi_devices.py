"""``soundness-live devices``: the MIDI inputs, or why there are none."""

from __future__ import annotations

import pytest

from soundness_live.midi.devices import describe_midi


def test_describe_says_why_there_is_no_midi(monkeypatch: pytest.MonkeyPatch) -> None:
    import rtmidi

    def no_sequencer(*args: object) -> None:
        raise rtmidi.SystemError("MidiInAlsa::initialize: error creating ALSA sequencer client")

    monkeypatch.setattr(rtmidi, "MidiIn", no_sequencer)
    text = "\n".join(describe_midi("alsa"))
    assert "none - no MIDI system" in text and "SOUNDNESS_LIVE_MIDI_API=jack" in text
