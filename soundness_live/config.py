"""Where Soundness Live keeps its files.

``data_dir()`` is ``$SOUNDNESS_LIVE_HOME`` when set, else the platform's user data directory
(``platformdirs.user_data_dir("soundness-live")``). It holds children's health data, so it is
created owner-only (0o700), and an existing one that others can read is tightened to 0o700:
the directory belongs to Soundness Live alone. Permission bits are skipped on Windows, where
the user profile's ACLs already keep other users out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from soundness_live.errors import ParameterError

__all__ = ["HOME_ENV", "DB_NAME", "data_dir", "db_path", "private_dir"]

HOME_ENV = "SOUNDNESS_LIVE_HOME"
DB_NAME = "soundness.db"
_POSIX = os.name == "posix"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it owner-only (0o700)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ParameterError(
            f"cannot create the data directory {path}: {error.strerror}"
        ) from error
    if not path.is_dir():
        raise ParameterError(f"data directory {path} exists but is not a directory")
    if _POSIX and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o700)  # group/other bits would expose health data
    return path


def data_dir() -> Path:
    """The data directory (created 0o700): $SOUNDNESS_LIVE_HOME, or the user data dir."""
    home = os.environ.get(HOME_ENV, "").strip()
    if home:
        return private_dir(Path(home).expanduser().absolute())
    import platformdirs  # imported here: only the shell needs it

    return private_dir(Path(platformdirs.user_data_dir("soundness-live", appauthor=False)))


def db_path() -> Path:
    """Path of the session store, ``soundness.db`` in :func:`data_dir`."""
    return data_dir() / DB_NAME
