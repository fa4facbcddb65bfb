"""The test suite leaves no process behind: a check of the test process's children at the end.

A test that starts a process (jackd, the engine, a writer to kill) must stop it. Once every
test and fixture has finished, :func:`pytest_sessionfinish` lists the children of the test
process still running (zombies, already ended, do not count); after a short grace for ones on
their way out, each is named with its process id and command line. Under ``CI=true`` that
fails the run; on a developer's machine it is a warning line. Linux only (it reads /proc);
elsewhere the check is skipped.

``tests/conftest.py`` imports the hook; ``pytest -p tests.processes`` loads it on its own.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

PROC = Path("/proc")
GRACE_S = 2.0  # a child told to stop in a test's last teardown may take this long to go


def child_processes(parent_pid: int | None = None) -> list[tuple[int, str]]:
    """(pid, command line) of every running child of ``parent_pid`` (default: this process)."""
    parent_pid = os.getpid() if parent_pid is None else parent_pid
    children = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        name, _, rest = stat.rpartition(")")  # the name in parentheses may hold anything
        state, ppid = rest.split()[:2]
        if int(ppid) == parent_pid and state != "Z":
            shown = command.replace(b"\0", b" ").decode(errors="replace").strip()
            children.append((int(entry.name), shown or name.partition("(")[2]))
    return sorted(children)


def leftover_children(grace_s: float = GRACE_S) -> list[tuple[int, str]]:
    """The children still running after up to ``grace_s`` of waiting for them to end."""
    deadline = time.monotonic() + grace_s
    while (children := child_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return children


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Name every child process a test left running; under CI=true the run fails."""
    if not PROC.is_dir():
        return
    left = leftover_children()
    if not left:
        return
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    lines = "".join(f"\n  pid {pid}: {command}" for pid, command in left)
    kind = "error" if in_ci else "warning"
    message = f"{kind}: the tests left {len(left)} child process(es) running:{lines}"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message, red=in_ci, yellow=not in_ci)
    else:
        print(message, file=sys.stderr)
    if in_ci:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
