"""Finding SoundFonts: the bundled default bank, installed GM banks, and names -> paths.

The bundled bank is looked for in the package data (``soundness_live/data``), then in the
repository's ``soundfonts/`` folder; failing both (an installed wheel without the file) it is
built once into the user cache directory. Other SoundFonts are found by file name in the usual
system and user folders and in ``$SOUNDNESS_LIVE_SOUNDFONTS`` (folders or files, separated by
``os.pathsep``). Only the INFO and 'phdr' chunks of each file are read (memory-mapped), so
listing a 148 MB bank costs about a millisecond.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ... import __version__
from ...errors import FileFormatError, ParameterError
from .read import DRUM_BANK, read_soundfont_header

__all__ = [
    "BANK_FILE",
    "ENV_VAR",
    "FoundSoundFont",
    "default_soundfont_path",
    "describe_soundfonts",
    "find_soundfonts",
    "resolve_soundfont",
    "search_dirs",
]

BANK_FILE = "soundness-gm.sf2"
ENV_VAR = "SOUNDNESS_LIVE_SOUNDFONTS"
APP_NAME = "soundness-live"
SUFFIXES = (".sf2", ".sf3")
SYSTEM_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts")
USER_DIRS = (".local/share/soundfonts", ".local/share/sounds/sf2", "Library/Audio/Sounds/Banks")
FULL_GM_PROGRAMS = 100  # a bank with this many of the 128 GM programs (and a kit) is "GM"


def bundled_candidates() -> list[Path]:
    """Where the bundled bank may already exist: package data, then the repository folder."""
    package = Path(__file__).resolve().parents[2]
    return [package / "data" / BANK_FILE, package.parent / "soundfonts" / BANK_FILE]


def cached_bank_path() -> Path:
    """Where the bank is built when no copy ships with the installed package."""
    return Path(platformdirs.user_cache_dir(APP_NAME)) / f"soundness-gm-{__version__}.sf2"


def default_soundfont_path() -> Path:
    """The bundled General MIDI bank (built into the user cache on first use if absent)."""
    for candidate in bundled_candidates():
        if candidate.is_file():
            return candidate
    cached = cached_bank_path()
    if not cached.is_file():
        from ..bank import build_bank  # numpy synthesis: imported only when needed

        build_bank(cached)
    return cached


@dataclass(frozen=True)
class FoundSoundFont:
    """A SoundFont file found on this machine, described from its headers alone."""

    path: Path
    size_bytes: int
    name: str
    preset_count: int
    gm_programs: int  # how many of bank 0's programs 0..127 it has
    has_drum_kit: bool  # bank 128 program 0
    bundled: bool = False
    error: str | None = None  # why the file could not be read, if it could not

    @property
    def looks_gm(self) -> bool:
        """True for a complete-looking General MIDI bank (most programs and a drum kit)."""
        return self.error is None and self.gm_programs >= FULL_GM_PROGRAMS and self.has_drum_kit


def search_dirs(extra: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Folders (and files) searched, in order: ``extra``, $SOUNDNESS_LIVE_SOUNDFONTS, system."""
    home = Path.home()
    places = [Path(p).expanduser() for p in extra]
    places += [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    places += [Path(p) for p in SYSTEM_DIRS] + [home / p for p in USER_DIRS]
    places.append(Path(platformdirs.user_data_dir(APP_NAME)) / "soundfonts")
    if os.environ.get("APPDATA"):
        places.append(Path(os.environ["APPDATA"]) / "soundfonts")
    return places


def _files_in(place: Path) -> list[Path]:
    """SoundFont files in ``place`` and one level of sub-folders (or ``place`` itself)."""
    if place.is_file():
        return [place] if place.suffix.lower() in SUFFIXES else []
    if not place.is_dir():
        return []
    found = [*place.glob("*"), *place.glob("*/*")]
    return sorted(p for p in found if p.suffix.lower() in SUFFIXES and p.is_file())


def describe_file(path: Path, bundled: bool = False) -> FoundSoundFont:
    """Read a file's headers into a :class:`FoundSoundFont` (errors recorded, not raised)."""
    size = path.stat().st_size
    try:
        header = read_soundfont_header(path)
    except (FileFormatError, OSError, ValueError) as exc:
        return FoundSoundFont(path, size, path.stem, 0, 0, False, bundled, str(exc))
    programs = {p for b, p, _ in header.presets if b == 0}
    has_kit = any(b == DRUM_BANK and p == 0 for b, p, _ in header.presets)
    return FoundSoundFont(
        path, size, header.name, len(header.presets), len(programs), has_kit, bundled
    )


def find_soundfonts(extra: Sequence[str | os.PathLike[str]] = ()) -> list[FoundSoundFont]:
    """The bundled bank first, then every other SoundFont found (duplicates and links once)."""
    bundled = default_soundfont_path()
    found = [describe_file(bundled, bundled=True)]
    seen = {bundled.resolve()}
    for place in search_dirs(extra):
        for path in _files_in(place):
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                found.append(describe_file(path))
    return found


def resolve_soundfont(
    name_or_path: str | os.PathLike[str], extra: Sequence[str | os.PathLike[str]] = ()
) -> Path:
    """A SoundFont path from a path, ``"default"``, or a fragment of a found file's name.

    A fragment matching several files is an error listing them as ``[i] path``, unless exactly
    one of them is named by it entirely (``"TimGM6mb"`` for TimGM6mb.sf2).
    """
    text = os.fspath(name_or_path).strip()
    if text.lower() in ("", "default", "bundled"):
        return default_soundfont_path()
    direct = Path(text).expanduser()
    if direct.is_file():
        return direct
    fragment = text.lower()
    found = find_soundfonts(extra)
    matches = [f.path for f in found if fragment in f.path.name.lower()]
    exact = [p for p in matches if fragment in (p.name.lower(), p.stem.lower())]
    if len(matches) == 1 or len(exact) == 1:
        return (exact or matches)[0]
    if not matches:
        looked = ", ".join(str(p) for p in search_dirs(extra))
        raise ParameterError(
            f"SoundFont {text!r} not found: no such file, and no SoundFont whose file name "
            f"contains it (looked in: {looked})"
        )
    listing = "\n".join(f"  [{i}] {p}" for i, p in enumerate(matches))
    raise ParameterError(
        f"SoundFont name {text!r} matches {len(matches)} files; give more of the name or a "
        f"path:\n{listing}"
    )


def _gm_label(font: FoundSoundFont) -> str:
    if font.error is not None:
        return "unreadable"
    if font.looks_gm:
        return "full"
    if font.gm_programs or font.has_drum_kit:
        kit = " + kit" if font.has_drum_kit else ""
        return f"{font.gm_programs}/128{kit}"
    return "no"


def describe_soundfonts(extra: Sequence[str | os.PathLike[str]] = ()) -> str:
    """A table of the SoundFonts found and the folders searched (for `soundness-live
    soundfonts`)."""
    found = find_soundfonts(extra)
    rows = [("#", "GM", "presets", "size", "name", "path")]
    for i, font in enumerate(found):
        note = " (bundled, default)" if font.bundled else ""
        note += f" - {font.error}" if font.error else ""
        size = f"{font.size_bytes / 1e6:.1f} MB"
        rows.append(
            (str(i), _gm_label(font), str(font.preset_count), size, font.name, f"{font.path}{note}")
        )
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    lines = ["  ".join(r[c].ljust(widths[c]) for c in range(5)) + "  " + r[5] for r in rows]
    lines.append("")
    lines.append("Searched:")
    for place in search_dirs(extra):
        state = f"{len(_files_in(place))} found" if place.exists() else "absent"
        lines.append(f"  {place} ({state})")
    if len(found) == 1:
        lines.append("")
        lines.append(
            "Only the bundled bank was found. For fuller General MIDI sound install a GM "
            "SoundFont (e.g. Debian's fluid-soundfont-gm), or put .sf2 files in "
            f"~/.local/share/soundfonts or a folder named in ${ENV_VAR}."
        )
    return "\n".join(lines)
