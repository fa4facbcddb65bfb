"""Every file the program writes: owner-only, whole or not at all, never over a special file.

One writer serves every output (a WAV, the JSON of a run, every export and the report):

- A :class:`PendingFile` is written beside its target and appears under the target's name only
  when :meth:`~PendingFile.commit` is called, complete and synced; until then the target is as
  it was. Where the system allows (Linux, on ext4, xfs, btrfs, tmpfs), the pending file is an
  anonymous ``O_TMPFILE`` inode in the target's folder: it has no name, so a process killed by
  any signal, SIGKILL included, leaves no file at all (the kernel frees the inode with the last
  descriptor). Elsewhere it is a hidden ``.NAME.PID.RANDOM.partial`` file, removed on every exit
  Python sees; one left by a killed process is removed by the next write into that folder.
- The file is created 0o600; folders made for it (:func:`private_folder`) 0o700.
- A target that exists and is not a regular file (a folder, a symbolic link, a named pipe, a
  device such as /dev/null, a socket) is refused and left as it is: renaming over it would
  replace a device node with a file when run as root, or write through a link to wherever it
  points. The target is checked when the file is opened and again just before it is named.
- Several files that belong together (the CSV export's tables) are written with
  :func:`write_private_files`: all of them are written and synced before any is named, so a
  failure part way leaves every one of them as it was.

Every failure, opening, writing or naming, is an :class:`~soundness_live.errors.OutputFileError`:
one line that names the file, says what was wrong with it or its folder, and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from ..errors import OutputFileError

__all__ = [
    "PendingFile",
    "private_folder",
    "write_private_bytes",
    "write_private_text",
    "write_private_files",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_PARTIAL = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.partial$")
# errno values of an O_TMPFILE open on a file system (or kernel) that cannot make one
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOSYS}
USE_TMPFILE = hasattr(os, "O_TMPFILE")
_SPECIAL_KINDS = (
    (stat.S_ISDIR, "it is a folder (give a file name)"),
    (stat.S_ISLNK, "it is a symbolic link"),
    (stat.S_ISFIFO, "it is a named pipe (FIFO)"),
    (stat.S_ISCHR, "it is a character device"),
    (stat.S_ISBLK, "it is a block device"),
    (stat.S_ISSOCK, "it is a socket"),
)


def _why(error: OSError, folder: Path) -> str:
    """What was wrong with the place, and what to do, for an OSError of open, write or rename."""
    reasons = {
        errno.ENOENT: f"the folder {folder} does not exist (create it, or choose another path)",
        errno.ENOTDIR: f"{folder} is not a folder (choose a path inside a folder)",
        errno.EACCES: f"no permission to write in {folder} (choose a folder you can write to)",
        errno.EPERM: f"no permission to write in {folder} (choose a folder you can write to)",
        errno.EROFS: f"{folder} is on a read-only file system (choose another folder)",
        errno.ENOSPC: f"no space left on the disk of {folder} (free some space)",
        errno.EDQUOT: f"the disk quota of {folder} is used up (free some space)",
        errno.EFBIG: "the file would be larger than this system allows a file to be",
        errno.EISDIR: "it is a folder (give a file name)",
        errno.ENAMETOOLONG: "the name is too long for the file system (choose a shorter one)",
        errno.EIO: f"the disk of {folder} reported an error (check the disk, then try again)",
    }
    if error.errno == errno.ENOENT and folder.is_dir():
        return f"the folder {folder} exists but cannot hold new files (choose another folder)"
    name = errno.errorcode.get(error.errno or 0, "an error")
    return reasons.get(error.errno or 0, f"{error.strerror or error} ({name}) in {folder}")


def _refuse_special(target: Path) -> None:
    """OutputFileError when ``target`` exists and is not a regular file (it is left as it is)."""
    try:
        mode = os.lstat(target).st_mode
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return  # absent (or its folder is not one: the open says so)
        raise OutputFileError(f"cannot write {target}: {_why(error, target.parent)}") from error
    if stat.S_ISREG(mode):
        return
    kind = next(words for test, words in _SPECIAL_KINDS if test(mode))
    if stat.S_ISLNK(mode):
        kind += f" to {os.readlink(target)}"
    if not stat.S_ISDIR(mode):
        kind += ", not a regular file; it is left as it is (choose another file name)"
    raise OutputFileError(f"cannot write {target}: {kind}")


class PendingFile:
    """A file for ``target`` that is invisible until committed; use as a context manager
    (committed when the block ends normally, discarded on any exception). Write through
    :meth:`write` (or ``handle`` inside :meth:`guarded`), so that a full disk is one line."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self.folder = self.target.parent
        _refuse_special(self.target)
        self._partial: Path | None = None
        self._fd = self._open()
        self.handle: BinaryIO = os.fdopen(self._fd, "wb")

    def _fail(self, error: OSError) -> OutputFileError:
        """The one-line error for ``error`` met while writing this file."""
        return OutputFileError(f"cannot write {self.target}: {_why(error, self.folder)}")

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
            raise self._fail(error) from error

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

    @contextlib.contextmanager
    def guarded(self) -> Iterator[BinaryIO]:
        """``handle``, with any OSError of writing to it (a full disk) as one OutputFileError."""
        try:
            yield self.handle
        except OutputFileError:
            raise
        except OSError as error:
            raise self._fail(error) from error

    def write(self, data: bytes) -> None:
        """Append ``data`` (an OSError becomes one OutputFileError)."""
        with self.guarded() as handle:
            handle.write(data)

    def sync(self) -> None:
        """Flush and sync what was written to the disk (a full disk shows here at the latest)."""
        with self.guarded() as handle:
            handle.flush()
            os.fsync(self._fd)

    def commit(self) -> Path:
        """Sync the data, then give it the target's name (replacing an older regular file)."""
        try:
            self.sync()
            if self._partial is None:
                self._link_anonymous()
            else:
                _refuse_special(self.target)
                os.replace(self._partial, self.target)
                self._partial = None
        except OutputFileError:
            self.discard()
            raise
        except OSError as error:
            self.discard()
            raise self._fail(error) from error
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
                _refuse_special(self.target)
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
            with contextlib.suppress(OSError):
                self._partial.unlink(missing_ok=True)
            self._partial = None

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def private_folder(path: str | os.PathLike[str]) -> Path:
    """Folder ``path``, made with its missing parents (0o700) when needed; OutputFileError
    (one line) when it cannot be made or is not a folder."""
    folder = Path(path)
    try:
        missing = _missing_folders(folder)
    except OutputFileError:
        raise
    except OSError as error:
        raise OutputFileError(f"cannot write into {folder}: {_why(error, folder)}") from error
    for item in reversed(missing):
        try:
            item.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made at the same moment by another program: it is there
        except OSError as error:
            raise OutputFileError(
                f"cannot make the folder {item}: {_why(error, item.parent)}"
            ) from error
        _owner_only(item)
    return folder


