"""Nothing on the therapist's pages is said by colour alone: the chosen button of a choice has
a border and a tick besides its colour, and says "chosen" read aloud; the step buttons of the
devices page and the profile's voice range say what they change."""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from soundness_live.store.records import Store
from soundness_live.ui.controls import Button, Rect
from soundness_live.ui.images import Fonts
from soundness_live.ui.pages import PAGES
from soundness_live.ui.pages import draw as page_drawing
from soundness_live.ui.palette import BUTTON
from tests.ui.pages_helpers import SIZES, EngineHost, laid_out


def drawn(button: Button) -> bytes:
    surface = pygame.Surface((260, 80))
    page_drawing.draw_button(surface, button, Fonts(1.0))
    return pygame.image.tobytes(surface, "RGB")


def test_a_chosen_button_differs_from_the_others_without_its_colour(
    fonts_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn with the chosen colour the same as the others' (a screen in greys, a therapist
    who does not tell the blues apart), the chosen button still looks different."""
    monkeypatch.setattr(page_drawing, "SELECTED", BUTTON)
    rect = Rect(10, 10, 240, 60)
    chosen = Button("format:csv", "CSV", rect, "choice", selected=True)
    other = Button("format:csv", "CSV", rect, "choice", selected=False)
    assert drawn(chosen) != drawn(other)
    assert chosen.spoken == "CSV, chosen" and other.spoken == "CSV"
    assert Button("start", "start", rect, "action", selected=True).spoken == "start"


@pytest.fixture()
def pages_engine(engine_here: Any, fonts_ready: None) -> Any:
    with Store.open(engine_here.options.data_dir / "soundness.db") as store:
        store.add_child({"code": "S-014", "volume_cap_dbfs": -18.0, "voice_range_hz": [180, 520]})
    return engine_here


@pytest.mark.parametrize("name", ["goals", "export", "devices"])
def test_the_chosen_ones_on_goals_export_and_devices_say_chosen(
    pages_engine: Any, name: str
) -> None:
    host = EngineHost(pages_engine)
    host.request("select_child", child="S-014")
    host.request("set_goals", child="S-014", goals=["wait-turn"])
    host.refresh()
    page = PAGES[name](host)
    for size in SIZES:
        chosen = [b for b in laid_out(page, host, size).buttons if b.selected]
        assert chosen and all(b.spoken.endswith(", chosen") for b in chosen if b.kind == "choice")


def test_the_devices_step_buttons_and_the_voice_range_say_what_they_change(
    pages_engine: Any,
) -> None:
    host = EngineHost(pages_engine)
    host.request("select_child", child="S-014")
    host.refresh()
    devices = {b.name: b.label for b in laid_out(PAGES["devices"](host), host, SIZES[0]).buttons}
    assert {k: devices[k] for k in devices if k.endswith((":prev", ":next", ":up", ":down"))} == {
        "device:prev": "< device", "device:next": "device >",
        "family:prev": "< family", "family:next": "family >",
        "program:prev": "< sound", "program:next": "sound >",
        "scale:prev": "< scale", "scale:next": "scale >",
        "key:prev": "< key", "key:next": "key >",
        "transpose:down": "lower", "transpose:up": "higher",
        "floor:down": "softest -", "floor:up": "softest +",
    }  # fmt: skip
    profile = PAGES["profile"](host, child="S-014")
    for size in SIZES:
        labels = {b.name: b.label for b in laid_out(profile, host, size).buttons}
        assert [labels[k] for k in ("low:down", "low:up", "high:down", "high:up")] == [
            "low -", "low +", "high -", "high +"
        ]  # fmt: skip
