"""What a hostile or broken client may send, as hypothesis strategies.

Payloads mix shapes the server expects (the fields of docs/protocol.md with plausible and
implausible values) with arbitrary JSON, so the fuzzer reaches past the first validation
into the hub. Markers (``$conversation``, ``$volunteer``, ``$me``, ``$account``) stand for
ids that only exist at run time; :func:`resolve` puts them in.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from chatserver.errors import ChatError
from chatserver.realtime.operator import OperatorNamespace
from chatserver.realtime.server import RESERVED_EVENTS
from chatserver.realtime.visitor import VisitorNamespace


def _events(namespace: type) -> list[str]:
    """Every event a namespace handles, read from the class: a new event is fuzzed at once."""
    return sorted(
        name.removeprefix("on_")
        for name in dir(namespace)
        if name.startswith("on_") and name not in ("on_connect", "on_disconnect")
    )


def _codes(error: type[ChatError]) -> set[str]:
    return {error.code}.union(*(_codes(sub) for sub in error.__subclasses__()))


VISITOR_EVENTS = _events(VisitorNamespace)
OPERATOR_EVENTS = _events(OperatorNamespace)
ERROR_CODES = _codes(ChatError) - {"internal", "error"}  # internal means a handler broke
RESERVED = sorted(RESERVED_EVENTS)
MARKERS = ("$conversation", "$volunteer", "$me", "$account")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
texts = st.text(max_size=60) | st.sampled_from(["", "   ", "x" * 4000, "x" * 4001, "<b>hi</b>"])
conversation_ids = st.just("$conversation") | st.text(max_size=70)

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "consent": st.just(True) | json_values,
    "intake": st.fixed_dictionaries(
        {},
        optional={
            "topic": st.sampled_from(["loneliness", "other", "made-up"]) | json_values,
            "age_band": st.sampled_from(["<16", "65+", "x"]) | json_values,
        },
    )
    | json_values,
    "text": texts | json_values,
    "active": st.booleans() | json_values,
    "reason": st.sampled_from(["quick_exit", "left", "zorg"]) | texts | json_values,
    "conversation_id": conversation_ids | json_values,
    "state": st.sampled_from(["available", "paused", "away"]) | json_values,
    "wrapup": st.fixed_dictionaries(
        {},
        optional={
            "topics": st.lists(st.sampled_from(["loneliness", "other", "nope"]), max_size=3)
            | json_values,
            "risk": st.sampled_from(["none", "low", "high", "acute", "??"]) | json_values,
        },
    )
    | json_values,
    "to": st.sampled_from(["$volunteer", "$me", "queue"]) | st.text(max_size=70) | json_values,
    "note": texts | json_values,
    "risk": st.sampled_from(["none", "low", "high", "acute", "??"]) | json_values,
    "days": st.integers(min_value=-2, max_value=400) | json_values,
    "thread_id": st.text(max_size=70) | json_values,
    "appointment_id": st.text(max_size=70) | json_values,
    # appointments (§13.3): a time (ISO or not), the visitor's two choices, a link's key
    "at": st.sampled_from(["2026-11-26T20:00:00Z", "2026-11-26T20:00", "gisteren"])
    | texts
    | json_values,
    "share": st.booleans() | json_values,
    "keep": st.booleans() | json_values,
    "appointment": st.sampled_from(["x" * 43, "kort"]) | texts | json_values,
}

shaped = st.fixed_dictionaries({}, optional=FIELDS)
# one payload; now and then none, or two (the ack wrapper wants exactly one)
payloads = shaped | shaped | json_values | st.tuples(json_values, json_values)

# values a real client would send, so a call gets past validation into the hub
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "consent": st.just(True),
    "intake": st.fixed_dictionaries(
        {},
        optional={
            "topic": st.sampled_from(["loneliness", "other"]),
            "age_band": st.sampled_from(["<16", "65+"]),
        },
    ),
    "text": texts,
    "active": st.booleans(),
    "reason": st.sampled_from(["quick_exit", "left", "zorgen om veiligheid"]),
    "conversation_id": st.just("$conversation"),
    "state": st.sampled_from(["available", "paused", "away"]),
    "wrapup": st.fixed_dictionaries(
        {
            "topics": st.lists(st.sampled_from(["loneliness", "other"]), max_size=2),
            "risk": st.sampled_from(["none", "low", "high", "acute"]),
        }
    ),
    "to": st.sampled_from(["$volunteer", "$me", "queue"]),
    "note": texts,
    "risk": st.sampled_from(["none", "low", "high", "acute"]),
    "days": st.integers(min_value=1, max_value=30),
    "thread_id": st.text(min_size=1, max_size=20),  # no thread exists: refused as forbidden
    "appointment_id": st.text(min_size=1, max_size=20),
    "at": st.sampled_from(["2026-11-26T20:00:00Z", "2026-11-25T21:00:00+01:00"]),
    "share": st.booleans(),
    "keep": st.booleans(),
}
# the fields of each event (docs/protocol.md §7 and §8)
WITH_CONVERSATION = ("conversation_id",)
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "start": ("consent", "intake"),
    "leave": ("reason",),
    "status": ("state",),
    "message": ("conversation_id", "text"),
    "note": ("conversation_id", "text"),
    "whisper": ("conversation_id", "text"),
    "typing": ("conversation_id", "active"),
    "end": ("conversation_id", "wrapup"),
    "handover": ("conversation_id", "to", "note"),
    "backup_request": ("conversation_id", "reason"),
    "flag": ("conversation_id", "risk"),
    "hold": ("conversation_id", "reason", "days"),
    "broadcast": ("text",),
    # letters and the follow-up (docs/protocol.md §13.2, §13.4)
    "letters": (),
    "followup_overview": (),
    "letter_open": ("thread_id",),
    "letter_take": ("thread_id",),
    "letter_answer": ("thread_id", "text"),
    "letter_colleagues": ("thread_id",),
    "letter_handover": ("thread_id", "to", "note"),
    "link_revoke": ("appointment_id",),
    "appointment_offer": ("conversation_id", "at", "note"),
    "appointment_accept": ("share", "keep"),
}


def well_formed(event: str, namespace: str) -> st.SearchStrategy[dict[str, Any]]:
    """A payload of the shape ``event`` expects, with plausible values."""
    fields = EVENT_FIELDS.get(event, WITH_CONVERSATION)
    if namespace == "/visitor":  # a visitor's events carry no conversation id
        fields = tuple(f for f in fields if f != "conversation_id")
    elif event in ("colleagues", "monitor"):
        fields = ()
    return st.fixed_dictionaries({name: PLAUSIBLE[name] for name in fields})


def event_names(known: list[str]) -> st.SearchStrategy[str]:
    """Mostly the namespace's own events, sometimes any name (never a reserved one: the
    python client would act on those itself; the raw-packet fuzzer sends them)."""
    unknown = st.text(max_size=20).filter(lambda name: name not in RESERVED_EVENTS)
    return st.sampled_from(known) | st.sampled_from(known) | unknown


def calls(known: list[str], namespace: str) -> st.SearchStrategy[tuple[str, Any]]:
    """(event, payload): mostly well-formed calls of the namespace's events, else anything."""
    good = st.sampled_from(known).flatmap(
        lambda event: st.tuples(st.just(event), well_formed(event, namespace))
    )
    return good | good | good | st.tuples(event_names(known), payloads)


