"""Soundness Live: a live-music engine for music-therapy sessions with children.

The engine plays a SoundFont synth on one time base (the output sample clock), takes the
child's MIDI and voice as input, runs therapy activities and scores every response against
the child's goals. See DESIGN.md in the project documentation for the architecture.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
