/* The visitor's chat inside the iframe: this module wires the page's buttons and keys to the
 * modules that do the work, then resumes a saved conversation or shows the line's screen.
 * It speaks only the /visitor wire contract (docs/protocol.md); widget/README.md says which
 * module does what. ES2020 modules, no build step: the browser runs exactly these files. */
import { $ } from "./config.js";
import { session } from "./session.js";
import { listenToHost } from "./host.js";
import { watchLayout } from "./layout.js";
import { openHelp, closeHelp, openLeave, closeLeave } from "./panels.js";
import { renderLine, refreshLine } from "./screen.js";
import { resume } from "./socket.js";
import { start, send, typingOn, leave, forget, restart, retry } from "./actions.js";
import { quickExit, watchShortcuts } from "./quick-exit.js";
import { openLetter, closeLetter, sendLetter, copyLetterLink, letterDone } from "./letters.js";
import { watchOffers } from "./appointment.js";

watchLayout();
$("quick-exit").addEventListener("click", quickExit);
watchShortcuts();
listenToHost(quickExit);
$("help-toggle").addEventListener("click", () => ($("help").hidden ? openHelp() : closeHelp(true)));
$("help-close").addEventListener("click", () => closeHelp(true));
$("intro-form").addEventListener("submit", start);
$("consent").addEventListener("change", () => {
  if (!$("consent").checked) return;
  $("consent").removeAttribute("aria-invalid");
  $("consent-error").textContent = "";
});
$("compose").addEventListener("submit", (e) => {
  e.preventDefault();
  send();
});
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
$("text").addEventListener("input", typingOn);
$("leave").addEventListener("click", openLeave);
$("leave-no").addEventListener("click", () => closeLeave(true));
$("leave-yes").addEventListener("click", leave);
$("forget").addEventListener("click", forget);
$("restart").addEventListener("click", restart);
$("retry").addEventListener("click", retry);
for (const button of document.querySelectorAll(".letter-open")) button.addEventListener("click", openLetter);
$("letter-form").addEventListener("submit", sendLetter);
$("letter-back").addEventListener("click", closeLetter);
$("letter-copy").addEventListener("click", copyLetterLink);
$("letter-done").addEventListener("click", letterDone);
$("letter-consent").addEventListener("change", () => {
  if (!$("letter-consent").checked) return;
  $("letter-consent").removeAttribute("aria-invalid");
  $("letter-consent-error").textContent = "";
});
watchOffers();

if (!resume()) renderLine(session.line);
refreshLine();
setInterval(() => {
  if (session.state === "intro" || session.state === "closed") refreshLine();
}, 60000);
