"""Where numba keeps the synth's compiled code, set before any compiled function is made.

The synth kernel (:mod:`.kernel`) and the output stage (:mod:`.stage_kernel`) both import this
module before numba decorates anything: numba chooses a function's cache locator when it is
decorated, and its default (beside the module) fails in a read-only install.

numba checks a cached function against its own source file only (its time and size), not
against the modules it reads constants and helpers from: after a change to one of those
(the rows of :mod:`.voice_state`, a helper of :mod:`.note_on`) it would load machine code made
for the old layout. So the compiled code lives in a directory named by a digest of the synth's
sources (and the audio outputs', whose compiled callback links the synth's kernels in),
``<cache>/synth-<digest>``: changed sources compile afresh. Directories of other
sources not used for :data:`UNUSED_DAYS` days are removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

import platformdirs

__all__ = [
    "CACHE_DIR",
    "CACHE_ROOT",
    "COMPILED_SOURCES",
    "counts_references",
    "inner_jit",
    "kernel_cache_dir",
    "sources_digest",
]

APP_NAME = "soundness-live"
UNUSED_DAYS = 30  # another version's compiled code, untouched this long, is removed


def kernel_cache_dir() -> Path:
    """Where numba keeps the compiled kernel: ``$NUMBA_CACHE_DIR``, else the user cache."""
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "numba"


# the packages whose modules numba compiles: the synth's kernels, and the audio outputs' compiled
# callback and frame line, which link the synth's kernels into their own code
COMPILED_SOURCES = (Path(__file__).parent, Path(__file__).parent.parent / "audio")


def sources_digest(directories: tuple[Path, ...] = COMPILED_SOURCES) -> str:
    """A digest of the Python sources of ``directories`` (by default the synth's and the audio
    outputs', which the compiled functions are made from), each named by its folder and file."""
    digest = hashlib.sha256()
    for directory in directories:
        for source in sorted(directory.glob("*.py")):
            name = f"{directory.name}/{source.name}"
            digest.update(name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def _set_cache_dir() -> tuple[Path, Path]:
    """Point numba's cache at ``synth-<digest>`` under :func:`kernel_cache_dir` (or under a
    cache directory already given to numba) before any function is decorated (the cache
    locator is chosen at decoration time; numba's default, beside the module, fails in a
    read-only install); returns the root and the directory in use."""
    from numba.core import config

    settings: Any = config  # numba sets its options at run time: no static attributes
    root = Path(settings.CACHE_DIR) if settings.CACHE_DIR else kernel_cache_dir()
    chosen = root / f"synth-{sources_digest()}"
    settings.CACHE_DIR = str(chosen)
    _remove_unused(root, chosen)
    return root, chosen


def _mark_used(chosen: Path) -> None:
    """Mark ``chosen`` as in use now (its time), so no other version removes it."""
    try:
        os.utime(chosen)
    except OSError:
        pass  # not made yet: numba makes it when it writes the first entry


def _remove_unused(root: Path, chosen: Path) -> None:
    """Remove other sources' compiled code under ``root`` not used for UNUSED_DAYS days
    (best effort: a directory another process is using is left)."""
    _mark_used(chosen)
    if not root.is_dir():
        return
    oldest = time.time() - UNUSED_DAYS * 86_400
    for other in root.glob("synth-*"):
        try:
            if other != chosen and other.is_dir() and other.stat().st_mtime < oldest:
                shutil.rmtree(other)
        except OSError:
            pass


CACHE_ROOT, CACHE_DIR = _set_cache_dir()


def counts_references() -> bool:
    """Whether numba's option to compile a function without reference counting
    (``_nrt``, numba's own name for its runtime) is missing in the installed numba, so that
    :func:`inner_jit` functions count references as every numba function does by default."""
    from numba.core.cpu import CPUTargetOptions

    return not hasattr(CPUTargetOptions, "_nrt")


def inner_jit(**options: Any) -> Any:
    """``numba.njit`` (``nogil``) for a function only compiled code calls: numba makes it no
    Python or C-callable wrapper, whose code it would otherwise generate and optimise for every
    such function, a good part of a cold compile. Not cached on its own: its code is linked
    into the cached kernel or stage that calls it, which a warm start loads whole, so a cache
    entry of its own was written on every cold start and never read.

    Compiled without reference counting: by default numba raises the count of every array a
    function is handed on entry and lowers it on return, each an atomic operation through a
    call, some thirty a voice at every control period of the synth kernel (over a quarter of its
    time at 64-frame blocks). These functions make no array and keep none past their return, and
    the compiled caller that handed them the arrays holds its own references meanwhile; one that
    made an array, or handed back a view of one, would fail to compile without the counting
    (numba refuses it), not run wrongly. Where the installed numba has no such option
    (:func:`counts_references`), they count as before."""
    import numba

    jit: Any = numba.njit
    if not counts_references():
        options = {"_nrt": False, **options}
    return jit(cache=False, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)
