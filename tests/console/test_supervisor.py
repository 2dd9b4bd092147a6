"""The supervisor's live floor in a real browser: the queue and the chats as they happen,
reading along with whispers, alerts on acute risk and unanswered backup, broadcast, hold,
takeover; and that only supervisors and administrators get the page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
from playwright.async_api import BrowserContext, Locator, Page, expect

from tests.console.conftest import SHOTS, Console, shoot
from tests.console.test_accessibility import violations
from tests.console.test_alerts import RECORDERS
from tests.e2e.conftest import Env
from tests.e2e.conftest import env as env  # the fixture, for the HTTP-only tests

LIVE = "Live: wijzigingen verschijnen meteen"


async def open_floor(
    console: Console,
    username: str = "sara",
    alias: str = "Sara",
    lang: str = "nl",
    context: BrowserContext | None = None,
    role: str = "supervisor",
) -> Page:
    """A supervisor (password and TOTP code) on /supervisor, its dashboard connected."""
    await console.env.account(username, role=role, alias=alias)
    account = await console.env.hub.store.account_by_username(username)
    assert account is not None and account.totp_secret
    page = await console.login(
        username, otp=console.otp(account.totp_secret), lang=lang, context=context
    )
    await expect(page).to_have_url(f"{console.env.url}/console?lang={lang}")
    await page.goto(f"{console.env.url}/supervisor?lang={lang}")
    if lang == "nl":
        await expect(page.locator("#status-text")).to_have_text(LIVE)
    return page


def row(page: Page, table: str, text: str) -> Locator:
    return page.locator(f"#{table} tbody tr", has_text=text)


async def test_the_floor_shows_the_queue_and_the_chat_then_observe_and_whisper(
    console: Console,
) -> None:
    """A visitor waits (count, longest wait, a row "Wacht"); Anna goes available and the row
    becomes her chat; the supervisor observes (Anna is told, the visitor is not), reads the
    transcript live, whispers to Anna (never to the visitor) and stops reading along."""
    env = console.env
    page = await open_floor(console)
    await shoot_floor(page, "empty")

    visitor, _ = await env.start(topic="loneliness")
    lines = row(page, "lines", "Chat met ons")
    await expect(lines.locator("td").nth(0)).to_have_text("1")  # waiting
    conversation = page.locator("#conversations tbody tr")
    await expect(conversation).to_have_count(1)
    await expect(conversation.locator("td").nth(0)).to_have_text("Wacht")
    await expect(conversation.locator("td").nth(1)).to_have_text("nog niemand")
    await visitor.call("message", {"text": "ik wacht nog even"})
    await env.advance(75)  # the server's time: the next snapshot says 1:15 waited

    anna = await env.operator("anna", alias="Anna")
    await expect(conversation.locator("td").nth(0)).to_have_text("In gesprek")
    await expect(conversation.locator("td").nth(1)).to_have_text("Anna")
    await expect(conversation.locator("td").nth(2)).to_have_text("1:15")  # waited, now fixed
    await expect(lines.locator("td").nth(0)).to_have_text("0")
    await expect(lines.locator("td").nth(1)).to_have_text("–")  # no longest wait: nobody waits
    await expect(lines.locator("td").nth(3)).to_have_text("1")  # Anna: available but full
    anna_row = row(page, "operators", "Anna")
    await expect(anna_row.locator("td").nth(1)).to_have_text("Bezet (vol)")
    await expect(anna_row.locator("td").nth(2)).to_have_text("1 van 1")
    await expect(row(page, "operators", "Sara").locator("td").nth(1)).to_have_text("Pauze")
    held = (await anna.next("assigned"))["conversation"]["id"]

    # observe: the transcript so far, Anna sees "reading along", the visitor nothing
    await conversation.get_by_role("button", name="Meelezen").click()
    pane = page.locator(".pane")
    await expect(pane).to_have_count(1)
    await expect(pane.locator(".pane-title")).to_have_text("Chat met ons · Anna")
    await expect(pane.locator(".msg.role-visitor")).to_contain_text("ik wacht nog even")
    await expect(pane.locator(".msg.role-visitor .tag")).to_have_text(
        "geschreven tijdens het wachten"
    )
    observed = await anna.next("observed")
    assert observed == {"conversation_id": held, "by": "Sara", "kind": "observer", "active": True}
    await expect(conversation.locator("td").nth(5)).to_have_text("Sara")  # watchers
    await expect(conversation.get_by_role("button", name="Leest mee")).to_be_disabled()

    # live messages arrive in the pane, the visitor's markup stays text
    await visitor.call("message", {"text": "het gaat <b>niet</b> goed"})
    await expect(pane.locator(".msg.role-visitor").last).to_contain_text("<b>niet</b>")
    await anna.call("message", {"conversation_id": held, "text": "Ik ben er."})
    await expect(pane.locator(".msg.role-operator")).to_contain_text("Ik ben er.")

    # a whisper reaches Anna, never the visitor
    box = pane.get_by_label("Fluister naar de vrijwilliger (de hulpvrager ziet dit niet)")
    await box.fill("Vraag of er een plan is.")
    await box.press("Enter")
    whisper = await anna.until("message", lambda m: m["role"] == "whisper")
    assert whisper["text"] == "Vraag of er een plan is." and whisper["author"] == "Sara"
    await expect(pane.locator(".msg.role-whisper")).to_contain_text("Gefluisterd – Jij")
    await shoot_floor(page, "observing")
    await visitor.settle()
    assert not [m for m in visitor.pending("message") if "plan" in m["text"]]

    await pane.get_by_role("button", name="Stoppen met meelezen").click()
    await expect(page.locator(".pane")).to_have_count(0)
    await expect(page.locator("#notice")).to_have_text("Je leest niet meer mee.")
    observed = await anna.next("observed")
    assert observed["active"] is False and observed["by"] == "Sara"
    await expect(conversation.locator("td").nth(5)).to_have_text("–")


async def shoot_floor(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"supervisor-{name}.png"), full_page=True)


async def test_acute_flag_and_unanswered_backup_alert_with_sound_and_notification(
    console: Console,
) -> None:
    """Anna flags a chat acute: an alert with the word (not only colour), a chime and a
    notification without chat text; her backup request nobody answers escalates, and the
    supervisor joins from the alert as backup."""
    env = console.env
    await console.context.add_init_script(script=RECORDERS)
    page = await open_floor(console)
    await page.locator("#lines-title").click()  # a gesture: the browser allows sound now
    anna = await env.operator("anna", alias="Anna")
    visitor, _ = await env.start()
    held = (await anna.next("assigned"))["conversation"]["id"]
    await visitor.call("message", {"text": "ik heb pillen gespaard"})
    conversation = page.locator("#conversations tbody tr")
    await expect(conversation.locator("td").nth(1)).to_have_text("Anna")

    tones = await page.evaluate("window.__tones")
    await anna.call("flag", {"conversation_id": held, "risk": "acute"})
    alert = page.locator("#alerts")
    await expect(alert).to_be_visible()
    await expect(alert).to_contain_text("Acuut risico gemarkeerd door Anna (Chat met ons).")
    await expect(conversation.locator(".risk-label")).to_have_text("Acuut")
    await expect(conversation).to_have_class("risk-row-acute")
    notifications = await page.evaluate("window.__notifications")
    assert notifications[-1] == {
        "title": "Acuut risico",
        "body": "Acuut risico gemarkeerd door Anna (Chat met ons).",
    }
    assert await page.evaluate("window.__tones") > tones
    assert all("pillen" not in n["body"] for n in notifications)

    # a backup request shows in the list at once; unanswered, it becomes an alert
    await anna.call("backup_request", {"conversation_id": held, "reason": "Zware gedachten"})
    requests = page.locator("#backup-requests")
    await expect(requests).to_contain_text("Anna vraagt om achterwacht (Chat met ons).")
    await expect(requests).to_contain_text("Reden: Zware gedachten")
    await env.advance(31)  # routing.backup_timeout_seconds = 30
    escalated = alert.locator(".floor-alert.warning")
    await expect(escalated).to_contain_text("Nog niemand reageerde: Anna vraagt om achterwacht")
    notifications = await page.evaluate("window.__notifications")
    assert notifications[-1]["title"] == "Achterwacht gevraagd"
    assert "Zware gedachten" not in notifications[-1]["body"]
    await shoot_floor(page, "alerts")

    await escalated.get_by_role("button", name="Meelezen als achterwacht").click()
    pane = page.locator(".pane")
    await expect(pane.locator(".msg.role-visitor")).to_contain_text("pillen")
    await expect(pane.locator(".facts")).to_contain_text("achterwacht")
    await expect(escalated).to_have_count(0)
    await expect(requests.locator("li")).to_have_count(0)
    observed = await anna.until("observed", lambda o: o["active"])
    assert observed["kind"] == "backup" and observed["by"] == "Sara"


async def test_broadcast_reaches_a_volunteers_console(console: Console) -> None:
    """The supervisor writes to everyone online; Anna's console shows it with the sender."""
    anna = await console.volunteer("anna", "Anna")
    page = await open_floor(console, context=await console.new_context())
    await page.get_by_label("Bericht", exact=True).fill(
        "Drukke avond: neem even pauze na elk gesprek."
    )
    await page.get_by_role("button", name="Naar iedereen sturen").click()
    await expect(page.locator("#notice")).to_have_text("Verstuurd naar iedereen online.")
    await expect(page.get_by_label("Bericht", exact=True)).to_have_value("")
    await expect(anna.locator("#broadcasts")).to_contain_text(
        "Sara: Drukke avond: neem even pauze na elk gesprek."
    )
    await expect(page.locator("#broadcasts")).to_contain_text("Sara: Drukke avond")


