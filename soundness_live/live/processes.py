"""Stopping a process the engine or a command started (the browser remote, the child's view)."""

from __future__ import annotations

import subprocess

#: How long a started process is given to stop when asked, and then to go when killed (s).
STOP_S = 5.0


def end_process(process: subprocess.Popen, timeout_s: float = STOP_S) -> None:
    """Stop ``process``: asked first (SIGTERM), killed when it is still there after
    ``timeout_s``; reaped either way. One that has already ended is only reaped."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)
