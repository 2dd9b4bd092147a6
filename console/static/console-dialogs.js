/* The console's dialogs: backup request, handover, block, wrap-up, and a colleague's
 * handover offer. Each is a <dialog> in console.html whose form submits to the server; the
 * dialog stays open with the error when the server refuses, and closes when it agrees.
 */
import { t, errorText, lineName, topicLabel } from "./strings.js";
import { $, el, announce } from "./dom.js";
import { call } from "./socket.js";
import { actionStatus } from "./console-panel.js";
import { conversations, selectTab } from "./console-conversations.js";

/** Wire dialog `id`: `onSubmit(choice, box)` returns an ack (or a promise of one); an ack
 * with `ok: false` shows its error and keeps the dialog open, `null` keeps it open silently. */
function dialog(id, onSubmit) {
  const box = document.getElementById(id);
  const form = $("form", box);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const choice = event.submitter ? event.submitter.value : "ok";
    if (choice === "cancel") { box.close("cancel"); return; }
    const error = $('.error[role="alert"]', form);
    error.textContent = "";
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    Promise.resolve(onSubmit(choice, box)).then((ack) => {
      buttons.forEach((b) => { b.disabled = false; });
      if (ack && ack.ok === false) error.textContent = errorText(ack);
      else if (ack !== null) box.close(choice);
    });
  });
  return box;
}

let target = null; // the conversation a dialog acts on

// ------------------------------------------------------------------ backup request
const backupDialog = dialog("dlg-backup", () => {
  const conv = target;
  return call("backup_request", { conversation_id: conv.id, reason: $("#backup-reason").value.trim() })
    .then((ack) => {
      if (ack.ok) { actionStatus(conv, t("backup_requested_ok")); $("#backup-reason").value = ""; }
      return ack;
    });
});
export function openBackup(conv) { target = conv; backupDialog.showModal(); }

// ------------------------------------------------------------------ handover
const handoverDialog = dialog("dlg-handover", () => {
  const to = $("#handover-to").value;
  const note = $("#handover-note").value.trim();
  const conv = target;
  if (!to) { $("#handover-to").focus(); return { ok: false, error: { code: "handover_choose" } }; }
  return call("handover", { conversation_id: conv.id, to, note }).then((ack) => {
    if (ack.ok) {
      $("#handover-note").value = "";
      if (ack.pending) {
        const option = $("#handover-to").selectedOptions[0];
        actionStatus(conv, t("handover_pending", { name: option ? option.dataset.alias : "" }));
      }
    }
    return ack;
  });
});
export function openHandover(conv) {
  target = conv;
  const select = $("#handover-to");
  select.textContent = "";
  const choose = el("option", "", t("handover_choose"));
  choose.value = ""; // nothing preselected: a stray Enter must not send anyone to the queue
  select.appendChild(choose);
  const queue = el("option", "", t("handover_queue"));
  queue.value = "queue";
  select.appendChild(queue);
  call("colleagues").then((ack) => {
    for (const colleague of ack.colleagues || []) {
      const free = colleague.state === "available" && colleague.load < colleague.capacity;
      const option = el("option", "", t("colleague_option", {
        name: colleague.alias, state: t(`state_${colleague.state}`), load: colleague.load, capacity: colleague.capacity,
      }));
      option.value = colleague.id;
      option.dataset.alias = colleague.alias;
      option.disabled = !free;
      select.appendChild(option);
    }
  });
  handoverDialog.showModal();
}

// ------------------------------------------------------------------ block
const blockDialog = dialog("dlg-block", () => {
  const conv = target;
  return call("block", { conversation_id: conv.id }).then((ack) => {
    if (ack.ok) actionStatus(conv, t("blocked_ok"));
    return ack;
  });
});
export function openBlock(conv) { target = conv; blockDialog.showModal(); }

