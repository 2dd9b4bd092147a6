"""An agreed chat on the floor: the hub's view of an appointment kept by its link.

The follow-up (``followup/appointments.py``) decides whether a link may open a chat now; the
hub only needs to know whom it was promised to, when, the volunteer's note, and what of the
earlier chat the visitor allowed that volunteer to reread. Kept in its own module so the hub
imports nothing of the follow-up's store.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatserver.hub.model import Message


@dataclass(frozen=True)
class Pinned:
    """A chat that goes straight to ``operator_id`` if they are on duty, else to the front of
    its line's queue with ``note`` for whoever takes it.

    ``earlier``: the source conversation's messages a visitor may see, only when the visitor
    allowed it (``share``), and only ever shown to the agreed volunteer.
    """

    appointment_id: str
    operator_id: str
    at: float
    note: str
    earlier: tuple[Message, ...] = ()
