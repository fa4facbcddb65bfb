"""Any damage to the store file: commands answer or refuse in one line, never a traceback."""

from __future__ import annotations

import io
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soundness_live.cli import main
from tests.faults import FAULTS

COMMANDS = (
    ["sessions"],
    ["child", "list"],
    ["export", "--child", "S-014", "--format", "json", "--out", "{out}"],
    ["play", "waiting", "--param", "trials=1", "--child", "S-014", "--input", "virtual"],
)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    """A real store file (a child, one stored session), checkpointed."""
    home = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOUNDNESS_LIVE_HOME", str(home))
        assert main(["child", "add", "S-014", "--name", "Sam"]) == 0
        assert (
            main(
                ["play", "waiting", "--param", "trials=2", "--child", "S-014", "--input", "virtual"]
            )
            == 0
        )
    with sqlite3.connect(home / "soundness.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return home / "soundness.db"


@FAULTS
@given(
    cut=st.floats(0.0, 1.0),
    start=st.floats(0.0, 1.0),
    junk=st.binary(min_size=1, max_size=600),
    command=st.sampled_from(COMMANDS),
)
def test_any_damage_is_an_answer_or_one_line(tmp_path_factory, healthy, cut, start, junk, command):
    store_bytes = healthy.read_bytes()
    home = tmp_path_factory.mktemp("damaged")
    damaged = bytearray(store_bytes[: max(1, int(len(store_bytes) * cut))])
    at = int(len(damaged) * start)
    damaged[at : at + len(junk)] = junk
    (home / "soundness.db").write_bytes(bytes(damaged))
    err = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        redirect_stdout(io.StringIO()),
        redirect_stderr(err),
    ):
        patch.setenv("SOUNDNESS_LIVE_HOME", str(home))
        code = main([arg.format(out=home / "out") for arg in command])
    lines = err.getvalue().strip().splitlines()
    assert code in (0, 2) and "Traceback" not in err.getvalue()
    if code == 2:
        assert len(lines) == 1 and str(home / "soundness.db") in lines[0], lines
