/* A letter instead of a chat, when the chat cannot help now: the line is closed, too full to
 * queue, or nobody is on duty (screen.js offers it). The visitor writes, agrees to the
 * privacy statement and sends (POST /api/letters, docs/protocol.md §13.1); the answer holds
 * the key to their own space, shown here once as a link with "copy" and how to keep it safe.
 * The key is kept nowhere: "done", a reload or the quick exit and it is gone from the frame. */
import { $, focus, LINE, LANG } from "./config.js";
import { t, when } from "./words.js";
import { session } from "./session.js";
import { show, refreshLine } from "./screen.js";
import { clearConversation } from "./messages.js";
import { spaceUrl, copyLink } from "./link-copy.js";

let back = "closed"; // the screen the letter was offered on: "back" returns there
let sending = false;

export function openLetter() {
  back = session.state;
  $("letter-leaves-queue").hidden = back !== "waiting";
  $("letter-error").textContent = "";
  show("letter");
  focus($("letter-title"));
}

export function closeLetter() {
  show(back === "waiting" && !session.token ? "intro" : back);
  const offer = document.querySelector(".letter-offer:not([hidden]) .letter-open");
  focus(offer || $("main"));
}

function invalid(field, error, text) {
  field.setAttribute("aria-invalid", "true");
  $(error).textContent = text;
  field.focus();
}
function clearErrors() {
  for (const id of ["letter-text", "letter-consent"]) $(id).removeAttribute("aria-invalid");
  for (const id of ["letter-text-error", "letter-consent-error", "letter-error"]) $(id).textContent = "";
}

function refusal(status, error) {
  const code = error && error.code;
  if (code === "too_long") return ["letter-text", t("letter_too_long", { limit: error.limit })];
  if (code === "consent_required") return ["letter-consent", t("consent_error")];
  if (code === "rate_limited") return [null, t("letter_limited")];
  if (code === "follow_up_unavailable") return [null, t("letter_unavailable")];
  if (code === "invalid_payload") return ["letter-text", t("letter_empty")];
  return [null, t(status ? "letter_failed" : "letter_offline")];
}

export async function sendLetter(event) {
  if (event) event.preventDefault();
  if (sending) return;
  clearErrors();
  const box = $("letter-text");
  const consent = $("letter-consent");
  if (!box.value.trim()) return invalid(box, "letter-text-error", t("letter_empty"));
  if (!consent.checked) return invalid(consent, "letter-consent-error", t("consent_error"));
  sending = true;
  $("letter-send").setAttribute("aria-busy", "true");
  let status = 0;
  let body = null;
  try {
    const response = await fetch("/api/letters", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      cache: "no-store",
      body: JSON.stringify({ line: LINE, lang: LANG, text: box.value, consent: true }),
    });
    status = response.status;
    body = await response.json();
  } catch {
    /* no connection, or no JSON: said below */
  }
  sending = false;
  $("letter-send").removeAttribute("aria-busy");
  if (session.exiting) return;
  if (!body || !body.ok || !body.key) {
    const [field, text] = refusal(status, body && body.error);
    if (field) return invalid($(field), field === "letter-text" ? "letter-text-error" : "letter-consent-error", text);
    $("letter-error").textContent = text;
    return;
  }
  if (back === "waiting") leaveQueue();
  box.value = "";
  consent.checked = false;
  sent(body.key, body.space);
}

// a letter instead of waiting: the place in the queue is given up, quietly
function leaveQueue() {
  const { socket } = session;
  if (socket) {
    socket.off();
    socket.timeout(3000).emit("leave", {}, () => socket.disconnect());
    session.socket = null;
  }
  clearConversation();
}

function sent(key, space) {
  const url = spaceUrl(key, LANG);
  $("letter-link").value = url;
  $("letter-space").href = url;
  $("letter-copied").textContent = "";
  const thread = space && space.threads && space.threads[0];
  $("letter-due").textContent = thread && thread.due_at ? t("letter_due", { when: when(thread.due_at) }) : "";
  show("letter-sent");
  focus($("letter-sent-title"));
}

export function copyLetterLink() {
  return copyLink($("letter-link"), $("letter-copied"));
}

// the link leaves the frame: it was shown once
export function letterDone() {
  $("letter-link").value = "";
  $("letter-space").href = "/space";
  const { open } = session.line;
  show(open ? "intro" : "closed");
  focus($(open ? "intro-title" : "closed-title"));
  refreshLine();
}
