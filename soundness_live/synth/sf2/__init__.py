"""SoundFont 2 files: read, write, and find the ones on this machine."""
