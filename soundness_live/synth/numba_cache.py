"""Where numba keeps the synth's compiled code, set before any compiled function is made.

The synth kernel (:mod:`.kernel`) and the output stage (:mod:`.stage_kernel`) both import this
module before numba decorates anything: numba chooses a function's cache locator when it is
decorated, and its default (beside the module) fails in a read-only install.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs

__all__ = ["CACHE_DIR", "inner_jit", "kernel_cache_dir"]

APP_NAME = "soundness-live"


def kernel_cache_dir() -> Path:
    """Where numba keeps the compiled kernel: ``$NUMBA_CACHE_DIR``, else the user cache."""
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        return Path(chosen)
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "numba"


def _set_cache_dir() -> Path:
    """Point numba's cache at :func:`kernel_cache_dir` before any function is decorated (the
    cache locator is chosen at decoration time; numba's default, beside the module, fails in a
    read-only install); returns the directory in use."""
    from numba.core import config

    settings: Any = config  # numba sets its options at run time: no static attributes
    if not settings.CACHE_DIR:
        settings.CACHE_DIR = str(kernel_cache_dir())
    return Path(settings.CACHE_DIR)


CACHE_DIR = _set_cache_dir()


def inner_jit(**options: Any) -> Any:
    """``numba.njit`` (``nogil``) for a function only compiled code calls: numba makes it no
    Python or C-callable wrapper, whose code it would otherwise generate and optimise for every
    such function, a good part of a cold compile. Not cached on its own: its code is linked
    into the cached kernel or stage that calls it, which a warm start loads whole, so a cache
    entry of its own was written on every cold start and never read."""
    import numba

    jit: Any = numba.njit
    return jit(cache=False, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)
