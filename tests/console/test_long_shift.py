"""Late in a long shift, on a small laptop: the transcript keeps the screen, however much else
is going on.

At 1280×720 and 1366×768, with the emergency procedure, the handover note and the
reading-along line all showing in a long chat, the transcript still has most of the height:
banners take one line each and open with a toggle; the visitor's "typing…" stays in view
above the compose box; the transcript follows the newest message, unless the volunteer has
scrolled back, when a "new messages" button brings them down instead.
"""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.console.conftest import AXE, Console, shoot
from tests.console.test_accessibility import violations
from tests.e2e.conftest import Peer

SCREENS = [(1280, 720), (1366, 768)]


async def a_heavy_long_chat(console: Console) -> tuple[Page, Peer]:
    """Bram's console with everything showing: a chat Anna handed over with a note, a
    supervisor reading along, the risk flagged acute (the emergency procedure), and forty
    messages. Returns Bram's page and the visitor."""
    env = console.env
    bram = await console.volunteer("bram", "Bram")
    await bram.get_by_text("Beschikbaar", exact=True).click()
    await expect(bram.locator("#status-text")).to_contain_text("Beschikbaar")
    await bram.get_by_text("Pauze", exact=True).click()  # only Anna gets the visitor
    await expect(bram.locator("#status-text")).to_contain_text("Pauze")
    anna = await env.operator("anna", alias="Anna")
    visitor, ack = await env.start()
    said = {"conversation_id": ack["conversation_id"]}
    await anna.next("assigned")
    for n in range(20):
        await visitor.call("message", {"text": f"bericht {n} van de hulpvrager, wat langer"})
        await anna.call("message", {**said, "text": f"antwoord {n} van Anna"})

    await bram.get_by_text("Beschikbaar", exact=True).click()
    await expect(bram.locator("#status-text")).to_contain_text("Beschikbaar")
    note = (
        "Zij woont alleen sinds de scheiding, heeft een zus in Utrecht die ze vertrouwt, en "
        "zei eerder vanavond dat ze pillen heeft verzameld. Vraag voorzichtig naar een plan."
    )
    assert (await anna.call("handover", {**said, "to": await bram_id(console), "note": note}))["ok"]
    offer = bram.get_by_role("dialog", name="Een collega wil een gesprek aan je overdragen")
    await offer.get_by_role("button", name="Aannemen").click()
    await expect(bram.get_by_role("tab")).to_have_count(1)

    sara = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    assert (await sara.call("observe", said))["ok"]
    await expect(bram.locator(".observed")).to_contain_text("Sara")
    await bram.get_by_label("Risico markeren").select_option("acute")
    await bram.get_by_role("button", name="Markeren").click()
    await expect(bram.locator(".banner.danger")).to_be_visible()
    await expect(bram.locator(".banner")).to_have_count(2)
    return bram, visitor


async def bram_id(console: Console) -> str:
    account = await console.env.hub.store.account_by_username("bram")
    assert account is not None
    return account.id


PANEL = ".panel:not([hidden])"


async def box(page: Page, selector: str) -> dict[str, float]:
    found = await page.locator(f"{PANEL} {selector}").first.bounding_box()
    assert found is not None, selector
    return {key: float(found[key]) for key in ("x", "y", "width", "height")}


async def line_height(page: Page, selector: str) -> float:
    return float(
        await page.locator(f"{PANEL} {selector}").first.evaluate(
            "el => parseFloat(getComputedStyle(el).lineHeight)"
        )
    )


async def test_the_transcript_keeps_most_of_a_small_screen(console: Console) -> None:
    """At 1280×720 and 1366×768, with the emergency procedure, the handover note and the
    reading-along line showing, the transcript is more than half the window; each banner is
    one line, and the long note opens and closes with its toggle, by mouse or keyboard;
    axe-core finds nothing with all of it showing."""
    await console.context.add_init_script(script=AXE.read_text())
    bram, _ = await a_heavy_long_chat(console)
    await expect(bram.locator(".observed")).to_be_visible()
    for width, height in SCREENS:
        await bram.set_viewport_size({"width": width, "height": height})
        transcript = await box(bram, ".transcript")
        assert transcript["height"] > height / 2, (width, height, transcript)
        for n in range(2):
            text = await box(bram, f".banner >> nth={n} >> .banner-text")
            assert text["height"] < 1.5 * await line_height(bram, ".banner-text"), (n, text)
        compose = await box(bram, ".compose")
        assert compose["y"] + compose["height"] <= height  # the compose box fits too
        await shoot(bram, f"small-screen-{width}x{height}")

    # the long handover note: one line and a "Meer"; the short procedure needs no toggle
    note = bram.locator(f"{PANEL} .banner.info")
    toggle = note.get_by_role("button", name="Meer")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(bram.locator(f"{PANEL} .banner.danger .banner-toggle")).to_be_hidden()
    await toggle.click()
    await expect(note.get_by_role("button", name="Minder")).to_have_attribute(
        "aria-expanded", "true"
    )
    opened = await note.locator(".banner-text").bounding_box()
    assert opened is not None and opened["height"] > 1.5 * await line_height(bram, ".banner-text")
    await expect(note).to_contain_text("Vraag voorzichtig naar een plan.")
    await shoot(bram, "banner-open")
    assert await violations(bram) == []
    await note.get_by_role("button", name="Minder").press("Enter")  # the keyboard does the same
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await expect(toggle).to_be_focused()


