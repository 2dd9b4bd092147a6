/* The operator console: one evening shift of chats over the /operator namespace.
 *
 * No framework: the page is rendered by the server, these modules keep it in step with the
 * socket. Visitor and operator text is shown from the server's sanitized `html`; everything
 * else (system lines, notes, whispers, names, config labels) only ever through textContent.
 * The wire contract is docs/protocol.md, section 8. This module is the page's entry: the
 * status switch, backup alerts, and what each server event does.
 */
import { t, errorText, lineName } from "./strings.js";
import { $, el, announce } from "./dom.js";
import { socket, call, keepConnected } from "./socket.js";
import { alerts, showBroadcast, listenForBroadcasts } from "./alerts.js";
import { config } from "./config.js";
import {
  actionStatus, banner, typing, renderFacts, renderMode, renderObserved,
} from "./console-panel.js";
import {
  conversations, ensureConversation, addMessage, removeConversation, selectTab,
} from "./console-conversations.js";
import { wirePanel } from "./console-actions.js";
import { offerReceived, offerWithdrawn } from "./console-dialogs.js";
import { watchAppointments } from "./console-appointments.js";

const ALERTED = "console.alerted"; // conversations already announced, survives a reload
const { notify, setup: setupAlertsButton } = alerts([[660, 0], [880, 0.18]]);
let everConnected = false;
let staleTimer = null;

function alerted() {
  try { return JSON.parse(sessionStorage.getItem(ALERTED) || "[]"); } catch (e) { return []; }
}
function markAlerted(id) {
  try {
    const seen = alerted().slice(-50);
    seen.push(id);
    sessionStorage.setItem(ALERTED, JSON.stringify(seen));
  } catch (e) { /* private mode: alerts may repeat after a reload, nothing worse */ }
}

// A chat's first live messages can overtake the event that brings the chat: with several
// server nodes, `assigned` and messages travel different ways. Kept here (a few, briefly)
// and shown when the chat arrives; one shown already is skipped by its id.
const early = new Map(); // conversation id -> messages
function keepEarly(message) {
  const kept = early.get(message.conversation_id) || [];
  early.delete(message.conversation_id);
  early.set(message.conversation_id, kept.concat(message).slice(-100));
  if (early.size > 20) early.delete(early.keys().next().value);
}

/** A conversation from the server, on the page and wired up; see ensureConversation. */
function open(data, mode) {
  const made = ensureConversation(data, mode);
  if (made.isNew) wirePanel(made.conv);
  (early.get(made.conv.id) || []).forEach((message) => addMessage(made.conv, message, true));
  early.delete(made.conv.id);
  return made;
}

// ------------------------------------------------------------------ status switch
const statusRadios = Array.from(document.querySelectorAll("#status-switch input"));

function showStatus(status) {
  statusRadios.forEach((radio) => { radio.checked = radio.value === status.state; });
  let text = t("status_text", {
    state: t(`state_${status.state}`), load: status.load, capacity: status.capacity,
  });
  if (status.reason === "debrief") text += ` ${t("status_debrief")}`;
  $("#status-text").textContent = text;
  $("#empty").textContent = t(status.state === "available" ? "no_conversations_available" : "no_conversations");
  document.body.dataset.state = status.state;
}
statusRadios.forEach((radio) => {
  radio.addEventListener("change", () => {
    if (!radio.checked) return;
    call("status", { state: radio.value }).then((ack) => {
      if (!ack.ok) $("#status-text").textContent = errorText(ack);
    });
  });
});

// ------------------------------------------------------------------ backup alerts
function toggleBackupAlerts() { $("#backup-alerts").hidden = !$("#backup-list").children.length; }

function addBackupAlert(request) {
  const list = $("#backup-list");
  list.querySelector(`[data-conversation="${request.conversation_id}"]`)?.remove();
  const item = el("li", "backup-alert");
  item.dataset.conversation = request.conversation_id;
  const text = t(request.escalated ? "backup_alert_escalated" : "backup_alert", {
    name: request.operator, line: lineName(request.line),
  });
  item.appendChild(el("p", "", text));
  if (request.reason) item.appendChild(el("p", "reason", t("backup_alert_reason", { reason: request.reason })));
  const join = el("button", "primary", t("backup_join"));
  join.type = "button";
  join.addEventListener("click", () => {
    call("backup_join", { conversation_id: request.conversation_id }).then((ack) => {
      if (ack.ok) {
        item.remove();
        toggleBackupAlerts();
        selectTab(open(ack.conversation, "reader").conv.id, true);
      } else {
        item.appendChild(el("p", "error", errorText(ack)));
      }
    });
  });
  item.appendChild(join);
  list.appendChild(item);
  toggleBackupAlerts();
}
function removeBackupAlert(conversationId) {
  $(`#backup-list [data-conversation="${conversationId}"]`)?.remove();
  toggleBackupAlerts();
}

