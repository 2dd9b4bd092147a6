/* The volunteer's conversations as tabs (role=tablist: arrow keys, Home, End), with unread
 * counts and the total in the page title: "(2) Console – Chatdienst". Unread = visitor
 * messages and whispers that arrive while their tab is not shown or the page is hidden.
 */
import { me } from "./config.js";
import { $, showNotice } from "./dom.js";
import { t } from "./strings.js";
import { messageNode, insertInOrder } from "./messages.js";
import {
  buildPanel, renderTab, renderFacts, renderMode, banner, visitorWrote, scrollDown, newBelow,
} from "./console-panel.js";

export const conversations = new Map(); // id -> conversation state, in tab order
export let activeId = null;
const baseTitle = document.title;
let numbered = 0;

export function updateTitle() {
  let unread = 0;
  conversations.forEach((conv) => { unread += conv.unread; });
  document.title = unread ? `(${unread}) ${baseTitle}` : baseTitle;
}

export function selectTab(id, focusTab) {
  activeId = id;
  conversations.forEach((conv, key) => {
    const on = key === id;
    conv.tab.setAttribute("aria-selected", on ? "true" : "false");
    conv.tab.tabIndex = on ? 0 : -1;
    conv.panel.hidden = !on;
    if (on && !document.hidden) { conv.unread = 0; renderTab(conv); }
  });
  $("#empty").hidden = conversations.size > 0;
  if (focusTab && id && conversations.has(id)) conversations.get(id).tab.focus();
  updateTitle();
  if (id && conversations.has(id)) scrollDown(conversations.get(id));
}

$("#tabs").addEventListener("keydown", (event) => {
  const ids = Array.from(conversations.keys());
  const at = ids.indexOf(activeId);
  let next = null;
  if (event.key === "ArrowRight") next = ids[(at + 1) % ids.length];
  else if (event.key === "ArrowLeft") next = ids[(at - 1 + ids.length) % ids.length];
  else if (event.key === "Home") next = ids[0];
  else if (event.key === "End") next = ids[ids.length - 1];
  if (next) { event.preventDefault(); selectTab(next, true); }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && activeId && conversations.has(activeId)) {
    const conv = conversations.get(activeId);
    conv.unread = 0;
    renderTab(conv);
    updateTitle();
  }
});

/** Add or refresh a conversation from the server's description (`assigned`, or the ack of
 * `backup_join`); `mode` is "holder" or "reader". New ones get a tab and a panel. */
export function ensureConversation(data, mode) {
  let conv = conversations.get(data.id);
  const isNew = !conv;
  if (isNew) {
    numbered += 1;
    conv = {
      id: data.id, number: numbered, messages: new Map(), unread: 0, observers: new Map(),
      left: null, mode, typingTimer: null,
    };
    conversations.set(data.id, conv);
    buildPanel(conv, (id) => selectTab(id, false));
  }
  conv.mode = mode;
  conv.stale = false;
  conv.line = data.line;
  conv.lang = data.lang;
  conv.intake = data.intake || {};
  conv.risk = data.risk || conv.risk || "none";
  conv.shared_connection = data.shared_connection || 0;
  conv.started_at = data.started_at;
  conv.assigned_at = data.assigned_at;
  if (data.state === "wrapup" && !conv.left) conv.left = "left";
  for (const message of data.messages || []) addMessage(conv, message, false);
  if (data.handover_note) {
    banner(conv, "handover-note", "info", t("handover_note_banner", { note: data.handover_note }));
  }
  renderFacts(conv);
  renderMode(conv);
  selectTab(activeId && conversations.has(activeId) ? activeId : conv.id, false);
  return { conv, isNew };
}

/** `live`: it arrived now (counts as unread), rather than with the transcript. The
 * transcript follows it, unless the volunteer has scrolled back to read (then the "new
 * messages" button shows); what the volunteer wrote always brings them down. */
export function addMessage(conv, message, live) {
  if (conv.messages.has(message.id)) return;
  conv.messages.set(message.id, message);
  const isNote = message.role === "note";
  const node = messageNode(message, { assignedAt: conv.assigned_at, listItem: isNote });
  insertInOrder(isNote ? conv.notes : conv.transcript, node);
  if (message.role === "visitor") visitorWrote(conv, message);
  const mine = message.author_id === me.id;
  if (live && !mine && (message.role === "visitor" || message.role === "whisper")) {
    if (conv.id !== activeId || document.hidden) { conv.unread += 1; renderTab(conv); updateTitle(); }
  }
  if (isNote) return;
  if (conv.stuck || !live || mine) scrollDown(conv);
  else newBelow(conv);
}

export function removeConversation(id, notice) {
  const conv = conversations.get(id);
  if (!conv) return;
  const hadFocus = conv.panel.contains(document.activeElement) || conv.tab === document.activeElement;
  conv.tab.remove();
  conv.panel.remove();
  conversations.delete(id);
  if (activeId === id) activeId = conversations.size ? Array.from(conversations.keys())[0] : null;
  selectTab(activeId, false);
  if (hadFocus) {
    if (activeId) conversations.get(activeId).tab.focus(); else $("#main").focus();
  }
  if (notice) showNotice(notice);
}
