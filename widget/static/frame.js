/* The visitor's chat inside the iframe. It speaks only the /visitor wire contract
 * (docs/protocol.md). It keeps nothing but {token, conversation_id, since} in this frame's
 * sessionStorage, so a reload resumes and closing the tab forgets. Message markup comes only
 * from the server's sanitized `html` field; `text` is never inserted as markup. */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const cfg = JSON.parse($("config").textContent);
  const S = cfg.strings;
  const LINE = cfg.line;
  const LANG = cfg.lang;
  const LOCALE = LANG === "en" ? "en-GB" : "nl-NL";
  const KEY = "helpline-chat";
  const EMBEDDED = window.top !== window;
  const DEFAULT_EXIT = "https://www.buienradar.nl";

  let line = cfg.status; // the last /api/lines/{line} answer
  let state = "loading"; // loading resuming closed busy intro waiting chat ended
  let socket = null;
  let restarting = false; // the server said it is stopping: the drop that follows is expected
  let token = null;
  let conversationId = null;
  let maxSeq = 0;
  let alias = null;
  let exiting = false;
  let starting = false;
  let sending = false;
  const seen = new Set();

  const t = (key, values) =>
    (S[key] || key).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  const focus = (el) => {
    if (el && document.hasFocus()) el.focus();
  };

  // ------------------------------------------------------------------ storage (this frame only)
  function loadSaved() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY));
      return saved && saved.line === LINE && saved.token ? saved : null;
    } catch (e) {
      return null;
    }
  }
  function save() {
    if (!token) return;
    try {
      sessionStorage.setItem(
        KEY,
        JSON.stringify({ line: LINE, token, conversation_id: conversationId, since: maxSeq })
      );
    } catch (e) {
      /* storage refused: the chat works, it just cannot resume after a reload */
    }
  }
  function dropSaved() {
    try {
      sessionStorage.removeItem(KEY);
    } catch (e) {
      /* nothing stored */
    }
  }
  function clearConversation() {
    dropSaved();
    token = conversationId = alias = null;
    maxSeq = 0;
    lastPosition = null;
    seen.clear();
    $("messages").textContent = "";
  }

  // ------------------------------------------------------------------ words
  function waitText(seconds) {
    if (seconds == null) return t("wait_unknown");
    if (seconds <= 0) return t("wait_less_than_minute");
    const minutes = Math.ceil(seconds / 60);
    if (minutes === 1) return t("wait_one_minute");
    if (minutes < 90) return t("wait_minutes", { n: minutes });
    const hours = Math.round(minutes / 60);
    return hours === 1 ? t("wait_one_hour") : t("wait_hours", { n: hours });
  }
  const clock = (date) =>
    date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit", hour12: false });
  // opening times in the line's own time zone: "maandag 30 november 19:00"
  function when(iso) {
    const date = new Date(iso);
    const zone = { timeZone: cfg.timezone || undefined };
    try {
      const day = date.toLocaleDateString(LOCALE, { ...zone, weekday: "long", day: "numeric", month: "long" });
      const time = date.toLocaleTimeString(LOCALE, { ...zone, hour: "2-digit", minute: "2-digit", hour12: false });
      return `${day} ${time}`;
    } catch (e) {
      return `${date.toLocaleDateString(LOCALE)} ${clock(date)}`; // unknown zone: the device's
    }
  }
  function errorText(error) {
    const code = error && error.code;
    if (code === "too_long") return t("send_too_long", { limit: error.limit });
    if (code === "ended") return t("send_ended");
    return t("send_failed");
  }

  // ------------------------------------------------------------------ what is shown
  const VIEWS = {
    closed: ["closed"],
    busy: ["closed"],
    intro: ["intro"],
    waiting: ["waiting", "chat"],
    chat: ["chat"],
    ended: ["chat", "ended"],
  };
  function show(next) {
    state = next;
    const visible = VIEWS[next] || [];
    $("loading").hidden = next !== "loading" && next !== "resuming";
    for (const id of ["closed", "intro", "waiting", "chat", "ended"]) {
      $(id).hidden = !visible.includes(id);
    }
    if (next === "ended" && !$("messages").children.length) $("chat").hidden = true;
    $("composer").hidden = next !== "waiting" && next !== "chat";
    const busy = next === "busy";
    $("closed-title").textContent = t(busy ? "busy_title" : "closed_title");
    $("closed-text").textContent = t(busy ? "busy_text" : "closed_text");
    $("closed-next").hidden = busy;
    if (next !== "chat") $("typing").hidden = true;
    header();
  }
  function header() {
    let status;
    if (state === "waiting") status = t("status_in_queue");
    else if (state === "chat") status = t("status_in_chat", { line: line.name });
    else if (state === "ended") status = t("status_ended");
    else if (line.open) {
      const n = line.waiting;
      const people = n === 0 ? "status_waiting_none" : n === 1 ? "status_waiting_one" : "status_waiting_many";
      status = [
        t("status_open"),
        t(people, { n }),
        t("status_wait", { wait: waitText(line.estimated_wait_seconds) }),
      ].join(" · ");
    } else status = t("status_closed");
    $("line-status").textContent = status;
    $("line-name").textContent = state === "chat" && alias ? alias : line.name;
  }
  function notice(text) {
    $("notice").textContent = text || "";
  }
  function renderLine(data) {
    line = data;
    $("next-open").textContent = data.next_open ? when(data.next_open) : t("next_open_unknown");
    if (["loading", "intro", "closed", "busy"].includes(state)) {
      if (state !== "busy" || data.open) show(data.open ? "intro" : "closed");
    } else header();
  }
  async function refreshLine() {
    try {
      const url = `/api/lines/${encodeURIComponent(LINE)}?lang=${LANG}`;
      const response = await fetch(url, { cache: "no-store", credentials: "omit" });
      if (response.ok && !exiting) renderLine(await response.json());
    } catch (e) {
      /* offline: keep what the page was rendered with */
    }
  }
  function contacts(list, items) {
    list.textContent = "";
    for (const item of items) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = item.label;
      li.append(label);
      if (item.phone) {
        const a = document.createElement("a");
        a.href = `tel:${item.phone.replace(/\s+/g, "")}`;
        a.textContent = t("call", { phone: item.phone });
        li.append(" ", a);
      }
      if (item.url && /^https?:\/\//i.test(item.url)) {
        const a = document.createElement("a");
        a.href = item.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = item.url.replace(/^https?:\/\//i, "").replace(/\/$/, "");
        const hint = document.createElement("span");
        hint.className = "visually-hidden";
        hint.textContent = ` ${t("opens_new_tab")}`;
        a.append(hint);
        li.append(" ", a);
      }
      list.append(li);
    }
  }

  // ------------------------------------------------------------------ queue announcements
  // The position is visible at all times; screen readers hear a change at most every 30 s.
  let lastPosition = null;
  let lastAnnounce = 0;
  let announceTimer = 0;
  let pending = "";
  function announce(queue) {
    pending = t("queue_announce", {
      position: queue.position,
      wait: waitText(queue.estimated_wait_seconds),
    });
    if (queue.position === lastPosition) return;
    lastPosition = queue.position;
    if (announceTimer) return;
    const due = lastAnnounce + 30000 - Date.now();
    if (due <= 0) speak();
    else announceTimer = setTimeout(speak, due);
  }
  function speak() {
    announceTimer = 0;
    if (state !== "waiting" || exiting) return;
    lastAnnounce = Date.now();
    $("queue-announcer").textContent = pending;
  }

  // ------------------------------------------------------------------ server events
  function onQueue(queue) {
    if (!queue || state === "ended") return;
    if (state !== "waiting") {
      alias = null;
      show("waiting");
    }
    $("position").textContent = String(queue.position);
    $("wait").textContent = waitText(queue.estimated_wait_seconds);
    const alternatives = Array.isArray(queue.alternatives) ? queue.alternatives : [];
    contacts($("alternatives"), alternatives);
    $("alternatives").hidden = $("alternatives-box").hidden = !alternatives.length;
    announce(queue);
  }
  function onAssigned(data) {
    alias = (data && data.operator) || null;
    show("chat");
  }
  function onMessage(m) {
    if (!m || typeof m.id !== "string" || seen.has(m.id)) return;
    seen.add(m.id);
    if (m.seq > maxSeq) {
      maxSeq = m.seq;
      save();
    }
    const el = document.createElement("div");
    el.className = "message";
    el.dataset.role = m.role;
    el.dataset.id = m.id;
    el.dataset.seq = String(m.seq);
    const meta = document.createElement("p");
    meta.className = "meta";
    const who =
      m.role === "visitor" ? t("you") : m.role === "operator" ? m.author || alias || t("volunteer") : "";
    if (who) {
      const name = document.createElement("span");
      name.className = "who";
      name.textContent = who;
      meta.append(name, " ");
    }
    const time = document.createElement("time");
    time.dateTime = m.at;
    time.textContent = clock(new Date(m.at));
    meta.append(time);
    const text = document.createElement("div");
    text.className = "text";
    text.innerHTML = m.html || ""; // sanitized by the server; never `text`
    el.append(meta, text);
    const list = $("messages");
    const later = Array.from(list.children).find((other) => +other.dataset.seq > m.seq);
    const main = $("main");
    const atEnd = main.scrollHeight - main.scrollTop - main.clientHeight < 80;
    list.insertBefore(el, later || null);
    if (m.role === "operator") $("typing").hidden = true;
    if (state === "ended") $("chat").hidden = false;
    if (atEnd || m.role === "visitor") main.scrollTop = main.scrollHeight;
  }
  let typingTimer = 0;
  function onTyping(data) {
    const active = !!(data && data.active) && state === "chat";
    $("typing").textContent = t("typing", { alias: alias || t("volunteer") });
    $("typing").hidden = !active;
    clearTimeout(typingTimer);
    if (active) typingTimer = setTimeout(() => ($("typing").hidden = true), 20000);
  }
  function onEnded(data) {
    const ended = data || {};
    if (ended.reason === "forgot") return forgotten();
    const key =
      ended.by === "visitor"
        ? "ended_visitor"
        : ended.by === "operator"
          ? "ended_operator"
          : ended.reason === "disconnected"
            ? "ended_disconnected"
            : "ended_system";
    $("ended-reason").textContent = t(key);
    if (state !== "ended") {
      show("ended");
      focus($("ended-title"));
    }
  }
  function forgotten() {
    clearConversation();
    show("ended");
    $("forget-box").hidden = true;
    $("forgotten").hidden = false;
    focus($("forgotten"));
  }
  function expired() {
    clearConversation();
    show(line.open ? "intro" : "closed");
    notice(t("resume_expired"));
  }

  // ------------------------------------------------------------------ the socket
  function connect() {
    if (socket) return socket;
    socket = io(`${location.origin}/visitor`, {
      // a function, so a reconnect resumes with the token and the newest seq seen
      auth: (cb) => cb(token ? { line: LINE, lang: LANG, token, since: maxSeq } : { line: LINE, lang: LANG }),
      transports: ["websocket", "polling"],
    });
    socket.on("connect", () => {
      restarting = false;
      notice("");
      if (token) probe();
    });
    socket.on("draining", () => { restarting = true; });
    socket.on("disconnect", (reason) => {
      if (token && reason !== "io client disconnect") {
        // socket.io reconnects by itself; after a restart the token resumes the chat
        notice(t(restarting ? "connection_restarting" : "connection_lost"));
      }
    });
    socket.on("connect_error", () => {
      if (token) notice(t("connection_lost"));
    });
    socket.on("queue", onQueue);
    socket.on("assigned", onAssigned);
    socket.on("message", onMessage);
    socket.on("typing", onTyping);
    socket.on("ended", onEnded);
    return socket;
  }
  // A bad token is only reported on the next event; ask at once, harmlessly.
  function probe() {
    socket.timeout(5000).emit("typing", { active: false }, (err, ack) => {
      if (!err && ack && !ack.ok && ack.error && ack.error.code === "invalid_token") expired();
    });
  }

  // ------------------------------------------------------------------ the visitor's actions
  function start(event, retried) {
    if (event) event.preventDefault();
    const consent = $("consent");
    if (!consent.checked) {
      consent.setAttribute("aria-invalid", "true");
      $("consent-error").textContent = t("consent_error");
      consent.focus();
      return;
    }
    if (starting) return;
    if (typeof io !== "function") {
      $("start-error").textContent = t("start_failed");
      return;
    }
    starting = true;
    $("start").setAttribute("aria-busy", "true");
    $("start-error").textContent = "";
    notice("");
    const intake = {};
    const topic = $("intake-topic");
    const age = $("intake-age");
    if (topic && topic.value) intake.topic = topic.value;
    if (age && age.value) intake.age_band = age.value;
    connect()
      .timeout(10000)
      .emit("start", { consent: true, intake }, (err, ack) => {
        starting = false;
        $("start").removeAttribute("aria-busy");
        if (exiting) return;
        if (err || !ack) {
          $("start-error").textContent = t("start_failed");
          return;
        }
        if (ack.ok) {
          token = ack.token;
          conversationId = ack.conversation_id;
          save();
          if (state === "intro") {
            show("waiting");
            focus($("waiting-title"));
          } else if (state === "waiting") focus($("waiting-title"));
          return;
        }
        const code = ack.error && ack.error.code;
        if (code === "invalid_token" && !retried) return start(null, true);
        if (code === "closed") {
          renderLine({ ...line, open: false, next_open: ack.error.next_open || null });
          show("closed");
          focus($("closed-title"));
        } else if (code === "queue_full") {
          show("busy");
          focus($("closed-title"));
        } else if (code === "draining") {
          $("start-error").textContent = t("start_draining");
        } else if (code === "consent_required") {
          consent.checked = false;
          start();
        } else {
          $("start-error").textContent = t("start_failed");
        }
      });
  }
  function send() {
    const box = $("text");
    const text = box.value;
    if (!text.trim() || !socket || sending) return;
    sending = true;
    $("send-error").textContent = "";
    typingOff();
    socket.timeout(10000).emit("message", { text }, (err, ack) => {
      sending = false;
      if (exiting) return;
      if (!err && ack && ack.ok) {
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
  function typingOn() {
    if (state !== "chat" || !socket || !socket.connected) return;
    if (!typingSent) {
      typingSent = true;
      socket.emit("typing", { active: true });
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(typingOff, 4000);
  }
  function typingOff() {
    clearTimeout(typingIdle);
    if (typingSent && socket) socket.emit("typing", { active: false });
    typingSent = false;
  }
  function leave() {
    if (!socket) return;
    $("send-error").textContent = "";
    socket.timeout(8000).emit("leave", {}, (err, ack) => {
      if (exiting) return;
      if (!err && ack && (ack.ok || (ack.error && ack.error.code === "ended"))) {
        onEnded({ by: "visitor", reason: "left" });
      } else $("send-error").textContent = err ? t("send_offline") : t("send_failed");
    });
  }
  function forget() {
    $("forget-error").textContent = "";
    if (!socket) return;
    socket.timeout(8000).emit("forget", {}, (err, ack) => {
      if (exiting) return;
      if (!err && ack && ack.ok) forgotten();
      else $("forget-error").textContent = t("forget_failed");
    });
  }
  function restart() {
    clearConversation();
    $("forgotten").hidden = true;
    $("forget-box").hidden = false;
    notice("");
    show(line.open ? "intro" : "closed");
    focus($(line.open ? "intro-title" : "closed-title"));
    refreshLine();
  }

  // ------------------------------------------------------------------ quick exit
  // Wipe first, then tell the server (at most 300 ms), then leave: the host page navigates on
  // our message; opened on its own, the frame navigates itself. Works with the network down.
  function quickExit() {
    if (exiting) return;
    exiting = true;
    const url = (line && line.exit_url) || DEFAULT_EXIT;
    const tell = socket && socket.connected && token && state !== "ended" ? socket : null;
    dropSaved();
    token = null;
    if (socket) socket.off();
    document.title = "";
    document.body.replaceChildren();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (EMBEDDED) parent.postMessage({ type: "helpline:exit", url }, "*");
      else location.replace(url);
    };
    if (!tell) return finish();
    tell.timeout(300).emit("leave", { reason: "quick_exit" }, (err) => {
      if (!err) tell.disconnect();
      finish();
    });
    setTimeout(finish, 350);
  }
  // GOV.UK "Exit this page": Shift three times within 1.5 s, or Escape twice within 1 s.
  function shortcuts(action) {
    let shifts = [];
    let escapes = [];
    document.addEventListener(
      "keydown",
      (e) => {
        if (e.repeat) return;
        const now = Date.now();
        if (e.key === "Shift") {
          escapes = [];
          shifts = shifts.filter((at) => now - at < 1500).concat(now);
          if (shifts.length >= 3) action();
        } else if (e.key === "Escape") {
          shifts = [];
          escapes = escapes.filter((at) => now - at < 1000).concat(now);
          if (escapes.length >= 2) action();
        } else {
          shifts = [];
          escapes = [];
        }
      },
      true
    );
  }

  // ------------------------------------------------------------------ wiring
  $("quick-exit").addEventListener("click", quickExit);
  shortcuts(quickExit);
  window.addEventListener("message", (e) => {
    if (e.source === window.parent && e.data && e.data.type === "helpline:quick-exit") quickExit();
  });
  if (EMBEDDED) {
    $("close").hidden = false;
    $("close").addEventListener("click", () => parent.postMessage({ type: "helpline:close" }, "*"));
  }
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
  $("leave").addEventListener("click", leave);
  $("forget").addEventListener("click", forget);
  $("restart").addEventListener("click", restart);

  const saved = loadSaved();
  if (saved && typeof io === "function") {
    // rebuild the whole view: the page is new, so everything is replayed (since 0)
    token = saved.token;
    conversationId = saved.conversation_id;
    show("resuming");
    connect();
  } else {
    renderLine(line);
  }
  refreshLine();
  setInterval(() => {
    if (state === "intro" || state === "closed" || state === "busy") refreshLine();
  }, 60000);
})();
