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

import orjson
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


def wire_dumps(value: Any, **_: Any) -> str:
    """What the server sends, compact (python-socketio asks for ``separators=(",", ":")``,
    orjson's only form). orjson because every event is encoded once per emit and it made a
    bare python-socketio relay markedly faster here (issue 14); what it refuses (an integer
    beyond 64 bits, say) the standard library writes as before."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(engineio_json.dumps(value, separators=(",", ":")))


class WireJson:
    """The JSON module python-socketio's packets use: client input through ``client_json``,
    which guards what the standard library would let through; output through orjson."""

    dumps = staticmethod(wire_dumps)

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return client_loads(text)


class CheckedPacket(packet.Packet):
    """A Socket.IO packet whose decoding fails with :class:`MalformedPacket` only.

    No binary events either way: a client's are refused in :meth:`decode`, and the server's
    own payloads are JSON made by ``wire.py``. So python-socketio's walk through every
    payload in search of bytes, for every packet it builds (each emit and each ack), is left
    out; bytes put in one by mistake fail loudly in ``wire_dumps`` instead of going out as
    attachments no client of ours reads.
    """

    json = WireJson
    uses_binary_events = False

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


# the Engine.IO packet types a client sends: CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP
ENGINE_CLIENT_TYPES = range(engine_packet.CLOSE, engine_packet.NOOP + 1)


def engine_frame_ok(frame: str | bytes) -> bool:
    """Whether Engine.IO can take this WebSocket frame without raising.

    Engine.IO decodes frames outside any ``try``: an empty frame, or a message whose JSON
    nests too deeply, would end the request with a traceback; a packet type above NOOP
    (``7``) is decoded and then logs a traceback for each frame while naming its type.

    A Socket.IO packet (``4`` and then its own type, a digit) is told apart without decoding
    it: Engine.IO takes such a frame as text as it stands, and it is nearly every frame.
    """
    if isinstance(frame, str) and frame[:1] == "4" and frame[1:2].isnumeric():
        return True
    try:
        decoded = engine_packet.Packet(encoded_packet=frame)
    except Exception:
        return False
    return decoded.packet_type in ENGINE_CLIENT_TYPES


def engine_payload_ok(body: str) -> bool:
    """Whether Engine.IO can take this long-polling POST body without raising."""
    try:
        decoded = engine_payload.Payload(encoded_payload=body)
    except Exception:
        return False
    return all(p.packet_type in ENGINE_CLIENT_TYPES for p in decoded.packets)


class Garbage:
    """Refused input counted per Engine.IO connection and in total.

    The first refusal of a connection is logged (a warning, no traceback, no payload); the
    rest are only counted, so no client can fill the log. Input that could not be answered
    (no ack id, not even a packet) counts towards ``limit``: an honest client never sends
    any, and a connection that reaches the limit is to be closed. A bad payload that was
    answered (``invalid_payload``, ``unknown_event``) does not: bad input never disconnects.
    """

    def __init__(self, limit: int = 10) -> None:
        self.limit = limit
        self.total = 0  # every refused packet or request since start-up (for monitoring)
        self.cut_off = 0  # connections closed for sending too many
        self._unanswered: dict[str, int] = {}
        self._logged: set[str | None] = set()

    def note(self, sid: str | None, reason: str, answered: bool = False) -> bool:
        """Count one refusal on connection ``sid`` (None: no known connection, logged once
        for them all); True when that connection has now sent ``limit`` unanswerable ones
        and must be closed."""
        self.total += 1
        if sid not in self._logged:
            self._logged.add(sid)
            log.warning("refused: %s (more on this connection are only counted)", reason)
        if sid is None or answered:
            return False
        count = self._unanswered.get(sid, 0) + 1
        self._unanswered[sid] = count
        return count >= self.limit

    def closed(self, sid: str, for_garbage: bool = False) -> None:
        """The connection is gone: forget it."""
        self._unanswered.pop(sid, None)
        self._logged.discard(sid)
        if for_garbage:
            self.cut_off += 1