async def test_typing_shows_above_the_compose_box_and_a_message_does_not_hide_it(
    console: Console,
) -> None:
    """In a long chat on a small screen "De hulpvrager typt…" shows between the transcript
    and the compose box. A message the visitor sent before typing on (it may arrive just
    after the new "typing") leaves it standing; a message written after the typing began
    ends it; a later "typing" shows it again."""
    bram, visitor = await a_heavy_long_chat(console)
    await bram.set_viewport_size({"width": 1280, "height": 720})
    typing = bram.locator(f"{PANEL} .typing")
    await visitor.call("typing", {"active": True})
    await expect(typing).to_have_text("De hulpvrager typt…")
    line, transcript, compose = (
        await box(bram, ".typing"),
        await box(bram, ".transcript"),
        await box(bram, ".compose"),
    )
    assert transcript["y"] + transcript["height"] <= line["y"]
    assert line["y"] + line["height"] <= compose["y"] <= 720
    await shoot(bram, "typing")

    # written after the typing began: ends it
    await visitor.call("message", {"text": "ik twijfel"})
    await expect(bram.locator(f"{PANEL} .msg.role-visitor").last).to_contain_text("ik twijfel")
    await expect(typing).to_have_text("")

    # sent, and typing on at once: the typing may overtake the message; it stays
    await visitor.client.emit("message", {"text": "wacht"}, namespace="/visitor")
    await visitor.client.emit("typing", {"active": True}, namespace="/visitor")
    await expect(bram.locator(f"{PANEL} .msg.role-visitor").last).to_contain_text("wacht")
    await visitor.settle()
    await expect(typing).to_have_text("De hulpvrager typt…")
    await visitor.call("typing", {"active": False})
    await console.env.advance(1)  # a change within half a second is told by the next sweep
    await expect(typing).to_have_text("")
    await visitor.call("typing", {"active": True})
    await console.env.advance(1)  # ... as is this one: the sweep told "stopped" just now
    await expect(typing).to_have_text("De hulpvrager typt…")


async def settled(transcript: Locator) -> None:
    """Two animation frames: the page has handled the scroll the test just made (a volunteer's
    scroll takes far longer than a frame; the test's own takes none)."""
    await transcript.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


async def test_new_messages_wait_below_while_the_volunteer_reads_back(console: Console) -> None:
    """Following the chat, the newest message is always in view. Scrolled back to read, the
    volunteer stays where they are and a "2 nieuwe berichten" button appears; it brings them
    to the newest message and goes away. axe-core finds nothing while it shows."""
    await console.context.add_init_script(script=AXE.read_text())
    bram, visitor = await a_heavy_long_chat(console)
    await bram.set_viewport_size({"width": 1280, "height": 720})
    transcript = bram.locator(f"{PANEL} .transcript")
    pill = bram.locator(f"{PANEL} .new-messages")

    await visitor.call("message", {"text": "ben je er nog?"})
    await expect(transcript.locator(".msg").last).to_be_in_viewport()
    await expect(pill).to_be_hidden()

    await transcript.evaluate("el => { el.scrollTop = 0; }")
    await expect(transcript.locator(".msg").first).to_be_in_viewport()
    await settled(transcript)
    await visitor.call("message", {"text": "hallo?"})
    await expect(pill).to_have_text("1 nieuw bericht ↓")
    await visitor.call("message", {"text": "hallo??"})
    await expect(pill).to_have_text("2 nieuwe berichten ↓")
    assert await transcript.evaluate("el => el.scrollTop") == 0  # not pulled away
    await expect(transcript.locator(".msg").last).not_to_be_in_viewport()
    await shoot(bram, "new-messages")
    assert await violations(bram) == []

    await pill.focus()
    await pill.press("Enter")
    await expect(transcript.locator(".msg").last).to_be_in_viewport()
    await expect(transcript.locator(".msg").last).to_contain_text("hallo??")
    await expect(pill).to_be_hidden()
    await expect(transcript).to_be_focused()

    # scrolled back, then down again by hand: the button goes, and following resumes
    await transcript.evaluate("el => { el.scrollTop = 0; }")
    await expect(transcript.locator(".msg").first).to_be_in_viewport()
    await settled(transcript)
    await visitor.call("message", {"text": "nog één"})
    await expect(pill).to_be_visible()
    await transcript.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    await expect(pill).to_be_hidden()
    await visitor.call("message", {"text": "en nog één"})
    await expect(transcript.locator(".msg").last).to_contain_text("en nog één")
    await expect(transcript.locator(".msg").last).to_be_in_viewport()
