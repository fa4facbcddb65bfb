"""Headless runs: one activity or a whole session offline, rendered to WAV."""