// ------------------------------------------------------------------ wrap-up
const wrapupDialog = dialog("dlg-wrapup", (choice, box) => {
  const topics = Array.from(box.querySelectorAll('input[name="topic"]:checked'), (x) => x.value);
  const risk = box.querySelector('input[name="wrisk"]:checked');
  $("#wrapup-topics-error").textContent = topics.length ? "" : t("wrapup_need_topic");
  $("#wrapup-risk-error").textContent = risk ? "" : t("wrapup_need_risk");
  $("#wrapup-topics").toggleAttribute("aria-invalid", !topics.length);
  $("#wrapup-risk").toggleAttribute("aria-invalid", !risk);
  if (!topics.length || !risk) {
    box.querySelector(topics.length ? 'input[name="wrisk"]' : 'input[name="topic"]').focus();
    return { ok: false, error: { code: "wrapup_incomplete" } };
  }
  return call("end", { conversation_id: target.id, wrapup: { topics, risk: risk.value } });
});
wrapupDialog.addEventListener("change", (event) => {
  // an answered question loses its error at once, not only at the next submit
  const fieldset = event.target.closest("fieldset");
  if (!fieldset) return;
  fieldset.removeAttribute("aria-invalid");
  $(".error", fieldset).textContent = "";
});
wrapupDialog.addEventListener("close", () => {
  if (wrapupDialog.returnValue !== "cancel") {
    wrapupDialog.querySelectorAll("input").forEach((input) => { input.checked = false; });
    wrapupFor = null;
  }
  $("#wrapup-topics-error").textContent = "";
  $("#wrapup-risk-error").textContent = "";
});
let wrapupFor = null; // what was chosen and cancelled belongs to one conversation only

/** The risk flagged during the chat is chosen already (the volunteer can change it). */
export function openWrapup(conv) {
  if (wrapupFor !== conv.id) wrapupDialog.querySelectorAll("input").forEach((input) => { input.checked = false; });
  wrapupFor = conv.id;
  target = conv;
  $("p", wrapupDialog).textContent = conv.left ? t("wrapup_explain") : t("wrapup_explain_active");
  const flagged = conv.risk && conv.risk !== "none" ? conv.risk : null;
  if (flagged) $(`#wrisk-${flagged}`).checked = true;
  const hint = $("#wrapup-risk-hint");
  hint.hidden = !flagged;
  hint.textContent = flagged ? t("wrapup_risk_flagged", { risk: t(`risk_${flagged}`) }) : "";
  wrapupDialog.showModal();
}

// ------------------------------------------------------------------ a colleague's offer
let offers = []; // handover offers waiting for an answer, oldest first
let offerShown = null;

const offerDialog = dialog("dlg-offer", (choice) => {
  const offer = offerShown;
  if (!offer) return { ok: true };
  const event = choice === "accept" ? "handover_accept" : "handover_decline";
  return call(event, { conversation_id: offer.conversation_id }).then((ack) => {
    if (ack.ok && choice === "accept" && conversations.has(offer.conversation_id)) {
      selectTab(offer.conversation_id, false);
    }
    return ack;
  });
});
offerDialog.addEventListener("cancel", (event) => { event.preventDefault(); }); // answer it
offerDialog.addEventListener("close", () => {
  offerShown = null;
  showNextOffer();
});

function showNextOffer() {
  if (offerShown || !offers.length) return;
  offerShown = offers.shift();
  $("#offer-text").textContent = t("offer_text", { name: offerShown.from });
  const facts = $("#offer-facts");
  facts.textContent = "";
  const topic = offerShown.intake?.topic;
  for (const [label, value] of [
    [t("fact_line"), lineName(offerShown.line)],
    [t("fact_topic"), topic ? topicLabel(topic) : t("not_given")],
    [t("handover_note"), offerShown.note || t("no_note")],
  ]) {
    const box = el("div");
    box.appendChild(el("dt", "", label));
    box.appendChild(el("dd", "", value));
    facts.appendChild(box);
  }
  $(".error", offerDialog).textContent = "";
  offerDialog.showModal();
}

/** `handover_offered`: queued, one dialog at a time. */
export function offerReceived(offer) {
  offers.push(offer);
  showNextOffer();
}

/** `handover_withdrawn`: the colleague took it back (or it timed out) before an answer. */
export function offerWithdrawn(conversationId) {
  offers = offers.filter((offer) => offer.conversation_id !== conversationId);
  if (offerShown && offerShown.conversation_id === conversationId) offerDialog.close("withdrawn");
  announce(t("offer_withdrawn"));
}
