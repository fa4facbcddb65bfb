"""The pages the therapist opens from the session page, by name (:data:`PAGES`).

The window makes a page as ``PAGES[name](host, **context)`` — the host is the window
(:class:`~soundness_live.ui.page.PageHost`), ``context`` what the page is about (a child's code,
a session's id) — and shows it above the session page until "back" or Escape closes it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..page import Page
from .devices import DevicesPage
from .export import ExportPage
from .goals import GoalsPage
from .profile import ProfilePage
from .summary import SummaryPage
from .text_pages import NotePage, TherapistPage

PAGES: dict[str, Callable[..., Page]] = {
    page.name: page
    for page in (
        ProfilePage,
        GoalsPage,
        DevicesPage,
        TherapistPage,
        NotePage,
        SummaryPage,
        ExportPage,
    )
}

__all__ = ["PAGES"]