async def test_hold_and_takeover_from_the_floor(console: Console) -> None:
    """A safeguarding hold with reason and days is placed from the conversation row; a
    takeover makes the supervisor the volunteer and points to the console."""
    env = console.env
    page = await open_floor(console)
    anna = await env.operator("anna", alias="Anna")
    visitor, _ = await env.start()
    held = (await anna.next("assigned"))["conversation"]["id"]
    conversation = page.locator("#conversations tbody tr")
    await expect(conversation.locator("td").nth(1)).to_have_text("Anna")

    await conversation.get_by_role("button", name="Bewaren").click()
    dialog = page.get_by_role("dialog", name="Gesprek bewaren (veiligheidsbewaring)")
    await dialog.get_by_role("button", name="Bewaren").click()
    await expect(dialog.get_by_role("alert")).to_have_text("Geef een reden voor het bewaren.")
    await dialog.get_by_label("Reden").fill("Acuut, mogelijk melding nodig")
    await dialog.get_by_label("Dagen").fill("7")
    await shoot_floor(page, "hold")
    await dialog.get_by_role("button", name="Bewaren").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#notice")).to_contain_text("Bewaard tot")
    hold = await env.hub.store.hold(held)
    assert hold is not None and hold.reason == "Acuut, mogelijk melding nodig"
    assert round((hold.expires_at - env.clock.now()) / 86400) == 7

    await conversation.get_by_role("button", name="Meelezen").click()
    pane = page.locator(".pane")
    await pane.get_by_role("button", name="Gesprek overnemen").click()
    await expect(page.locator("#notice")).to_contain_text("Je voert dit gesprek nu zelf.")
    await expect(page.get_by_role("link", name="Open de console")).to_be_focused()
    await expect(pane).to_have_count(0)
    released = await anna.next("released")
    assert released == {"conversation_id": held, "reason": "taken_over"}
    await expect(conversation.locator("td").nth(1)).to_have_text("Sara")
    assert await visitor.until("assigned", lambda a: a["operator"] == "Sara")


