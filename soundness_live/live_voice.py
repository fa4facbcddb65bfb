"""The child's voice in a live session: the microphone on the session's axis.

The microphone is captured against the output clock (its own axis); a live session runs on the
session axis (the output axis less an offset that moves on pause and skip). This adapter
converts between the two so a voice take lines up with the prompt the child answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .activities.base import Show
from .clock import ClockMapping
from .errors import DeviceError, ParameterError

VOCAL = "vocal-prompts"


class SessionAxisVoice:
    """A voice source whose frames are session frames, over one on output frames."""

    def __init__(self, source: Any, to_output: Callable[[float], float]) -> None:
        self.source = source
        self.to_output = to_output
        self.name = getattr(source, "name", "microphone")

    def observe(self, cue: Show, now_frame: int) -> None:
        """Pass cues on (a microphone ignores them)."""
        self.source.observe(cue, now_frame)

    def audio(self, since_frame: int, until_frame: int) -> np.ndarray:
        """The span, read on the output axis."""
        start = int(round(self.to_output(since_frame)))
        return self.source.audio(start, start + (until_frame - since_frame))

    def stop(self) -> None:
        """Stop the microphone."""
        self.source.stop()


def live_voice(
    activity: str,
    params: dict[str, Any],
    source: str,
    *,
    sample_rate: int,
    seed: int,
    mapping: Callable[[], ClockMapping],
    to_output: Callable[[float], float],
    device: Any = None,
) -> Any:
    """The voice source for a live-engine session: None unless the activity listens for a voice;
    the virtual singer for virtual input; the microphone for live input (a clear error when there
    is none)."""
    if activity != VOCAL:
        return None
    if params.get("prompt_source", "synth") != "synth":
        raise ParameterError(
            "live sessions sing the prompt with the synth: prompt_source must be 'synth', got "
            f"{params.get('prompt_source')!r} (spoken and recorded prompts play in offline runs)"
        )
    from .audio.mic import MicrophoneVoice, VirtualSinger

    if source != "live":
        return VirtualSinger(sample_rate, seed=seed)
    try:
        mic = MicrophoneVoice(sample_rate, mapping, device=device).start()
    except DeviceError as error:
        raise DeviceError(f"vocal prompts need a microphone: {error}") from error
    return SessionAxisVoice(mic, to_output)
