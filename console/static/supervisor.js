/* The supervisor's live floor over the /operator namespace (docs/protocol.md §8.7, §8.8).
 *
 * The server pushes `dashboard` snapshots (coalesced, at most four a second) after `monitor`;
 * supervisor-floor.js keeps the tables in step, supervisor-panes.js the conversations read
 * along. This module is the page's entry: alerts, holds, broadcasts and the server's events.
 *
 * Visitor and operator text is shown from the server's sanitized `html`; everything else
 * (names, reasons, whispers, broadcasts, labels) only through textContent. Alerts carry no
 * chat text: a notification can show on a locked screen or a shared monitor.
 */
import { config } from "./config.js";
import { t, errorText, lineName } from "./strings.js";
import { $, button, showNotice } from "./dom.js";
import { dateOf } from "./time.js";
import { socket, call, keepConnected } from "./socket.js";
import { alerts, listenForBroadcasts } from "./alerts.js";
import {
  floor, setupFloor, showSnapshot, addAlert, removeAlert, renderConversations,
} from "./supervisor-floor.js";
import {
  panes, startReading, readAgain, renderPaneFacts, removePane, addMessage, banner, typing, forget,
} from "./supervisor-panes.js";

const { notify, setup: setupAlertsButton } = alerts([[880, 0], [660, 0.18], [880, 0.36]]);
let everConnected = false;

// ------------------------------------------------------------------ hold
const holdDialog = $("#dlg-hold");
const holdForm = $("form", holdDialog);
let holdTarget = null;

function openHold(id) {
  holdTarget = id;
  $("#hold-reason").value = "";
  $("#hold-days").value = String(config.hold_max_days);
  $(".error", holdForm).textContent = "";
  holdDialog.showModal();
}
holdForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const choice = event.submitter ? event.submitter.value : "ok";
  if (choice === "cancel") { holdDialog.close("cancel"); return; }
  const error = $(".error", holdForm);
  const reason = $("#hold-reason").value.trim();
  const days = Number($("#hold-days").value);
  if (!reason) { error.textContent = t("error_hold_reason"); $("#hold-reason").focus(); return; }
  if (!Number.isInteger(days) || days < 1 || days > config.hold_max_days) {
    error.textContent = t("error_hold_days", { days: config.hold_max_days });
    $("#hold-days").focus();
    return;
  }
  call("hold", { conversation_id: holdTarget, reason, days }).then((ack) => {
    if (!ack.ok) { error.textContent = errorText(ack); return; }
    holdDialog.close("ok");
    showNotice(t("hold_placed", { date: dateOf(ack.expires_at) }));
  });
});

// ------------------------------------------------------------------ broadcast
$("#broadcast-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const area = $("#broadcast-text");
  const error = $("#broadcast-error");
  const text = area.value.trim();
  if (!text) { error.textContent = t("error_empty"); area.focus(); return; }
  error.textContent = "";
  call("broadcast", { text }).then((ack) => {
    if (ack.ok) { area.value = ""; showNotice(t("broadcast_sent")); } else error.textContent = errorText(ack);
  });
});

// ------------------------------------------------------------------ server events
const paneFor = (data) => data && panes.get(data.conversation_id);

setupFloor({
  observe: (id) => startReading(id, "observe"),
  join: (id) => startReading(id, "backup_join"),
  hold: openHold,
  isReading: (id) => panes.has(id),
  afterRender: () => panes.forEach(renderPaneFacts),
});

keepConnected({
  lost: t("floor_connection_lost"),
  onConnect() {
    call("monitor").then((ack) => {
      $("#status-text").textContent = ack.ok ? t("floor_live") : errorText(ack);
    });
    if (everConnected) readAgain();
    everConnected = true;
  },
  onDisconnect() {
    $("#status-text").textContent = t("connecting");
  },
});

socket.on("dashboard", (data) => {
  showSnapshot(data);
  document.body.dataset.updated = String(Date.now()); // for tests and the curious
});

socket.on("message", (message) => {
  const pane = paneFor(message);
  if (pane) addMessage(pane, message);
});
socket.on("typing", (data) => {
  const pane = paneFor(data);
  if (pane) typing(pane, !!data.active, data.after_seq);
});
socket.on("visitor_connection", (data) => {
  const pane = paneFor(data);
  if (!pane) return;
  if (!data.connected) typing(pane, false); // a "stopped" will not come through
  banner(pane, "connection", "warning", data.connected ? "" : t("visitor_dropped"));
});
socket.on("visitor_left", (data) => {
  const pane = paneFor(data);
  if (!pane) return;
  typing(pane, false);
  banner(pane, "connection", "", "");
  banner(pane, "left", data.reason === "quick_exit" ? "safety" : "warning", t(`left_${data.reason}`));
  if (data.reason === "forgot") forget(pane);
});
socket.on("released", (data) => {
  if (panes.has(data.conversation_id)) removePane(data.conversation_id, t("reading_ended"));
});
socket.on("emergency_procedure", (data) => {
  const pane = paneFor(data);
  if (pane) banner(pane, "emergency", "danger", t("emergency_banner", { text: data.text }));
});

// a conversation read along in: its risk went up; the pane and the table follow at once
socket.on("risk_changed", (data) => {
  const pane = paneFor(data);
  if (!pane) return;
  pane.risk = data.risk;
  const row = floor.conversations.find((c) => c.id === data.conversation_id);
  if (row) { row.risk = data.risk; renderConversations(); }
  renderPaneFacts(pane);
});

socket.on("risk_alert", (data) => {
  const key = `risk-${data.conversation_id}`;
  const text = t("risk_alert", { name: data.by, line: lineName(data.line) });
  const observe = button(t("act_observe"), "primary", text);
  observe.addEventListener("click", () => {
    removeAlert(key);
    startReading(data.conversation_id, "observe");
  });
  addAlert(key, "danger", text, panes.has(data.conversation_id) ? [] : [observe]);
  notify(t("notify_risk_title"), text, key);
});
socket.on("backup_requested", (data) => {
  if (!data.escalated) return; // the list shows it; the alert is for nobody answering
  const key = `backup-${data.conversation_id}`;
  const text = t("backup_alert_escalated", { name: data.operator, line: lineName(data.line) });
  const join = button(t("backup_join"), "primary", text);
  join.addEventListener("click", () => startReading(data.conversation_id, "backup_join"));
  addAlert(key, "warning", text, [join]);
  notify(t("notify_backup_title"), text, key);
});
socket.on("backup_answered", (data) => removeAlert(`backup-${data.conversation_id}`));
listenForBroadcasts();

setupAlertsButton();
// the follow-up card only where a line offers letters or agreed chats (loaded on demand)
if (config.followup) import("./supervisor-followup.js").then((followup) => followup.setupFollowup());
