/* Appointments in the visitor's space (docs/protocol.md §13.3): the agreed next chat with its
 * time, state and volunteer. When its time has come, "Start the chat" hands the link's key to
 * the chat frame in this tab (sessionStorage, same origin: never a URL) and opens it there;
 * the frame's start then asks for the agreed chat. Until then the visitor can move it to
 * another time or cancel it (POST /api/space/appointment/move and /cancel, key in the body). */
import { $, LANG } from "./config.js";
import { t, when, serverNow } from "./words.js";
import { session } from "./session.js";
import { takeKey } from "./space-key.js";
import { post, errorCode } from "./space-api.js";

const HANDED = "helpline-appointment"; // read by the frame's appointment.js
let shown = []; // the appointments as last drawn, updated in place by a move or a cancel
let timer = 0;

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
};
const button = (className, text) => {
  const node = el("button", className, text);
  node.type = "button";
  return node;
};
const inWindow = (a) => Date.parse(a.opens_at) <= serverNow() && serverNow() <= Date.parse(a.closes_at);

function status(text) {
  $("appointment-status").textContent = text;
}

function startChat() {
  try {
    sessionStorage.setItem(HANDED, JSON.stringify({ key: takeKey() }));
  } catch {
    status(t("space_appt_storage"));
    return;
  }
  const line = encodeURIComponent(session.line.id);
  location.assign(`/widget/frame?line=${line}&lang=${encodeURIComponent(LANG)}`);
}

function failure(answer) {
  const code = errorCode(answer);
  if (code === "link_unknown" || code === "rate_limited") {
    location.reload(); // the page itself says what a dead link or too many tries means
    return "";
  }
  const error = (answer.body && answer.body.error) || {};
  if (code === "invalid_payload" && error.reason) return t(`space_appt_error_${error.reason}`, { days: error.days || "" });
  if (code === "invalid_state") return t("space_appt_error_state");
  return t(answer.status ? "space_appt_error_failed" : "space_appt_error_offline");
}

async function change(path, appointment, extra, errorBox) {
  errorBox.textContent = "";
  const answer = await post(path, { key: takeKey(), appointment_id: appointment.id, ...extra });
  if (answer.status === 200 && answer.body && answer.body.ok) {
    const changed = answer.body.appointment;
    shown = shown.map((a) => (a.id === changed.id ? { ...a, ...changed } : a));
    draw();
    status(t(changed.state === "cancelled" ? "space_appt_cancelled" : "space_appt_moved", { when: when(changed.at) }));
    return;
  }
  errorBox.textContent = failure(answer);
}

// "Move": a date and time, the same volunteer
function moveForm(appointment, id) {
  const open = button("", t("space_appt_move"));
  const form = el("form", "appt-move");
  form.id = `${id}-move`;
  form.hidden = true;
  form.noValidate = true;
  open.setAttribute("aria-expanded", "false");
  open.setAttribute("aria-controls", form.id);
  const label = el("label", null, t("space_appt_move_label"));
  label.htmlFor = `${id}-at`;
  const input = el("input");
  input.type = "datetime-local";
  input.id = `${id}-at`;
  input.setAttribute("aria-describedby", `${id}-move-error`);
  const error = el("p", "error");
  error.id = `${id}-move-error`;
  error.setAttribute("role", "alert");
  const send = el("button", "primary", t("space_appt_move_send"));
  send.type = "submit";
  form.append(label, input, error, send);
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) input.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const at = new Date(input.value);
    if (!input.value || Number.isNaN(at.getTime())) {
      error.textContent = t("space_appt_error_choose");
      input.focus();
      return;
    }
    change("/api/space/appointment/move", appointment, { at: at.toISOString() }, error);
  });
  return [open, form];
}

// "Cancel": asked once more, then gone
function cancelConfirm(appointment, id) {
  const open = button("", t("space_appt_cancel"));
  const box = el("div", "confirm");
  box.id = `${id}-cancel`;
  box.hidden = true;
  box.setAttribute("role", "group");
  open.setAttribute("aria-expanded", "false");
  open.setAttribute("aria-controls", box.id);
  const question = el("p", null, t("space_appt_cancel_question"));
  question.id = `${id}-cancel-q`;
  question.tabIndex = -1;
  box.setAttribute("aria-labelledby", question.id);
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  const yes = button("danger", t("space_appt_cancel_yes"));
  const no = button("primary", t("space_appt_cancel_no"));
  const row = el("div", "row");
  row.append(yes, no);
  box.append(question, row, error);
  const toggle = (show) => {
    box.hidden = !show;
    open.setAttribute("aria-expanded", String(show));
    (show ? question : open).focus();
  };
  open.addEventListener("click", () => toggle(box.hidden));
  no.addEventListener("click", () => toggle(false));
  yes.addEventListener("click", () => change("/api/space/appointment/cancel", appointment, {}, error));
  return [open, box];
}

function item(appointment) {
  const li = el("li");
  li.dataset.state = appointment.state;
  const head = el("p", "appt-when");
  const time = el("time", null, when(appointment.at));
  time.dateTime = appointment.at;
  head.append(time, " · ", t(`appointment_${appointment.state}`));
  if (appointment.volunteer) head.append(" · ", t("appointment_with", { alias: appointment.volunteer }));
  li.append(head);
  if (appointment.state !== "booked") return li;
  const id = `appt-${appointment.id}`;
  if (inWindow(appointment)) {
    const start = button("primary appt-start", t("space_appt_start"));
    start.addEventListener("click", startChat);
    li.append(el("p", null, t("space_appt_now")), start);
  } else {
    li.append(el("p", "hint", t("space_appt_later", { when: when(appointment.opens_at) })));
  }
  const actions = el("div", "appt-actions");
  actions.append(...moveForm(appointment, id), ...cancelConfirm(appointment, id));
  li.append(actions);
  return li;
}

// when the next window opens (or one closes), draw again: "Start the chat" appears by itself
function schedule() {
  clearTimeout(timer);
  const now = serverNow();
  const moments = shown
    .filter((a) => a.state === "booked")
    .flatMap((a) => [Date.parse(a.opens_at), Date.parse(a.closes_at) + 1000])
    .filter((ms) => ms > now);
  if (moments.length) timer = setTimeout(draw, Math.min(Math.min(...moments) - now, 2 ** 31 - 1));
}

function draw() {
  const list = $("appointments");
  list.textContent = "";
  for (const appointment of shown) list.append(item(appointment));
  $("appointment").hidden = !shown.length;
  schedule();
}

export function renderAppointments(appointments) {
  shown = (appointments || []).slice();
  draw();
}
