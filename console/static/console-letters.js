/* Letters beside the chats: the pane a volunteer opens next to their conversations
 * (docs/protocol.md §13.2). The queue of their lines, oldest first, overdue ones marked in
 * words (not by colour alone); their own letters; a thread to read, answer, take or hand to a
 * colleague. The list carries no text: opening a thread is what reads it (and is audited).
 *
 * Letters are the visitor's text: shown only from the server's sanitized `html`; everything
 * else (aliases, notes, labels) only through textContent. `letters_changed` {line} says a
 * list changed; the lists are asked for again, coalesced.
 */
import { config, me } from "./config.js";
import { t, errorText, lineName } from "./strings.js";
import { $, el, announce } from "./dom.js";
import { dateTimeOf } from "./time.js";
import { socket, call } from "./socket.js";

const pane = $("#letters");
const toggle = $("#letters-toggle");
let openId = null; // the thread shown, if any
let openActiveAt = null; // its last activity as shown: a newer one means a new letter
let lastWaiting = -1;
let refreshTimer = 0;

/** Ask for both lists again, once, however many `letters_changed` arrive together. */
function refreshSoon() {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(refresh, 150);
}

function refresh() {
  return call("letters").then((ack) => {
    if (!ack.ok) return;
    renderList($("#letters-queue"), $("#letters-queue-empty"), ack.queue);
    renderList($("#letters-mine"), $("#letters-mine-empty"), ack.mine);
    renderBadge(ack.queue);
    const shown = openId && [...ack.queue, ...ack.mine].find((x) => x.id === openId);
    // the visitor wrote again in the thread being read: offer to show it (reading is
    // audited, so it is not reloaded behind the volunteer's back)
    if (shown && shown.active_at !== openActiveAt) $("#letter-newer").hidden = false;
  });
}

function renderBadge(queue) {
  const waiting = queue.length;
  const overdue = queue.filter((x) => x.overdue).length;
  const count = $("#letters-count");
  count.hidden = !waiting;
  count.textContent = String(waiting);
  const late = $("#letters-overdue");
  late.hidden = !overdue;
  late.textContent = t("letters_overdue_count", { n: overdue });
  toggle.setAttribute("aria-label", t("letters_toggle_label", { n: waiting, overdue }));
  toggle.dataset.waiting = String(waiting);
  if (lastWaiting >= 0 && waiting > lastWaiting) announce(t("letters_new", { n: waiting }));
  lastWaiting = waiting;
}

/** What a thread's row says: line, since when it waits, the promise, who has it. */
function describe(thread) {
  const parts = [];
  if (thread.waiting_since) {
    parts.push(t("letters_waiting_since", { time: dateTimeOf(thread.waiting_since) }));
    parts.push(t(thread.overdue ? "letters_overdue_since" : "letters_due", { time: dateTimeOf(thread.due_at) }));
  } else {
    parts.push(t("letters_answered_at", { time: dateTimeOf(thread.active_at) }));
  }
  if (thread.owned_by_me) parts.push(t("letters_owner_me"));
  else if (thread.owner) parts.push(t("letters_owner", { name: thread.owner }));
  if (!thread.link_open) parts.push(t("letters_link_closed"));
  return parts;
}

function renderList(list, empty, threads) {
  // a list asked for again must not take the keyboard away from the row the volunteer is on
  const focused = list.contains(document.activeElement)
    ? document.activeElement.closest(".letter-item")?.dataset.thread
    : null;
  list.textContent = "";
  empty.hidden = threads.length > 0;
  for (const thread of threads) {
    const item = el("li", `letter-item${thread.overdue ? " overdue" : ""}`);
    item.dataset.thread = thread.id;
    const open = el("button", "letter-open");
    open.type = "button";
    const head = el("span", "letter-line", `${lineName(thread.line)} · ${thread.lang.toUpperCase()}`);
    open.appendChild(head);
    if (thread.overdue) open.appendChild(el("span", "overdue-label", t("letters_overdue")));
    for (const part of describe(thread)) open.appendChild(el("span", "letter-fact", part));
    open.addEventListener("click", () => openThread(thread.id));
    item.appendChild(open);
    list.appendChild(item);
    if (String(thread.id) === focused) open.focus();
  }
}

