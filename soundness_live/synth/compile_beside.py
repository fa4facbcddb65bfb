"""The output stage compiled in a second Python process while this one compiles the synth.

On a cold cache the output stage (:func:`.stage_kernel.process_block`) is about half of the
start-up compile, and it shares nothing with the voice kernel and the note-on but numba's
cache directory. So :func:`.kernel.compile_kernel` starts a helper process that compiles the
stage into the cache, compiles the kernel and the note-on meanwhile, then loads the stage from
the cache: on a machine with a second core free the start-up takes about the longer of the two
instead of their sum. The helper is a plain ``python -c`` (no fork, the same on Windows, macOS
and Linux) with this process's environment and cache directory. It is not started when the
stage is already in the cache (a warm start loads it faster than a process starts) nor in a
frozen application (whose executable is not a Python). Whatever goes wrong with it — it cannot
start, fails, takes too long — this process compiles the stage itself, after one log line
saying why.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any

__all__ = [
    "HELPER_TIMEOUT_S",
    "StageHelper",
    "finish_stage_helper",
    "start_stage_helper",
    "stop_stage_helper",
]

log = logging.getLogger(__name__)

HELPER_TIMEOUT_S = 120.0  # far beyond a cold compile on a loaded machine: something is wrong
HELPER_SCRIPT = "from soundness_live.synth.stage_kernel import compile_stage\ncompile_stage()\n"


@dataclass
class StageHelper:
    """A helper process compiling the output stage, and the file its error output goes to (a
    file, not a pipe: a helper writing much could otherwise wait on a pipe nobody reads)."""

    process: subprocess.Popen[bytes]
    errors: IO[bytes]


def stage_in_cache(dispatcher: Any) -> bool:
    """True when numba's cache holds entries of ``dispatcher`` for its current source (a
    cached dispatcher's index; False when numba's internals cannot tell)."""
    try:
        return bool(dispatcher._cache._cache_file._load_index())
    except Exception:  # numba's cache internals differ: start the helper, it costs only time
        return False


def start_stage_helper(cache_dir: str, script: str | None = None) -> StageHelper | None:
    """A helper process compiling the output stage under ``cache_dir`` (the cache's root: the
    helper finds the same sources' directory in it, :mod:`.numba_cache`) by ``script`` (default
    :data:`HELPER_SCRIPT`), or None when none can start here (a frozen application; the start
    failed, said in the log)."""
    if getattr(sys, "frozen", False):
        return None
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows: no console window
    errors = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", HELPER_SCRIPT if script is None else script],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            creationflags=flags,
        )
    except OSError as error:
        errors.close()
        log.warning("output stage: no helper process (%s); compiling it in this one", error)
        return None
    return StageHelper(process, errors)


def finish_stage_helper(helper: StageHelper, timeout_s: float = HELPER_TIMEOUT_S) -> bool:
    """Wait for ``helper``; True when it compiled the stage into the cache. Otherwise one log
    line says what was expected and what came, and the caller compiles the stage itself."""
    try:
        code = helper.process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        problem = f"still running after {timeout_s:.0f} s: stopped"
    except BaseException:  # interrupted while waiting (Ctrl-C): the helper goes too
        stop_stage_helper(helper)
        raise
    else:
        problem = "" if code == 0 else f"exit code {code}: {_last_line(helper.errors)}"
    stop_stage_helper(helper)  # one past its time is stopped; every one reaped, its file closed
    if problem:
        log.warning(
            "output stage: expected its helper process to compile it, %s; compiling it here",
            problem,
        )
    return not problem


def stop_stage_helper(helper: StageHelper) -> None:
    """Stop ``helper`` and wait for it (this process is giving up its own compile)."""
    if helper.process.poll() is None:
        helper.process.kill()
    helper.process.wait()
    helper.errors.close()


def _last_line(errors: IO[bytes]) -> str:
    """The last non-empty line a helper wrote to its error output, or a note of none."""
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else "no error output"
