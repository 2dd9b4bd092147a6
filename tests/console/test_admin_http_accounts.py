"""Managing accounts over plain HTTP: create, validate, edit, reset a password, deactivate,
and what each action does to the account, its sessions, its live console and the audit log.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
import socketio

from chatserver import accounts, errors
from tests.console.admin_http import NEW_PASSWORD, Browser, profile
from tests.console.admin_http import admin as admin  # the fixture
from tests.e2e.conftest import PASSWORD, TIMEOUT
from tests.e2e.conftest import env as env  # the fixture

# -- accounts --------------------------------------------------------------------------------


async def test_create_an_account_and_it_is_listed(admin: Browser) -> None:
    store = admin.env.hub.store
    status, _, response = await admin.post(
        "/admin/accounts", profile(await admin.csrf(), backup=True, languages=["nl"])
    )
    assert status == 303
    vera = await store.account_by_username("vera")
    assert vera is not None
    assert response.headers["Location"] == f"/admin?lang=en&done=created&who={vera.id}"
    assert (vera.alias, vera.role, vera.lines, vera.languages, vera.capacity, vera.backup) == (
        "Vera", "volunteer", ("chat",), ("nl",), 2, True,
    )  # fmt: skip
    assert vera.active and vera.totp_secret is None
    assert accounts.verify_password(vera, PASSWORD)
    status, html, _ = await admin.get(response.headers["Location"])
    assert "Account vera created." in html
    row = re.search(r'<tr data-username="vera">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.sub(r"<[^>]+>", "|", row.group(1))
    for text in ("Vera", "Volunteer", "Chat with us", "Dutch", "2", "Yes", "Active", "Not used"):
        assert f"|{text}|" in cells, text
    entries = await store.audit_entries(0, admin.env.clock.now())
    beheer = await store.account_by_username("beheer")
    assert beheer is not None
    assert [(e.actor, e.action, e.detail) for e in entries] == [
        (beheer.id, "account_create", vera.id)
    ]


async def test_a_supervisor_made_here_gets_no_secret_and_enrols_at_first_login(
    admin: Browser,
) -> None:
    """No administrator ever sees another person's TOTP secret."""
    await admin.post(
        "/admin/accounts", profile(await admin.csrf(), username="sara", role="supervisor")
    )
    sara = await admin.env.hub.store.account_by_username("sara")
    assert sara is not None and sara.role == "supervisor" and sara.totp_secret is None
    _, html, _ = await admin.get("/admin?lang=en")
    assert "At next login" in html


async def test_every_problem_is_reported_at_once_next_to_its_field(admin: Browser) -> None:
    form = profile(
        await admin.csrf(), username="Not OK!", capacity="many", languages=[],
        lines=["chat", "nonsense"], password="short", password_repeat="shorter",
    )  # fmt: skip
    status, html, _ = await admin.post("/admin/accounts", form)
    assert status == 400
    summary = re.findall(r'<li><a href="#f-([a-z_]+)">([^<]+)</a>', html)
    assert summary == [
        ("username", "Use 2 to 40 characters: a–z, 0–9, dot, underscore or hyphen."),
        ("lines", "Choose lines from the list."),
        ("languages", "Choose at least one language."),
        ("capacity", "Enter a number from 1 to 10."),
        ("password", "A password needs at least 10 characters."),
        ("password_repeat", "The two passwords are not the same."),
    ]
    assert 'id="f-capacity-error"' in html and 'aria-invalid="true"' in html
    assert 'value="not ok!"' in html  # what was typed stays (lower-cased as it would be saved)
    assert 'href="/admin/accounts/new?lang=nl"' in html  # the language switch: the form page
    assert 'value="short"' not in html  # passwords are never sent back
    assert await admin.env.hub.store.account_by_username("not ok!") is None


async def test_a_taken_username_is_refused(admin: Browser) -> None:
    await admin.env.account("vera")
    status, html, _ = await admin.post("/admin/accounts", profile(await admin.csrf()))
    assert status == 400
    assert "This username is taken." in html


async def test_edit_changes_the_profile_and_is_audited(admin: Browser) -> None:
    target = await admin.env.account("anna", alias="Anna")
    path = f"/admin/accounts/{target}"
    changes = {"capacity": "3", "alias": "Annie", "role": "supervisor", "lines": [],
               "languages": ["en"], "backup": True}  # fmt: skip
    form = [(k, v) for k, v in profile(await admin.csrf(path), **changes) if k != "username"]
    status, _, response = await admin.post(path, form)
    assert status == 303 and response.headers["Location"] == f"{path}?lang=en&done=saved"
    anna = await admin.env.hub.store.account(target)
    assert anna is not None
    assert (anna.alias, anna.role, anna.lines, anna.languages, anna.capacity, anna.backup) == (
        "Annie", "supervisor", (), ("en",), 3, True,
    )  # fmt: skip
    assert anna.username == "anna" and accounts.verify_password(anna, PASSWORD)
    _, html, _ = await admin.get(response.headers["Location"])
    assert "Changes to anna saved." in html
    assert "Not set up yet: the person sets it up at the next login." in html
    status, html, _ = await admin.post(path, [(k, v) for k, v in form if k != "capacity"] + [
        ("capacity", "11")])  # fmt: skip
    assert status == 400 and "Enter a number from 1 to 10." in html
    actions = [e.action for e in await admin.env.hub.store.audit_entries(0, 1e12)]
    assert actions == ["account_edit"]