// ------------------------------------------------------------------ one thread
function letterNode(letter) {
  const item = el("div", `msg role-${letter.role}`);
  item.dataset.seq = String(letter.seq);
  const meta = el("p", "meta");
  const who = letter.role === "visitor" ? t("role_visitor") : (letter.author_alias || t("role_colleague"));
  meta.appendChild(el("span", "who", who));
  const time = el("time", "", dateTimeOf(letter.at));
  time.dateTime = letter.at;
  meta.appendChild(time);
  item.appendChild(meta);
  const body = el("div", "body");
  body.innerHTML = letter.html; // sanitized by the server (bleach), the only HTML we show
  body.querySelectorAll("a").forEach((link) => {
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
  });
  item.appendChild(body);
  return item;
}

function renderFacts(thread) {
  const facts = $("#letter-facts");
  facts.textContent = "";
  const rows = [[t("letters_fact_language"), thread.lang.toUpperCase()]]; // the line is in the title
  if (thread.waiting_since) {
    rows.push([t("letters_fact_due"), `${dateTimeOf(thread.due_at)}${thread.overdue ? ` – ${t("letters_overdue")}` : ""}`]);
  }
  rows.push([t("letters_fact_owner"), thread.owned_by_me ? t("letters_owner_me_short") : (thread.owner || t("letters_nobody"))]);
  if (!thread.link_open) rows.push([t("letters_fact_link"), t("letters_link_closed")]);
  for (const [label, value] of rows) {
    const row = el("div");
    row.appendChild(el("dt", "", label));
    row.appendChild(el("dd", "", value));
    facts.appendChild(row);
  }
  const note = $("#letter-note");
  note.hidden = !thread.note;
  note.textContent = thread.note ? t("letters_note", { note: thread.note }) : "";
  $("#letter-take").hidden = thread.owned_by_me;
  // a colleague's letter is theirs to answer or hand on; a supervisor may step in
  const theirs = thread.owner && !thread.owned_by_me && me.role === "volunteer";
  $("#letter-answer").hidden = theirs;
  const owned = $("#letter-owned");
  owned.hidden = !theirs;
  owned.textContent = theirs ? t("letters_owned_by", { name: thread.owner }) : "";
}

function showLists() {
  openId = null;
  $("#letter-thread").hidden = true;
  $("#letters-lists").hidden = false;
}

function openThread(id) {
  call("letter_open", { thread_id: id }).then((ack) => {
    if (!ack.ok) { $("#letter-status").textContent = errorText(ack); announce(errorText(ack)); return; }
    openId = id;
    openActiveAt = ack.thread.active_at;
    $("#letter-newer").hidden = true;
    $("#letter-thread").dataset.line = ack.thread.line;
    $("#letters-status").textContent = "";
    $("#letters-lists").hidden = true;
    $("#letter-thread").hidden = false;
    $("#letter-title").textContent = t("letters_thread_title", { line: lineName(ack.thread.line) });
    renderFacts(ack.thread);
    const log = $("#letter-log");
    log.textContent = "";
    ack.letters.forEach((letter) => log.appendChild(letterNode(letter)));
    log.scrollTop = log.scrollHeight;
    $("#letter-error").textContent = "";
    $("#letter-status").textContent = "";
    $("#letter-title").focus();
  });
}

