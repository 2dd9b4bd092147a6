"""``GET /metrics``: a real chat shows up in the numbers, and nothing of the people in it.

The monitoring of a helpline may be run by someone who must not read its chats, and the page
must not open to whoever finds the URL: both are checked on a real server.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from chatserver.privacy.abuse import Limits
from chatserver.settings import Settings, load_settings
from tests.backends.factories import Backend
from tests.e2e.conftest import CONFIG, Env, running
from tests.floors import FloorKind

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
SECRET = "Ik woon op de Kerkstraat 12 en niemand weet het"


async def scrape(env: Env, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{env.url}/metrics", headers=headers or {})
        return response.status, await response.text()


async def samples(env: Env) -> tuple[Samples, str]:
    status, body = await scrape(env)
    assert status == 200, body
    found: Samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found, body


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def allowing(settings: Settings, metrics_allowed: tuple[str, ...]) -> Settings:
    server = dataclasses.replace(settings.server, metrics_allowed=metrics_allowed)
    return dataclasses.replace(settings, server=server)


async def test_a_chat_shows_in_the_metrics_and_no_one_in_it(env: Env) -> None:
    """A start, an assignment, messages, a wait, a duration and an error code are counted;
    the page holds no visitor text, no conversation id, no alias, account or address."""
    volunteer = await env.operator("vrijwilliger_anna", alias="Annabel")
    visitor, ack = await env.start()
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await visitor.next("assigned")
    assert (await visitor.call("message", {"text": SECRET}))["ok"]
    reply = await volunteer.call("message", {"conversation_id": conversation, "text": "Vertel"})
    assert reply["ok"]
    wrong = await visitor.call("message", {"text": 42})
    assert wrong["error"]["code"] == "invalid_payload"
    async with aiohttp.ClientSession() as http:  # an HTTP error is counted by its code too
        login = await http.post(
            f"{env.url}/api/session", json={"username": "vrijwilliger_anna", "password": "nee"}
        )
        assert login.status == 401

    found, _ = await samples(env)
    assert value(found, "chat_connections", namespace="/visitor") == 1
    assert value(found, "chat_connections", namespace="/operator") == 1
    assert value(found, "chat_waiting", line="chat") == 0
    assert value(found, "chat_conversations_started_total", line="chat") == 1
    assert value(found, "chat_assignments_total", line="chat") == 1
    assert value(found, "chat_wait_seconds_count", line="chat") == 1
    assert value(found, "chat_messages_total", role="visitor") == 1
    assert value(found, "chat_messages_total", role="operator") == 1
    assert value(found, "chat_messages_total", role="system") >= 1  # "Annabel is here"
    assert value(found, "chat_errors_total", namespace="/visitor", code="invalid_payload") == 1
    assert value(found, "chat_http_errors_total", code="invalid_credentials") == 1
    assert value(found, "chat_sanitize_seconds_count") >= 3  # once per live message
    assert value(found, "chat_store_commit_seconds_count") >= 1
    commits = value(found, "chat_store_commit_seconds_count")
    assert value(found, "chat_store_writes_total") >= commits  # several writes share a commit
    assert value(found, "process_resident_memory_bytes") > 0
    assert value(found, "process_open_fds") > 0
    assert value(found, "chat_asyncio_tasks") >= 1

    env.clock.advance(400)  # a chat of 400 seconds
    ended = await volunteer.call(
        "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
    )
    assert ended["ok"], ended
    await env.advance(0)  # the sweeper's first round runs the retention purge
    found, body = await samples(env)
    assert value(found, "chat_duration_seconds_count", line="chat") == 1
    assert value(found, "chat_duration_seconds_bucket", line="chat", le="300.0") == 0
    assert value(found, "chat_duration_seconds_bucket", line="chat", le="600.0") == 1
    assert value(found, "chat_purge_runs_total") == 1

    account = await env.hub.store.account_by_username("vrijwilliger_anna")
    assert account is not None
    for secret in (SECRET, "Kerkstraat", conversation, ack["token"], "Annabel",
                   "vrijwilliger_anna", account.id, "Vertel", "127.0.0.1"):  # fmt: skip
        assert secret not in body, secret


async def test_refusals_for_writing_too_fast_are_counted(
    tmp_path: Path, backend: Backend, floor_kind: FloorKind
) -> None:
    """A visitor over the message rate is refused, and monitoring sees the refusal."""
    tight = Limits(messages_per_minute=1, burst=1, conversations_per_source=10)
    async with running(tmp_path, limits=tight, backend=backend, floor=floor_kind) as env:
        visitor, _ = await env.start()
        assert (await visitor.call("message", {"text": "een"}))["ok"]
        refused = await visitor.call("message", {"text": "twee"})
        assert refused["error"]["code"] == "rate_limited"
        found, _ = await samples(env)
        assert value(found, "chat_rate_limited_total", namespace="/visitor") == 1
        assert value(found, "chat_rate_limited_total", namespace="/operator") == 0
        assert value(found, "chat_errors_total", namespace="/visitor", code="rate_limited") == 1
        assert value(found, "chat_waiting", line="chat") == 1  # nobody on duty yet


async def test_only_allowed_addresses_read_the_metrics(
    tmp_path: Path, backend: Backend, floor_kind: FloorKind
) -> None:
    """Through a trusted proxy only an allowed client reads the page; a forwarded request
    from an untrusted peer, or any request when nobody is allowed, sees no such page."""
    base = load_settings(CONFIG)
    proxied = dataclasses.replace(
        base, abuse=dataclasses.replace(base.abuse, trusted_proxies=("127.0.0.1",))
    )
    async with running(tmp_path / "a", proxied, backend=backend, floor=floor_kind) as env:
        status, body = await scrape(env, {"X-Forwarded-For": "203.0.113.7"})
        assert status == 404 and "chat_" not in body
        status, _ = await scrape(env, {"X-Forwarded-For": "203.0.113.7, 127.0.0.1"})
        assert status == 404  # the proxy on loopback forwarded a stranger
        status, body = await scrape(env, {"X-Forwarded-For": "::1"})
        assert status == 200 and "chat_waiting" in body  # a scraper on the machine, proxied
        assert (await scrape(env))[0] == 200  # the machine itself, directly
    # no trusted proxy
    async with running(tmp_path / "b", backend=backend, floor=floor_kind) as env:
        status, _ = await scrape(env, {"X-Forwarded-For": "127.0.0.1"})
        assert status == 404  # forwarded by someone we do not trust: who is asking?
        assert (await scrape(env, {"X-Real-IP": "127.0.0.1"}))[0] == 404
    nobody = allowing(base, ())
    async with running(tmp_path / "c", nobody, backend=backend, floor=floor_kind) as env:
        assert (await scrape(env))[0] == 404


async def test_two_servers_in_one_process_count_their_own(
    tmp_path: Path, backend: Backend, floor_kind: FloorKind
) -> None:
    """Each server has its own registry: a chat on one is not counted by the other."""
    async with (
        running(tmp_path / "one", backend=backend, floor=floor_kind) as one,
        running(tmp_path / "two", backend=backend, floor=floor_kind) as two,
    ):
        await one.start()
        found_one, _ = await samples(one)
        found_two, _ = await samples(two)
        assert value(found_one, "chat_conversations_started_total", line="chat") == 1
        assert value(found_two, "chat_conversations_started_total", line="chat") == 0
