/* Building the page without ever parsing text as HTML: elements get their words through
 * textContent. The one exception, a message's server-sanitized `html`, lives in messages.js.
 */
export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A button with its visible word, plus what it acts on for screen readers
 * ("Observe – Chat, Anna"); without `context` just the word. */
export function button(text, className, context) {
  const node = el("button", className || "");
  node.type = "button";
  node.appendChild(document.createTextNode(text));
  if (context !== undefined) node.appendChild(el("span", "visually-hidden", context ? ` – ${context}` : ""));
  return node;
}

/** A polite announcement for screen readers; cleared first, so the same words are read twice. */
export function announce(text) {
  const box = $("#announcer");
  box.textContent = "";
  window.setTimeout(() => { box.textContent = text; }, 50);
}

export const NOTICE_MS = 8000; // how long a passing notice stays before it fades
const FADE_MS = 600;
let noticeTimer = 0;

function clearNotice(fade) {
  const box = $("#notice");
  window.clearTimeout(noticeTimer);
  if (!fade) { box.textContent = ""; box.classList.remove("fading"); $("#notice-close").hidden = true; return; }
  box.classList.add("fading");
  noticeTimer = window.setTimeout(() => clearNotice(false), FADE_MS);
}

function fadeLater() {
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => clearNotice(true), NOTICE_MS);
}

/** Visible and spoken (role=status); replaces the previous notice, so nothing piles up.
 * `content` is text or a node (a notice with a link). A passing notice ("The conversation
 * was handed over.") fades after a few seconds, unless the pointer or focus is on it; `keep`
 * (an error, a link to follow) stays until the next one. Either can be closed with ×. */
export function showNotice(content, { keep = false } = {}) {
  const box = $("#notice");
  window.clearTimeout(noticeTimer);
  box.classList.remove("fading");
  box.textContent = "";
  if (typeof content === "string") box.textContent = content;
  else if (content) box.appendChild(content);
  box.dataset.keep = keep ? "true" : "false";
  $("#notice-close").hidden = !box.textContent;
  if (box.textContent && !keep) fadeLater();
}

const noticeBar = $(".notice-bar");
if (noticeBar) {
  $("#notice-close").addEventListener("click", () => {
    clearNotice(false);
    $("#main").focus(); // the button is gone: back to the page, not to nowhere
  });
  const hold = () => { window.clearTimeout(noticeTimer); $("#notice").classList.remove("fading"); };
  const resume = () => { if ($("#notice").textContent && $("#notice").dataset.keep !== "true") fadeLater(); };
  noticeBar.addEventListener("mouseenter", hold);
  noticeBar.addEventListener("focusin", hold);
  noticeBar.addEventListener("mouseleave", resume);
  noticeBar.addEventListener("focusout", resume);
}

/** A <template> is cloned once per conversation: its data-id, data-for, data-labelledby and
 * data-describedby become real ids and references with the conversation's suffix, so labels
 * and descriptions stay unique on a page with several conversations. */
export function suffixIds(node, suffix) {
  node.querySelectorAll("[data-id]").forEach((x) => { x.id = x.dataset.id + suffix; });
  node.querySelectorAll("[data-for]").forEach((x) => { x.htmlFor = x.dataset.for + suffix; });
  node.querySelectorAll("[data-labelledby]").forEach((x) => {
    x.setAttribute("aria-labelledby", x.dataset.labelledby + suffix);
  });
  node.querySelectorAll("[data-describedby]").forEach((x) => {
    x.setAttribute("aria-describedby", x.dataset.describedby.split(" ").map((id) => id + suffix).join(" "));
  });
}
