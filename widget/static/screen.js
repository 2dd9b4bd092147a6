/* What is shown: one screen at a time (closed or refused, intro, waiting, chat, goodbye), the
 * header's name and status, a notice above the screen, and the line's status from the server.
 * The closed screen doubles as the refusal screen: every refusal says what happened and what
 * to do next, with the emergency numbers the template puts below it. */
import { $, focus, LINE, LANG } from "./config.js";
import { t, waitText, when } from "./words.js";
import { session } from "./session.js";
import { report } from "./host.js";
import { scrollable, toEnd, followEnd } from "./layout.js";
import { contacts, closeLeave } from "./panels.js";
import { agreedKey } from "./appointment.js";

const VIEWS = {
  closed: ["closed"],
  refused: ["closed"],
  intro: ["intro"],
  waiting: ["waiting", "chat"],
  chat: ["chat"],
  ended: ["chat", "ended"],
  letter: ["letter"],
  "letter-sent": ["letter-sent"],
};
// every refusal: a title, a kind text with what to do next, and whether trying again helps
const REFUSALS = {
  full: ["busy_title", "busy_text", true],
  blocked: ["blocked_title", "blocked_text", false],
  limited: ["limited_title", "limited_text", true],
  offline: ["offline_title", "offline_text", true],
  failed: ["failed_title", "failed_text", true],
  restarting: ["restarting_title", "restarting_text", true],
  unavailable: ["unavailable_title", "unavailable_text", true],
  appointment_early: ["appointment_early_title", "appointment_early_text", false],
  appointment_unknown: ["appointment_unknown_title", "appointment_unknown_text", false],
};
let refusal = null; // why the chat was refused: a key of REFUSALS

export function show(next) {
  const changed = session.state !== next;
  session.state = next;
  const visible = VIEWS[next] || [];
  $("loading").hidden = next !== "loading" && next !== "resuming";
  for (const id of ["closed", "intro", "waiting", "chat", "ended", "letter", "letter-sent"]) {
    $(id).hidden = !visible.includes(id);
  }
  if (next === "ended" && !$("messages").children.length) $("chat").hidden = true;
  $("composer").hidden = next !== "waiting" && next !== "chat";
  const [title, text, retry] = next === "refused" ? REFUSALS[refusal] : ["closed_title", "closed_text", false];
  $("closed-title").textContent = t(title);
  $("closed-text").textContent = t(text);
  $("closed-next").hidden = next !== "closed";
  $("retry").hidden = !retry;
  if (next !== "chat") $("typing").hidden = true;
  if (next !== "waiting" && next !== "chat") closeLeave(false);
  $("leave-question").textContent = t(next === "waiting" ? "leave_question_waiting" : "leave_question_chat");
  header();
  offerLetters();
  report();
  // a new screen opens at its newest line (the chat after the wait, not the old queue box)
  if (changed && scrollable()) toEnd();
  else followEnd();
}

// "Write us a letter instead", where a chat cannot help now and the line takes letters: it
// is closed, too full to queue, or nobody is on duty (before starting, or while waiting)
export function offerLetters() {
  const { line, state } = session;
  const letters = Boolean(line && line.letters);
  const nobody = Boolean(line && line.open && line.estimated_wait_seconds == null);
  const offers = {
    "letter-offer-closed": state === "closed" || (state === "refused" && refusal === "full"),
    "letter-offer-intro": state === "intro" && nobody,
    "letter-offer-waiting": state === "waiting" && session.nobodyOnDuty,
  };
  for (const [id, shown] of Object.entries(offers)) $(id).hidden = !(letters && shown);
  const promise = letters ? t("letter_promise", { hours: line.answer_within_hours }) : "";
  for (const el of document.querySelectorAll(".letter-promise")) el.textContent = promise;
}

export function refuse(kind) {
  refusal = kind;
  show("refused");
  focus($("closed-title"));
}

function header() {
  const { state, line, alias } = session;
  let status;
  if (state === "waiting") status = t("status_in_queue");
  else if (state === "chat") status = t("status_in_chat", { line: line.name });
  else if (state === "ended") status = t("status_ended");
  else if (line.open) {
    const n = line.waiting;
    const people = n === 0 ? "status_waiting_none" : n === 1 ? "status_waiting_one" : "status_waiting_many";
    status = [
      t("status_open"),
      t(people, { n }),
      line.estimated_wait_seconds == null
        ? t("status_nobody_on_duty")
        : t("status_wait", { wait: waitText(line.estimated_wait_seconds) }),
    ].join(" · ");
  } else status = t("status_closed");
  $("line-status").textContent = status;
  $("line-name").textContent = state === "chat" && alias ? alias : line.name;
}

// a notice above the screen; for a lost connection with the numbers that work without it
export function notice(text, withContacts) {
  const box = $("notice");
  box.textContent = "";
  if (!text) return;
  const inner = document.createElement("div");
  inner.className = "notice";
  const p = document.createElement("p");
  p.textContent = text;
  inner.append(p);
  if (withContacts) {
    const list = document.createElement("ul");
    list.className = "contacts";
    contacts(list, session.line.emergency || []);
    inner.append(list);
  }
  box.append(inner);
}

function nextOpen(iso) {
  const sentence = $("closed-next");
  const strong = $("next-open");
  if (!iso) {
    strong.textContent = "";
    sentence.replaceChildren(t("next_open_unknown"), strong);
    return;
  }
  strong.textContent = when(iso);
  const [before, after] = t("next_open").split("{when}");
  sentence.replaceChildren(before, strong, after || "");
}
export function renderLine(data) {
  session.line = data;
  nextOpen(data.next_open);
  // an agreed chat may start while the line is closed: the time was agreed (§13.3)
  const open = data.open || !!agreedKey();
  if (["loading", "intro", "closed"].includes(session.state)) show(open ? "intro" : "closed");
  else {
    header();
    offerLetters();
  }
}
export async function refreshLine() {
  try {
    const url = `/api/lines/${encodeURIComponent(LINE)}?lang=${LANG}`;
    const response = await fetch(url, { cache: "no-store", credentials: "omit" });
    if (response.ok && !session.exiting) renderLine(await response.json());
  } catch {
    /* offline: keep what the page was rendered with */
  }
}
