"""Every socket.io handler goes through :func:`acknowledged`.

python-socketio sends no acknowledgement when a handler raises, so the client would just time
out. This wrapper turns our own errors into ``{"ok": false, "error": {"code", "message"}}``
and anything unexpected into ``internal`` (logged without payload: it may hold visitor text),
so no input can crash a handler or leave a client hanging.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from chatserver.errors import ChatError, Internal, InvalidPayload

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[dict[str, Any] | None]]


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def failure(error: ChatError) -> dict[str, Any]:
    return {"ok": False, "error": error.as_dict()}


def acknowledged(handler: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
    @functools.wraps(handler)
    async def wrapper(self: Any, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        if extra:
            return failure(InvalidPayload("Send one payload object."))
        try:
            result = await handler(self, sid, data)
        except ChatError as error:
            return failure(error)
        except Exception:  # every unexpected failure still gets an answer
            log.exception("handler %s failed", handler.__name__)
            return failure(Internal())
        return result if result is not None else ok()

    return wrapper


# ---------------------------------------------------------------- payload validation
def payload(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a JSON object.")
    return data


def text_field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidPayload(f'"{name}" must be a string.', field=name)
    return value


def optional_text(data: dict[str, Any], name: str, max_length: int = 200) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidPayload(
            f'"{name}" must be a string of at most {max_length} characters.', field=name
        )
    return value


CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def client_id(data: dict[str, Any]) -> str | None:
    """A message's optional id chosen by the sending client, so that sending it again after
    a lost acknowledgement stores it once: 1 to 64 letters, digits, ``-`` or ``_``."""
    value = data.get("client_id")
    if value is None:
        return None
    if not isinstance(value, str) or not CLIENT_ID.fullmatch(value):
        raise InvalidPayload(
            '"client_id" must be 1 to 64 letters, digits, "-" or "_".', field="client_id"
        )
    return value


def bool_field(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise InvalidPayload(f'"{name}" must be true or false.', field=name)
    return value


def conversation_id(data: dict[str, Any]) -> str:
    value = data.get("conversation_id")
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise InvalidPayload(
            '"conversation_id" must be a conversation id.', field="conversation_id"
        )
    return value


def string_list(data: dict[str, Any], name: str, max_items: int = 20) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or len(value) > max_items:
        raise InvalidPayload(f'"{name}" must be a list of at most {max_items} strings.', field=name)
    if not all(isinstance(item, str) and len(item) <= 64 for item in value):
        raise InvalidPayload(f'"{name}" must be a list of short strings.', field=name)
    return value
