"""A server that is stopping (SIGTERM: ``chatserver/shutdown.py``) drains instead of vanishing.

A load balancer hears ``draining`` and sends nobody new; a visitor who asks for a chat now is
told to try again in a moment (with the emergency numbers); everyone connected is told and let
go the way a network drop would, so socket.io reconnects them elsewhere or after the restart.
The subprocess test of the real SIGTERM is ``tests/test_serve.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from chatserver import shutdown
from chatserver.backends.embedded.store import SqliteStore
from tests.e2e.conftest import TIMEOUT, Env, Peer
from tests.e2e.raw import RawPolling


def disconnect_reason(peer: Peer) -> asyncio.Future[Any]:
    """Resolves with the reason python-socketio gives when the connection goes."""
    gone: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_disconnect(reason: Any = None) -> None:
        if not gone.done():
            gone.set_result(reason)

    peer.client.on("disconnect", on_disconnect, namespace=peer.namespace)
    return gone


async def test_draining_refuses_new_chats_and_lets_clients_go(env: Env) -> None:
    """While draining: /healthz says so, `start` answers `draining` with the emergency
    contacts, a new socket is refused with 503; every connected client is told, then its
    connection is closed as by a network drop (socket.io clients reconnect by themselves)."""
    volunteer = await env.operator("anna")
    visitor, _ = await env.start()
    await volunteer.next("assigned")
    newcomer = await env.visitor()  # connected before, has not started yet
    gone = [disconnect_reason(peer) for peer in (volunteer, visitor, newcomer)]

    shutdown.stop_accepting(env.server)
    async with aiohttp.ClientSession() as http:
        health = await http.get(f"{env.url}/healthz")
        assert health.status == 503 and await health.json() == {"status": "draining"}
        handshake = await http.get(f"{env.url}/socket.io/?EIO=4&transport=polling")
        assert handshake.status == 503 and handshake.headers["Retry-After"]
    refused = await newcomer.call("start", {"consent": True})
    assert refused["error"]["code"] == "draining"
    assert refused["error"]["emergency"][0]["phone"] == "112"

    await shutdown.release_clients(env.server, 10)
    for peer in (volunteer, visitor, newcomer):
        assert await peer.next("draining") == {"retry_after": 10}
    await asyncio.wait_for(asyncio.gather(*gone), TIMEOUT)


async def test_clients_are_let_go_so_that_they_reconnect(env: Env) -> None:
    """On the wire: the notice, then Engine.IO's own close ("1"), never socket.io's namespace
    disconnect ("41"), after which a socket.io client would give up instead of reconnecting;
    and the server closes the WebSocket itself, without waiting for the client."""
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{env.url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0{")  # Engine.IO open
        await ws.send_str('40/visitor,{"line":"chat"}')
        assert (await ws.receive_str()).startswith("40/visitor,")
        shutdown.stop_accepting(env.server)
        await shutdown.release_clients(env.server, 10)
        packets = []
        async for message in ws:  # until the server closes the WebSocket
            packets.append(message.data)
        assert packets == ['42/visitor,["draining",{"retry_after":10}]', "1"]


async def test_a_visitor_cut_off_by_draining_keeps_their_conversation(env: Env) -> None:
    """Let go while waiting, the visitor keeps their place for the grace period and their
    conversation is still open, as after any dropped connection."""
    visitor, ack = await env.start()
    shutdown.stop_accepting(env.server)
    await shutdown.release_clients(env.server, 10)
    await visitor.next("draining")
    assert await env.hub.is_open(ack["conversation_id"])
    stored = await env.hub.store.conversation(ack["conversation_id"])
    assert stored is not None and stored.state.value == "waiting"


async def test_a_long_polling_client_between_two_requests_does_not_hold_the_drain(
    env: Env,
) -> None:
    """A long-polling client hears only what its next request fetches, and behind a load
    balancer that request may never reach a server that stopped listening (a proxy opens a
    new connection for each). Letting clients go does not wait for it (it used to, until the
    shutdown's bound, and then exit 1): the drain goes on at once, and the client's next
    request finds its session gone, so it reconnects, elsewhere."""
    polling = await RawPolling.open(env.url)
    try:
        assert (await polling.post('40/visitor,{"line":"chat"}'))[0] == 200
        assert (await polling.poll()).startswith("40/visitor,")
        shutdown.stop_accepting(env.server)
        await asyncio.wait_for(shutdown.release_clients(env.server, 10), TIMEOUT)
        status, answer = await polling.post("3")  # anything: a pong
        assert status == 400, answer
    finally:
        await polling.close()


async def test_a_message_on_its_way_into_the_store_is_answered_before_the_drain_lets_go(
    env: Env,
) -> None:
    """The drain tells everyone, then waits for the events under way (each is handled in its
    connection's own task) before it closes the connections: a message that was being stored
    when SIGTERM came is kept, and its sender hears so before the connection goes."""
    volunteer = await env.operator("anna")
    visitor, ack = await env.start()
    await volunteer.next("assigned")
    store = env.hub.store
    assert isinstance(store, SqliteStore)
    async with store._writer.gate:  # no commit for now: the message waits on its way in
        sent = asyncio.ensure_future(visitor.call("message", {"text": "ben je er nog?"}))
        await asyncio.wait_for(handling(env), TIMEOUT)  # the server is storing it now
        shutdown.stop_accepting(env.server)
        drained = asyncio.ensure_future(shutdown.release_clients(env.server, 10))
        await visitor.next("draining")
        assert not drained.done()  # the client is told; the drain waits for the message
    assert (await sent)["ok"]
    await asyncio.wait_for(drained, TIMEOUT)
    texts = [m.text for m in await store.messages(ack["conversation_id"])]
    assert "ben je er nog?" in texts


async def test_a_start_under_way_when_the_drain_begins_is_answered(env: Env) -> None:
    """A visitor whose `start` was being handled when SIGTERM came hears the answer (here: try
    again in a moment, with the emergency numbers) before the connection goes, instead of
    waiting for an answer that never comes."""
    visitor = await env.visitor()
    store = env.hub.store
    assert isinstance(store, SqliteStore)
    async with store._writer.gate:  # the start's record waits on its way into the store
        started = asyncio.ensure_future(visitor.call("start", {"consent": True}))
        await asyncio.wait_for(handling(env), TIMEOUT)
        shutdown.stop_accepting(env.server)
        drained = asyncio.ensure_future(shutdown.release_clients(env.server, 10))
        await visitor.next("draining")
    answer = await started
    assert answer["ok"] is False and answer["error"]["code"] == "draining"
    assert answer["error"]["emergency"][0]["phone"] == "112"
    await asyncio.wait_for(drained, TIMEOUT)


async def handling(env: Env) -> None:
    """Until the server is handling an event. Nothing marks the start of a handler, and the
    server runs in this event loop: each turn yields to it, none sleeps."""
    while env.server.sio.handling == 0:  # noqa: ASYNC110
        await asyncio.sleep(0)
