"""The visitor's chat, embedded in a helpline's website, in real headless Chromium."""

from __future__ import annotations

from datetime import datetime

from playwright.async_api import FrameLocator, Page, expect

from tests.browser.conftest import Site
from tests.browser.screens import AMSTERDAM, shot, start


def chat(page: Page) -> FrameLocator:
    return page.frame_locator("#helpline-chat-frame")


async def open_chat(site: Site, line: str = "chat", lang: str = "nl") -> tuple[Page, FrameLocator]:
    page = await site.open(line, lang)
    await page.click("#helpline-chat-launcher")
    frame = chat(page)
    await expect(frame.locator("#line-name")).to_be_visible()
    # the page's scripts have run (they hide "loading"): a click before that does nothing,
    # and a slow machine's test must not click a button its listener is not on yet
    await expect(frame.locator("#loading")).to_be_hidden()
    return page, frame


async def test_closed_line_names_next_opening_and_emergency_numbers(site: Site) -> None:
    """On Saturday the evening line is closed: the visitor sees when it opens and whom to call."""
    site.env.clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=AMSTERDAM))
    _page, frame = await open_chat(site, "evening")
    await expect(frame.locator("#closed")).to_be_visible()
    await expect(frame.locator("#next-open")).to_contain_text("19:00")
    await expect(frame.locator("#next-open")).to_contain_text("maandag")
    emergency = frame.locator("#emergency li")
    await expect(emergency).to_have_count(2)
    await expect(frame.locator('#emergency a[href="tel:112"]')).to_be_visible()
    assert not await frame.locator("#intro").is_visible()


async def test_a_whole_conversation_in_the_browser(site: Site) -> None:
    """Consent, queue, a volunteer, messages both ways with safe links, typing, the end."""
    _page, frame = await open_chat(site)
    await expect(frame.locator("#privacy")).to_contain_text("anoniem")
    await start(frame)
    await expect(frame.locator("#position")).to_have_text("1")

    await frame.locator("#text").fill("Ik wacht <b>al</b> even")
    await frame.locator("#text").press("Enter")
    mine = frame.locator('.message[data-role="visitor"]')
    await expect(mine).to_have_count(1)
    await expect(mine.locator(".text")).to_have_text("Ik wacht <b>al</b> even")
    await expect(frame.locator("#text")).to_have_value("")

    volunteer = await site.env.operator("anna", alias="Anna")
    conversation = (await volunteer.next("assigned"))["conversation"]
    assert conversation["messages"][0]["text"] == "Ik wacht <b>al</b> even"
    await expect(frame.locator('.message[data-role="system"]').first).to_contain_text("Anna")

    await volunteer.call("typing", {"conversation_id": conversation["id"], "active": True})
    await expect(frame.locator("#typing")).to_be_visible()
    await volunteer.call(
        "message",
        {
            "conversation_id": conversation["id"],
            "text": "Hoi, ik ben Anna. Kijk op https://www.113.nl <img src=x onerror=alert(1)>",
        },
    )
    reply = frame.locator('.message[data-role="operator"]')
    await expect(reply).to_have_count(1)
    await expect(reply.locator(".meta")).to_contain_text("Anna")
    link = reply.locator('a[href="https://www.113.nl"]')
    await expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    await expect(link).to_have_attribute("target", "_blank")
    assert await reply.locator("img").count() == 0
    await expect(reply.locator(".text")).to_contain_text("<img src=x onerror=alert(1)>")

    await frame.locator("#text").fill("eerste regel")
    await frame.locator("#text").press("Shift+Enter")
    await frame.locator("#text").type("tweede regel")
    await frame.locator("#send").click()
    got = await volunteer.until(
        "message", lambda m: m["role"] == "visitor" and "tweede" in m["text"]
    )
    assert got["text"] == "eerste regel\ntweede regel"

    await volunteer.call(
        "end",
        {"conversation_id": conversation["id"], "wrapup": {"topics": [], "risk": "none"}},
    )
    await expect(frame.locator("#ended")).to_be_visible()
    await expect(frame.locator("#forget-info")).to_be_visible()
    await frame.locator("#forget").click()
    await expect(frame.locator("#forgotten")).to_be_visible()
    await expect(frame.locator(".message")).to_have_count(0)
    assert await site.env.hub.store.messages(conversation["id"]) == []


