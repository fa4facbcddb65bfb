"""Sound: SoundFont parsing, the vectorised synth, the output stage, voice analysis, devices."""
