"""The follow-up of one server, built once beside the hub (``app.py``) and by the CLI."""

from __future__ import annotations

from collections.abc import Callable

from chatserver.clock import Clock
from chatserver.hub.events import EventBus
from chatserver.hub.followup.appointments import AppointmentBook, Floor
from chatserver.hub.followup.letters import LetterDesk
from chatserver.hub.followup.oversight import Oversight
from chatserver.hub.followup.spaces import FollowUpStores, Spaces
from chatserver.settings import Settings


class FollowUp:
    """Spaces behind links, letters and appointments; ``sanitize`` is looked up on every use, so the
    server's timed sanitizer (``app.py`` wraps it for /metrics) is the one applied."""

    def __init__(
        self,
        settings: Settings,
        store: FollowUpStores,
        clock: Clock,
        bus: EventBus,
        sanitize: Callable[[str], str],
        floor: Floor | None = None,
    ) -> None:
        self.spaces = Spaces(settings, store, clock, bus)
        self.letters = LetterDesk(settings, store, self.spaces, bus, sanitize)
        # how lists of threads read, and what supervisors see and may close
        self.oversight = Oversight(settings, store, self.spaces, clock)
        # ``floor``: the hub, whose volunteers offer next chats in the chats they hold
        self.appointments = AppointmentBook(settings, store, self.spaces, bus, floor)
