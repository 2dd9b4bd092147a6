/* Messages to and from the website around the frame (widget/widget.js, the launcher). Only
 * facts cross, never a word of the conversation: whether there is a chat, its phase and how
 * many messages came in while minimised; from the website: "quick exit" and "visible". */
import { $, EMBEDDED } from "./config.js";
import { session } from "./session.js";
import { followEnd } from "./layout.js";

// The launcher shows a badge and says "2 new messages"; it learns only these three facts.
let reported = "";
export function report() {
  if (!EMBEDDED || session.exiting) return;
  const { state, unread } = session;
  const active = !!session.token;
  const phase = !active ? null : state === "resuming" ? null : state === "ended" ? "ended" : state === "chat" ? "chat" : "waiting";
  const message = { type: "helpline:state", active, phase, unread };
  const key = JSON.stringify(message);
  if (key === reported) return;
  reported = key;
  parent.postMessage(message, "*");
}

// the quick exit's last step: the website's tab goes, or this one when opened on its own
export function leavePage(url) {
  if (EMBEDDED) parent.postMessage({ type: "helpline:exit", url }, "*");
  else location.replace(url);
}

// the website asks for the quick exit (its own Shift×3 or Escape×2) or shows or hides the frame
export function listenToHost(quickExit) {
  window.addEventListener("message", (e) => {
    if (e.source !== window.parent || !e.data) return;
    if (e.data.type === "helpline:quick-exit") quickExit();
    else if (e.data.type === "helpline:visible") {
      session.shown = !!e.data.visible;
      if (session.shown) {
        session.unread = 0;
        followEnd();
      }
      report();
    }
  });
  if (EMBEDDED) {
    $("close").hidden = false;
    $("close").addEventListener("click", () => {
      session.shown = false; // count from now on, not from when the host page answers
      parent.postMessage({ type: "helpline:close" }, "*");
    });
  } else session.shown = true;
}
