/* One renderer for a conversation's messages, banners and typing line: the console's
 * transcript and the supervisor's reading-along pane show a message the same way.
 *
 * Visitor and operator text reaches the page only as the server's sanitized `html` (bleach,
 * the one road to HTML); system lines, whispers, notes and names only through textContent.
 */
import { me } from "./config.js";
import { t, has } from "./strings.js";
import { $, el } from "./dom.js";
import { timeOf } from "./time.js";

function whoWrote(message) {
  const mine = message.author_id === me.id;
  const author = mine ? t("role_you") : (message.author || "");
  switch (message.role) {
    case "visitor": return t("role_visitor");
    case "operator": return mine ? t("role_you") : (message.author || t("role_colleague"));
    case "system": return t("role_system");
    case "whisper": return t("role_whisper", { author });
    default: return t("role_note", { author });
  }
}

/** A system line in the console's language, worded for the team from its `code` and
 * `params`; its stored text (the visitor's language) for a code this console does not know
 * and for lines stored before codes were kept. */
function systemText(message) {
  const key = `system_${message.code}`;
  return message.code && has(key) ? t(key, message.params || {}) : message.text;
}

/** Written by the visitor before a volunteer was there (kept, and shown on assignment). */
function whileWaiting(message, assignedAt) {
  return message.role === "visitor" && (!assignedAt || (message.at && message.at < assignedAt));
}

/** A message as a node: who, when, and the text. `assignedAt` (ISO) marks what the visitor
 * wrote while waiting; `listItem` makes it an <li> (the console's list of notes). */
export function messageNode(message, { assignedAt = null, listItem = false } = {}) {
  const item = el(listItem ? "li" : "div", `msg role-${message.role}`);
  item.dataset.role = message.role;
  item.dataset.seq = String(message.seq || 0);
  item.dataset.id = message.id;
  if (message.author_id === me.id) item.classList.add("mine");
  const meta = el("p", "meta");
  meta.appendChild(el("span", "who", whoWrote(message)));
  const time = el("time", "", timeOf(message.at));
  time.dateTime = message.at || "";
  meta.appendChild(time);
  if (whileWaiting(message, assignedAt)) meta.appendChild(el("span", "tag", t("while_waiting")));
  item.appendChild(meta);
  const body = el("div", "body");
  if ((message.role === "visitor" || message.role === "operator") && typeof message.html === "string") {
    body.innerHTML = message.html; // sanitized by the server (bleach), the only HTML we show
    body.querySelectorAll("a").forEach((link) => {
      link.target = "_blank"; // never navigate the console away mid-shift
      link.rel = "noopener noreferrer nofollow";
    });
  } else {
    body.textContent = message.role === "system" ? systemText(message) : message.text;
  }
  item.appendChild(body);
  return item;
}

/** Insert by `seq`, not by arrival: a transcript fetched after a reconnect and the live
 * messages that overtook it end up in the order they were written. */
export function insertInOrder(list, node) {
  const seq = Number(node.dataset.seq);
  let after = null;
  for (let child = list.lastElementChild; child; child = child.previousElementSibling) {
    if (Number(child.dataset.seq) <= seq) { after = child; break; }
  }
  if (after) after.after(node); else list.prepend(node);
}

/** Whether the reader is at the end of a transcript: only then does a new message scroll it,
 * so someone reading back is not pulled away. */
export function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

let bannerCount = 0;

/** A banner shows one line; its toggle appears only when there is more to read. */
const fits = new ResizeObserver((entries) => entries.forEach((entry) => fitBanner(entry.target.parentElement)));

function fitBanner(banner) {
  const text = $(".banner-text", banner);
  const toggle = $(".banner-toggle", banner);
  const open = banner.classList.contains("open");
  // hidden (another tab): no width to measure, the observer calls again once it shows
  if (!open && text.clientWidth === 0) return;
  toggle.hidden = !open && text.scrollWidth <= text.clientWidth;
  toggle.textContent = t(open ? "banner_less" : "banner_more");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
}

function newBanner(key) {
  bannerCount += 1;
  const banner = el("div");
  banner.dataset.key = key;
  const text = el("p", "banner-text");
  text.id = `banner-${bannerCount}`;
  const toggle = el("button", "banner-toggle quiet");
  toggle.type = "button";
  toggle.setAttribute("aria-controls", text.id);
  toggle.hidden = true;
  toggle.addEventListener("click", () => {
    banner.classList.toggle("open");
    fitBanner(banner);
  });
  banner.append(text, toggle);
  fits.observe(text);
  return banner;
}

/** One banner per key in `box`: set, replace or (no text) remove it. Danger and warning
 * banners are alerts for screen readers, the others a status. Each takes one line, so the
 * transcript keeps the height; "More" (aria-expanded) shows the whole text. A quick exit's
 * banner ("… not about you") opens in full: the chat is over, and those words are for the
 * volunteer. */
export function setBanner(box, key, kind, text) {
  const existing = box.querySelector(`[data-key="${key}"]`);
  if (!text) {
    if (existing) { fits.unobserve($(".banner-text", existing)); existing.remove(); }
    return;
  }
  const banner = existing || newBanner(key);
  if (!existing && kind === "safety") banner.classList.add("open");
  banner.classList.remove("info", "warning", "danger", "safety");
  banner.classList.add("banner", kind);
  const line = $(".banner-text", banner);
  line.setAttribute("role", kind === "danger" || kind === "warning" ? "alert" : "status");
  line.textContent = text;
  if (!existing) box.appendChild(banner);
  fitBanner(banner);
}

const TYPING_LAPSE = 30000; // a visitor types on for a while after one "typing: true"

/** "Typing…" under a transcript, from the visitor's `typing` events; it clears itself after
 * 30 s in case the "stopped" is lost. `holder` (a conversation or a pane) keeps the timer and
 * `typingAfter`, the server's `after_seq`: the last message written before the typing began.
 * `root` holds its `.typing` line. */
export function setTyping(holder, root, active, afterSeq) {
  const line = $(".typing", root);
  window.clearTimeout(holder.typingTimer);
  holder.typingAfter = active && typeof afterSeq === "number" ? afterSeq : null;
  line.textContent = active ? t("visitor_typing") : "";
  line.dataset.active = active ? "true" : "false";
  if (active) holder.typingTimer = window.setTimeout(() => setTyping(holder, root, false), TYPING_LAPSE);
}

/** A visitor's message ends the typing line only if it was written after the typing began:
 * one that was already on its way when the visitor typed on (it may arrive after that
 * `typing`) leaves "typing…" standing, since the visitor is still typing. */
export function visitorWrote(holder, root, message) {
  const after = holder.typingAfter;
  if (after === null || after === undefined || Number(message.seq) > after) setTyping(holder, root, false);
}
