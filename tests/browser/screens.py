"""What the visitor's screen looks like: phone sizes, screenshots, and boxes that must fit;
and the few steps every screen test takes (start a chat, a volunteer answers, says, ends).

Screenshots are written to ``tests/artifacts/widget/`` (ignored by git) for a person to look
at; the assertions measure what the visitor would notice (in view, not clipped, big enough).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Frame, FrameLocator, Page, expect

from tests.browser.conftest import Site
from tests.e2e.conftest import Peer

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "widget"
PHONE = {"width": 320, "height": 640}  # the smallest phone still in use, and 200% zoom
LARGE_PHONE = {"width": 390, "height": 844}
SIZES = {"320x640": PHONE, "390x844": LARGE_PHONE}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the lines' time zone in the test configuration
EVENING_NUMBERS = ("112", "0800-0113")  # the evening line's emergency contacts (test.toml)

# Everything rendered inside `selector` that sticks out of the frame sideways, or hides part
# of its content behind overflow: what a visitor on a narrow phone would not be able to read.
CLIPPED = """(selector) => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.querySelectorAll(`${selector}, ${selector} *`)) {
    if (!el.getClientRects().length || el.closest(".visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    const name = `${el.tagName.toLowerCase()}#${el.id} "${el.textContent.trim().slice(0, 30)}"`;
    if (box.left < -0.5 || box.right > width + 0.5) found.push(`${name} ${box.left}..${box.right}`);
    const style = getComputedStyle(el);
    if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name} scrolls sideways`);
    }
    if (style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth) {
      found.push(`${name} is cut off`);
    }
  }
  return {width, found};
}"""


async def shot(page: Page, name: str) -> None:
    """A screenshot of the host page with the chat, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def widget(page: Page) -> Frame:
    """The chat's frame itself, for measuring inside it."""
    frame = page.frame(url=lambda url: "/widget/frame" in url)
    assert frame is not None
    return frame


async def on_phone(
    site: Site, line: str = "chat", lang: str = "nl", size: dict[str, int] = PHONE
) -> tuple[Page, FrameLocator]:
    """The website on a phone, and the chat opened from its launcher (full screen)."""
    page = await site.open(line, lang)
    await page.set_viewport_size(size)  # type: ignore[arg-type]
    await page.click("#helpline-chat-launcher")
    frame = page.frame_locator("#helpline-chat-frame")
    await expect(frame.locator("#line-name")).to_be_attached()
    await expect(frame.locator("#loading")).to_be_hidden()
    return page, frame


async def clipped(page: Page, selector: str) -> dict[str, Any]:
    result: dict[str, Any] = await widget(page).evaluate(CLIPPED, selector)
    return result


async def box(page: Page, selector: str) -> dict[str, float]:
    """An element's box inside the frame, in CSS pixels."""
    found: dict[str, float] = await widget(page).evaluate(
        """(s) => { const b = document.querySelector(s).getBoundingClientRect();
        return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, height: b.height}; }""",
        selector,
    )
    return found


async def start(frame: FrameLocator) -> None:
    """The visitor ticks consent and starts; the queue screen shows."""
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#waiting")).to_be_visible()


async def with_volunteer(site: Site, frame: FrameLocator) -> tuple[Peer, str]:
    """A volunteer takes the waiting visitor; the chat shows the conversation."""
    volunteer = await site.env.operator("anna", alias="Anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await expect(frame.locator("#chat")).to_be_visible()
    await expect(frame.locator("#waiting")).to_be_hidden()
    return volunteer, conversation


async def say(volunteer: Peer, conversation: str, text: str) -> None:
    ack = await volunteer.call("message", {"conversation_id": conversation, "text": text})
    assert ack["ok"], ack


async def end_by_volunteer(volunteer: Peer, conversation: str) -> None:
    wrapup = {"topics": [], "risk": "none"}
    ack = await volunteer.call("end", {"conversation_id": conversation, "wrapup": wrapup})
    assert ack["ok"], ack
