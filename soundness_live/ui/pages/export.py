"""The export page: the session's tables (CSV), MIDI file and report, written to the data
directory's exports folder or to a USB drive the page lists (the places, not a tree).

What goes out is de-identified (the child's code, no name, birth date or notes) unless the
therapist turns names and notes on for this export, which the page says in words before it is
done; the choice starts off each time the page opens, for a drive as for the exports folder.
"Look again" lists the drives again after one is plugged in.
"""

from __future__ import annotations

from typing import Any

from ..controls import View
from ..page import PageHost
from .base import BasePage
from .frame import Action, PageFrame

FORMATS = (("csv", "tables (CSV)"), ("midi", "MIDI file"), ("html", "report"))


def size_words(free_bytes: Any) -> str:
    """Free space in words: "3.2 GB free"; "" when not known."""
    if not isinstance(free_bytes, int):
        return ""
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if free_bytes >= size:
            return f"{free_bytes / size:.1f} {unit} free"
    return f"{free_bytes // 1000} kB free"


class ExportPage(BasePage):
    """Export ``session`` of ``child`` (defaults: the open session of the chosen child)."""

    name = "export"
    title = "export"

    def __init__(
        self, host: PageHost, child: str | None = None, session: int | None = None
    ) -> None:
        super().__init__(host)
        self.child = child or host.view.child
        self.session = session
        self.places: list[dict[str, Any]] = []
        self.place: str | None = None
        self.formats = [fmt for fmt, _ in FORMATS]
        self.all_sessions = False
        self.identified = False  # de-identified unless the therapist asks, each time
        self.look()
        if self.child is None:
            self.notice = "choose a child first"

    def look(self) -> None:
        """List the places again (a drive plugged in since shows)."""
        reply = self.ask("export_places")
        self.places = list((reply or {}).get("places") or [])
        keys = [place["key"] for place in self.places]
        if self.place not in keys:
            self.place = keys[0] if keys else None

    def action(self) -> Action | None:
        """Export, with a child, a place and a format."""
        ready = self.child is not None and self.place is not None and bool(self.formats)
        return Action("export", "export", enabled=ready)

    def rows(self, frame: PageFrame, view: View) -> None:
        """The places, then what to write, which sessions, and names or not."""
        room = max(1, frame.rows_left() - 4)
        for index, place in enumerate(self.places[:room]):
            free = size_words(place.get("free_bytes"))
            label = place["name"] + (f" ({free})" if free else "")
            frame.add(f"place:{index}", label, frame.next_row(), "choice",
                      selected=place["key"] == self.place)  # fmt: skip
        frame.add("look", "look again for USB drives", frame.next_row())
        for (fmt, words), rect in zip(FORMATS, frame.labelled_row("formats", (1, 1, 1)),
                                      strict=True):  # fmt: skip
            frame.add(f"format:{fmt}", words, rect, "choice", selected=fmt in self.formats)
        this, every = frame.labelled_row("sessions", (1, 1))
        frame.add("sessions:this", "this session", this, "choice", selected=not self.all_sessions)
        frame.add("sessions:all", "every session", every, "choice", selected=self.all_sessions)
        codes, names = frame.labelled_row("names", (1, 1))
        frame.add("names:off", "code only (de-identified)", codes, "choice",
                  selected=not self.identified)  # fmt: skip
        frame.add("names:on", "with name and notes", names, "choice", selected=self.identified)

    def words(self, region: str, view: View) -> str:
        """The rows' labels."""
        return {
            "label:formats": "write",
            "label:sessions": "of",
            "label:names": "the child is named by",
        }.get(region, "")

    def act(self, button: str, host: PageHost) -> None:
        """Choose the place, formats, sessions and names; look again; export."""
        kind, _, arg = button.partition(":")
        if kind == "place":
            self.place = self.places[int(arg)]["key"]
        elif kind == "look":
            self.look()
        elif kind == "format":
            self.formats = [f for f, _ in FORMATS if (f in self.formats) != (f == arg)]
        elif kind == "sessions":
            self.all_sessions = arg == "all"
        elif kind == "names":
            self.identified = arg == "on"
            if self.identified:
                self.notice = "this export will carry the child's name and your notes"
        elif kind == "export":
            self.export()

    def export(self) -> None:
        """Write the files to the place chosen; say where and how many."""
        fields: dict[str, Any] = {"child": self.child, "place": self.place,
                                  "formats": self.formats, "identified": self.identified,
                                  "all_sessions": self.all_sessions}  # fmt: skip
        if self.session is not None:
            fields["session"] = self.session
        reply = self.ask("export_session", **fields)
        if reply is None:
            return
        count = len(reply["files"])
        how = "de-identified" if reply["deidentified"] else "WITH the child's name and notes"
        self.notice = f"wrote {count} file{'s' * (count != 1)} to {reply['folder']}, {how}"
