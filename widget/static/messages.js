/* The conversation as the server tells it: a volunteer answers, messages (also the replay after
 * a reload, in seq order and each once), the typing indicator, and the end. Message markup
 * comes only from the server's sanitized `html` field; `text` is never inserted as markup. */
import { $, focus } from "./config.js";
import { t, clock } from "./words.js";
import { session, save, dropSaved } from "./session.js";
import { report } from "./host.js";
import { readingNewest, toEnd } from "./layout.js";
import { show, notice } from "./screen.js";
import { forgetPosition } from "./queue.js";
import { forgetOffer } from "./appointment.js";

const seen = new Set(); // message ids already shown: a replay or a resend adds nothing

export function onAssigned(data) {
  session.alias = (data && data.operator) || null;
  // the stay in the queue this ended, so a late place from it is not shown (queue.js)
  if (data && typeof data.entered === "number") session.served = data.entered;
  else if (session.entered !== undefined) session.served = session.entered;
  show("chat");
}

export function onMessage(m) {
  if (!m || typeof m.id !== "string" || seen.has(m.id)) return;
  seen.add(m.id);
  if (m.seq > session.maxSeq) {
    session.maxSeq = m.seq;
    save();
  }
  const el = document.createElement("div");
  el.className = "message";
  el.dataset.role = m.role;
  el.dataset.id = m.id;
  el.dataset.seq = String(m.seq);
  const meta = document.createElement("p");
  meta.className = "meta";
  const who =
    m.role === "visitor" ? t("you") : m.role === "operator" ? m.author || session.alias || t("volunteer") : "";
  if (who) {
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who;
    meta.append(name, " ");
  }
  const time = document.createElement("time");
  time.dateTime = m.at;
  time.textContent = clock(new Date(m.at));
  meta.append(time);
  const text = document.createElement("div");
  text.className = "text";
  text.innerHTML = m.html || ""; // sanitized by the server; never `text`
  el.append(meta, text);
  const list = $("messages");
  const later = Array.from(list.children).find((other) => +other.dataset.seq > m.seq);
  list.insertBefore(el, later || null);
  if (m.role === "operator") $("typing").hidden = true;
  if (session.state === "ended") $("chat").hidden = false;
  if (readingNewest() || m.role === "visitor") toEnd();
  if (!session.shown && m.role !== "visitor" && !(m.seq <= session.replayed)) {
    session.unread += 1;
    report();
  }
}

let typingTimer = 0;
export function onTyping(data) {
  const active = !!(data && data.active) && session.state === "chat";
  $("typing").textContent = t("typing", { alias: session.alias || t("volunteer") });
  $("typing").hidden = !active;
  clearTimeout(typingTimer);
  if (active) typingTimer = setTimeout(() => ($("typing").hidden = true), 20000);
}

export function onEnded(data) {
  const ended = data || {};
  if (ended.reason === "forgot") return forgotten();
  const key =
    ended.by === "visitor"
      ? "ended_visitor"
      : ended.by === "operator"
        ? "ended_operator"
        : ended.reason === "disconnected"
          ? "ended_disconnected"
          : "ended_system";
  $("ended-reason").textContent = t(key);
  if (session.state !== "ended") {
    show("ended");
    focus($("ended-title"));
  }
}

// the token, the lines shown and every count go; the next start is a new conversation
export function clearConversation() {
  dropSaved();
  session.token = session.conversationId = session.alias = null;
  session.entered = session.served = undefined;
  session.maxSeq = 0;
  session.unread = 0;
  forgetPosition();
  forgetOffer();
  seen.clear();
  $("messages").textContent = "";
  report();
}
// "delete my conversation" done: what the server erased leaves the screen too
export function forgotten() {
  clearConversation();
  show("ended");
  $("forget-box").hidden = true;
  $("forgotten").hidden = false;
  focus($("forgotten"));
}
// the saved token is no longer valid (the conversation ended too long ago): start afresh
export function expired() {
  clearConversation();
  show(session.line.open ? "intro" : "closed");
  notice(t("resume_expired"));
}
