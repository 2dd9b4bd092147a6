"""The storage contract for volunteers' accounts and their login sessions, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from chatserver.backends.base import Session, Store
from chatserver.hub.model import Account

from .records import T0, account


# accounts and sessions -----------------------------------------------------------------------
@pytest.mark.asyncio
async def test_account_round_trip(store: Store) -> None:
    """An administrator's new volunteer can log in with every setting they were given."""
    volunteer = account(1)
    await store.add_account(volunteer)
    assert await store.account("op1") == volunteer
    assert await store.account_by_username("volunteer1") == volunteer
    assert await store.account("nobody") is None
    assert await store.account_by_username("nobody") is None


@pytest.mark.asyncio
async def test_usernames_are_case_insensitive_and_unique(store: Store) -> None:
    """A volunteer logs in however they type their name, and no one can take it twice."""
    await store.add_account(account(1, username="Anouk"))
    found = await store.account_by_username("ANOUK")
    assert found is not None and found.id == "op1"
    assert found.username == "anouk"
    with pytest.raises(ValueError):
        await store.add_account(account(2, username="anouk"))
    assert [a.id for a in await store.accounts()] == ["op1"]


@pytest.mark.asyncio
async def test_accounts_lists_everyone(store: Store) -> None:
    """The admin page shows every account, with defaults kept as they were."""
    await store.add_account(account(2))
    await store.add_account(Account("op1", "alice", "Al", "admin", "h"))
    listed = {a.id: a for a in await store.accounts()}
    assert listed == {"op1": Account("op1", "alice", "Al", "admin", "h"), "op2": account(2)}


@pytest.mark.asyncio
async def test_session_round_trip_touch_and_delete(store: Store) -> None:
    """A volunteer stays logged in while active and is logged out for good after logout."""
    await store.add_account(account(1))
    session = Session("tokenhash", "op1", "csrf-value", T0, T0)
    await store.add_session(session)
    assert await store.session("tokenhash") == session
    await store.touch_session("tokenhash", T0 + 60)
    assert await store.session("tokenhash") == dataclasses.replace(session, last_seen=T0 + 60)
    await store.delete_session("tokenhash")
    assert await store.session("tokenhash") is None
    await store.delete_session("tokenhash")  # logging out twice is harmless


@pytest.mark.asyncio
async def test_update_account_replaces_every_field_by_id(store: Store) -> None:
    """An administrator's edit, a password or 2FA reset and a deactivation all stick, and
    nothing else changes: not the id, not the creation time, not another account."""
    await store.add_account(account(1))
    await store.add_account(account(2))
    changed = dataclasses.replace(
        account(1),
        username="Renamed",
        alias="Robin",
        role="supervisor",
        password_hash="$argon2id$new",
        lines=(),
        languages=("en", "nl"),
        capacity=3,
        backup=False,
        active=True,
        totp_secret=None,
        created_at=0.0,  # ignored: an account is created once
    )
    await store.update_account(changed)
    expected = dataclasses.replace(changed, username="renamed", created_at=T0 - 86400)
    assert await store.account("op1") == expected
    assert await store.account_by_username("RENAMED") == expected
    assert await store.account_by_username("volunteer1") is None
    assert await store.account("op2") == account(2)
    await store.update_account(dataclasses.replace(expected, totp_secret="NEWSECRETNEWSECR"))
    found = await store.account("op1")
    assert found is not None and found.totp_secret == "NEWSECRETNEWSECR"
    with pytest.raises(ValueError):  # another account's username
        await store.update_account(dataclasses.replace(expected, username="volunteer2"))
    with pytest.raises(KeyError):
        await store.update_account(account(9))
    assert await store.account("op9") is None


@pytest.mark.asyncio
async def test_delete_sessions_of_ends_only_that_operators_sessions(store: Store) -> None:
    """Deactivating someone logs them out everywhere (every browser), and nobody else."""
    await store.add_account(account(1))
    await store.add_account(account(2))
    for name, operator in (("a", "op1"), ("b", "op1"), ("c", "op2")):
        await store.add_session(Session(name, operator, "csrf", T0, T0))
    assert await store.delete_sessions_of("op1") == 2
    assert await store.session("a") is None and await store.session("b") is None
    assert await store.session("c") is not None
    assert await store.delete_sessions_of("op1") == 0


@pytest.mark.asyncio
async def test_expire_sessions_ends_only_the_idle_ones(store: Store) -> None:
    """Idle sessions end, and say which, so their open consoles can be closed; one touched
    since is kept."""
    await store.add_account(account(1))
    for name, seen in (("old", T0), ("older", T0 - 10), ("fresh", T0 + 100)):
        await store.add_session(Session(name, "op1", "csrf", T0 - 10, seen))
    assert sorted(await store.expire_sessions(T0 + 1)) == ["old", "older"]
    assert await store.session("old") is None and await store.session("fresh") is not None
    assert await store.expire_sessions(T0 + 1) == []
