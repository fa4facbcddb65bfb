"""Export of kept voice recordings: only on request, only what consent allowed to be kept.

A child's voice is stored only when their record says consent (see the store); even then it
leaves the store only when the reviewer asks (``export --include-voice``). Files are named by
child code, session and trial — never by name — and written owner-only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from soundness_live.audio.private_file import private_folder, write_private_bytes


def write_voice_recordings(
    bundle: Mapping[str, Any],
    recording: Callable[[int, int], bytes | None],
    out_dir: str | os.PathLike[str],
) -> list[Path]:
    """Write every kept recording of the bundle's trials as
    ``CODE-voice/CODE-session-S-trial-T.wav``.

    ``recording(session_id, trial_index)`` returns the stored WAV bytes or None.
    """
    code = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(bundle["child"]["code"]))
    folder: Path | None = None
    written: list[Path] = []
    for session in bundle["sessions"]:
        for trial in session["trials"]:
            wav = recording(int(session["id"]), int(trial["index"]))
            if wav is None:
                continue
            folder = folder or private_folder(Path(out_dir) / f"{code}-voice")
            name = f"{code}-session-{session['id']}-trial-{trial['index']}.wav"
            written.append(write_private_bytes(folder / name, wav))
    return written
