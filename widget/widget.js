/* Helpline chat embed script. Usage:
 *   <script src="https://chat.example.org/widget.js" data-line="LINE" data-lang="nl" async></script>
 * Adds a launcher button; the chat itself runs in an iframe from the chat server, so this page
 * never sees the conversation. Styles are set on our own elements only (CSSOM, so a strict
 * host CSP without 'unsafe-inline' still works). Quick exit: Shift 3x anywhere, or Escape 2x
 * outside form fields and dialogs (widget/README.md says why). */
(() => {
  "use strict";
  // The server fills this in (chatserver/web/widget.py): the default exit address
  // (settings.DEFAULT_EXIT_URL) and the launcher's words (widget/locales), so neither is
  // written down twice and both are here before any request could fail.
  const SERVED = /* filled in by the chat server */ {};
  const d = document;
  const w = window;
  if (w.helplineChatLoaded) return;
  w.helplineChatLoaded = true;
  const script = d.currentScript || d.querySelector('script[src*="widget.js"][data-line]');
  if (!script) return;
  const origin = new URL(script.src, location.href).origin;
  const line = script.getAttribute("data-line") || "";
  let lang = script.getAttribute("data-lang");
  if (lang !== "nl" && lang !== "en") lang = /^en/i.test(navigator.language || "") ? "en" : "nl";
  const words = (SERVED.strings && SERVED.strings[lang]) || {};
  const t = (key, n) => (words[key] || "").replace("{n}", String(n));
  const isWeb = (url) => /^https?:\/\//i.test(url || "");
  let exitUrl = isWeb(SERVED.exit_url) ? SERVED.exit_url : "about:blank";
  // Only "is there a chat going on, open or minimised" is kept on this page (sessionStorage of
  // this tab), so a reload can bring it back; never a token, never a word of the conversation.
  const KEY = `helpline-chat:${line}`;
  let launcher = null;
  let label = null;
  let badge = null;
  let spoken = null;
  let frame = null;
  let leaving = false;
  let unknown = false;
  let chat = { active: false, phase: null, unread: 0 }; // what the frame reports
  const small = w.matchMedia("(max-width: 479.98px)");
  const viewport = w.visualViewport;

  const css = (el, rules) => {
    for (const k of Object.keys(rules)) el.style.setProperty(k, rules[k], "important");
  };
  const hide = () => {
    for (const el of [frame, launcher]) if (el) css(el, { display: "none" });
  };
  function remembered() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch {
      return null;
    }
  }
  function remember() {
    try {
      if (chat.active && frame) {
        sessionStorage.setItem(KEY, JSON.stringify({ open: !frame.hidden, phase: chat.phase }));
      } else sessionStorage.removeItem(KEY);
    } catch {
      /* storage refused: after a reload the launcher just looks new */
    }
  }
  const go = (url) => {
    leaving = true;
    hide();
    chat.active = false;
    remember();
    location.replace(isWeb(url) ? url : exitUrl);
  };

  // the exit address of this line; /api/lines has no CORS, so ask the widget's own route
  fetch(`${origin}/widget/config/${encodeURIComponent(line)}`, {
    credentials: "omit",
    referrerPolicy: "no-referrer",
  })
    .then((r) => {
      if (r.status === 404) {
        unknown = true; // a typo in data-line: offer no chat that cannot work
        if (launcher) launcher.remove();
      }
      return r.ok ? r.json() : null;
    })
    .then((c) => {
      if (c && isWeb(c.exit_url)) exitUrl = c.exit_url;
    })
    .catch(() => {});

  function layout() {
    if (launcher) {
      css(launcher, { display: frame && !frame.hidden && small.matches ? "none" : "block" });
    }
    if (!frame) return;
    const full = small.matches;
    // Full screen on a phone, fitted to the visual viewport: with the on-screen keyboard open
    // only that part is visible, and the frame's composer must stay above the keyboard.
    const fit = full && viewport && viewport.scale === 1;
    css(frame, {
      display: frame.hidden ? "none" : "block",
      top: full ? (fit ? `${Math.round(viewport.offsetTop)}px` : "0") : "auto",
      left: full ? "0" : "auto",
      right: full ? "0" : "16px",
      bottom: full ? "auto" : "84px",
      width: full ? "100%" : "380px",
      height: full ? (fit ? `${Math.round(viewport.height)}px` : "100%") : "600px",
      "max-width": full ? "none" : "calc(100vw - 32px)",
      "max-height": full ? "none" : "calc(100vh - 100px)",
      "border-radius": full ? "0" : "12px",
      border: full ? "0" : "1px solid #8a949b",
    });
  }

  // The launcher says what is going on behind it: a place in the queue, a conversation, and
  // how many messages came in while the chat was minimised (a badge, and in its name).
  function describe() {
    if (!launcher) return;
    let text = t("launcher");
    if (chat.active && chat.phase === "waiting") text = t("launcher_waiting");
    else if (chat.active && chat.phase === "chat") text = t("launcher_chat");
    label.textContent = text;
    const n = chat.unread;
    badge.textContent = n > 99 ? "99+" : String(n);
    css(badge, { display: n ? "inline-block" : "none" });
    // the name is "Terug naar je gesprek (2 nieuwe berichten)": the badge is for the eye only
    spoken.textContent = n ? ` (${t(n === 1 ? "launcher_unread_one" : "launcher_unread_many", n)})` : "";
  }

  function tellFrame(message) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, origin);
  }

  function makeFrame(open) {
    frame = d.createElement("iframe");
    frame.id = "helpline-chat-frame";
    frame.title = t("launcher_frame_title");
    frame.referrerPolicy = "no-referrer";
    frame.allow = "clipboard-write"; // "copy link" after a letter; without it the text is selected
    frame.hidden = !open;
    const query = `line=${encodeURIComponent(line)}&lang=${lang}${open ? "" : "&hidden=1"}`;
    frame.src = `${origin}/widget/frame?${query}`;
    css(frame, {
      position: "fixed",
      "z-index": "2147483000",
      margin: "0",
      padding: "0",
      background: "#fff",
      "box-shadow": "0 8px 28px rgba(0,0,0,.28)",
      "color-scheme": "light",
    });
    d.body.appendChild(frame);
    launcher.setAttribute("aria-controls", frame.id);
  }

  function toggle(open, byHand) {
    if (!frame) {
      makeFrame(open);
      // focus the chat once it is there, but only when the visitor asked for it just now
      if (byHand) frame.addEventListener("load", () => !frame.hidden && frame.focus(), { once: true });
    } else {
      frame.hidden = !open;
      if (open && byHand) frame.focus();
      tellFrame({ type: "helpline:visible", visible: open });
    }
    if (open) chat.unread = 0;
    launcher.setAttribute("aria-expanded", String(open));
    layout();
    describe();
    remember();
    if (!open && byHand) launcher.focus();
  }

  function quickExit() {
    if (leaving) return;
    leaving = true;
    chat.active = false;
    remember();
    if (frame && frame.contentWindow) {
      // the frame ends the chat and answers with helpline:exit; never wait more than 500 ms
      tellFrame({ type: "helpline:quick-exit" });
      hide();
      setTimeout(() => go(exitUrl), 500);
    } else go(exitUrl);
  }

  w.addEventListener("message", (e) => {
    if (e.origin !== origin || !frame || e.source !== frame.contentWindow) return;
    const m = e.data || {};
    if (m.type === "helpline:exit") go(m.url);
    else if (m.type === "helpline:close") toggle(false, true);
    else if (m.type === "helpline:state" && !leaving) {
      chat = {
        active: !!m.active,
        phase: m.phase || (m.active ? chat.phase : null),
        unread: frame.hidden ? Math.max(0, Number(m.unread) || 0) : 0,
      };
      describe();
      remember();
    }
  });

  // GOV.UK "Exit this page": Shift three times within 1.5 s, or Escape twice within 1 s. Not
  // Escape in a form field or a dialog of this page: there it means "clear" or "close".
  const FIELDS = 'input, textarea, select, [contenteditable]:not([contenteditable="false"])';
  const DIALOGS = 'dialog[open], [role="dialog"], [role="alertdialog"], [aria-modal="true"]';
  const inside = (target, selector) => !!(target && target.closest && target.closest(selector));
  let shifts = [];
  let escapes = [];
  w.addEventListener(
    "keydown",
    (e) => {
      if (e.repeat) return;
      const now = Date.now();
      if (e.key === "Shift") {
        escapes = [];
        shifts = shifts.filter((at) => now - at < 1500).concat(now);
        if (shifts.length > 2) quickExit();
      } else if (e.key === "Escape") {
        shifts = [];
        const busy =
          inside(e.target, FIELDS) || inside(e.target, DIALOGS) || d.querySelector("dialog[open]");
        escapes = busy ? [] : escapes.filter((at) => now - at < 1000).concat(now);
        if (escapes.length > 1) quickExit();
      } else {
        shifts = [];
        escapes = [];
      }
    },
    true
  );

  function init() {
    if (unknown) return;
    launcher = d.createElement("button");
    launcher.id = "helpline-chat-launcher";
    launcher.type = "button";
    label = d.createElement("span");
    badge = d.createElement("span");
    badge.setAttribute("aria-hidden", "true");
    spoken = d.createElement("span");
    launcher.append(label, badge, spoken);
    launcher.setAttribute("aria-expanded", "false");
    const font = "600 16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif";
    css(launcher, {
      position: "fixed",
      right: "16px",
      bottom: "16px",
      "z-index": "2147483001",
      margin: "0",
      padding: "10px 20px",
      "min-height": "48px",
      width: "auto",
      height: "auto",
      border: "2px solid #fff",
      "border-radius": "24px",
      background: "#245468",
      color: "#fff",
      font,
      "text-transform": "none",
      "text-shadow": "none",
      "box-shadow": "0 2px 10px rgba(0,0,0,.3)",
      cursor: "pointer",
      outline: "none",
    });
    for (const part of [label, badge]) {
      css(part, { font, color: "inherit", margin: "0", padding: "0", float: "none" });
    }
    css(label, { display: "inline" });
    css(spoken, {
      position: "absolute",
      width: "1px",
      height: "1px",
      margin: "-1px",
      padding: "0",
      overflow: "hidden",
      "clip-path": "inset(50%)",
      "white-space": "nowrap",
      border: "0",
    });
    css(badge, {
      display: "none",
      "min-width": "24px",
      "margin-left": "8px",
      padding: "0 7px",
      "border-radius": "12px",
      background: "#9b2226",
      border: "2px solid #fff",
      "line-height": "20px",
      "font-size": "14px",
      "text-align": "center",
    });
    // a visible focus ring even if the host page removes outlines from buttons
    launcher.addEventListener("focus", () => {
      if (launcher.matches(":focus-visible")) {
        css(launcher, { outline: "3px solid #1b1f23", "outline-offset": "3px" });
      }
    });
    launcher.addEventListener("blur", () => css(launcher, { outline: "none" }));
    launcher.addEventListener("click", () => toggle(!frame || frame.hidden, true));
    d.body.appendChild(launcher);
    // back after a reload: the chat as the visitor left it, open or minimised
    const before = remembered();
    if (before) {
      chat = { active: true, phase: before.phase || null, unread: 0 };
      toggle(!!before.open, false);
    }
    describe();
    layout();
    small.addEventListener("change", layout);
    if (viewport) {
      viewport.addEventListener("resize", layout);
      viewport.addEventListener("scroll", layout);
    }
  }
  if (d.body) init();
  else d.addEventListener("DOMContentLoaded", init);
})();
