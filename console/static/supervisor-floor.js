/* The live floor's tables (lines, conversations, who is online), the open backup requests
 * and the floor's alerts, kept in step with the server's `dashboard` snapshots.
 *
 * Rows are kept by id and only their texts change, so a focused button survives the next
 * snapshot. Running times advance in the page between snapshots (the server pushes only on
 * change). What the buttons do is given by supervisor.js (setupFloor), so this module knows
 * nothing of reading along.
 */
import { me } from "./config.js";
import { t, lineName } from "./strings.js";
import { $, el, button, announce } from "./dom.js";
import { clock } from "./time.js";

export let floor = { lines: [], operators: [], conversations: [], backup_requests: [] };
let snapshotAt = 0; // performance.now() when the last dashboard arrived
const actions = {
  observe: () => {}, join: () => {}, hold: () => {}, isReading: () => false, afterRender: () => {},
};

/** `hooks`: observe(id), join(id), hold(id), isReading(id), afterRender(). */
export function setupFloor(hooks) {
  Object.assign(actions, hooks);
  window.setInterval(tick, 1000);
}

export function showSnapshot(data) {
  floor = data;
  snapshotAt = performance.now();
  renderLines();
  renderConversations();
  renderOperators();
  renderBackup();
  actions.afterRender();
}

export function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

// ------------------------------------------------------------------ alerts
export function addAlert(key, kind, text, buttons) {
  const list = $("#alert-list");
  list.querySelector(`[data-key="${key}"]`)?.remove();
  const item = el("li", `floor-alert ${kind}`);
  item.dataset.key = key;
  item.appendChild(el("p", "", text));
  const row = el("div", "buttons");
  for (const action of buttons || []) row.appendChild(action);
  const dismiss = button(t("dismiss"), "quiet", text);
  dismiss.addEventListener("click", () => { removeAlert(key); $("#main").focus(); });
  row.appendChild(dismiss);
  item.appendChild(row);
  list.prepend(item);
  toggleAlerts();
  announce(text);
}
export function removeAlert(key) {
  $(`#alert-list [data-key="${key}"]`)?.remove();
  toggleAlerts();
}
function toggleAlerts() { $("#alerts").hidden = !$("#alert-list").children.length; }

// ------------------------------------------------------------------ tables kept in step
/** Reuse each row by key, so focus and state survive the next snapshot. */
function syncRows(tbody, items, keyOf, build, update) {
  const seen = new Set();
  items.forEach((item, index) => {
    const key = keyOf(item);
    seen.add(key);
    let row = tbody.querySelector(`tr[data-key="${key}"]`);
    if (!row) { row = build(item); row.dataset.key = key; }
    update(row, item);
    if (tbody.children[index] !== row) tbody.insertBefore(row, tbody.children[index] || null);
  });
  dropUnseen(tbody, seen);
}
function dropUnseen(parent, seen) {
  for (const node of Array.from(parent.children)) {
    if (!seen.has(node.dataset.key)) {
      if (node.contains(document.activeElement)) $("#main").focus();
      node.remove();
    }
  }
}
function cells(row, count) {
  while (row.children.length < count) row.appendChild(el(row.children.length ? "td" : "th"));
  row.firstElementChild.scope = "row";
  return row.children;
}
/** A time that advances by itself between snapshots (the server sends them only on change). */
function runningCell(node, seconds, running) {
  node.dataset.base = String(seconds === null || seconds === undefined ? "" : seconds);
  node.dataset.run = running ? "1" : "";
  node.classList.add("num");
  renderRunning(node);
}
function renderRunning(node) {
  if (node.dataset.base === "") { setText(node, "–"); return; }
  const extra = node.dataset.run ? (performance.now() - snapshotAt) / 1000 : 0;
  setText(node, clock(Number(node.dataset.base) + extra));
}
function renderWaiting(node) {
  const extra = (performance.now() - snapshotAt) / 1000;
  setText(node, t("backup_waiting", { time: clock(Number(node.dataset.base) + extra) }));
}
function tick() {
  document.querySelectorAll("[data-run='1']").forEach(renderRunning);
  document.querySelectorAll("#backup-requests [data-base]").forEach(renderWaiting);
}

function renderLines() {
  syncRows($("#lines tbody"), floor.lines, (line) => line.id, () => el("tr"), (row, line) => {
    const c = cells(row, 8);
    setText(c[0], lineName(line.id));
    setText(c[1], String(line.waiting));
    c[1].className = `num${line.waiting ? " attention" : ""}`;
    runningCell(c[2], line.waiting ? line.longest_wait_seconds : null, line.waiting > 0);
    [line.available, line.busy, line.paused, line.away, line.active].forEach((n, i) => {
      setText(c[3 + i], String(n));
      c[3 + i].className = "num";
    });
  });
}

