/* The one socket to the /visitor namespace (docs/protocol.md), and resuming after a reload.
 *
 * `io` is socket.io's client from npm, a classic script the frame loads before its modules
 * (/widget/vendor/socket.io.min.js; never a CDN). If it did not load, the chat says "no
 * connection" and "try again" reloads the frame instead of failing silently. */
import { $, LINE, LANG } from "./config.js";
import { t } from "./words.js";
import { session, loadSaved } from "./session.js";
import { show, notice, refuse } from "./screen.js";
import { onQueue } from "./queue.js";
import { onAssigned, onMessage, onTyping, onEnded, expired } from "./messages.js";
import { onOffered } from "./appointment.js";

const { io } = window;
export const hasClient = typeof io === "function";

export function connect() {
  if (session.socket) return session.socket;
  const socket = io(`${location.origin}/visitor`, {
    // a function, so a reconnect resumes with the token and the newest seq seen
    auth: (cb) => {
      const { token, maxSeq } = session;
      cb(token ? { line: LINE, lang: LANG, token, since: maxSeq } : { line: LINE, lang: LANG });
    },
    transports: ["websocket", "polling"],
    tryAllTransports: true, // a proxy that blocks WebSocket: long-polling, not "no connection"
  });
  session.socket = socket;
  let restarting = false; // the server said it is stopping: the drop that follows is expected
  socket.on("connect", () => {
    restarting = false;
    notice("");
    if (session.token) probe();
  });
  socket.on("draining", () => {
    restarting = true;
  });
  socket.on("disconnect", (reason) => {
    // socket.io reconnects by itself; after a restart the token resumes the chat
    if (session.token && reason !== "io client disconnect") {
      notice(t(restarting ? "connection_restarting" : "connection_lost"), true);
    }
  });
  socket.on("connect_error", () => {
    if (session.token) notice(t("connection_lost"), true);
    else if (session.starting) unreachable();
  });
  socket.on("queue", onQueue);
  socket.on("assigned", onAssigned);
  socket.on("message", onMessage);
  socket.on("typing", onTyping);
  socket.on("ended", onEnded);
  socket.on("appointment_offered", onOffered);
  return socket;
}
// Starting, and the server cannot be reached: say so now, not after a long timeout, and
// drop the socket, so "try again" tries at once instead of waiting for the next back-off.
function unreachable() {
  session.starting = false;
  $("start").removeAttribute("aria-busy");
  if (session.socket) {
    session.socket.off();
    session.socket.disconnect();
    session.socket = null;
  }
  if (!session.exiting) refuse("offline");
}
// A bad token is only reported on the next event; ask at once, harmlessly.
function probe() {
  session.socket.timeout(5000).emit("typing", { active: false }, (err, ack) => {
    if (!err && ack && !ack.ok && ack.error && ack.error.code === "invalid_token") expired();
  });
}

// A conversation saved by this frame before a reload: rebuild the whole view from the
// server's replay (the page is new, so everything is replayed, since 0). False: none to resume.
export function resume() {
  const saved = loadSaved();
  if (!saved || !hasClient) return false;
  session.token = saved.token;
  session.conversationId = saved.conversation_id;
  session.replayed = +saved.since || 0;
  show("resuming");
  connect();
  return true;
}
