"""``soundness-live screenshots DIR``: a person gets the screen tour's screenshots, and the tour's
session stays in the folder's own data directory, stored as simulated."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundness_live.cli import main
from soundness_live.store.records import Store


def test_screenshots_writes_every_page_at_every_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    out = tmp_path / "shots"
    assert main(["screenshots", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    shots = sorted(out.glob("*.png"))
    assert [str(path) for path in shots] == printed[:-1]
    assert printed[-1] == f"{len(shots)} screenshots in {out}"
    for size in ("1280x800", "1920x1080", "800x1280"):
        assert {f"session-{size}", f"help-{size}", f"confirm-end-session-{size}"} <= {
            path.stem.split("-", 1)[1] for path in shots
        }
    assert (out / "data").stat().st_mode & 0o077 == 0  # the tour's data: owner-only
    with Store.open(out / "data" / "soundness.db") as store:
        [session] = store.sessions("DEMO-01")
        trials = store.trials(session["id"])
    assert [t["activity"] for t in trials] == ["waiting", "tempo-following"]
    assert all(t["simulated"] for t in trials)
