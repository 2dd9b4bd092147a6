/* A next chat agreed at the end of one (docs/protocol.md §13.3), the volunteer's side.
 *
 * In a conversation one holds (also in its wrap-up), "Offer a next chat" opens a small dialog:
 * a date and time and a note for a colleague. The visitor's answer shows in the chat. When the
 * visitor opens the agreed chat by their link, its panel says so, with the note and, only if
 * the visitor allowed it, the earlier chat to reread. "My appointments" lists what is ahead.
 */
import { t, errorText, lineName } from "./strings.js";
import { $, el, announce } from "./dom.js";
import { socket, call } from "./socket.js";
import { config, lang } from "./config.js";
import { actionStatus, banner } from "./console-panel.js";
import { conversations } from "./console-conversations.js";

const LOCALE = lang === "nl" ? "nl-NL" : "en-GB";
const LINES = new Set(config.appointment_lines || []);

/** "do 26 nov. 20:00": the day and the time, at a glance. */
function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(LOCALE, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}
/** A Date as the value of <input type="datetime-local">, in this computer's time. */
function localValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
const convFor = (data) => data && conversations.get(data.conversation_id);
function convOf(node) {
  for (const conv of conversations.values()) if (conv.panel.contains(node)) return conv;
  return null;
}

// ------------------------------------------------------------------ offering
const offerBox = document.getElementById("dlg-appointment");
let target = null;

function offerError(ack) {
  const reason = ack?.error?.reason;
  if (ack?.error?.code === "invalid_payload" && reason) {
    return t(`appt_error_${reason}`, { days: ack.error.days || "" });
  }
  return errorText(ack);
}

function openOffer(conv) {
  target = conv;
  const input = $("#appt-at");
  input.min = localValue(new Date());
  $("#appt-at-error").textContent = "";
  input.removeAttribute("aria-invalid");
  $('.error[role="alert"]', offerBox).textContent = "";
  offerBox.showModal();
  input.focus();
}

$("#appt-at").addEventListener("input", () => {
  $("#appt-at").removeAttribute("aria-invalid");
  $("#appt-at-error").textContent = "";
});
$("form", offerBox).addEventListener("submit", (event) => {
  event.preventDefault();
  if (event.submitter && event.submitter.value === "cancel") { offerBox.close("cancel"); return; }
  const conv = target;
  const input = $("#appt-at");
  const error = $('.error[role="alert"]', offerBox);
  error.textContent = "";
  const at = new Date(input.value);
  if (!input.value || Number.isNaN(at.getTime())) {
    input.setAttribute("aria-invalid", "true");
    $("#appt-at-error").textContent = t("appt_error_choose");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  $("#appt-at-error").textContent = "";
  const note = $("#appt-note").value.trim();
  call("appointment_offer", { conversation_id: conv.id, at: at.toISOString(), note }).then((ack) => {
    if (!ack.ok) { error.textContent = offerError(ack); return; }
    offerBox.close("ok");
    input.value = "";
    $("#appt-note").value = "";
    actionStatus(conv, t("appt_offered", { when: when(ack.at) }));
  });
});

// ------------------------------------------------------------------ an agreed chat arrives
function showAgreed(conv, data) {
  const { appointment, earlier } = data;
  const text = appointment.note
    ? t("appt_agreed_note", { when: when(appointment.at), note: appointment.note })
    : t("appt_agreed", { when: when(appointment.at) });
  banner(conv, "appointment", "info", text);
  conv.panel.querySelector(".earlier")?.remove();
  if (!earlier || !earlier.length) return;
  const box = el("details", "earlier");
  box.appendChild(el("summary", "", t("appt_earlier")));
  const list = el("ol", "earlier-list");
  for (const message of earlier) {
    if (message.role === "system") continue;
    const who = message.role === "visitor" ? t("appt_visitor") : message.author || "";
    const item = el("li", `earlier-${message.role}`);
    item.appendChild(el("span", "who", `${who}: `));
    item.appendChild(el("span", "", message.text)); // text, never markup
    list.appendChild(item);
  }
  box.appendChild(list);
  $(".transcript-box", conv.panel).before(box);
}

// ------------------------------------------------------------------ my appointments
const listBox = document.getElementById("dlg-appointments");

function renderList() {
  const list = $("#appt-list");
  const error = $('.error[role="alert"]', listBox);
  error.textContent = "";
  return call("appointments").then((ack) => {
    list.textContent = "";
    if (!ack.ok) { error.textContent = errorText(ack); return; }
    $("#appt-list-empty").hidden = ack.appointments.length > 0;
    for (const item of ack.appointments) {
      const row = el("li", "");
      row.appendChild(el("strong", "", t("appt_mine_item", { when: when(item.at), line: lineName(item.line) })));
      if (item.note) row.appendChild(el("p", "hint", item.note));
      list.appendChild(row);
    }
  });
}

export function watchAppointments() {
  document.getElementById("panels").addEventListener("click", (event) => {
    const button = event.target.closest(".act-appointment");
    const conv = button && convOf(button);
    if (conv) openOffer(conv);
  });
  document.getElementById("my-appointments")?.addEventListener("click", () => {
    renderList().then(() => listBox.showModal());
  });
  socket.on("assigned", (data) => {
    const conv = conversations.get(data.conversation.id);
    if (!conv) return;
    $(".act-appointment", conv.panel).hidden = !LINES.has(conv.line);
    if (data.appointment) showAgreed(conv, data);
  });
  socket.on("appointment_booked", (data) => {
    const conv = convFor(data);
    const text = t("appt_booked", { when: when(data.at) });
    if (conv) { actionStatus(conv, ""); banner(conv, "appointment", "info", text); }
    announce(text);
  });
  socket.on("appointment_declined", (data) => {
    const conv = convFor(data);
    const text = t("appt_declined", { when: when(data.at) });
    if (conv) { actionStatus(conv, ""); banner(conv, "appointment", "info", text); }
    announce(text);
  });
  socket.on("appointment_changed", (data) => {
    if (data.state === "cancelled") announce(t("appt_cancelled", { when: when(data.at) }));
    if (listBox.open) renderList();
  });
}
