/* Reading along on the floor: a read-only pane per conversation (the `observe` or
 * `backup_join` ack's transcript merged by `seq` with live `message` events), with a whisper
 * box (Enter sends), Take over (then a link to the console, where the conversation now is)
 * and Stop reading along (`unobserve`).
 */
import { lang } from "./config.js";
import { t, errorText, lineName } from "./strings.js";
import { $, el, showNotice, suffixIds } from "./dom.js";
import { call } from "./socket.js";
import {
  messageNode, insertInOrder, nearBottom, setBanner, setTyping, visitorWrote,
} from "./messages.js";
import { floor, renderConversations, removeAlert, setText } from "./supervisor-floor.js";

export const panes = new Map(); // conversation id -> pane state

/** `event`: "observe" or "backup_join". */
export function startReading(id, event) {
  call(event, { conversation_id: id }).then((ack) => {
    if (!ack.ok) { showNotice(errorText(ack), { keep: true }); return; }
    const pane = ensurePane(ack.conversation, event === "backup_join" ? "backup" : "observer");
    removeAlert(`backup-${id}`);
    renderConversations();
    $(".transcript", pane.node).focus();
  });
}

/** The transcript is not re-sent after a reconnect (§8.1): ask again, merge by id. */
export function readAgain() {
  panes.forEach((pane) => {
    call(pane.kind === "backup" ? "backup_join" : "observe", { conversation_id: pane.id }).then((ack) => {
      if (ack.ok) ensurePane(ack.conversation, pane.kind);
      else removePane(pane.id, t("reading_ended"));
    });
  });
}

function ensurePane(data, kind) {
  let pane = panes.get(data.id);
  if (!pane) {
    const node = $("#pane-template").content.firstElementChild.cloneNode(true);
    const suffix = `-${data.id}`;
    node.id = `pane${suffix}`;
    suffixIds(node, suffix);
    $(".pane-title", node).id = `pane-title${suffix}`;
    node.setAttribute("aria-labelledby", `pane-title${suffix}`);
    $(".transcript", node).setAttribute("aria-label", t("transcript"));
    pane = { id: data.id, node, messages: new Map(), kind, typingTimer: null };
    panes.set(data.id, pane);
    wirePane(pane);
    $("#panes").prepend(node);
    $("#no-observing").hidden = true;
  }
  pane.kind = kind;
  pane.line = data.line;
  pane.risk = data.risk;
  pane.assigned_at = data.assigned_at;
  for (const message of data.messages || []) addMessage(pane, message);
  renderPaneFacts(pane);
  return pane;
}

export function renderPaneFacts(pane) {
  const conv = floor.conversations.find((c) => c.id === pane.id) || {};
  const name = conv.operator || t("floor_nobody");
  setText($(".pane-title", pane.node), t("pane_title", { line: lineName(pane.line), name }));
  const facts = $(".facts", pane.node);
  facts.textContent = "";
  for (const [label, value] of [
    [t("col_state"), conv.state ? t(`conv_state_${conv.state}`) : ""],
    [t("col_risk"), t(`risk_${conv.risk || pane.risk || "none"}`)],
    [t("reading_as"), t(`reading_as_${pane.kind}`)],
  ]) {
    if (!value) continue;
    const box = el("div");
    box.appendChild(el("dt", "", label));
    box.appendChild(el("dd", "", value));
    facts.appendChild(box);
  }
  $(".act-takeover", pane.node).hidden = conv.state !== "active";
}

function paneStatus(pane, text) { $(".pane-status", pane.node).textContent = text; }

function wirePane(pane) {
  const form = $(".whisper-form", pane.node);
  const area = $("textarea", form);
  const error = $(".error", form);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text) { error.textContent = t("error_empty"); return; }
    error.textContent = "";
    call("whisper", { conversation_id: pane.id, text }).then((ack) => {
      if (ack.ok) { area.value = ""; area.focus(); } else error.textContent = errorText(ack);
    });
  });
  $(".act-takeover", pane.node).addEventListener("click", () => {
    call("takeover", { conversation_id: pane.id }).then((ack) => {
      if (!ack.ok) { paneStatus(pane, errorText(ack)); return; }
      removePane(pane.id, null);
      showTookOver();
    });
  });
  $(".act-stop", pane.node).addEventListener("click", () => {
    call("unobserve", { conversation_id: pane.id }).then((ack) => {
      if (ack.ok || ack.error?.code === "forbidden") removePane(pane.id, t("stopped_reading"));
      else paneStatus(pane, errorText(ack));
    });
  });
}

function showTookOver() {
  const words = document.createDocumentFragment();
  words.append(`${t("took_over")} `);
  const link = el("a", "", t("open_console"));
  link.href = `/console?lang=${encodeURIComponent(lang)}`;
  words.appendChild(link);
  showNotice(words, { keep: true }); // the way to the conversation: it stays
  link.focus();
}

export function removePane(id, notice) {
  const pane = panes.get(id);
  if (!pane) return;
  const hadFocus = pane.node.contains(document.activeElement);
  pane.node.remove();
  panes.delete(id);
  $("#no-observing").hidden = panes.size > 0;
  renderConversations();
  if (notice) showNotice(notice);
  if (hadFocus) $("#main").focus();
}

export function addMessage(pane, message) {
  if (pane.messages.has(message.id)) return;
  pane.messages.set(message.id, message);
  const list = $(".transcript", pane.node);
  const atBottom = nearBottom(list);
  insertInOrder(list, messageNode(message, { assignedAt: pane.assigned_at }));
  if (message.role === "visitor") visitorWrote(pane, pane.node, message);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

export function banner(pane, key, kind, text) {
  setBanner($(".banners", pane.node), key, kind, text);
}

export function typing(pane, active, afterSeq) {
  setTyping(pane, pane.node, active, afterSeq);
}

/** The visitor erased the conversation: the pane forgets it too. */
export function forget(pane) {
  $(".transcript", pane.node).textContent = "";
  pane.messages.clear();
}
