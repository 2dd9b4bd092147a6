/* What the visitor does: start (with consent and the optional intake), send, the typing
 * signal, end after "yes", delete the conversation, start afresh and try again. Each waits
 * for the server's acknowledgement and says kindly what went wrong if it does not come. */
import { $, focus } from "./config.js";
import { t, errorText, when } from "./words.js";
import { session, save } from "./session.js";
import { report } from "./host.js";
import { closeLeave } from "./panels.js";
import { show, refuse, notice, renderLine, refreshLine } from "./screen.js";
import { onEnded, forgotten, clearConversation } from "./messages.js";
import { connect, hasClient } from "./socket.js";
import { agreedKey, dropAgreed } from "./appointment.js";

let attempts = 0; // which start the answer belongs to; an old timeout must not answer a new one
let sending = false;

export function start(event, retried) {
  if (event) event.preventDefault();
  const consent = $("consent");
  if (!consent.checked) {
    if (session.state !== "intro") show("intro");
    consent.setAttribute("aria-invalid", "true");
    $("consent-error").textContent = t("consent_error");
    consent.focus();
    return;
  }
  if (session.starting) return;
  if (!hasClient) return refuse("offline");
  session.starting = true;
  const attempt = ++attempts;
  $("start").setAttribute("aria-busy", "true");
  $("intro-help").hidden = true;
  notice("");
  const intake = {};
  const topic = $("intake-topic");
  const age = $("intake-age");
  if (topic && topic.value) intake.topic = topic.value;
  if (age && age.value) intake.age_band = age.value;
  const request = { consent: true, intake };
  const agreed = agreedKey(); // handed over by the space page: the agreed chat (§13.3)
  if (agreed) request.appointment = agreed;
  connect()
    .timeout(10000)
    .emit("start", request, (err, ack) => {
      if (attempt !== attempts || !session.starting) return; // answered: the server was unreachable
      session.starting = false;
      $("start").removeAttribute("aria-busy");
      if (session.exiting) return;
      if (err || !ack) return refuse(session.socket && session.socket.connected ? "failed" : "offline");
      if (ack.ok) {
        if (agreed) dropAgreed();
        // the agreed chat: if it waits in line, the volunteer it was agreed with is not there
        $("waiting-agreed").hidden = !ack.appointment;
        session.token = ack.token;
        session.conversationId = ack.conversation_id;
        save();
        report();
        if (session.state !== "waiting" && session.state !== "chat") show("waiting");
        focus($("waiting-title"));
        return;
      }
      const code = ack.error && ack.error.code;
      if (code === "invalid_token" && !retried) return start(null, true);
      if (agreed && (code === "appointment_not_now" || code === "link_unknown")) {
        dropAgreed(); // open the link again at the time; a plain chat needs no key
        return refuseAgreed(ack.error);
      }
      if (code === "closed") {
        const { line } = session;
        renderLine({ ...line, open: false, next_open: ack.error.next_open || line.next_open });
        show("closed");
        focus($("closed-title"));
      } else if (code === "queue_full" || code === "line_full") refuse("full");
      else if (code === "blocked") refuse("blocked");
      else if (code === "rate_limited") refuse("limited");
      else if (code === "draining") refuse("restarting");
      else if (code === "unavailable") refuse("unavailable");
      else if (code === "consent_required") {
        consent.checked = false;
        start();
        $("intro-help").hidden = false;
      } else refuse("failed");
    });
}

// the agreed chat cannot open now: when it opens, or that the link opens none (any more)
function refuseAgreed(error) {
  if (error.code === "appointment_not_now" && error.at) {
    refuse("appointment_early");
    $("closed-text").textContent = t("appointment_early_text", { when: when(error.at) });
  } else refuse("appointment_unknown");
}

// the id of the message being sent: the same text sent again after a lost answer keeps its
// id, so the server keeps it once (the answer, not the message, may be what got lost)
let unsent = { text: "", id: "" };

function clientId(text) {
  if (unsent.text !== text) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    unsent = { text, id: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
  }
  return unsent.id;
}

export function send() {
  const box = $("text");
  const text = box.value;
  const { socket } = session;
  if (!text.trim() || !socket || sending) return;
  sending = true;
  $("send-error").textContent = "";
  typingOff();
  socket.timeout(10000).emit("message", { text, client_id: clientId(text) }, (err, ack) => {
    sending = false;
    if (session.exiting) return;
    if (!err && ack && ack.ok) {
      unsent = { text: "", id: "" };
      if (box.value === text) box.value = "";
      box.removeAttribute("aria-invalid");
      return;
    }
    box.setAttribute("aria-invalid", "true");
    $("send-error").textContent = err ? t("send_offline") : errorText(ack && ack.error);
  });
}

let typingSent = false;
let typingIdle = 0;
export function typingOn() {
  const { socket } = session;
  if (session.state !== "chat" || !socket || !socket.connected) return;
  if (!typingSent) {
    typingSent = true;
    socket.emit("typing", { active: true });
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(typingOff, 4000);
}
function typingOff() {
  clearTimeout(typingIdle);
  if (typingSent && session.socket) session.socket.emit("typing", { active: false });
  typingSent = false;
}

// only after "yes" in the confirmation: an ended chat cannot be resumed
export function leave() {
  const { socket } = session;
  if (!socket || session.leaving) return;
  session.leaving = true;
  $("leave-yes").setAttribute("aria-busy", "true");
  socket.timeout(8000).emit("leave", {}, (err, ack) => {
    session.leaving = false;
    $("leave-yes").removeAttribute("aria-busy");
    if (session.exiting) return;
    if (!err && ack && (ack.ok || (ack.error && ack.error.code === "ended"))) {
      closeLeave(false);
      onEnded({ by: "visitor", reason: "left" });
    } else $("send-error").textContent = err ? t("send_offline") : t("send_failed");
  });
}

export function forget() {
  $("forget-error").textContent = "";
  if (!session.socket) return;
  session.socket.timeout(8000).emit("forget", {}, (err, ack) => {
    if (session.exiting) return;
    if (!err && ack && ack.ok) forgotten();
    else $("forget-error").textContent = t("forget_failed");
  });
}

export function restart() {
  clearConversation();
  $("forgotten").hidden = true;
  $("forget-box").hidden = false;
  notice("");
  const { open } = session.line;
  show(open ? "intro" : "closed");
  focus($(open ? "intro-title" : "closed-title"));
  refreshLine();
}

export function retry() {
  if (!hasClient) location.reload(); // socket.io's client did not load: fetch it again
  else start(null);
}
