"""The pages opened from the session page, driven by their button names through the hit-test
layout at 1280x800, 1920x1080 and 800x1280 against the engine in this process and its real
store: a child added and edited, goals picked, a device's instrument and aids, the therapist's
name, a note typed on the on-screen keyboard, the summary with its plot, the export to a drive.
Every page is checked at each size (inside the window, no overlaps, targets >= 48 px) and
screenshot (set SOUNDNESS_LIVE_SCREENSHOTS=DIR to keep the pictures)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest

from soundness_live.core.events import DeviceChange
from soundness_live.export import places as places_module
from soundness_live.export.places import Place
from soundness_live.live.client import EngineClient
from soundness_live.live.protocol import message
from soundness_live.store.records import Store
from soundness_live.ui.controls import View
from soundness_live.ui.pages import PAGES
from soundness_live.ui.pages.keyboard import OnScreenKeyboard, TextField, code_char
from tests.live.test_engine_connections import posix_only, serving
from tests.live.test_page_commands import Clock, session
from tests.ui.pages_helpers import (
    SIZES,
    EngineHost,
    button,
    laid_out,
    press,
    screenshot,
    tap,
    type_keys,
)


@pytest.fixture()
def pages_engine(engine_here: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    with Store.open(engine_here.options.data_dir / "soundness.db") as store:
        store.add_child({"code": "S-014", "display_name": "Sam Quill", "volume_cap_dbfs": -18.0})
    yield engine_here
    pygame.font.quit()


def store_of(engine: Any) -> Store:
    return Store.open(engine.options.data_dir / "soundness.db")


def test_every_page_fits_each_window_and_is_screenshot(pages_engine: Any, tmp_path: Path) -> None:
    handle_child = EngineHost(pages_engine).request
    handle_child("select_child", child="S-014")
    handle_child("set_goals", child="S-014", goals=["wait-turn", "steady-beat"])
    clock = Clock()
    with Store.open(pages_engine.options.data_dir / "soundness.db", now=clock) as store:
        for wins in (2, 3, 4):
            session(store, clock, wins=wins)
    contexts = {"profile": {"child": "S-014"}, "goals": {}, "devices": {}, "therapist": {},
                "note": {}, "summary": {}, "export": {}}  # fmt: skip
    assert set(contexts) == set(PAGES)
    shots = []
    for name, context in contexts.items():
        host = EngineHost(pages_engine)
        page = PAGES[name](host, **context)
        assert page.name == name and page.notice == "", page.notice
        for size in SIZES:
            shots.append(screenshot(page, host, size, tmp_path))
    for name, context in contexts.items():  # QUIET, one tap away on every page
        host = EngineHost(pages_engine)
        page = PAGES[name](host, **context)
        for size in SIZES:
            layout = laid_out(page, host, size)
            quiet = button(layout, "panic")
            assert (quiet.label, quiet.kind, quiet.enabled) == ("QUIET", "danger", True)
            header = [b for b in layout.buttons if b.rect.y == quiet.rect.y]
            assert quiet.rect.w * quiet.rect.h == max(b.rect.w * b.rect.h for b in header)
        tap(page, host, "panic")
        assert host.sent[-1] == {"type": "panic"} and pages_engine.snapshot()["quiet"] is True
        handle_child("resume")
    new = PAGES["profile"](EngineHost(pages_engine))
    for size in SIZES:  # a new child: the keyboard shows for the code
        assert any(b.name == "kb:a" for b in laid_out(new, new.host, size).buttons)
        shots.append(screenshot(new, new.host, size, tmp_path, "new"))
    for size in ((1024, 768), (768, 1024)):  # the screen's older sizes still fit
        for name, context in contexts.items():
            host = EngineHost(pages_engine)
            laid_out(PAGES[name](host, **context), host, size)
        laid_out(new, new.host, size)
    assert len(set(shots)) == 24 and all(path.stat().st_size > 5000 for path in shots)


@pytest.mark.parametrize("size", SIZES)
def test_a_child_is_added_on_the_keyboard_and_edited(pages_engine: Any, size: tuple) -> None:
    host = EngineHost(pages_engine, size)
    page = PAGES["profile"](host)
    assert button(laid_out(page, host, size), "save").enabled is False  # no code yet
    type_keys(page, host, "M-002")
    tap(page, host, "kb:done")
    tap(page, host, "field:name")
    type_keys(page, host, "Mo Lee")
    tap(page, host, "kb:done")
    for _ in range(2):
        tap(page, host, "cap:down")  # -12 -> -18 dB
    tap(page, host, "range")
    assert page.words("value:low", host.view) == "D3 150 Hz"  # a note, as it is sung
    assert page.words("value:high", host.view) == "D5 600 Hz"
    tap(page, host, "low:up")  # 150 -> 175 Hz
    assert page.words("value:low", host.view) == "F3 175 Hz"
    tap(page, host, "save")
    assert page.notice == "added M-002; chosen for the session", page.notice
    assert host.view.child == "M-002" and pages_engine.snapshot()["child"] == "M-002"
    with store_of(pages_engine) as store:
        child = store.get_child("M-002")
    assert (child.display_name, child.volume_cap_dbfs) == ("Mo Lee", -18.0)
    assert child.voice_range_hz == (175.0, 600.0) and not child.consent.voice_recording
    assert [c["code"] for c in host.view.children] == ["M-002", "S-014"]  # the picker knows
    names = {b.name for b in laid_out(page, host, size).buttons}
    assert {"open:goals", "open:devices"} <= names and button(
        laid_out(page, host, size), "field:code").enabled is False  # fmt: skip
    tap(page, host, "open:goals")
    assert host.opened == [("goals", {"child": "M-002"})]


def test_the_chosen_childs_cap_lowered_on_the_profile_holds_at_once(pages_engine: Any) -> None:
    host = EngineHost(pages_engine)
    host.request("select_child", child="S-014")
    page = PAGES["profile"](host, child="S-014")
    assert page.fields["name"].text == "Sam Quill" and page.cap_dbfs == -18.0
    tap(page, host, "cap:down")
    tap(page, host, "save")
    assert (pages_engine.volume_cap_dbfs, pages_engine.child_cap_dbfs) == (-21.0, -21.0)


def test_withdrawing_voice_consent_says_it_deletes_before_saving(pages_engine: Any) -> None:
    host = EngineHost(pages_engine)
    host.request("save_child", child="S-014", voice_consent=True)
    page = PAGES["profile"](host, child="S-014")
    assert button(laid_out(page, host, SIZES[0]), "consent").label == (
        "voice kept: parents consented"
    )
    tap(page, host, "consent")
    assert button(laid_out(page, host, SIZES[0]), "consent").label == (
        "not kept: saving deletes the kept recordings"
    )
    tap(page, host, "save")
    with store_of(pages_engine) as store:
        assert store.get_child("S-014").consent.voice_recording is False


def test_a_code_that_is_no_pseudonym_cannot_be_typed_and_says_so(pages_engine: Any) -> None:
    host = EngineHost(pages_engine)
    page = PAGES["profile"](host)
    assert press(page, host, pygame.K_s, "S") and press(page, host, pygame.K_SPACE, " ")
    assert page.code == "S" and page.notice == "' ' cannot be typed here"
    for char in "-014":
        press(page, host, 0, char)
    press(page, host, pygame.K_BACKSPACE)
    assert page.code == "S-01"
    assert press(page, host, pygame.K_RETURN) and page.editing is None  # done
    assert press(page, host, pygame.K_ESCAPE) and host.closed == 1


@pytest.mark.parametrize("size", SIZES)
def test_goals_are_picked_from_the_library(pages_engine: Any, size: tuple) -> None:
    host = EngineHost(pages_engine, size)
    host.request("select_child", child="S-014")
    host.refresh()
    page = PAGES["goals"](host)
    seen: set[str] = set()
    for _ in range(11):  # page on until the last goal shows
        layout = laid_out(page, host, host.size)
        seen |= {b.name for b in layout.buttons if b.name.startswith("goal:")}
        more = [b for b in layout.buttons if b.name == "page:next" and b.enabled]
        if not more:
            break
        tap(page, host, "page:next")
    assert page.first > 0 or size == (800, 1280)  # the list paged on (portrait holds all)
    while page.first:
        tap(page, host, "page:prev")
    tap(page, host, "goal:wait-turn")
    assert "waits for the turn and gets at least 75 % of the notes" in page.words(
        "about", host.view
    )
    assert len(seen) == 11  # every goal of the library can be reached
    tap(page, host, "goal:steady-beat")
    tap(page, host, "save")
    assert page.notice == "S-014 has 2 goals now"
    with store_of(pages_engine) as store:
        assert [g.id for g in store.goals_for("S-014")] == ["wait-turn", "steady-beat"]


@pytest.mark.parametrize("size", SIZES)
def test_a_device_gets_an_instrument_and_aids_that_play_at_once(
    pages_engine: Any, size: tuple
) -> None:
    host = EngineHost(pages_engine, size)
    host.request("select_child", child="S-014")
    pages_engine.live_input.on_device_change(DeviceChange("nanoKEY2 MIDI 1", True, 0.0))
    host.refresh()
    page = PAGES["devices"](host)
    tap(page, host, "device:next")
    assert page.device == "nanoKEY2 MIDI 1"
    tap(page, host, "family:next")  # chromatic percussion
    for _ in range(4):
        tap(page, host, "program:next")  # marimba (12)
    assert page.words("value:program", host.view) == "marimba"
    for _ in range(5):
        tap(page, host, "scale:next")  # major pentatonic
    tap(page, host, "key:next")  # C#
    tap(page, host, "transpose:down")
    tap(page, host, "floor:up")
    tap(page, host, "curve:0.5")
    tap(page, host, "save")
    assert page.notice == "saved nanoKEY2 MIDI 1 for S-014: it plays so now"
    role = pages_engine.live_input.roles.role_for("nanoKEY2 MIDI 1")
    assert (role.player, role.program) == ("S-014", 12)
    with store_of(pages_engine) as store:
        [kept] = store.get_child("S-014").devices
    assert kept.scale_lock is not None
    assert (kept.scale_lock.scale, kept.scale_lock.key) == ("major_pentatonic", "C#")
    assert (kept.transpose, kept.velocity_curve.floor, kept.velocity_curve.gamma) == (-1, 10, 0.5)
    tap(page, host, "kind:pad")
    assert page.words("value:program", host.view) == "General MIDI drums"
    assert not button(laid_out(page, host, host.size), "program:next").enabled
    pages_engine.live_input.on_device_change(DeviceChange("nanoKEY2 MIDI 1", False, 0.0))
    host.refresh()
    again = PAGES["devices"](host)
    assert again.names() == ["keyboard", "nanoKEY2 MIDI 1"]
    tap(again, host, "device:next")
    assert again.words("value:device", host.view) == "nanoKEY2 MIDI 1 (not connected)"
    assert again.words("value:program", host.view) == "marimba"  # as kept in the record


@pytest.mark.parametrize("size", SIZES)
def test_the_note_is_typed_on_the_keyboard_and_kept_with_the_session(
    pages_engine: Any, size: tuple
) -> None:
    host = EngineHost(pages_engine, size)
    page = PAGES["note"](host)
    assert not button(laid_out(page, host, host.size), "save").enabled  # no session open
    host.request("start_activity", activity="waiting", child="S-014", input="virtual",
                 params={"trials": 1})  # fmt: skip
    host.request("stop")
    host.refresh()
    type_keys(page, host, "Sam waited, twice!")
    tap(page, host, "kb:enter")
    press(page, host, 0, "O")
    press(page, host, 0, "k")
    tap(page, host, "save")
    session_id = host.view.state["session_id"]
    assert page.notice == f"note kept with session {session_id}"
    with store_of(pages_engine) as store:
        assert [n["text"] for n in store.notes(session_id)] == ["Sam waited, twice!\nOk"]


@pytest.mark.parametrize("size", SIZES)
def test_the_therapists_name_is_saved_and_used_by_the_screen(
    pages_engine: Any, size: tuple
) -> None:
    host = EngineHost(pages_engine, size)
    host.request("set_therapist", name="Mia Berger")
    page = PAGES["therapist"](host)
    assert page.fields["name"].text == "Mia Berger"  # this machine's, from config.toml
    tap(page, host, "clear")
    type_keys(page, host, "Mia B.")
    tap(page, host, "save")
    assert host.view.therapist == "Mia B." and page.notice == (
        "sessions from now on are run by Mia B."
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_summary_shows_each_goal_and_leads_to_the_export(
    pages_engine: Any, size: tuple
) -> None:
    host = EngineHost(pages_engine, size)
    host.request("set_goals", child="S-014", goals=["wait-turn", "steady-beat"])
    clock = Clock()
    with Store.open(pages_engine.options.data_dir / "soundness.db", now=clock) as store:
        for wins in (2, 3, 4):
            last = session(store, clock, wins=wins)
    page = PAGES["summary"](host, child="S-014")
    assert page.words("goal", host.view).split("\n")[1:4] == [
        "met when the child waits for the turn and gets at least 75 % of the notes, in 4 of 5 "
        "trials, in 3 sessions in a row",
        "today: 4 of 5 trials succeeded (80 %)",
        "before: 50 % on average over 2 sessions; last time (2026-11-04) 60 %",
    ]
    assert page.words("value:goal", host.view) == "goal 1 of 2"
    tap(page, host, "goal:next")
    assert page.words("goal", host.view).split("\n")[2] == "today: no trials for this goal"
    tap(page, host, "export")
    assert host.opened == [("export", {"child": "S-014", "session": last})]
    tap(page, host, "note")  # the session ended: a note for it, from the summary
    assert host.opened[-1] == ("note", {"session": last})
    host.request("select_child", child="S-014")
    host.refresh()
    note = PAGES["note"](host, session=last)
    type_keys(note, host, "Calm today")
    tap(note, host, "save")
    assert note.notice == f"note kept with session {last}"
    with store_of(pages_engine) as store:
        assert [n["text"] for n in store.notes(last)] == ["Calm today"]


@pytest.mark.parametrize("size", SIZES)
def test_the_export_goes_to_a_listed_drive_de_identified(
    pages_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple
) -> None:
    drive = tmp_path / "KINGSTON"
    drive.mkdir()
    found: list[Place] = []
    monkeypatch.setattr(places_module, "removable_drives", lambda: list(found))
    clock = Clock()
    with Store.open(pages_engine.options.data_dir / "soundness.db", now=clock) as store:
        session_id = session(store, clock, wins=3)
    host = EngineHost(pages_engine, size)
    page = PAGES["export"](host, child="S-014", session=session_id)
    assert [b.label for b in laid_out(page, host, host.size).buttons
            if b.name.startswith("place:")][0].startswith("exports folder")  # fmt: skip
    found.append(Place(str(drive), "USB drive KINGSTON", drive, removable=True))
    tap(page, host, "look")  # plugged in since the page opened
    tap(page, host, "place:1")
    tap(page, host, "format:csv")  # left out
    tap(page, host, "export")
    folder = drive / "soundness-live"
    assert page.notice == f"wrote 2 files to {folder}, de-identified"
    written = sorted(p.name for p in folder.iterdir())
    assert written == ["S-014-report.html", f"S-014-session-{session_id}.mid"]
    if os.name == "posix":
        assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert "Quill" not in (folder / "S-014-report.html").read_text(encoding="utf-8")


def test_the_keyboard_types_capitals_digits_and_punctuation_into_a_field() -> None:
    keyboard, text = OnScreenKeyboard(), TextField(max_chars=8)
    for key in ("kb:shift", "kb:A", "kb:b", "kb:symbols", "kb:?", "kb:space", "kb:backspace"):
        assert keyboard.press(key, text)
    assert text.text == "Ab?" and not keyboard.press("save", text)
    code = TextField(max_chars=4, allowed=code_char)
    code.type("S-0é14")
    assert code.text == "S-01" and code.refused == "4"


class ClientHost(EngineHost):
    """The window as a page sees it over the engine's real connection (JSON on a socket)."""

    def __init__(self, client: Any, size: tuple[int, int]) -> None:
        self.client = client
        self.view = View(state=client.request("snapshot")["state"], child="S-014")
        self.size = size
        self.opened, self.closed, self.sent = [], 0, []

    def command(self, kind: str, /, **fields: Any) -> None:
        self.client.send(message(kind, **fields))

    def request(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        return self.client.request(kind, **fields)


@posix_only
def test_the_pages_work_over_the_engines_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pygame.font.init()
    home = Path(tempfile.mkdtemp(prefix="sl-pages-"))  # short: the socket's path has a limit
    try:
        with serving(home) as server:
            with Store.open(home / "soundness.db") as store:
                store.add_child({"code": "S-014", "display_name": "Sam Quill"})
            with EngineClient.connect(server.data_dir) as client:
                client.request("select_child", child="S-014")
                host = ClientHost(client, SIZES[2])
                profile = PAGES["profile"](host, child="S-014")
                tap(profile, host, "range")  # a voice range travels as a JSON list
                tap(profile, host, "save")
                assert profile.notice == "saved S-014", profile.notice
                devices = PAGES["devices"](host)
                devices.device, devices.settings = "pad", devices._settings_of("pad")
                tap(devices, host, "kind:pad")  # a field called kind, over the wire
                tap(devices, host, "save")
                assert devices.notice.startswith("saved pad for S-014"), devices.notice
                summary = PAGES["summary"](host)
                assert summary.notice == (
                    "S-014 has no stored session yet: start one, or choose another child"
                )
            with Store.open(home / "soundness.db") as store:
                child = store.get_child("S-014")
            assert child.voice_range_hz == (150.0, 600.0)
            assert [(d.device, d.kind) for d in child.devices] == [("pad", "pad")]
    finally:
        shutil.rmtree(home)
        pygame.font.quit()
