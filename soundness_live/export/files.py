"""Owner-only, all-or-nothing file writing for exports.

Exports carry a child's therapy data, so every file is created readable by its owner only
(0o600, directories 0o700) and written to a temporary file in the same directory, then renamed:
a reviewer never opens a half-written file, and a crash leaves the old file (or none).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from soundness_live.errors import OutputFileError, SoundnessError

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create directory ``path`` (and parents) if needed; directories we create are 0o700."""
    directory = Path(path)
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for item in reversed(missing):
        try:
            item.mkdir(mode=DIR_MODE)
        except OSError as error:
            raise OutputFileError(
                f"export folder {directory}: cannot create {item} ({error.strerror}); "
                "choose a folder you can write to"
            ) from error
        os.chmod(item, DIR_MODE)  # mkdir's mode is masked by the umask; chmod is not
    if not directory.is_dir():
        raise SoundnessError(f"export folder {directory}: expected a directory, found a file")
    return directory


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` owner-only, via a temp file in the same folder and a rename."""
    target = Path(path)
    folder = ensure_private_dir(target.parent)
    # mkstemp creates the file 0o600 regardless of the umask, so no moment is world-readable.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 with :func:`write_bytes_atomic`."""
    return write_bytes_atomic(path, text.encode("utf-8"))
