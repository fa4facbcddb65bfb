"""``soundness-live demo``: a whole simulated session, no hardware."""

from __future__ import annotations

import json

from soundness_live.audio.wav import read_wav
from soundness_live.cli import main
from soundness_live.store.records import Store


def test_demo_writes_audio_records_report_and_the_stored_session(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOUNDNESS_LIVE_HOME", str(tmp_path / "home"))
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick"]) == 0
    said = capsys.readouterr().out
    for name in ("demo-session.wav", "demo-trials.json", "DEMO-01-report.html"):
        assert str(out / name) in said
        assert (out / name).stat().st_mode & 0o777 == 0o600
    trials = json.loads((out / "demo-trials.json").read_text())["trials"]
    activities = [t["activity"] for t in trials]
    assert activities[0] == "free-play" and activities[-1] == "free-play"
    assert {"call-and-response", "waiting", "tempo-following"} <= set(activities)
    assert [t["index"] for t in trials] == list(range(len(trials)))
    onsets = [t["start_ms"] for t in trials]
    assert onsets == sorted(onsets)  # one timeline for the whole session
    audio, rate = read_wav(out / "demo-session.wav")
    assert rate == 48_000 and len(audio) / rate >= trials[-1]["end_ms"] / 1000.0
    assert 0.01 < abs(audio).max() <= 10 ** (-12 / 20) + 1e-4  # sound, under the -12 dBFS cap
    html = (out / "DEMO-01-report.html").read_text()
    assert html.count("data:image/png;base64") >= 3
    assert not (tmp_path / "home").exists()  # the user's store is never touched
    assert str(out / "data" / "soundness.db") in said
    assert (out / "data").stat().st_mode & 0o777 == 0o700
    store = Store.open(out / "data" / "soundness.db")
    try:
        (session,) = store.sessions("DEMO-01")
        assert session["status"] == "complete"
        assert (session["input"], session["simulated"]) == ("virtual", True)
        stored = store.trials(session["id"])
        assert len(stored) == len(trials)
        assert {(t["input"], t["simulated"]) for t in stored} == {("virtual", True)}
        assert {e["input"] for e in store.events(session["id"])} == {"virtual"}
        bundle = store.export_bundle("DEMO-01")
    finally:
        store.close()
    # Scored under a SIMULATED banner; no goal met, mastered or given a baseline.
    assert '<p class="simulated" role="note"><strong>SIMULATED.</strong> Every session' in html
    assert "Criterion met in" not in html and "Mastered" not in html
    assert "not judged: SIMULATED" in html
    for progress in bundle["progress"]:
        assert progress["mastered_on"] is None and progress["baseline_pct"] is None
        assert all(row["met"] is None for row in progress["sessions"])
    scored = [p for p in bundle["progress"] if p["sessions"]]
    assert scored and all(row["simulated"] for p in scored for row in p["sessions"])
