/* Getting a volunteer's attention, on both pages: a chime made with WebAudio (no sound file
 * to fetch, nothing for the CSP to allow), a Notification when permitted, and the broadcasts
 * supervisors send to everyone online.
 *
 * A notification never carries chat text: it can show on a locked screen or a shared monitor.
 * Browsers allow sound only after a user gesture, so audio is unlocked on the first one.
 */
import { t } from "./strings.js";
import { $, el, announce } from "./dom.js";
import { socket } from "./socket.js";

/** `tones`: [frequency in Hz, start in s] pairs; each page has its own chime. */
export function alerts(tones) {
  let audio = null;

  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (audio || !Context) return;
    try { audio = new Context(); } catch (e) { audio = null; }
  }
  function chime() {
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    const start = audio.currentTime + 0.01;
    for (const [frequency, at] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + at);
      gain.gain.exponentialRampToValueAtTime(0.25, start + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.4);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(start + at);
      osc.stop(start + at + 0.45);
    }
  }
  function notify(title, body, tag) {
    chime();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (!document.hidden && document.hasFocus()) return;
    try {
      const note = new Notification(title, { body, tag });
      note.onclick = () => { window.focus(); note.close(); };
    } catch (e) { /* some browsers only allow notifications from a service worker */ }
  }
  /** The "turn on notifications" button, and sound unlocked by the first gesture. */
  function setup() {
    const toggle = $("#alerts-on");
    if ("Notification" in window && Notification.permission === "default") toggle.hidden = false;
    toggle.addEventListener("click", () => {
      unlockAudio();
      chime();
      Notification.requestPermission().then(() => { toggle.hidden = true; });
    });
    for (const type of ["pointerdown", "keydown"]) {
      document.addEventListener(type, unlockAudio, { once: true, capture: true });
    }
  }
  return { notify, setup };
}

/** A banner at the top until dismissed: a broadcast ("Anna: …") or, with no sender, the
 * page's own alert (`kind` "danger" for a risk alert). */
export function showBroadcast(text, from, kind = "info") {
  const box = el("div", `banner ${kind} broadcast`);
  box.setAttribute("role", "status");
  box.appendChild(el("span", "", from ? t("broadcast_from", { name: from, text }) : text));
  const close = el("button", "quiet", t("dismiss"));
  close.type = "button";
  close.addEventListener("click", () => { box.remove(); $("#main").focus(); });
  box.appendChild(close);
  $("#broadcasts").appendChild(box);
}

/** Supervisors' broadcasts reach every operator online, whichever page they are on. */
export function listenForBroadcasts() {
  socket.on("broadcast", (data) => {
    showBroadcast(data.text, data.from);
    announce(t("broadcast_from", { name: data.from, text: data.text }));
  });
}
