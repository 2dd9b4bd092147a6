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

/** Visible and spoken (role=status); replaces the previous notice, so nothing piles up. */
export function showNotice(text) {
  $("#notice").textContent = text;
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
