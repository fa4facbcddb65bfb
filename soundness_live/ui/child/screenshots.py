"""Every picture of the child's view as a PNG, without an engine: ``child-view --screenshots``.

:data:`EXAMPLES` holds a snapshot for every value of :class:`~soundness_live.activities.
contract.Cue` (and, for "your turn", one for each of the child's instruments, and for a turn,
someone else's too), the countdown between plan steps, a trial's end in success and not, and
nothing at all; :func:`write_screenshots` renders each at the sizes asked for (1920x1080 and
800x1280 by default) into a folder a person can look through. The window is never shown:
the drawing is made on a surface in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .looks import ChildLooks, place_scene

SIZES = ((1920, 1080), (800, 1280))
PAD = [{"device": "nanoPAD2", "connected": True, "kind": "pad"}]
KEYS = [{"device": "nanoKEY2", "connected": True, "kind": "keyboard"}]
_PAD_STATE = {"devices": PAD, "child_devices": ["nanoPAD2"], "child": "S-014", "now_ms": 4000.0}
_KEYS_STATE = {"devices": KEYS, "child_devices": ["nanoKEY2"], "child": "S-014", "now_ms": 4000.0}


def _with(base: dict[str, Any], **state: Any) -> dict[str, Any]:
    return {**base, **state}


#: (file name, snapshot): one of each picture the child can see.
EXAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("neutral", _with(_PAD_STATE, cue=None)),
    ("listen", _with(_PAD_STATE, activity="call-and-response", cue={"cue": "listen"})),
    ("therapist_call", _with(_PAD_STATE, activity="call-and-response",
                             cue={"cue": "therapist_call"})),
    ("your_turn-drum_pad", _with(_PAD_STATE, activity="call-and-response",
                                 cue={"cue": "your_turn", "ioi_ms": 500.0})),
    ("your_turn-keyboard", _with(_KEYS_STATE, activity="call-and-response",
                                 cue={"cue": "your_turn", "ioi_ms": 500.0})),
    ("your_turn-voice", _with(_PAD_STATE, activity="vocal-prompts", cue={"cue": "your_turn"},
                              voice_meter={"pitch_hz": 392.0, "level_db": -18.0,
                                           "target_hz": 392.0})),
    ("wait", _with(_PAD_STATE, activity="waiting", cue={"cue": "wait"})),
    ("go", _with(_PAD_STATE, activity="waiting", cue={"cue": "go"})),
    ("no_go", _with(_PAD_STATE, activity="waiting", cue={"cue": "no_go"})),
    ("play", _with(_PAD_STATE, activity="waiting", cue={"cue": "play", "at_ms": 4000.0,
                                                        "ioi_ms": 666.7})),
    ("stop", _with(_PAD_STATE, activity="waiting", cue={"cue": "stop"})),
    ("beat", _with(_PAD_STATE, activity="tempo-following", cue={"cue": "beat", "at_ms": 4000.0,
                                                               "ioi_ms": 666.7})),
    ("tap", _with(_PAD_STATE, activity="tempo-following", cue={"cue": "tap"})),
    ("lead", _with(_PAD_STATE, activity="tempo-following", cue={"cue": "lead", "ioi_ms": 666.7})),
    ("turn", _with(_PAD_STATE, activity="waiting", cue={"cue": "turn", "player": "child"})),
    ("turn-partner", _with(_PAD_STATE, activity="waiting",
                           cue={"cue": "turn", "player": "partner"})),
    ("done-success", _with(_PAD_STATE, cue={"cue": "done", "outcome": "correct",
                                            "success": True})),
    ("done-not-success", _with(_PAD_STATE, cue={"cue": "done", "outcome": "incorrect",
                                                "success": False})),
    ("countdown", _with(_PAD_STATE, cue={"cue": "countdown", "seconds": 3,
                                         "next": "drum call-and-response"},
                        plan={"countdown_s": 2.5, "countdown_total_s": 5.0})),
)  # fmt: skip


def settled_look(state: dict[str, Any], width: int, height: int):
    """The look of ``state`` once its slow movements have settled (the success star grown,
    the voice column risen)."""
    looks = ChildLooks()
    looks.scene(state, 0.0)
    return place_scene(looks.scene(state, 10.0), width, height)


def write_screenshots(folder: Path, sizes: tuple[tuple[int, int], ...] = SIZES) -> list[Path]:
    """Render every example at every size into ``folder`` as NAME-WxH.png; the files."""
    from .draw import Words, pygame, render

    folder.mkdir(parents=True, exist_ok=True)
    words, written = Words(), []
    for width, height in sizes:
        surface = pygame.Surface((width, height))
        for name, state in EXAMPLES:
            render(surface, settled_look(state, width, height), words)
            path = folder / f"{name}-{width}x{height}.png"
            pygame.image.save(surface, str(path))
            written.append(path)
    return written
