"""What a client may put on the wire, checked before python-socketio acts on it.

python-socketio trusts its clients in ways a public chat server cannot:

* A packet it cannot parse (a 101-digit ack id or number, JSON nested thousands deep, a
  packet type that does not exist) raises inside its dispatch, and Engine.IO logs the
  traceback at ERROR, with no limit: a script filled 134 MB of log in ten seconds.
  :class:`CheckedPacket` turns every such failure into one :class:`MalformedPacket`, which
  ``realtime/server.py`` answers (an ``invalid_payload`` ack where the packet had an ack
  id), counts in :class:`Garbage`, and logs once per connection at most.
* Binary packets are refused: the protocol is JSON only, and a binary event that announces
  millions of attachments would hold every frame that follows in memory.

JSON goes through ``client_json``, the parser the HTTP routes use as well.
"""

from __future__ import annotations

import logging
from typing import Any

from engineio import json as engineio_json
from engineio import packet as engine_packet
from engineio import payload as engine_payload
from socketio import packet

from chatserver.client_json import BadJson
from chatserver.client_json import loads as client_loads

log = logging.getLogger(__name__)

# the packet types a client may send; CONNECT_ERROR only ever comes from a server
CLIENT_TYPES = (packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK)


class MalformedPacket(Exception):
    """A packet no honest client sends. Where only its JSON was bad, ``packet_type``,
    ``namespace`` and ``ack_id`` say what it was, so the client still hears why: an event
    that asked for an answer gets an ack, a connection request gets refused."""

    def __init__(
        self,
        reason: str,
        packet_type: int | None = None,
        namespace: str | None = None,
        ack_id: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.packet_type = packet_type
        self.namespace = namespace
        self.ack_id = ack_id


class WireJson:
    """The JSON module python-socketio's packets use: client input through ``client_json``."""

    dumps = staticmethod(engineio_json.dumps)

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return client_loads(text)


class CheckedPacket(packet.Packet):
    """A Socket.IO packet whose decoding fails with :class:`MalformedPacket` only."""

    json = WireJson

    def decode(self, encoded_packet: Any) -> int:
        if not isinstance(encoded_packet, str):
            raise MalformedPacket("binary packets are not part of this protocol")
        try:
            attachments: int = super().decode(encoded_packet)
        except BadJson as error:
            raise MalformedPacket(error.reason, self.packet_type, self.namespace, self.id) from None
        except Exception as error:  # anything the parser trips over is the client's doing
            raise MalformedPacket(_reason(error)) from None
        if self.packet_type not in CLIENT_TYPES:
            raise MalformedPacket("no such packet type from a client")
        return attachments


def _reason(error: Exception) -> str:
    """A few words for the log: the exception's kind, never its text (it may quote input)."""
    return f"unparseable ({type(error).__name__})"


def engine_frame_ok(frame: str | bytes) -> bool:
    """Whether Engine.IO can decode this WebSocket frame without raising.

    Engine.IO decodes frames outside any ``try``: an empty frame, or a message whose JSON
    nests too deeply, would end the request with a traceback.
    """
    try:
        engine_packet.Packet(encoded_packet=frame)
    except Exception:
        return False
    return True


def engine_payload_ok(body: str) -> bool:
    """Whether Engine.IO can decode this long-polling POST body without raising."""
    try:
        engine_payload.Payload(encoded_payload=body)
    except Exception:
        return False
    return True


class Garbage:
    """Malformed input counted per Engine.IO connection and in total.

    The first malformed packet of a connection is logged (a warning, no traceback, no
    payload); the rest are only counted, so no client can fill the log. A connection that
    reaches ``limit`` is to be cut off: an honest client never sends even one.
    """

    def __init__(self, limit: int = 10) -> None:
        self.limit = limit
        self.total = 0  # every malformed packet since start-up (for monitoring)
        self.cut_off = 0  # connections closed for sending too many
        self._per_connection: dict[str, int] = {}

    def note(self, sid: str | None, reason: str) -> bool:
        """Count one malformed packet of connection ``sid`` (None: no known connection);
        True when that connection has now sent ``limit`` of them and must be closed."""
        self.total += 1
        if sid is None:
            log.warning("refused a malformed request: %s", reason)
            return False
        count = self._per_connection.get(sid, 0) + 1
        self._per_connection[sid] = count
        if count == 1:
            log.warning(
                "refused a malformed packet: %s (further ones on this connection are counted,"
                " not logged)",
                reason,
            )
        return count >= self.limit

    def closed(self, sid: str, for_garbage: bool = False) -> None:
        """The connection is gone: forget its count."""
        self._per_connection.pop(sid, None)
        if for_garbage:
            self.cut_off += 1
