"""Which process owns a running session, and whether that process is still alive.

A session row keeps ``owner_pid``, ``owner_start`` (a token for the process's start: on Linux
the boot id plus the start time in clock ticks from ``/proc/PID/stat``; None elsewhere) and
``owner_host``. When a store is opened, a session still "running" whose owner is gone is
marked "interrupted" (:meth:`Store.recover_interrupted`). The owner is gone when:

- the host is this machine, and
- the pid does not exist, is a zombie (killed but not yet reaped), or — where a start token
  is available — is now a different process that reused the pid.

Without a start token (macOS, Windows) a reused pid makes a dead session look alive until the
pid disappears; that errs on the side of never interrupting a session that is really running.
A session owned by another host (a store on a shared drive) is left alone.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

__all__ = ["OwnerInfo", "current_owner", "owner_alive"]

OwnerInfo = tuple[int, "str | None", str]


def _linux_stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start ticks) from /proc/PID/stat, or None when there is no such pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces
    return fields[0], fields[19]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_token(pid: int) -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    found = _linux_stat(pid)
    return f"{_boot_id()}:{found[1]}" if found else None


def current_owner() -> OwnerInfo:
    """(pid, start token, host) of this process."""
    return os.getpid(), _start_token(os.getpid()), socket.gethostname()


def _windows_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    code = ctypes.c_ulong()
    try:
        ok = kernel.GetExitCodeProcess(handle, ctypes.byref(code))
    finally:
        kernel.CloseHandle(handle)
    return bool(ok) and code.value == 259  # STILL_ACTIVE


def owner_alive(pid: int | None, start: str | None, host: str | None) -> bool:
    """Whether the process that started a session may still be running it."""
    if pid is None:
        return False
    if host and host != socket.gethostname():
        return True  # cannot see another machine's processes
    if sys.platform.startswith("linux"):
        found = _linux_stat(pid)
        if found is None or found[0] in ("Z", "X"):
            return False
        return start is None or start == f"{_boot_id()}:{found[1]}"
    if os.name == "nt":  # pragma: no cover - Windows only; os.kill would terminate the process
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
