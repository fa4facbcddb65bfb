"""One exception hierarchy for the whole package.

Every error says what was expected and what came. Each kind also derives from the matching
built-in exception so callers may catch either (as python-rtmidi does).
"""

from __future__ import annotations


class SoundnessError(Exception):
    """Base of every error raised on purpose by Soundness Live."""


class FileFormatError(SoundnessError, ValueError):
    """A file (SoundFont, MIDI file, goal file, WAV) is malformed; the message names the file."""


class ParameterError(SoundnessError, ValueError):
    """A parameter is out of range or of the wrong kind; the message names it, its value and
    the allowed range."""


class DeviceError(SoundnessError, OSError):
    """A MIDI or audio device is missing, vanished or could not be opened."""


class StoreError(SoundnessError, RuntimeError):
    """The session store could not be read or written."""


class MissingFileError(SoundnessError, FileNotFoundError):
    """A file named as input does not exist; the message names it and what was expected."""


class OutputFileError(SoundnessError, OSError):
    """A file could not be written where asked; the message names it, says why and what to do."""
