"""An administrator's change to an account is one domain action: saved, audited, announced.

Whoever changes an account (the admin pages today, a CLI tomorrow) cannot forget a part: a
deactivated volunteer is logged out, the change is in the audit log for a second
administrator to check, and exactly one event tells the realtime layer to let go of that
volunteer's open consoles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatserver import accounts
from chatserver.backends.embedded import SqliteStore
from chatserver.clock import ManualClock
from chatserver.hub import events as ev
from chatserver.hub.hub import Hub
from chatserver.settings import load_settings
from tests.floors import FloorKind, relaying, told

CONFIG = Path(__file__).parent.parent / "e2e" / "test.toml"
START = 1_795_662_000.0
PASSWORD = "correct horse battery"


@pytest.fixture
async def hub(floor_kind: FloorKind) -> AsyncIterator[Hub]:
    store = SqliteStore(":memory:")
    await store.open()
    clock = ManualClock(START)
    try:
        async with floor_kind.made(clock) as floor:
            hub = Hub(load_settings(CONFIG), store, clock, floor)
            async with relaying(hub):  # on a shared floor, announced through its feed
                yield hub
    finally:
        await store.close()


async def test_deactivation_logs_out_audits_and_announces_once(hub: Hub) -> None:
    """Deactivating a volunteer: the account is inactive, its sessions are gone (login and
    cookie refused), one ``account_deactivate`` entry names it, one event is published."""
    anna = accounts.new_account("anna", PASSWORD, "volunteer", None)
    await hub.store.add_account(anna)
    token, _, _ = await accounts.login(hub.store, hub.clock, "anna", PASSWORD)
    heard: list[ev.Event] = []

    async def listen(event: ev.Event) -> None:
        heard.append(event)

    hub.bus.subscribe(listen)

    await hub.deactivate_account("o-admin", anna)

    stored = await hub.store.account(anna.id)
    assert stored is not None and not stored.active
    assert await accounts.authenticate(hub.store, hub.clock, token) is None
    assert await told(hub, heard) == [ev.AccountChanged(anna.id, "deactivated")]
    entries = await hub.store.audit_entries(0, START + 1)
    assert [(e.actor, e.action, e.conversation_id, e.detail) for e in entries] == [
        ("o-admin", "account_deactivate", None, anna.id)
    ]


async def test_a_role_or_lines_change_is_saved_audited_and_announced(hub: Hub) -> None:
    """Another role and other lines: saved in one step, one ``account_edit`` entry, one
    event (the volunteer's console reconnects with them); the sessions stay."""
    bob = accounts.new_account("bob", PASSWORD, "volunteer", None)
    await hub.store.add_account(bob)
    token, _, _ = await accounts.login(hub.store, hub.clock, "bob", PASSWORD)
    heard: list[ev.Event] = []

    async def listen(event: ev.Event) -> None:
        heard.append(event)

    hub.bus.subscribe(listen)
    changed = accounts.edited(
        bob, role="supervisor", alias="Bob", lines=("chat",), languages=("nl",), capacity=2,
        backup=True,
    )  # fmt: skip

    await hub.edit_account("o-admin", changed)

    stored = await hub.store.account(bob.id)
    assert stored is not None
    assert (stored.role, stored.lines, stored.capacity) == ("supervisor", ("chat",), 2)
    assert await accounts.authenticate(hub.store, hub.clock, token) is not None
    assert await told(hub, heard) == [ev.AccountChanged(bob.id, "edited")]
    assert [e.action for e in await hub.store.audit_entries(0, START + 1)] == ["account_edit"]