function riskLabel(node, risk) {
  const label = node.firstElementChild || node.appendChild(el("span"));
  label.className = `risk-label risk-${risk}`;
  setText(label, t(`risk_${risk}`));
}

/** The line's name, and "several chats from one connection" when the conversation's
 * connection had more chats open at its start than abuse.conversations_per_source. */
function lineCell(node, conv) {
  const name = node.firstElementChild || node.appendChild(el("span"));
  setText(name, lineName(conv.line));
  let hint = name.nextElementSibling;
  if (!hint && conv.shared_connection) hint = node.appendChild(el("span", "shared-hint"));
  if (!hint) return;
  hint.hidden = !conv.shared_connection;
  setText(hint, conv.shared_connection ? t("shared_connection_n", { n: conv.shared_connection }) : "");
}

export function renderConversations() {
  const list = floor.conversations;
  $("#no-conversations").hidden = list.length > 0;
  $("#conversations").parentElement.hidden = list.length === 0;
  syncRows($("#conversations tbody"), list, (conv) => conv.id,
    (conv) => {
      const row = el("tr");
      cells(row, 8);
      const observe = button(t("act_observe"), "act-observe", "");
      observe.addEventListener("click", () => actions.observe(conv.id));
      const hold = button(t("act_hold"), "act-hold quiet", "");
      hold.addEventListener("click", () => actions.hold(conv.id));
      const box = el("div", "row-actions");
      box.appendChild(observe);
      box.appendChild(hold);
      row.children[7].appendChild(box);
      return row;
    },
    (row, conv) => {
      const c = row.children;
      const name = conv.operator || t("floor_nobody");
      const context = t("row_context", { line: lineName(conv.line), name });
      lineCell(c[0], conv);
      setText(c[1], t(`conv_state_${conv.state}`));
      setText(c[2], name);
      runningCell(c[3], conv.waited_seconds, conv.state === "waiting");
      runningCell(c[4], conv.state === "waiting" ? null : conv.duration_seconds, conv.state === "active");
      riskLabel(c[5], conv.risk);
      setText(c[6], conv.watchers.length ? conv.watchers.join(", ") : "–");
      row.className = `risk-row-${conv.risk}`;
      const observe = $(".act-observe", row);
      const reading = actions.isReading(conv.id);
      observe.hidden = conv.operator_id === me.id;
      observe.disabled = reading;
      observe.firstChild.textContent = reading ? t("act_reading") : t("act_observe");
      observe.lastChild.textContent = ` – ${context}`;
      $(".act-hold", row).lastChild.textContent = ` – ${context}`;
    });
}

function renderOperators() {
  const list = floor.operators;
  $("#no-operators").hidden = list.length > 0;
  $("#operators").parentElement.hidden = list.length === 0;
  syncRows($("#operators tbody"), list, (op) => op.id, () => el("tr"), (row, op) => {
    const c = cells(row, 5);
    setText(c[0], op.alias);
    setText(c[1], t(`role_${op.role}`));
    const full = op.state === "available" && op.load >= op.capacity;
    const state = c[2].firstElementChild || c[2].appendChild(el("span"));
    state.className = `state-label state-${full ? "busy" : op.state}`;
    setText(state, full ? t("state_busy") : t(`state_${op.state}`));
    setText(c[3], t("load_of", { load: op.load, capacity: op.capacity }));
    c[3].className = "num";
    runningCell(c[4], op.in_chat_seconds, op.in_chat_seconds !== null);
  });
}

function renderBackup() {
  const list = $("#backup-requests");
  const requests = floor.backup_requests;
  $("#no-backup").hidden = requests.length > 0;
  const seen = new Set();
  for (const request of requests) {
    seen.add(request.conversation_id);
    let item = list.querySelector(`[data-key="${request.conversation_id}"]`);
    if (!item) {
      item = el("li", "backup-item");
      item.dataset.key = request.conversation_id;
      item.appendChild(el("p", "who"));
      item.appendChild(el("p", "reason"));
      item.appendChild(el("p", "waited"));
      const join = button(t("backup_join"), "primary", request.operator);
      join.addEventListener("click", () => actions.join(request.conversation_id));
      item.appendChild(join);
      list.appendChild(item);
    }
    const conv = floor.conversations.find((c) => c.id === request.conversation_id);
    setText($(".who", item), t(request.escalated ? "backup_alert_escalated" : "backup_alert", {
      name: request.operator, line: lineName(conv?.line),
    }));
    const reason = $(".reason", item);
    reason.hidden = !request.reason;
    setText(reason, request.reason ? t("backup_alert_reason", { reason: request.reason }) : "");
    const waited = $(".waited", item);
    waited.dataset.base = String(request.waiting_seconds);
    renderWaiting(waited);
    item.classList.toggle("escalated", !!request.escalated);
  }
  dropUnseen(list, seen);
}