function answer() {
  const area = $("#letter-text");
  const text = area.value.trim();
  const error = $("#letter-error");
  if (!text) { error.textContent = t("error_empty"); area.focus(); return; }
  error.textContent = "";
  const id = openId;
  call("letter_answer", { thread_id: id, text: area.value }).then((ack) => {
    if (!ack.ok) { error.textContent = errorText(ack); return; }
    area.value = "";
    $("#letter-log").appendChild(letterNode(ack.letter));
    $("#letter-log").scrollTop = $("#letter-log").scrollHeight;
    $("#letter-status").textContent = t("letter_sent");
    if (ack.thread) { renderFacts(ack.thread); openActiveAt = ack.thread.active_at; }
    refreshSoon();
  });
}

$("#letter-answer").addEventListener("submit", (event) => { event.preventDefault(); answer(); });
$("#letter-text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); answer(); }
});
$("#letter-take").addEventListener("click", () => {
  call("letter_take", { thread_id: openId }).then((ack) => {
    if (!ack.ok) { $("#letter-error").textContent = errorText(ack); return; }
    renderFacts(ack.thread);
    $("#letter-status").textContent = t("letter_taken");
    refreshSoon();
  });
});
$("#letter-newer").addEventListener("click", () => openThread(openId));
$("#letter-back").addEventListener("click", () => {
  const id = openId;
  showLists();
  const row = $(`[data-thread="${id}"] button`, pane);
  (row || $("#letters-heading")).focus();
});

// ------------------------------------------------------------------ hand to a colleague
const handoverDialog = $("#dlg-letter-handover");
const handoverForm = $("form", handoverDialog);

$("#letter-handover").addEventListener("click", () => {
  const select = $("#letter-handover-to");
  select.textContent = "";
  const choose = el("option", "", t("letter_handover_choose"));
  choose.value = "";
  select.appendChild(choose);
  // every colleague of the thread's line, online or not: a letter can wait for tomorrow
  call("letter_colleagues", { thread_id: openId }).then((ack) => {
    for (const colleague of ack.colleagues || []) {
      const label = colleague.online ? colleague.alias
        : t("letter_colleague_offline", { name: colleague.alias });
      const option = el("option", "", label);
      option.value = colleague.id;
      option.dataset.alias = colleague.alias;
      select.appendChild(option);
    }
  });
  $(".error", handoverForm).textContent = "";
  handoverDialog.showModal();
});
handoverForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const choice = event.submitter ? event.submitter.value : "ok";
  if (choice === "cancel") { handoverDialog.close("cancel"); return; }
  const select = $("#letter-handover-to");
  const error = $(".error", handoverForm);
  if (!select.value) { error.textContent = t("letter_handover_choose"); select.focus(); return; }
  const name = select.selectedOptions[0].dataset.alias;
  const note = $("#letter-handover-note").value.trim();
  call("letter_handover", { thread_id: openId, to: select.value, note }).then((ack) => {
    if (!ack.ok) { error.textContent = errorText(ack); return; }
    handoverDialog.close("ok");
    $("#letter-handover-note").value = "";
    showLists();
    $("#letters-heading").focus();
    announce(t("letter_handed_over", { name }));
    $("#letters-status").textContent = t("letter_handed_over", { name });
    refreshSoon();
  });
});

// ------------------------------------------------------------------ the pane
function setOpen(open) {
  pane.hidden = !open;
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
  document.body.classList.toggle("letters-open", open);
  if (open) { refresh(); $("#letters-heading").focus(); }
}
toggle.addEventListener("click", () => setOpen(pane.hidden));
$("#letters-close").addEventListener("click", () => { setOpen(false); toggle.focus(); });
pane.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !handoverDialog.open) { setOpen(false); toggle.focus(); }
});

/** Start: the lists now and on every change of a line this volunteer serves; the overdue
 * marks follow the clock too, so the lists are asked for again every few minutes. */
export function setupLetters() {
  socket.on("connect", refresh);
  if (socket.connected) refresh();
  socket.on("letters_changed", (data) => {
    if (config.letter_lines.includes(data.line)) refreshSoon();
  });
  window.setInterval(refresh, 5 * 60 * 1000);
}
