/* A next chat agreed at the end of this one (docs/protocol.md §13.3).
 *
 * The volunteer offers a time: the visitor reads it in their own words ("morgen om 19:00"),
 * chooses whether the volunteer may reread this chat and whether to keep it in their own
 * space, and accepts or says no thanks. After accepting, the link to their space is shown
 * once, with a copy button and plain advice to keep it safe; it stays on the goodbye screen
 * but is never stored by the frame. At the agreed time the space page hands the link's key
 * to this frame through sessionStorage (same origin, same tab), and the frame's start sends
 * it as `appointment`. */
import { $, focus, LANG } from "./config.js";
import { t, when } from "./words.js";
import { session } from "./session.js";
import { toEnd } from "./layout.js";
import { spaceUrl, copyLink } from "./link-copy.js";

const HANDED = "helpline-appointment"; // set by the space page: {"key": "..."}
let offer = null; // {at, alias} while one is shown
let answering = false;

// ------------------------------------------------------------------ the key for a start
export function agreedKey() {
  try {
    const handed = JSON.parse(sessionStorage.getItem(HANDED));
    return handed && typeof handed.key === "string" ? handed.key : null;
  } catch {
    return null;
  }
}
// used (the chat started) or refused: the key leaves the tab's storage
export function dropAgreed() {
  try {
    sessionStorage.removeItem(HANDED);
  } catch {
    /* nothing stored */
  }
  $("intro-agreed").hidden = true;
}
export function markAgreed() {
  $("intro-agreed").hidden = !agreedKey();
}

// ------------------------------------------------------------------ the offer
function showPart(part) {
  $("offer-ask").hidden = part !== "ask";
  $("offer-booked").hidden = part !== "booked";
  $("offer-declined").hidden = part !== "declined";
  $("offer").hidden = false;
}

export function onOffered(data) {
  if (!data || typeof data.at !== "string") return;
  const alias = data.alias || t("volunteer");
  offer = { at: data.at, alias };
  $("offer-title").textContent = t("offer_title", { alias });
  $("offer-text").textContent = t("offer_text", { alias, when: when(data.at) });
  $("offer-share-label").textContent = t("offer_share", { alias });
  $("offer-share").checked = false;
  $("offer-keep").checked = false;
  $("offer-error").textContent = "";
  $("booked-link").value = "";
  showPart("ask");
  toEnd();
}

function accept(event) {
  event.preventDefault();
  const { socket } = session;
  if (!offer || !socket || answering) return;
  answering = true;
  $("offer-accept").setAttribute("aria-busy", "true");
  $("offer-error").textContent = "";
  const choice = { share: $("offer-share").checked, keep: $("offer-keep").checked };
  socket.timeout(8000).emit("appointment_accept", choice, (err, ack) => {
    answering = false;
    $("offer-accept").removeAttribute("aria-busy");
    if (session.exiting) return;
    if (!err && ack && ack.ok) return booked(ack);
    const gone = ack && ack.error && ack.error.code === "invalid_state";
    $("offer-error").textContent = t(gone ? "offer_gone" : "offer_failed");
  });
}

function booked(ack) {
  $("offer-title").textContent = t("booked_title");
  $("booked-when").textContent = t("booked_when", { alias: offer.alias, when: when(ack.at) });
  // the key is in the fragment: a browser never sends it to the server in a request line
  $("booked-link").value = ack.key ? spaceUrl(ack.key, LANG) : "";
  $("booked-link-box").hidden = !ack.key;
  $("booked-same-link").hidden = !!ack.key;
  $("booked-copied").textContent = "";
  showPart("booked");
  focus($("offer-title"));
  toEnd();
}

function decline() {
  const { socket } = session;
  if (!offer || !socket || answering) return;
  answering = true;
  socket.timeout(8000).emit("appointment_decline", {}, (err, ack) => {
    answering = false;
    if (session.exiting) return;
    if (!err && ack && (ack.ok || (ack.error && ack.error.code === "invalid_state"))) {
      offer = null;
      showPart("declined");
      focus($("offer-declined"));
    } else $("offer-error").textContent = t("offer_failed");
  });
}

// a new conversation (restart) or a quick exit: the offer and the link leave the page
export function forgetOffer() {
  offer = null;
  $("waiting-agreed").hidden = true;
  $("booked-link").value = "";
  $("offer").hidden = true;
}

export function watchOffers() {
  $("offer-form").addEventListener("submit", accept);
  $("offer-decline").addEventListener("click", decline);
  $("booked-copy").addEventListener("click", () => copyLink($("booked-link"), $("booked-copied")));
  $("offer-declined").tabIndex = -1;
  markAgreed();
}
