"""The services the UI and the API talk to, built over one `LiveIndex`: answering, the library, administration,
and the feedback store.

    live = LiveIndex(assistant, index, rebuild, refresh)
    services = Services.build(settings, live)
"""

from __future__ import annotations

from dataclasses import dataclass

from settings import Settings
from web.admin import AdminService
from web.answering import AnsweringService
from web.feedback import FeedbackStore
from web.library import LibraryService
from web.live import LiveIndex


@dataclass
class Services:
    settings: Settings
    live: LiveIndex
    answering: AnsweringService
    library: LibraryService
    admin: AdminService
    feedback: FeedbackStore

    @classmethod
    def build(cls, settings: Settings, live: LiveIndex, feedback: FeedbackStore | None = None) -> "Services":
        library = LibraryService(settings, live)
        return cls(
            settings=settings,
            live=live,
            answering=AnsweringService(live),
            library=library,
            admin=AdminService(settings, live, library),
            feedback=feedback or FeedbackStore(settings.cache_dir / "feedback.sqlite3"),
        )
