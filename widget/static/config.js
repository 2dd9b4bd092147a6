/* What the server rendered into the frame (chatserver/web/widget.py, `frame`): the line, the
 * chat's language, the line's status and every text, read once from the page's JSON block
 * (the CSP allows no inline script). Every other module imports what it needs from here. */
export const $ = (id) => document.getElementById(id);

export const cfg = JSON.parse($("config").textContent);
export const LINE = cfg.line;
export const LANG = cfg.lang;
export const LOCALE = LANG === "en" ? "en-GB" : "nl-NL";
// in a website's iframe, or opened on its own (the host page then gets no messages)
export const EMBEDDED = window.top !== window;

// only while the frame has focus: moving it would otherwise pull the visitor out of the website
export const focus = (el) => {
  if (el && document.hasFocus()) el.focus();
};