async def test_english_floor_and_link_from_the_console(console: Console) -> None:
    """An English supervisor reaches the floor from the console's header and back."""
    env = console.env
    await env.account("sara", role="supervisor", alias="Sara")
    account = await env.hub.store.account_by_username("sara")
    assert account is not None and account.totp_secret
    page = await console.login("sara", otp=console.otp(account.totp_secret), lang="en")
    await page.get_by_role("link", name="Live floor").click()
    await expect(page).to_have_url(f"{env.url}/supervisor?lang=en")
    await expect(page.locator("#status-text")).to_have_text("Live: updates as they happen")
    await expect(page.get_by_role("heading", name="Lines")).to_be_visible()
    await expect(page.get_by_role("link", name="Live floor")).to_have_attribute(
        "aria-current", "page"
    )
    await page.get_by_role("link", name="Console").click()
    await expect(page).to_have_url(f"{env.url}/console?lang=en")


async def test_the_floor_has_no_accessibility_violations(console: Console) -> None:
    """axe-core on the floor: empty, with rows, a pane, an alert, and the hold dialog."""
    env = console.env
    await console.context.add_init_script(script=console_axe())
    page = await open_floor(console)
    assert await violations(page) == []
    anna = await env.operator("anna", alias="Anna")
    visitor, _ = await env.start()
    await env.start()  # a second visitor waits
    held = (await anna.next("assigned"))["conversation"]["id"]
    await visitor.call("message", {"text": "hallo"})
    await anna.call("flag", {"conversation_id": held, "risk": "acute"})
    await anna.call("backup_request", {"conversation_id": held, "reason": "zwaar"})
    await expect(page.locator("#alerts")).to_be_visible()
    await (
        page.locator("#conversations tbody tr", has_text="Anna")
        .get_by_role("button", name="Meelezen")
        .click()
    )
    await expect(page.locator(".pane .msg.role-visitor")).to_have_count(1)
    await expect(page.locator("#backup-requests li")).to_have_count(1)
    assert await violations(page) == []
    await (
        page.locator("#conversations tbody tr").first.get_by_role("button", name="Bewaren").click()
    )
    await expect(page.get_by_role("dialog")).to_be_visible()
    assert await violations(page) == []