async def test_quick_exit_button_leaves_and_replaces_the_tab(site: Site) -> None:
    """The quick exit ends the chat as 'quick_exit', wipes it, and Back does not return."""
    page, frame = await open_chat(site)
    await start(frame)
    volunteer = await site.env.operator("anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await frame.locator("#text").fill("iemand komt binnen")
    await frame.locator("#send").click()
    await volunteer.until("message", lambda m: m["role"] == "visitor")

    await frame.locator("#quick-exit").click()
    await page.wait_for_url(site.exit_url, timeout=1000)
    left = await volunteer.next("visitor_left")
    assert left == {"conversation_id": conversation, "reason": "quick_exit"}
    await page.go_back()
    assert page.url != f"{site.host}/?line=chat&lang=nl"


async def test_quick_exit_by_keyboard_on_the_host_page_works_offline(site: Site) -> None:
    """Shift three times on the website itself gets the visitor out, even with no network."""
    page, frame = await open_chat(site)
    await start(frame)
    await page.locator("h1").click()  # focus on the host page, not in the chat
    await site.context.set_offline(True)
    try:
        # offline, the neutral page cannot load either: what counts is that the tab goes there
        async with page.expect_request(site.exit_url, timeout=1000) as request:
            for _ in range(3):
                await page.keyboard.press("Shift")
        assert (await request.value).is_navigation_request()
    finally:
        await site.context.set_offline(False)


async def test_reload_resumes_the_same_conversation_without_cookies(site: Site) -> None:
    """A reload brings the visitor back into the same chat; nothing is kept in cookies."""
    page, frame = await open_chat(site)
    await start(frame)
    volunteer = await site.env.operator("anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await volunteer.call("message", {"conversation_id": conversation, "text": "Ben je er nog?"})
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(1)

    await page.reload()  # the chat was open: it opens again by itself
    frame = chat(page)
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(1)
    await expect(frame.locator('.message[data-role="operator"] .text')).to_have_text(
        "Ben je er nog?"
    )
    await frame.locator("#text").fill("ja, nog hier")
    await frame.locator("#send").click()
    got = await volunteer.until("message", lambda m: m["role"] == "visitor")
    assert got["conversation_id"] == conversation
    assert await site.context.cookies() == []
    widget_frame = page.frame(url=lambda url: "/widget/frame" in url)
    assert widget_frame is not None
    assert await widget_frame.evaluate("localStorage.length") == 0
    assert await widget_frame.evaluate("sessionStorage.length") == 1


async def test_alternatives_appear_after_a_long_wait(site: Site) -> None:
    """After the line's threshold the waiting visitor is offered other ways to get help."""
    line = site.env.hub.settings.line("chat")
    assert line is not None and line.alternatives
    volunteer = await site.env.operator("anna")
    await site.env.start()  # anna is busy with someone else
    await volunteer.next("assigned")
    _page, frame = await open_chat(site)
    await start(frame)
    await expect(frame.locator("#position")).to_have_text("1")
    await expect(frame.locator("#wait")).to_contain_text("10 minuten")
    assert not await frame.locator("#alternatives").is_visible()
    await site.env.advance(line.alternatives_after_seconds + 1)
    await expect(frame.locator("#alternatives")).to_be_visible()
    # the line's alternatives, and its emergency numbers with them
    phones = {c.phone for c in line.alternatives} | {c.phone for c in line.emergency}
    await expect(frame.locator("#alternatives li")).to_have_count(len(phones))


async def test_nobody_online_is_said_plainly_with_help_at_once(site: Site) -> None:
    """An open line with no volunteer online says so, instead of "not known yet" for ever,
    and shows where else to turn straight away; once a volunteer is free it says "now"."""
    page, frame = await open_chat(site)
    await expect(frame.locator("#line-status")).to_contain_text("geen vrijwilliger online")
    await start(frame)
    await expect(frame.locator("#wait")).to_have_text("er is nu geen vrijwilliger online")
    await expect(frame.locator("#alternatives-title")).to_contain_text("geen vrijwilliger online")
    await expect(frame.locator("#alternatives")).to_be_visible()
    await expect(frame.locator("#alternatives a[href='tel:112']")).to_have_count(1)
    await shot(page, "nobody-online")
    # a second volunteer's free slot reads as "now" on the intro screen of a new visitor
    await site.env.operator("anna", capacity=2)
    _page2, other = await open_chat(site)
    await expect(other.locator("#line-status")).to_contain_text("wachttijd nu")


async def test_english_and_nothing_from_third_parties(site: Site) -> None:
    """In English on request, and every request goes to the helpline's own servers."""
    origins: set[str] = set()
    site.context.on("request", lambda r: origins.add("/".join(r.url.split("/")[:3])))
    _page, frame = await open_chat(site, lang="en")
    await expect(frame.locator("#quick-exit")).to_have_text("Quick exit")
    await start(frame)
    assert origins <= {site.host, site.env.url}, origins
