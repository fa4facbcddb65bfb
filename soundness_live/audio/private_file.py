"""Writing a file whole or not at all, owner-only, with nothing left behind by a killed run.

A :class:`PendingFile` is written beside its target and appears under the target's name only
when :meth:`~PendingFile.commit` is called, complete and synced; until then the target is as it
was. Where the system allows (Linux, on ext4, xfs, btrfs, tmpfs), the pending file is an
anonymous ``O_TMPFILE`` inode in the target's folder: it has no name, so a process killed by any
signal, SIGKILL included, leaves no file at all (the kernel frees the inode with the last
descriptor). Elsewhere it is a hidden ``.NAME.PID.partial`` file, removed on every exit Python
sees; one left by a killed process is removed by the next write into that folder.

Every failure to create or place the file is an :class:`~soundness_live.errors.OutputFileError`
that names the file, says what was wrong with its folder and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from pathlib import Path
from typing import BinaryIO

from ..errors import OutputFileError

__all__ = ["PendingFile", "write_private_bytes"]

FILE_MODE = 0o600
_PARTIAL = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.partial$")
# errno values of an O_TMPFILE open on a file system (or kernel) that cannot make one
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOSYS}
USE_TMPFILE = hasattr(os, "O_TMPFILE")


def _why(error: OSError, folder: Path) -> str:
    """What was wrong with the place, and what to do, for an OSError of open/link/rename."""
    reasons = {
        errno.ENOENT: f"the folder {folder} does not exist (create it, or choose another path)",
        errno.ENOTDIR: f"{folder} is not a folder (choose a path inside a folder)",
        errno.EACCES: f"no permission to write in {folder} (choose a folder you can write to)",
        errno.EPERM: f"no permission to write in {folder} (choose a folder you can write to)",
        errno.EROFS: f"{folder} is on a read-only file system (choose another folder)",
        errno.ENOSPC: f"no space left on the disk of {folder} (free some space)",
        errno.EISDIR: "it is a folder (give a file name inside it)",
    }
    return reasons.get(error.errno or 0, f"{error.strerror or error} in {folder}")


class PendingFile:
    """A file for ``target`` that is invisible until committed; use as a context manager
    (committed when the block ends normally, discarded on any exception)."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self.folder = self.target.parent
        if self.target.is_dir():
            raise OutputFileError(f"cannot write {self.target}: it is a folder (give a file name)")
        self._partial: Path | None = None
        self._fd = self._open()
        self.handle: BinaryIO = os.fdopen(self._fd, "wb")

    def _open(self) -> int:
        _sweep(self.folder)
        try:
            if USE_TMPFILE:
                fd = self._open_anonymous()
                if fd is not None:
                    return fd
            partial = _partial_name(self.target)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            self._partial = partial
            return fd
        except OSError as error:
            raise OutputFileError(
                f"cannot write {self.target}: {_why(error, self.folder)}"
            ) from error

    def _open_anonymous(self) -> int | None:
        """An unnamed file in the target's folder, or None where O_TMPFILE is not supported."""
        try:
            fd = os.open(self.folder, os.O_TMPFILE | os.O_WRONLY, FILE_MODE)
        except OSError as error:
            if error.errno in _NO_TMPFILE and self.folder.is_dir():
                return None
            raise
        os.fchmod(fd, FILE_MODE)  # the umask may only narrow the mode; make it exact
        return fd

    def commit(self) -> Path:
        """Flush and sync the data, then give it the target's name (replacing an older file)."""
        self.handle.flush()
        os.fsync(self._fd)
        try:
            if self._partial is None:
                self._link_anonymous()
            else:
                os.replace(self._partial, self.target)
                self._partial = None
        except OSError as error:
            self.discard()
            raise OutputFileError(
                f"cannot write {self.target}: {_why(error, self.folder)}"
            ) from error
        self.handle.close()
        return self.target

    def _link_anonymous(self) -> None:
        """Name the anonymous file: directly when the target is absent, else under a hidden
        name renamed over the target (rename replaces atomically; link cannot)."""
        folder_fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _link_fd(self._fd, folder_fd, self.target.name):
                return
            hidden = _partial_name(self.target)
            _link_fd(self._fd, folder_fd, hidden.name)
            try:
                os.replace(hidden, self.target)
            except BaseException:
                hidden.unlink(missing_ok=True)
                raise
        finally:
            os.close(folder_fd)

    def discard(self) -> None:
        """Drop what was written; the target stays as it was."""
        with contextlib.suppress(OSError):
            self.handle.close()
        if self._partial is not None:
            self._partial.unlink(missing_ok=True)
            self._partial = None

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_private_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` owner-only, whole or not at all."""
    with PendingFile(target) as pending:
        pending.handle.write(data)
    return Path(target)


def _link_fd(fd: int, folder_fd: int, name: str) -> bool:
    """linkat(2) of an O_TMPFILE descriptor to ``name`` in ``folder_fd``; False when that name
    exists. A directory descriptor makes Python call linkat with AT_SYMLINK_FOLLOW (plain link
    would try to link the /proc symlink itself and fail with EXDEV)."""
    try:
        os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=folder_fd, follow_symlinks=True)
    except FileExistsError:
        return False
    return True


def _partial_name(target: Path) -> Path:
    """A hidden name beside ``target`` that says which process made it (see :func:`_sweep`)."""
    return target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"


def _sweep(folder: Path) -> None:
    """Remove partial files left in ``folder`` by processes that no longer run."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return  # the open that follows reports what is wrong with the folder
    for name in names:
        match = _PARTIAL.match(name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):  # Windows: a file still open cannot be removed
                (folder / name).unlink()


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False  # the unlink fails for a file its living process still holds open
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