async def test_an_admin_cannot_demote_or_deactivate_itself(admin: Browser) -> None:
    store = admin.env.hub.store
    me = await store.account_by_username("beheer")
    assert me is not None
    path = f"/admin/accounts/{me.id}"
    csrf = await admin.csrf(path)
    status, html, _ = await admin.post(path, profile(csrf, role="volunteer"))
    assert status == 400 and "You cannot change your own role" in html
    status, html, _ = await admin.post(
        f"{path}/active", {"csrf": csrf, "active": "0", "lang": "en"}
    )
    assert status == 400 and "You cannot change your own role or deactivate" in html
    still = await store.account(me.id)
    assert still is not None and still.active and still.role == "admin"
    # without a role field (the page shows none for yourself) the rest can be changed
    form = [(k, v) for k, v in profile(csrf, capacity="4") if k != "role"]
    status, _, _ = await admin.post(path, form)
    assert status == 303
    changed = await store.account(me.id)
    assert changed is not None and changed.capacity == 4 and changed.role == "admin"


async def test_reset_password_ends_the_sessions(admin: Browser) -> None:
    env = admin.env
    target = await env.account("anna")
    old_cookie = await env.cookie("anna")
    path = f"/admin/accounts/{target}/password"
    csrf = await admin.csrf()
    status, html, _ = await admin.post(path, {"csrf": csrf, "lang": "en", "password": "short",
                                              "password_repeat": "short"})  # fmt: skip
    assert status == 400 and "A password needs at least 10 characters." in html
    status, html, _ = await admin.post(path, {"csrf": csrf, "lang": "en", "password": NEW_PASSWORD,
                                              "password_repeat": "typo"})  # fmt: skip
    assert status == 400 and "The two passwords are not the same." in html
    status, _, response = await admin.post(
        path,
        {"csrf": csrf, "lang": "en", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert status == 303 and response.headers["Location"].endswith("done=password")
    async with aiohttp.ClientSession() as http:
        console = await http.get(f"{env.url}/console", headers={"Cookie": old_cookie},
                                 allow_redirects=False)  # fmt: skip
        assert console.status == 303  # logged out
        old = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": PASSWORD}
        )
        assert old.status == 401
        new = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": NEW_PASSWORD}
        )
        assert new.status == 200


async def test_deactivate_ends_sessions_refuses_login_and_reactivate_undoes_it(
    admin: Browser,
) -> None:
    env = admin.env
    target = await env.account("anna")
    cookie = await env.cookie("anna")
    csrf = await admin.csrf()
    status, _, response = await admin.post(
        f"/admin/accounts/{target}/active", {"csrf": csrf, "lang": "en", "active": "0"}
    )
    assert status == 303 and response.headers["Location"].endswith("done=deactivated")
    assert await env.hub.store.delete_sessions_of(target) == 0  # none left
    async with aiohttp.ClientSession() as http:
        page = await http.get(
            f"{env.url}/console", headers={"Cookie": cookie}, allow_redirects=False
        )
        assert page.status == 303
        login = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": PASSWORD}
        )
        assert (
            login.status == 401 and (await login.json())["error"]["code"] == "invalid_credentials"
        )
    _, html, _ = await admin.get("/admin?lang=en")
    assert re.search(r'<tr class="inactive" data-username="anna">', html)
    assert "Deactivated" in html
    status, _, _ = await admin.post(
        f"/admin/accounts/{target}/active", {"csrf": csrf, "lang": "en", "active": "1"}
    )
    assert status == 303
    assert await env.cookie("anna")  # logs in again
    actions = [e.action for e in await env.hub.store.audit_entries(0, 1e12)]
    assert actions == ["account_deactivate", "account_reactivate"]


async def test_deactivating_a_volunteer_disconnects_its_live_console(admin: Browser) -> None:
    """An open console must not keep receiving visitors after its account is deactivated:
    the admin's click closes the volunteer's live socket, and it cannot connect again."""
    env = admin.env
    anna = await env.operator("anna")
    gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def on_disconnect(*_: Any) -> None:
        if not gone.done():
            gone.set_result(None)

    anna.client.on("disconnect", on_disconnect, namespace="/operator")
    cookie = await env.cookie("anna")  # a second session, as from another tab
    csrf = await admin.csrf()
    status, _, _ = await admin.post(
        f"/admin/accounts/{anna.operator_id}/active", {"csrf": csrf, "active": "0"}
    )
    assert status == 303
    await asyncio.wait_for(gone, TIMEOUT)
    assert not anna.client.connected
    again = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(
            env.url, namespaces=["/operator"], transports=["websocket"], wait_timeout=TIMEOUT,
            headers={"Cookie": cookie},
        )  # fmt: skip


# -- the rules underneath ---------------------------------------------------------------------


def test_account_rules_report_every_problem_with_its_field() -> None:
    found = accounts.problems(username="X", password="short", role="boss", capacity=0, languages=())
    assert [p.details["field"] for p in found] == [
        "username", "password", "role", "capacity", "languages",
    ]  # fmt: skip
    assert accounts.problems(username="anna", password=PASSWORD, role="admin", capacity=10,
                             languages=("nl",)) == []  # fmt: skip
    with pytest.raises(errors.InvalidPayload) as raised:
        accounts.new_account("anna", PASSWORD, "volunteer", None, capacity=11)
    assert raised.value.details == {"field": "capacity"}
