"""Prompt sources for vocal prompts: spoken by espeak-ng, or recorded once.

- Sung (the default): prompt notes the synth sings
  (:func:`soundness_live.activities.sung_prompts.sung_prompt`), like every other note.
- Spoken: :func:`espeak_prompt` renders the syllables with espeak-ng (found at run time; when it
  is missing, :func:`prepare_prompts` says so and the synth sings instead).
- Recorded: the therapist records a prompt once; :func:`import_prompt_asset` stores the WAV in
  the store with its syllable count and pitches analysed at import.

Spoken and recorded prompts are sample buffers. The session schedules one as a
:class:`~soundness_live.core.events.PlaySound` on its frame, like a note; the renderer mixes it in
before the output stage (below the volume cap), in live sessions and offline runs alike.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, SoundnessError
from .sources import decode_voice_wav, load_voice_wav


@dataclass(frozen=True)
class PreparedPrompt:
    """A prompt sound at the engine's rate and what its analysis found in it."""

    samples: np.ndarray
    syllables: int | None
    pitches_hz: tuple[float | None, ...]
    source: str


def analysed_prompt(samples: np.ndarray, sample_rate: int, source: str) -> PreparedPrompt:
    """A prompt buffer with its syllable count and per-syllable pitches."""
    from .analysis import analyze_voice

    found = analyze_voice(samples, sample_rate, pitch_floor_hz=50.0)
    return PreparedPrompt(
        np.asarray(samples, dtype=np.float32),
        found.syllables,
        tuple(found.syllable_pitches_hz),
        source,
    )


def espeak_program() -> str | None:
    """Path of espeak-ng (or espeak), or None when neither is installed."""
    return shutil.which("espeak-ng") or shutil.which("espeak")


def espeak_prompt(
    text: str, sample_rate: int, *, voice: str = "en", speed_wpm: int = 110, pitch: int = 60
) -> PreparedPrompt:
    """``text`` spoken by espeak-ng, at ``sample_rate``, analysed."""
    program = espeak_program()
    if program is None:
        raise SoundnessError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prompt.wav"
        args = [program, "-v", voice, "-s", str(speed_wpm), "-p", str(pitch), "-w", str(path)]
        done = subprocess.run([*args, text], capture_output=True, text=True, check=False)
        if done.returncode != 0 or not path.exists():
            raise SoundnessError(f"espeak-ng failed on {text!r}: {done.stderr.strip()}")
        samples = load_voice_wav(path, sample_rate)
    return analysed_prompt(samples, sample_rate, "espeak")


def load_voice_analysis() -> None:
    """Import the voice analysis (pitch, syllables, voice activity) ahead of its first use."""
    from . import analysis  # noqa: F401


def import_prompt_asset(store: Any, name: str, wav_path: str | Path) -> dict[str, Any]:
    """Store the WAV at ``wav_path`` as prompt asset ``name`` with its analysis; return it.

    The analysis (syllables, per-syllable pitches, duration) is made once, at import.
    """
    from .file_analysis import read_audio_bytes

    path = Path(wav_path)
    wav = read_audio_bytes(path)  # read once: what is analysed is what is stored
    samples = decode_voice_wav(wav, path, 16_000)
    prompt = analysed_prompt(samples, 16_000, "asset")
    analysis = {
        "syllables": prompt.syllables,
        "pitches_hz": list(prompt.pitches_hz),
        "duration_ms": 1000.0 * len(samples) / 16_000,
        "file": path.name,
    }
    store.add_prompt_asset(name, wav=wav, analysis=analysis)
    return analysis


def asset_prompt(store: Any, name: str, sample_rate: int) -> PreparedPrompt:
    """Prompt asset ``name`` from the store, at ``sample_rate``."""
    asset = store.prompt_asset(name)
    if asset is None:
        raise ParameterError(f"no prompt asset {name!r} in the store (import it first)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "asset.wav"
        path.write_bytes(
            asset["wav"] if asset["wav"] is not None else Path(asset["path"]).read_bytes()
        )
        samples = load_voice_wav(path, sample_rate)
    analysis = asset.get("analysis") or {}
    pitches = tuple(analysis.get("pitches_hz") or ())
    return PreparedPrompt(samples, analysis.get("syllables"), pitches, "asset")


class PromptSounds:
    """Prepared prompt sounds by name: ``espeak:TEXT`` or ``asset:NAME`` (made once, cached)."""

    def __init__(self, sample_rate: int, store: Any = None) -> None:
        self.sample_rate = sample_rate
        self.store = store
        self._cache: dict[str, PreparedPrompt] = {}

    def get(self, name: str) -> PreparedPrompt:
        """The prompt called ``name``."""
        if name not in self._cache:
            kind, _, what = name.partition(":")
            if kind == "espeak":
                self._cache[name] = espeak_prompt(what, self.sample_rate)
            elif kind == "asset" and self.store is not None:
                self._cache[name] = asset_prompt(self.store, what, self.sample_rate)
            else:
                raise ParameterError(
                    f"prompt sound {name!r}: expected 'espeak:TEXT' or 'asset:NAME' "
                    "(assets need the store)"
                )
        return self._cache[name]


def prepare_prompts(
    params: dict[str, Any], sample_rate: int, store: Any = None
) -> tuple[PromptSounds | None, dict[str, Any], str | None]:
    """Prompt sounds for a run's ``prompt_source``; (sounds, params to use, message or None).

    espeak without espeak-ng falls back to the synth (params say ``synth``), with a message.
    """
    source = params.get("prompt_source", "synth")
    if source == "espeak" and espeak_program() is None:
        message = "espeak-ng not found (apt-get install espeak-ng): the synth sings the prompts"
        return None, dict(params, prompt_source="synth"), message
    if source == "espeak":
        return PromptSounds(sample_rate), dict(params), None
    if source == "asset":
        if store is None:
            raise ParameterError("prompt_source=asset needs the store that holds the asset")
        sounds = PromptSounds(sample_rate, store)
        sounds.get(f"asset:{params.get('prompt_asset', '')}")  # read now: the store may close
        return sounds, dict(params), None
    return None, dict(params), None
