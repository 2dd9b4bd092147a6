/* Shared by the console and the supervisor's floor. Alerts: a chime made with WebAudio (no
 * sound file to fetch, nothing for the CSP to allow) and a Notification when permitted.
 * A notification never carries chat text: it can show on a locked screen or a shared monitor.
 * Browsers allow sound only after a user gesture, so audio is unlocked on the first one.
 */
(function () {
  "use strict";

  window.ConsoleAlerts = function (tones) {
    var audio = null;

    function unlockAudio() {
      if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
      try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    }
    function chime() {
      if (!audio) return;
      if (audio.state === "suspended") audio.resume();
      var start = audio.currentTime + 0.01;
      tones.forEach(function (tone) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = tone[0];
        gain.gain.setValueAtTime(0.0001, start + tone[1]);
        gain.gain.exponentialRampToValueAtTime(0.25, start + tone[1] + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[1] + 0.4);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start + tone[1]);
        osc.stop(start + tone[1] + 0.45);
      });
    }
    function notify(title, body, tag) {
      chime();
      if (!("Notification" in window) || Notification.permission !== "granted") return;
      if (!document.hidden && document.hasFocus()) return;
      try {
        var note = new Notification(title, { body: body, tag: tag });
        note.onclick = function () { window.focus(); note.close(); };
      } catch (e) { /* some browsers only allow notifications from a service worker */ }
    }
    function setup() {
      var toggle = document.getElementById("alerts-on");
      if ("Notification" in window && Notification.permission === "default") toggle.hidden = false;
      toggle.addEventListener("click", function () {
        unlockAudio();
        chime();
        Notification.requestPermission().then(function () { toggle.hidden = true; });
      });
      ["pointerdown", "keydown"].forEach(function (type) {
        document.addEventListener(type, unlockAudio, { once: true, capture: true });
      });
    }
    return { notify: notify, setup: setup };
  };

  /* Small helpers both pages use: strings with {placeholders}, element building (text only,
   * never HTML), a polite announcement for screen readers, and an ack's error as text. */
  window.ConsoleCommon = function (T) {
    function t(key, values) {
      var text = Object.prototype.hasOwnProperty.call(T, key) ? T[key] : key;
      Object.keys(values || {}).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(values[name]));
      });
      return text;
    }
    function $(selector, root) { return (root || document).querySelector(selector); }
    function el(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined && text !== null) node.textContent = text;
      return node;
    }
    function announce(text) {
      var box = $("#announcer");
      box.textContent = "";
      window.setTimeout(function () { box.textContent = text; }, 50);
    }
    function errorText(ack) {
      var code = ack && ack.error && ack.error.code;
      return T["error_" + code] || (ack && ack.error && ack.error.message) || t("error_generic");
    }
    return { t: t, $: $, el: el, announce: announce, errorText: errorText };
  };
})();
