"""Where an export can go: the data directory's exports folder, or a removable drive.

The therapist's screen has no file dialog: it shows the places, not a tree. A removable drive
is found the way each desktop mounts one:

- Linux: a mount point in the mount table (``/proc/self/mounts``) directly under
  ``/media/USER/`` (Debian, Ubuntu) or ``/run/media/USER/`` (Fedora, Arch: udisks2);
- macOS: a volume in ``/Volumes/`` other than the start-up disk (which is a link to ``/``);
- Windows: a drive letter whose drive type is removable (``GetDriveTypeW`` says 2).

Each finder reads what it is given (the mount table's text, a folder's entries, the drive
letters and their types), so tests run them on fake tables on any system.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "EXPORTS_FOLDER",
    "Place",
    "exports_place",
    "linux_drives",
    "mac_drives",
    "windows_drives",
    "removable_drives",
    "export_places",
]

EXPORTS_FOLDER = "exports"  # in the data directory
DRIVE_REMOVABLE = 2  # GetDriveTypeW's answer for a removable drive (a USB stick, a card)
_MOUNT_ESCAPES = {"\\040": " ", "\\011": "\t", "\\012": "\n", "\\134": "\\"}


@dataclass(frozen=True)
class Place:
    """A place to export to: ``key`` is what the screen sends back to choose it."""

    key: str
    name: str  # as the therapist reads it: "exports folder", "USB drive KINGSTON"
    path: Path
    removable: bool


def exports_place(home: Path) -> Place:
    """The data directory's exports folder (made when the first export is written)."""
    return Place("exports", "exports folder", home / EXPORTS_FOLDER, removable=False)


def _drive(path: Path, label: str) -> Place:
    return Place(str(path), f"USB drive {label}", path, removable=True)


def _unescape(field: str) -> str:
    """A mount table field with its octal escapes undone ("My\\040Stick" -> "My Stick")."""
    for escape, char in _MOUNT_ESCAPES.items():
        field = field.replace(escape, char)
    return field


def linux_drives(mount_table: str, user: str) -> list[Place]:
    """The drives mounted directly under /media/USER or /run/media/USER, in table order."""
    parents = {PurePosixPath("/media", user), PurePosixPath("/run/media", user)}
    found: list[Place] = []
    for line in mount_table.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        point = PurePosixPath(_unescape(fields[1]))
        if point.parent in parents and all(p.path != Path(point) for p in found):
            found.append(_drive(Path(point), point.name))
    return found


def mac_drives(volumes: Iterable[Path], is_root: Callable[[Path], bool]) -> list[Place]:
    """The volumes in /Volumes but the start-up disk (``is_root``) and hidden ones, by name."""
    return [
        _drive(volume, volume.name)
        for volume in sorted(volumes, key=lambda v: v.name.lower())
        if not volume.name.startswith(".") and not is_root(volume)
    ]


def windows_drives(letters: Iterable[str], drive_type: Callable[[str], int]) -> list[Place]:
    """The drive letters (``"E"``) whose type is removable, as ``E:\\`` places."""
    return [
        _drive(Path(f"{letter}:\\"), f"{letter}:")
        for letter in letters
        if drive_type(f"{letter}:\\") == DRIVE_REMOVABLE
    ]


def removable_drives(platform: str = sys.platform) -> list[Place]:
    """The removable drives mounted on this computer now (none where it cannot tell)."""
    if platform.startswith("linux"):
        try:
            table = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return linux_drives(table, getpass.getuser())
    if platform == "darwin":
        volumes = Path("/Volumes")
        entries = list(volumes.iterdir()) if volumes.is_dir() else []
        return mac_drives(entries, lambda v: os.path.realpath(v) == "/")
    if platform == "win32":
        return windows_drives(*_windows_letters())
    return []


def _windows_letters() -> tuple[list[str], Callable[[str], int]]:  # pragma: no cover - Windows
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = kernel.GetLogicalDrives()
    letters = [chr(ord("A") + i) for i in range(26) if mask >> i & 1]
    return letters, lambda root: int(kernel.GetDriveTypeW(root))


def export_places(home: Path, drives: list[Place] | None = None) -> list[Place]:
    """The exports folder first, then each removable drive (``drives``: found now if None)."""
    return [exports_place(home), *(removable_drives() if drives is None else drives)]
