/* The quick exit: the red button, Shift three times or Escape twice, here or on the website.
 * Wipe first, then tell the server (at most 300 ms), then leave: the host page navigates on
 * our message; opened on its own, the frame navigates itself. Works with the network down. */
import { cfg } from "./config.js";
import { session, dropSaved } from "./session.js";
import { leavePage } from "./host.js";
import { closeHelp, closeLeave } from "./panels.js";

export function quickExit() {
  if (session.exiting) return;
  session.exiting = true;
  const { line, socket, token, state } = session;
  const url = (line && line.exit_url) || cfg.status.exit_url;
  const tell = socket && socket.connected && token && state !== "ended" ? socket : null;
  dropSaved();
  session.token = null;
  if (socket) socket.off();
  document.title = "";
  document.body.replaceChildren();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    leavePage(url);
  };
  if (!tell) return finish();
  tell.timeout(300).emit("leave", { reason: "quick_exit" }, (err) => {
    if (!err) tell.disconnect();
    finish();
  });
  setTimeout(finish, 350);
}

// GOV.UK "Exit this page": Shift three times within 1.5 s, anywhere. Escape twice within 1 s
// only outside form fields and panels: there Escape means "clear" or "close", and two of
// them must not throw a person out of a conversation that cannot be resumed. The Escape
// that closes a panel also quiets Escape for a second.
const FIELDS = 'input, textarea, select, [contenteditable]:not([contenteditable="false"])';
// `exit`: what the keys do; the space page (space.js) has a quick exit of its own
export function watchShortcuts(exit = quickExit) {
  let shifts = [];
  let escapes = [];
  let quietUntil = 0;
  document.addEventListener(
    "keydown",
    (e) => {
      if (e.repeat) return;
      const now = Date.now();
      if (e.key === "Shift") {
        escapes = [];
        shifts = shifts.filter((at) => now - at < 1500).concat(now);
        if (shifts.length >= 3) exit();
      } else if (e.key === "Escape") {
        shifts = [];
        if (closeLeave(true) || closeHelp(true)) {
          e.preventDefault();
          escapes = [];
          quietUntil = now + 1000;
          return;
        }
        const inField = e.target && e.target.closest && e.target.closest(FIELDS);
        escapes = inField || now < quietUntil ? [] : escapes.filter((at) => now - at < 1000).concat(now);
        if (escapes.length >= 2) exit();
      } else {
        shifts = [];
        escapes = [];
      }
    },
    true
  );
}
