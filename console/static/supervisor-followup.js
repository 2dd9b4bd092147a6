/* The follow-up on the supervisor's floor (docs/protocol.md §13.4): letters waiting and
 * overdue per line, the oldest waiting letters, today's agreed chats, and "close link" for a
 * link that leaked or is misused (with a confirmation; the server audits it).
 *
 * Asked for with `followup_overview` when the socket connects, when a line's letters change
 * (`letters_changed`) and every minute (a promise runs out, an agreed time passes, by the
 * clock alone). Counts, aliases and times only: no letter text reaches this page.
 */
import { t, errorText, lineName } from "./strings.js";
import { $, el, button, announce, showNotice } from "./dom.js";
import { dateTimeOf, timeOf } from "./time.js";
import { socket, call } from "./socket.js";

const REFRESH_MS = 60 * 1000;
let refreshTimer = 0;

function refreshSoon() {
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(refresh, 150);
}

function refresh() {
  return call("followup_overview").then((ack) => {
    const status = $("#followup-status");
    if (!ack.ok) { status.textContent = errorText(ack); return; }
    status.textContent = "";
    renderLines(ack.lines);
    renderLetters(ack.letters);
    renderToday(ack.appointments);
    document.body.dataset.followup = ack.at; // for tests and the curious
  });
}

function row(values) {
  const tr = el("tr");
  values.forEach((value, index) => {
    const cell = el(index ? "td" : "th");
    if (!index) cell.scope = "row";
    if (value instanceof Node) cell.appendChild(value); else cell.textContent = value;
    tr.appendChild(cell);
  });
  return tr;
}

function renderLines(lines) {
  const body = $("#followup-lines tbody");
  body.textContent = "";
  for (const line of lines) {
    const tr = row([lineName(line.id), String(line.waiting), "", String(line.untaken)]);
    const overdue = tr.children[2];
    overdue.textContent = line.overdue ? t("followup_overdue_n", { n: line.overdue }) : "0";
    if (line.overdue) overdue.classList.add("attention");
    [1, 2, 3].forEach((i) => tr.children[i].classList.add("num"));
    tr.dataset.line = line.id;
    body.appendChild(tr);
  }
}

function linkCell(open) {
  return el("span", open ? "" : "link-closed", t(open ? "followup_link_open" : "followup_link_closed"));
}

function revokeButton(target, context, open) {
  if (!open) return el("span", "", "–");
  const action = button(t("revoke_action"), "act-revoke", context);
  action.addEventListener("click", () => openRevoke(target, action));
  return action;
}

function renderLetters(letters) {
  const body = $("#followup-letters tbody");
  body.textContent = "";
  $("#no-followup-letters").hidden = letters.length > 0;
  $("#followup-letters").parentElement.hidden = letters.length === 0;
  for (const letter of letters) {
    const due = letter.overdue
      ? t("followup_due_overdue", { time: dateTimeOf(letter.due_at) })
      : dateTimeOf(letter.due_at);
    const context = t("followup_letter_context", {
      line: lineName(letter.line), time: dateTimeOf(letter.waiting_since),
    });
    const tr = row([
      lineName(letter.line), dateTimeOf(letter.waiting_since), due,
      letter.owner || t("floor_nobody"), linkCell(letter.link_open),
      revokeButton({ thread_id: letter.id }, context, letter.link_open),
    ]);
    if (letter.overdue) tr.children[2].classList.add("attention");
    tr.dataset.thread = letter.id;
    body.appendChild(tr);
  }
}

function renderToday(appointments) {
  const body = $("#followup-today tbody");
  body.textContent = "";
  $("#no-followup-today").hidden = appointments.length > 0;
  $("#followup-today").parentElement.hidden = appointments.length === 0;
  for (const item of appointments) {
    const context = t("followup_appointment_context", { line: lineName(item.line), time: timeOf(item.at) });
    const tr = row([
      timeOf(item.at), lineName(item.line), item.operator || t("floor_nobody"),
      t(`appointment_state_${item.state}`), linkCell(item.link_open),
      revokeButton({ appointment_id: item.id }, context, item.link_open),
    ]);
    tr.dataset.appointment = item.id;
    body.appendChild(tr);
  }
}

// ------------------------------------------------------------------ close a link
const revokeDialog = $("#dlg-revoke");
const revokeForm = $("form", revokeDialog);
let revokeTarget = null;
let revokeOpener = null;

function openRevoke(target, opener) {
  revokeTarget = target;
  revokeOpener = opener;
  $(".error", revokeForm).textContent = "";
  revokeDialog.showModal();
}
revokeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const choice = event.submitter ? event.submitter.value : "ok";
  if (choice === "cancel") { revokeDialog.close("cancel"); return; }
  call("link_revoke", revokeTarget).then((ack) => {
    if (!ack.ok) { $(".error", revokeForm).textContent = errorText(ack); return; }
    revokeDialog.close("ok");
    const text = t(ack.revoked ? "revoke_done" : "revoke_already");
    showNotice(text);
    announce(text);
    refresh().then(() => $("#followup-title").focus());
  });
});
revokeDialog.addEventListener("close", () => {
  if (revokeDialog.returnValue === "cancel" && revokeOpener && revokeOpener.isConnected) revokeOpener.focus();
});

export function setupFollowup() {
  $("#followup-title").tabIndex = -1;
  socket.on("connect", refresh);
  if (socket.connected) refresh();
  socket.on("letters_changed", refreshSoon);
  window.setInterval(refresh, REFRESH_MS);
}