// ------------------------------------------------------------------ server events
const convFor = (data) => data && conversations.get(data.conversation_id);

keepConnected({
  lost: t("connection_lost"),
  onConnect() {
    statusRadios.forEach((radio) => { radio.disabled = false; });
    if (everConnected) {
      // the server re-sends every conversation that is still ours: what it leaves out was
      // released while we were away (docs/protocol.md §8.1)
      conversations.forEach((conv) => { if (conv.mode === "holder") conv.stale = true; });
      window.clearTimeout(staleTimer);
      staleTimer = window.setTimeout(() => {
        conversations.forEach((conv) => { if (conv.stale) removeConversation(conv.id, t("released_disconnected")); });
      }, 3000);
    }
    everConnected = true;
  },
  onDisconnect() {
    statusRadios.forEach((radio) => { radio.disabled = true; });
  },
});

socket.on("status", showStatus);

socket.on("assigned", (data) => {
  const { conv, isNew } = open(data.conversation, "holder");
  if (isNew && !alerted().includes(conv.id)) {
    markAlerted(conv.id);
    const line = lineName(conv.line);
    notify(t("notify_new_title"), t("notify_new_body", { line }), `new-${conv.id}`);
    announce(t("new_conversation", { n: conv.number, line }));
  }
});

socket.on("message", (message) => {
  const conv = convFor(message);
  if (conv) addMessage(conv, message, true);
  else if (message && typeof message.conversation_id === "string") keepEarly(message);
});

socket.on("typing", (data) => {
  const conv = convFor(data);
  if (conv) typing(conv, !!data.active, data.after_seq);
});

socket.on("visitor_connection", (data) => {
  const conv = convFor(data);
  if (!conv || conv.left) return;
  if (!data.connected) typing(conv, false); // a "stopped" will not come through
  banner(conv, "connection", "warning", data.connected ? "" : t("visitor_dropped"));
});

socket.on("visitor_left", (data) => {
  const conv = convFor(data);
  if (!conv) return;
  conv.left = data.reason;
  typing(conv, false);
  banner(conv, "connection", "", "");
  banner(conv, "left", data.reason === "quick_exit" ? "safety" : "warning", t(`left_${data.reason}`));
  if (data.reason === "forgot") {
    conv.transcript.textContent = "";
    conv.notes.textContent = "";
    conv.messages.clear();
  }
  renderMode(conv);
  announce(t(`left_${data.reason}`));
});

socket.on("released", (data) => {
  removeBackupAlert(data.conversation_id);
  removeConversation(data.conversation_id, t(`released_${data.reason}`));
});

socket.on("handover_offered", (data) => {
  notify(t("notify_offer_title"), t("offer_text", { name: data.from }), `offer-${data.conversation_id}`);
  offerReceived(data);
});
socket.on("handover_withdrawn", (data) => offerWithdrawn(data.conversation_id));
socket.on("handover_declined", (data) => {
  const conv = convFor(data);
  if (conv) banner(conv, "handover", "info", t(`handover_declined_${data.reason}`, { name: data.by }));
});

socket.on("observed", (data) => {
  const conv = convFor(data);
  if (!conv) return;
  if (data.active) conv.observers.set(data.by, data.kind || "observer");
  else conv.observers.delete(data.by);
  renderObserved(conv);
  // "Backup requested…" is answered: say who came
  if (data.active && data.kind === "backup") actionStatus(conv, t("backup_joined", { name: data.by }));
});

// the risk went up (by anyone here): the facts and the wrap-up follow at once
socket.on("risk_changed", (data) => {
  const conv = convFor(data);
  if (!conv) return;
  conv.risk = data.risk;
  renderFacts(conv);
  actionStatus(conv, t("risk_changed", { name: data.by, risk: t(`risk_${data.risk}`) }));
});

socket.on("backup_requested", (data) => {
  addBackupAlert(data);
  const text = t("backup_alert", { name: data.operator, line: config.lines[data.line] || "" });
  notify(t("notify_backup_title"), text, `backup-${data.conversation_id}`);
  announce(text);
});
socket.on("backup_answered", (data) => removeBackupAlert(data.conversation_id));

socket.on("emergency_procedure", (data) => {
  const conv = convFor(data);
  if (conv) banner(conv, "emergency", "danger", t("emergency_banner", { text: data.text }));
});
socket.on("risk_alert", (data) => {
  showBroadcast(t("risk_alert", { name: data.by, line: lineName(data.line) }), null, "danger");
});
listenForBroadcasts();
watchAppointments(); // after "assigned" above: an agreed chat's panel exists by then

// ------------------------------------------------------------------ page life
setupAlertsButton();
// letters only where this volunteer serves a line that takes them: loaded on demand, so a
// console without them runs no code for a pane it does not have
if (config.letter_lines.length) import("./console-letters.js").then((letters) => letters.setupLetters());
selectTab(null, false);
