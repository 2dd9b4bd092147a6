/* What a volunteer does in one conversation's panel: write (Enter sends, with a typing
 * indicator), insert a canned response, keep a note, flag a risk, and the action buttons
 * (wrap-up, backup, handover, block; as a reader-along: take over or stop).
 */
import { t, errorText } from "./strings.js";
import { $ } from "./dom.js";
import { call } from "./socket.js";
import { actionStatus, cannedFor, renderFacts } from "./console-panel.js";
import { removeConversation } from "./console-conversations.js";
import { openBackup, openBlock, openHandover, openWrapup } from "./console-dialogs.js";

export function wirePanel(conv) {
  const panel = conv.panel;
  const compose = $(".compose", panel);
  const text = $("textarea", compose);
  let typingTimer = null;
  let typingSent = false;

  const stopTyping = () => {
    window.clearTimeout(typingTimer);
    if (typingSent && conv.mode === "holder") call("typing", { conversation_id: conv.id, active: false });
    typingSent = false;
  };
  text.addEventListener("input", () => {
    if (conv.mode !== "holder" || conv.left) return;
    if (!typingSent) { typingSent = true; call("typing", { conversation_id: conv.id, active: true }); }
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(stopTyping, 4000);
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });
  compose.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = text.value.trim();
    const error = $(".error", compose);
    if (!value) { error.textContent = t("error_empty"); return; }
    error.textContent = "";
    stopTyping();
    const kind = conv.mode === "holder" && !conv.whisperOnly ? "message" : "whisper";
    const data = { conversation_id: conv.id, text: value };
    // the same text sent again after a lost answer keeps its id: the server keeps it once
    if (kind === "message") data.client_id = unsentId(conv, value);
    call(kind, data).then((ack) => {
      if (ack.ok) { conv.unsent = null; text.value = ""; text.focus(); } else { error.textContent = errorText(ack); }
    });
  });

  // canned responses: "Insert" puts the chosen text at the cursor; the volunteer edits and
  // sends it as usual, nothing is ever sent by choosing
  const cannedSelect = $(".canned select", compose);
  $(".canned-insert", compose).addEventListener("click", () => {
    const item = cannedFor(conv).find((c) => c.id === cannedSelect.value);
    if (!item) { cannedSelect.focus(); return; }
    const { selectionStart: start, selectionEnd: end } = text;
    text.focus();
    text.setRangeText(item.text, start, end, "end");
    text.dispatchEvent(new Event("input", { bubbles: true }));
    cannedSelect.value = "";
  });

  const noteForm = $(".note-form", panel);
  noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const area = $("textarea", noteForm);
    const error = $(".error", noteForm);
    if (!area.value.trim()) { error.textContent = t("error_empty"); return; }
    call("note", { conversation_id: conv.id, text: area.value.trim() }).then((ack) => {
      if (ack.ok) { area.value = ""; error.textContent = ""; } else { error.textContent = errorText(ack); }
    });
  });

  $(".flag-form", panel).addEventListener("submit", (event) => {
    event.preventDefault();
    const risk = $("select", event.target).value;
    call("flag", { conversation_id: conv.id, risk }).then((ack) => {
      if (ack.ok) {
        conv.risk = ack.risk;
        renderFacts(conv);
        actionStatus(conv, t("flagged", { risk: t(`risk_${ack.risk}`) }));
      } else {
        actionStatus(conv, errorText(ack));
      }
    });
  });
  $(".act-end", panel).addEventListener("click", () => openWrapup(conv));
  $(".act-backup", panel).addEventListener("click", () => openBackup(conv));
  $(".act-handover", panel).addEventListener("click", () => openHandover(conv));
  $(".act-block", panel).addEventListener("click", () => openBlock(conv));
  $(".act-takeover", panel).addEventListener("click", () => {
    call("takeover", { conversation_id: conv.id }).then((ack) => {
      if (!ack.ok) actionStatus(conv, errorText(ack));
    });
  });
  $(".act-stop", panel).addEventListener("click", () => {
    call("unobserve", { conversation_id: conv.id }).then((ack) => {
      if (ack.ok) removeConversation(conv.id, t("stopped_reading"));
      else actionStatus(conv, errorText(ack));
    });
  });
}

/** The id of the message a volunteer is sending in `conv`, kept while the same text waits
 * for its answer. */
function unsentId(conv, text) {
  if (!conv.unsent || conv.unsent.text !== text) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    conv.unsent = { text, id: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
  }
  return conv.unsent.id;
}
