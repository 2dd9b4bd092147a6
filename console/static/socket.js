/* The one socket to the /operator namespace (docs/protocol.md §8) and the one way to call it.
 *
 * `io` is socket.io's client from npm, served by this server as a classic script that the
 * page loads before its modules (console/vendor/socket.io.min.js; never a CDN).
 */
import { $ } from "./dom.js";
import { lang } from "./config.js";
import { t } from "./strings.js";

export const socket = io("/operator", { withCredentials: true });

/** Emit with an acknowledgement. Always resolves, never rejects: a server that does not
 * answer within 10 s is an ack like any other, `{ok: false, error: {code: "timeout"}}`,
 * so every caller handles one shape. */
export function call(event, data) {
  return socket.timeout(10000).emitWithAck(event, data || {})
    .catch(() => ({ ok: false, error: { code: "timeout" } }));
}

/** The connection line both pages show, and what they do when the socket drops.
 * `lost` is the text for a lost connection; `onConnect` and `onDisconnect` add the page's
 * own steps. A refused session (`unauthorized`) goes to the login. */
export function keepConnected({ lost, onConnect = () => {}, onDisconnect = () => {} }) {
  // the server said it is stopping (a restart): the drop that follows is expected, and
  // socket.io reconnects by itself, to another server or the restarted one
  let restarting = false;
  const showLost = () => {
    const box = $("#connection");
    box.textContent = restarting ? t("connection_restarting") : lost;
    box.hidden = false;
  };
  socket.on("draining", () => { restarting = true; });
  socket.on("connect", () => {
    restarting = false;
    $("#connection").hidden = true;
    onConnect();
  });
  socket.on("disconnect", (reason) => {
    showLost();
    onDisconnect();
    // the server closed it (an administrator changed, reset or deactivated the account):
    // socket.io does not retry by itself then. Connect again: a valid session comes back
    // with the changed account, an ended one is refused and goes to the login.
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", (error) => {
    if (error?.message === "unauthorized") {
      window.location.assign(`/login?lang=${encodeURIComponent(lang)}`);
      return;
    }
    showLost();
  });
}
