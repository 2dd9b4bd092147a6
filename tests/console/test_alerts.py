"""Alerts for a volunteer whose console is behind another window: a sound, a notification
without any chat text, and the unread count in the page title."""

from __future__ import annotations

from playwright.async_api import expect

from tests.console.conftest import Console

# stand-ins that record what the console asked for: the real ones need a person and speakers
RECORDERS = """
window.__notifications = [];
window.__tones = 0;
window.Notification = class {
  constructor(title, options) { window.__notifications.push({title, body: options.body}); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
  close() {}
};
window.AudioContext = class {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  resume() {}
  createOscillator() {
    window.__tones += 1;
    return {frequency: {}, connect() {}, start() {}, stop() {}};
  }
  createGain() {
    return {gain: {setValueAtTime() {}, exponentialRampToValueAtTime() {}}, connect() {}};
  }
};
document.hasFocus = () => false;
"""


async def test_new_conversation_and_backup_request_alert_with_sound_and_notification(
    console: Console,
) -> None:
    await console.context.add_init_script(script=RECORDERS)
    page = await console.volunteer("bea", "Bea", backup=True)
    await page.get_by_text("Beschikbaar", exact=True).click()  # a gesture: sound allowed
    visitor, _ = await console.env.start()
    await expect(page.get_by_role("tab")).to_have_count(1)
    notifications = await page.evaluate("window.__notifications")
    assert notifications == [
        {"title": "Nieuw gesprek", "body": "Er wacht iemand op je (Chat met ons)."}
    ]
    assert await page.evaluate("window.__tones") == 2  # a two-tone chime

    anna = await console.env.operator("anna", alias="Anna", status="paused")
    colleague_visitor, _ = await console.env.start()
    await anna.call("status", {"state": "available"})
    held = (await anna.next("assigned"))["conversation"]["id"]
    await anna.call("backup_request", {"conversation_id": held, "reason": "zwaar"})
    await expect(page.locator("#backup-alerts")).to_contain_text("Anna vraagt om achterwacht")
    notifications = await page.evaluate("window.__notifications")
    assert notifications[-1] == {
        "title": "Achterwacht gevraagd",
        "body": "Anna vraagt om achterwacht (Chat met ons).",
    }
    assert await page.evaluate("window.__tones") == 4
    assert visitor.client.connected and colleague_visitor.client.connected
