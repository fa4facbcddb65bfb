"""The child's voice (analysis, never in a callback): VAD, pitch, syllables, prompts."""
