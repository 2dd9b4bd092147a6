"""The Socket.IO server, guarded where python-socketio trusts its clients.

Everything a client sends passes here before a namespace sees it:

* **Reserved event names.** python-socketio calls a namespace's ``on_connect`` and
  ``on_disconnect`` for a client's ``EVENT`` packets named ``connect`` or ``disconnect`` as
  readily as for a socket that really comes or goes. A forged ``disconnect`` reset the
  visitor's rate limit and told the volunteer the visitor had left; a forged ``connect``
  gave a blocked visitor a new pseudonym. Such names (and an event that is no list led by
  a name) are answered ``unknown_event`` / ``invalid_payload`` before any handler runs.

The hooks overridden here are python-socketio's own dispatch methods; the tests that send
raw packets (``tests/e2e/raw.py``) pin their behaviour.
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio import packet

from chatserver.errors import ChatError, InvalidPayload, UnknownEvent
from chatserver.realtime.acks import failure

# the names python-socketio gives a meaning of its own, on the server or in its client
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "__disconnect_final", "*"})


class GuardedServer(socketio.AsyncServer):
    """``socketio.AsyncServer`` that refuses what no honest client sends."""

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, ack_id: int | None, data: Any
    ) -> None:
        """Every client event passes here before its namespace's handler."""
        error: ChatError | None = None
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            error = InvalidPayload("An event is a list: its name, then one payload.")
        elif data[0] in RESERVED_EVENTS:
            error = UnknownEvent("This event name is reserved by Socket.IO; see docs/protocol.md.")
        if error is None:
            await super()._handle_event(eio_sid, namespace, ack_id, data)
        elif ack_id is not None:
            await self._answer(eio_sid, namespace, ack_id, error)

    async def _answer(
        self, eio_sid: str, namespace: str | None, ack_id: int, error: ChatError
    ) -> None:
        """An error ack for a refused event, if the client is in that namespace at all."""
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            return
        answer = self.packet_class(
            packet.ACK, namespace=namespace, id=ack_id, data=[failure(error)]
        )
        await self._send_packet(eio_sid, answer)