def console_axe() -> str:
    from tests.console.conftest import AXE

    return AXE.read_text()


async def test_a_volunteer_gets_403_and_nobody_gets_in_without_a_session(console: Console) -> None:
    """The supervisor's pages are not for volunteers: a 403 page in their language."""
    await console.volunteer("anna", "Anna")
    page = await console.context.new_page()
    for path in ("/supervisor", "/supervisor/stats", "/supervisor/stats.csv"):
        response = await page.goto(f"{console.env.url}{path}?lang=nl")
        assert response is not None and response.status == 403, path
        await expect(page.get_by_role("heading", level=1)).to_have_text("Niet voor jouw rol")
    await shoot(page, "supervisor-403")
    # the volunteer's console has no link to it
    await page.goto(f"{console.env.url}/console")
    await expect(page.get_by_role("link", name="Live overzicht")).to_have_count(0)


async def test_supervisor_pages_without_a_session_go_to_login(env: Env) -> None:
    """No session: 303 to the login page, which brings the supervisor back afterwards."""
    async with aiohttp.ClientSession() as http:
        for path in ("/supervisor", "/supervisor/stats", "/supervisor/stats.csv"):
            response = await http.get(f"{env.url}{path}?lang=en", allow_redirects=False)
            assert response.status == 303, path
            location = urlsplit(response.headers["Location"])
            assert location.path == "/login"
            assert parse_qs(location.query) == {"lang": ["en"], "next": [path]}


async def test_supervisor_page_sends_the_strict_csp_and_no_inline_script(env: Env) -> None:
    """The floor and the statistics run under the console's policy; admins may open them."""
    from tests.console.test_http import STRICT

    await env.account("root", role="admin", alias="Root")
    cookie = await env.cookie("root")
    async with aiohttp.ClientSession() as http:
        for path in ("/supervisor", "/supervisor/stats"):
            page = await http.get(f"{env.url}{path}", headers={"Cookie": cookie})
            assert page.status == 200, path
            assert page.headers["Content-Security-Policy"] == STRICT
            assert page.headers["Cache-Control"] == "no-store"
            html = await page.text()
            assert "<style" not in html and " style=" not in html
        script = await http.get(f"{env.url}/console/static/supervisor.js")
        assert script.status == 200
        assert script.headers["Content-Type"].startswith("text/javascript")


async def test_narrow_screen_needs_no_sideways_scrolling(console: Console) -> None:
    """At 320 px (1280 px at 400% zoom) the floor is one column; wide tables scroll in
    their own box, the page itself does not."""
    env = console.env
    await console.context.add_init_script(script=console_axe())
    page = await open_floor(console)
    await page.set_viewport_size({"width": 320, "height": 640})
    anna = await env.operator("anna", alias="Anna")
    await env.start()
    held = (await anna.next("assigned"))["conversation"]["id"]
    await anna.call("flag", {"conversation_id": held, "risk": "acute"})
    await expect(page.locator("#alerts")).to_be_visible()
    await page.locator("#conversations tbody tr").get_by_role("button", name="Meelezen").click()
    await expect(page.locator(".pane")).to_have_count(1)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    await shoot_floor(page, "narrow")
    assert overflow <= 0
    assert await violations(page) == []
    await page.goto(f"{env.url}/supervisor/stats")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    await page.screenshot(path=str(SHOTS / "supervisor-stats-narrow.png"), full_page=True)
    assert overflow <= 0
    assert await violations(page) == []
