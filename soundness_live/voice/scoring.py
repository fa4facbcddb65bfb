"""The voice analysis as a vocal activity is given it (``activities.base.VoiceScoring``).

Whoever runs an activity (a headless run, the live engine, the demo) hands it
:data:`VOICE_SCORING`: the room's length and the scoring of a take. The analysis itself
(scipy, Praat) loads the first time a take is scored, not when a run is set up.
"""

from __future__ import annotations

from typing import Any

from .vad import ROOM_MS

__all__ = ["VoiceAnswerScoring", "VOICE_SCORING"]


class VoiceAnswerScoring:
    """Scores a vocal answer (:func:`soundness_live.voice.analysis.analyze_voice`)."""

    room_ms = ROOM_MS

    def analyze(self, samples: Any, sample_rate: int, **options: Any) -> Any:
        """The analysis of one take (mono ``samples`` at ``sample_rate``)."""
        from .analysis import analyze_voice

        return analyze_voice(samples, sample_rate, **options)


VOICE_SCORING = VoiceAnswerScoring()