def _owner_only(folder: Path) -> None:
    """Make the folder just made 0o700 (mkdir's mode is masked by the umask; chmod is not).
    A file system that keeps no permissions refuses the change (a FAT or exFAT USB drive
    mounted without "quiet" says EPERM to the folder's own maker): its folder is as private
    as the drive allows, and the export into it goes on."""
    try:
        os.chmod(folder, FOLDER_MODE)
    except PermissionError as error:
        if error.errno != errno.EPERM or not _own(folder):
            raise OutputFileError(
                f"cannot make the folder {folder}: {_why(error, folder.parent)}"
            ) from error
    except OSError as error:
        raise OutputFileError(
            f"cannot make the folder {folder}: {_why(error, folder.parent)}"
        ) from error


def _own(folder: Path) -> bool:
    """Whether this process owns ``folder`` (where it cannot tell, as on Windows: yes)."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or folder.stat().st_uid == getuid()


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, innermost first; OutputFileError
    when one of them exists and is not a folder."""
    missing = []
    probe = folder
    while not probe.is_dir():
        if probe.exists() or probe.is_symlink():
            raise OutputFileError(
                f"cannot write into {folder}: {probe} is not a folder (choose another folder)"
            )
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    return missing


def write_private_bytes(
    target: str | os.PathLike[str], data: bytes, *, make_folder: bool = False
) -> Path:
    """Write ``data`` to ``target`` owner-only, whole or not at all (``make_folder``: its
    folder too, when missing)."""
    if make_folder:
        private_folder(Path(target).parent)
    with PendingFile(target) as pending:
        pending.write(data)
    return Path(target)


def write_private_text(
    target: str | os.PathLike[str], text: str, *, make_folder: bool = False
) -> Path:
    """Write ``text`` as UTF-8 with :func:`write_private_bytes`."""
    return write_private_bytes(target, text.encode("utf-8"), make_folder=make_folder)


def write_private_files(contents: Mapping[Path, bytes]) -> list[Path]:
    """Write several files that belong together: every one is written and synced before any
    is named, so a failure while writing leaves all of them as they were."""
    pending: list[PendingFile] = []
    try:
        for target, data in contents.items():
            pending.append(PendingFile(target))
            pending[-1].write(data)
            pending[-1].sync()
    except BaseException:
        for file in pending:
            file.discard()
        raise
    return [file.commit() for file in pending]


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
