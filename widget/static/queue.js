/* The queue: the visitor's position and wait, other ways to get help after a long wait, and
 * what screen readers hear. The position is visible at all times; screen readers hear a
 * change at most every 30 s, politely, so the announcements never drown out the page. */
import { $ } from "./config.js";
import { t, waitText } from "./words.js";
import { session } from "./session.js";
import { followEnd } from "./layout.js";
import { contacts } from "./panels.js";
import { show, offerLetters } from "./screen.js";

let lastPosition = null;
let lastAnnounce = 0;
let announceTimer = 0;
let pending = "";

function announce(queue) {
  pending = t("queue_announce", {
    position: queue.position,
    wait: waitText(queue.estimated_wait_seconds),
  });
  if (queue.position === lastPosition) return;
  lastPosition = queue.position;
  if (announceTimer) return;
  const due = lastAnnounce + 30000 - Date.now();
  if (due <= 0) speak();
  else announceTimer = setTimeout(speak, due);
}
function speak() {
  announceTimer = 0;
  if (session.state !== "waiting" || session.exiting) return;
  lastAnnounce = Date.now();
  $("queue-announcer").textContent = pending;
}
// a new conversation: its first position is news again
export function forgetPosition() {
  lastPosition = null;
}

// other ways to get help after a long wait, and always the emergency numbers with them
function withEmergency(items) {
  const known = new Set(items.map((item) => item.phone || item.url));
  return items.concat((session.line.emergency || []).filter((item) => !known.has(item.phone || item.url)));
}

export function onQueue(queue) {
  if (!queue || session.state === "ended") return;
  // a place from the stay in the queue that "assigned" ended is out of date (another server
  // may have sent it a moment late); a hand-back to the queue starts a later stay
  if (session.state === "chat" && session.served !== undefined && queue.entered <= session.served) return;
  session.entered = queue.entered;
  session.nobodyOnDuty = Boolean(queue.nobody_on_duty) || queue.estimated_wait_seconds === null;
  if (session.state === "letter" || session.state === "letter-sent") return; // writing instead
  if (session.state !== "waiting") {
    session.alias = null;
    show("waiting");
  }
  $("position").textContent = String(queue.position);
  $("wait").textContent = waitText(queue.estimated_wait_seconds);
  // nobody on duty: say so and show where else to turn at once, with the emergency numbers
  const nobody = Boolean(queue.nobody_on_duty);
  const alternatives = Array.isArray(queue.alternatives) ? queue.alternatives : [];
  const listed = alternatives.length || nobody ? withEmergency(alternatives) : [];
  contacts($("alternatives"), listed);
  $("alternatives-title").textContent = t(nobody ? "alternatives_title_nobody" : "alternatives_title");
  $("alternatives").hidden = $("alternatives-box").hidden = !listed.length;
  offerLetters();
  followEnd();
  announce(queue);
}
