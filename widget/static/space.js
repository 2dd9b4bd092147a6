/* The visitor's own space behind a link (GET /space, docs/protocol.md §13.1): letters and
 * answers, writing back, a new letter, kept transcripts, self-help, a new link, "forget me".
 * The key comes from the fragment and stays in this tab (space-key.js); every request
 * carries it in a JSON body (space-api.js). A link that opens nothing shows a kind page with
 * the numbers and where to start again. Reuses the chat frame's words, help panel and keys. */
import { $, cfg, LANG } from "./config.js";
import { t } from "./words.js";
import { session } from "./session.js";
import { openHelp, closeHelp } from "./panels.js";
import { watchViewport } from "./layout.js";
import { watchShortcuts } from "./quick-exit.js";
import { spaceUrl, copyLink } from "./link-copy.js";
import { takeKey, saveKey, dropKey } from "./space-key.js";
import { post, errorCode } from "./space-api.js";
import { renderSpace } from "./space-render.js";

let key = takeKey();
const SCREENS = ["loading", "unknown", "limited", "space", "forgotten-space"];
const RETRY = $("space-retry");

function screen(id, heading) {
  for (const other of SCREENS) $(other).hidden = other !== id;
  RETRY.hidden = true;
  if (heading) $(heading).focus();
}
function notice(text) {
  $("notice").textContent = "";
  if (!text) return;
  const p = document.createElement("p");
  p.className = "notice";
  p.textContent = text;
  $("notice").append(p);
}

// what every key'd route may answer: a dead link, or too many wrong links from here
function failed(answer) {
  const code = errorCode(answer);
  if (code === "link_unknown") {
    dropKey();
    key = "";
    screen("unknown", "unknown-title");
    return true;
  }
  if (code === "rate_limited") {
    screen("limited", "limited-title");
    return true;
  }
  return false;
}

function show(space) {
  renderSpace(space, reply);
  screen("space");
}

async function load() {
  if (!key) return screen("unknown", "unknown-title");
  RETRY.hidden = true;
  $("loading").textContent = t("loading");
  const answer = await post("/api/space", { key, lang: LANG });
  if (answer.status === 200 && answer.body && answer.body.ok) {
    const { space } = answer.body;
    // without ?lang= the space's own language, as the visitor wrote in it
    if (!cfg.lang_chosen && space.lang !== LANG) return location.replace(`/space?lang=${space.lang}`);
    show(space);
    $("letters-title").focus();
    return;
  }
  if (failed(answer)) return;
  screen("loading");
  $("loading").textContent = t(answer.status ? "space_failed" : "space_offline");
  RETRY.hidden = false;
}

function letterError(answer) {
  const code = errorCode(answer);
  if (code === "too_long") return t("letter_too_long", { limit: answer.body.error.limit });
  if (code === "invalid_payload") return t("letter_empty");
  if (code === "rate_limited") return t("letter_limited");
  if (code === "follow_up_unavailable") return t("letter_unavailable");
  return t(answer.status ? "letter_failed" : "letter_offline");
}

let writing = false;
async function write(box, error, button, threadId) {
  if (writing) return;
  error.textContent = "";
  box.removeAttribute("aria-invalid");
  if (!box.value.trim()) {
    box.setAttribute("aria-invalid", "true");
    error.textContent = t("letter_empty");
    return box.focus();
  }
  writing = true;
  button.setAttribute("aria-busy", "true");
  const body = { key, lang: LANG, text: box.value };
  if (threadId) body.thread_id = threadId;
  const answer = await post("/api/space/letters", body);
  writing = false;
  button.removeAttribute("aria-busy");
  if (answer.status === 201 && answer.body && answer.body.ok) {
    box.value = "";
    show(answer.body.space);
    notice(t("space_letter_sent"));
    $("letters-title").focus();
    return;
  }
  if (errorCode(answer) === "link_unknown") return failed(answer);
  box.setAttribute("aria-invalid", "true");
  error.textContent = letterError(answer);
}
function reply(threadId, box, error, button) {
  return write(box, error, button, threadId);
}

async function replace() {
  $("replace-error").textContent = "";
  $("replace").setAttribute("aria-busy", "true");
  const answer = await post("/api/space/key", { key });
  $("replace").removeAttribute("aria-busy");
  if (answer.status === 200 && answer.body && answer.body.key) {
    key = answer.body.key;
    saveKey(key);
    $("new-link-input").value = spaceUrl(key, LANG);
    $("new-link-copied").textContent = "";
    $("new-link").hidden = false;
    $("new-link-title").focus();
    return;
  }
  if (!failed(answer)) $("replace-error").textContent = t(answer.status ? "space_failed" : "space_offline");
}

function forgetOpen(open) {
  $("forget-confirm").hidden = !open;
  $("forget-open").hidden = open;
  $("forget-open").setAttribute("aria-expanded", String(open));
  (open ? $("forget-question") : $("forget-open")).focus();
}
async function forget() {
  $("forget-failed").textContent = "";
  $("forget-yes").setAttribute("aria-busy", "true");
  const answer = await post("/api/space/forget", { key });
  $("forget-yes").removeAttribute("aria-busy");
  if (answer.status === 200 && answer.body && answer.body.ok) {
    dropKey();
    key = "";
    $("threads").textContent = "";
    $("transcript-list").textContent = "";
    $("new-link-input").value = "";
    screen("forgotten-space", "forgotten-title");
    return;
  }
  if (!failed(answer)) $("forget-failed").textContent = t(answer.status ? "space_failed" : "space_offline");
}

// the quick exit: the key and the page go first, then the tab goes where Back cannot return
function quickExit() {
  if (session.exiting) return;
  session.exiting = true;
  const url = (session.line && session.line.exit_url) || cfg.status.exit_url;
  dropKey();
  key = "";
  try {
    sessionStorage.clear();
  } catch {
    /* nothing stored */
  }
  document.title = "";
  document.body.replaceChildren();
  location.replace(url);
}

watchViewport();
watchShortcuts(quickExit);
$("quick-exit").addEventListener("click", quickExit);
$("help-toggle").addEventListener("click", () => ($("help").hidden ? openHelp() : closeHelp(true)));
$("help-close").addEventListener("click", () => closeHelp(true));
$("new-letter-form").addEventListener("submit", (e) => {
  e.preventDefault();
  write($("new-letter-text"), $("new-letter-error"), $("new-letter-send"), null);
});
$("replace").addEventListener("click", replace);
RETRY.addEventListener("click", load);
$("new-link-copy").addEventListener("click", () => copyLink($("new-link-input"), $("new-link-copied")));
$("forget-open").addEventListener("click", () => forgetOpen(true));
$("forget-no").addEventListener("click", () => forgetOpen(false));
$("forget-yes").addEventListener("click", forget);
load();