def resolve(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every marker string replaced by the id it stands for now."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [resolve(item, ids) for item in value]
    if isinstance(value, tuple):
        return tuple(resolve(item, ids) for item in value)
    if isinstance(value, dict):
        return {key: resolve(item, ids) for key, item in value.items()}
    return value


# -- raw Socket.IO packets, as a script writes them -----------------------------------------
def _event_packet(namespace: str, name: Any, data: Any, ack_id: int) -> str:
    return f"42{namespace},{ack_id}{json.dumps([name, data])}"


def raw_events(namespace: str) -> st.SearchStrategy[str]:
    """Well-formed packets with any event name, reserved ones included: each asks for an
    ack, and each must get one."""
    names = st.sampled_from(RESERVED) | st.text(max_size=12) | json_values
    return st.builds(
        _event_packet,
        st.just(namespace),
        names,
        payloads.filter(lambda p: not isinstance(p, tuple)),
        st.integers(min_value=0, max_value=10**9),
    )


raw_garbage = (
    st.text(max_size=80)
    | st.binary(max_size=40)
    | st.builds(lambda body: "42/visitor," + body, st.text(max_size=60))
    | st.builds(lambda n: "42/visitor," + "1" * n + '["message",{}]', st.integers(95, 130))
    | st.builds(lambda n: '42/visitor,9["message",' + "[" * n + "]" * n + "]",
                st.integers(1, 3000))
    | st.sampled_from(["", "4", "40", "41/visitor,", "43/visitor,5[]", "44/visitor,{}", "46",
                       "451-/visitor,[\"message\",{\"_placeholder\":true,\"num\":0}]", "5", "6"])
)  # fmt: skip
