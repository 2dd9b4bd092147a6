/* The visitor's chat inside the iframe. It speaks only the /visitor wire contract
 * (docs/protocol.md). It keeps nothing but {token, conversation_id, since} in this frame's
 * sessionStorage, so a reload resumes and closing the tab forgets. Message markup comes only
 * from the server's sanitized `html` field; `text` is never inserted as markup.
 * Plain ES2020 in one classic script: no globals of its own, `io` comes from socket.io. */
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
  const { io } = window; // the socket.io client; missing if its script did not load
  // "today" and "tomorrow" by the server's clock and in the line's time zone, not the device's
  const RENDERED_AT = Date.parse(cfg.now) || Date.now();
  const LOADED_AT = performance.now();
  const serverNow = () => RENDERED_AT + performance.now() - LOADED_AT;
  const ZONE = (() => {
    try {
      new Intl.DateTimeFormat(LOCALE, { timeZone: cfg.timezone });
      return cfg.timezone;
    } catch {
      return undefined; // unknown zone: the device's
    }
  })();

  let line = cfg.status; // the last /api/lines/{line} answer
  // loading resuming closed refused intro waiting chat ended
  let state = "loading";
  let refusal = null; // why the chat was refused: full blocked limited offline failed
  let socket = null;
  let token = null;
  let conversationId = null;
  let maxSeq = 0;
  let alias = null;
  let exiting = false;
  let starting = false;
  let attempts = 0; // which start the answer belongs to; an old timeout must not answer a new one
  let sending = false;
  let leaving = false;
  const seen = new Set();
  // shown: is the frame open on the host page? Messages that arrive while it is not are
  // counted for the launcher's badge; seq <= replayed were seen before a reload.
  let shown = !new URLSearchParams(location.search).has("hidden");
  let unread = 0;
  let replayed = 0;

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
    } catch {
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
    } catch {
      /* storage refused: the chat works, it just cannot resume after a reload */
    }
  }
  function dropSaved() {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      /* nothing stored */
    }
  }
  function clearConversation() {
    dropSaved();
    token = conversationId = alias = null;
    maxSeq = 0;
    unread = 0;
    lastPosition = null;
    seen.clear();
    $("messages").textContent = "";
    report();
  }

  // ------------------------------------------------------------------ the host page
  // The launcher shows a badge and says "2 new messages"; it learns only these three facts.
  let reported = "";
  function report() {
    if (!EMBEDDED || exiting) return;
    const active = !!token;
    const phase = !active ? null : state === "resuming" ? null : state === "ended" ? "ended" : state === "chat" ? "chat" : "waiting";
    const message = { type: "helpline:state", active, phase, unread };
    const key = JSON.stringify(message);
    if (key === reported) return;
    reported = key;
    parent.postMessage(message, "*");
  }

  // ------------------------------------------------------------------ words
  // null: nobody on duty (the server says so plainly); 0: a volunteer is free now
  function waitText(seconds) {
    if (seconds == null) return t("wait_nobody_on_duty");
    if (seconds <= 0) return t("wait_now");
    const minutes = Math.ceil(seconds / 60);
    if (minutes === 1) return t("wait_one_minute");
    if (minutes < 90) return t("wait_minutes", { n: minutes });
    const hours = Math.round(minutes / 60);
    return hours === 1 ? t("wait_one_hour") : t("wait_hours", { n: hours });
  }
  const clock = (date, zone) =>
    date.toLocaleTimeString(LOCALE, { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false });
  // the calendar day in the line's time zone, counted in days, to tell today from tomorrow
  function day(ms) {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, year: "numeric", month: "numeric", day: "numeric" });
    for (const part of format.formatToParts(new Date(ms))) parts[part.type] = +part.value;
    return Date.UTC(parts.year, parts.month - 1, parts.day) / 86400000;
  }
  // "vandaag om 19:00", "tomorrow at 09:00", "maandag 30 november om 19:00"
  function when(iso) {
    const ms = Date.parse(iso);
    const time = clock(new Date(ms), ZONE);
    const days = day(ms) - day(serverNow());
    if (days === 0) return t("when_today", { time });
    if (days === 1) return t("when_tomorrow", { time });
    const date = new Date(ms).toLocaleDateString(LOCALE, { timeZone: ZONE, weekday: "long", day: "numeric", month: "long" });
    return t("when_date", { date, time });
  }
  function errorText(error) {
    const code = error && error.code;
    if (code === "too_long") return t("send_too_long", { limit: error.limit });
    if (code === "ended") return t("send_ended");
    if (code === "rate_limited") return t("send_rate_limited");
    return t("send_failed");
  }

  // ------------------------------------------------------------------ what is shown
  const VIEWS = {
    closed: ["closed"],
    refused: ["closed"],
    intro: ["intro"],
    waiting: ["waiting", "chat"],
    chat: ["chat"],
    ended: ["chat", "ended"],
  };
  // every refusal: a title, a kind text with what to do next, and whether trying again helps
  const REFUSALS = {
    full: ["busy_title", "busy_text", true],
    blocked: ["blocked_title", "blocked_text", false],
    limited: ["limited_title", "limited_text", true],
    offline: ["offline_title", "offline_text", true],
    failed: ["failed_title", "failed_text", true],
  };
  function show(next) {
    const changed = state !== next;
    state = next;
    const visible = VIEWS[next] || [];
    $("loading").hidden = next !== "loading" && next !== "resuming";
    for (const id of ["closed", "intro", "waiting", "chat", "ended"]) {
      $(id).hidden = !visible.includes(id);
    }
    if (next === "ended" && !$("messages").children.length) $("chat").hidden = true;
    $("composer").hidden = next !== "waiting" && next !== "chat";
    const [title, text, retry] = next === "refused" ? REFUSALS[refusal] : ["closed_title", "closed_text", false];
    $("closed-title").textContent = t(title);
    $("closed-text").textContent = t(text);
    $("closed-next").hidden = next !== "closed";
    $("retry").hidden = !retry;
    if (next !== "chat") $("typing").hidden = true;
    if (next !== "waiting" && next !== "chat") closeLeave(false);
    $("leave-question").textContent = t(next === "waiting" ? "leave_question_waiting" : "leave_question_chat");
    header();
    report();
    // a new screen opens at its newest line (the chat after the wait, not the old queue box)
    if (changed && scrollable()) toEnd();
    else followEnd();
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
        line.estimated_wait_seconds == null
          ? t("status_nobody_on_duty")
          : t("status_wait", { wait: waitText(line.estimated_wait_seconds) }),
      ].join(" · ");
    } else status = t("status_closed");
    $("line-status").textContent = status;
    $("line-name").textContent = state === "chat" && alias ? alias : line.name;
  }
  // a notice above the screen; for a lost connection with the numbers that work without it
  function notice(text, withContacts) {
    const box = $("notice");
    box.textContent = "";
    if (!text) return;
    const inner = document.createElement("div");
    inner.className = "notice";
    const p = document.createElement("p");
    p.textContent = text;
    inner.append(p);
    if (withContacts) {
      const list = document.createElement("ul");
      list.className = "contacts";
      contacts(list, line.emergency || []);
      inner.append(list);
    }
    box.append(inner);
  }
  function nextOpen(iso) {
    const sentence = $("closed-next");
    const strong = $("next-open");
    if (!iso) {
      strong.textContent = "";
      sentence.replaceChildren(t("next_open_unknown"), strong);
      return;
    }
    strong.textContent = when(iso);
    const [before, after] = t("next_open").split("{when}");
    sentence.replaceChildren(before, strong, after || "");
  }
  function renderLine(data) {
    line = data;
    nextOpen(data.next_open);
    if (["loading", "intro", "closed"].includes(state)) show(data.open ? "intro" : "closed");
    else header();
  }
  async function refreshLine() {
    try {
      const url = `/api/lines/${encodeURIComponent(LINE)}?lang=${LANG}`;
      const response = await fetch(url, { cache: "no-store", credentials: "omit" });
      if (response.ok && !exiting) renderLine(await response.json());
    } catch {
      /* offline: keep what the page was rendered with */
    }
  }
  // the same markup as the template's contact_list macro
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
  function refuse(kind) {
    refusal = kind;
    show("refused");
    focus($("closed-title"));
  }

  // ------------------------------------------------------------------ the screen
  // A phone's keyboard hides the lower half of the screen: fit the page into the visual
  // viewport, and below 35rem collapse the header to one line and hide helper text while
  // typing, so the conversation keeps a few lines (frame.css, .compact and .typing).
  const root = document.documentElement;
  const main = $("main");
  const viewport = window.visualViewport;
  let atEnd = true;
  function fit() {
    const zoomed = viewport && Math.abs(viewport.scale - 1) > 0.01;
    const height = viewport && !zoomed ? viewport.height : window.innerHeight;
    root.style.setProperty("--frame-height", `${Math.floor(height)}px`);
    root.classList.toggle("compact", height < 560);
  }
  const scrollable = () => state === "waiting" || state === "chat" || state === "ended";
  function toEnd() {
    main.scrollTop = main.scrollHeight;
    atEnd = true;
  }
  // whoever was reading the newest lines keeps reading them when the space shrinks
  function followEnd() {
    if (atEnd && scrollable()) toEnd();
  }
  main.addEventListener(
    "scroll",
    () => {
      atEnd = main.scrollHeight - main.scrollTop - main.clientHeight < 48;
    },
    { passive: true }
  );
  if (window.ResizeObserver) new ResizeObserver(followEnd).observe(main);
  if (viewport) viewport.addEventListener("resize", fit);
  window.addEventListener("resize", fit);
  fit();
  // typing: hide helper text (and the end button) so the keyboard leaves room for messages;
  // put them back a moment after leaving the field, so a tap never lands on a moving target
  let typingLayout = 0;
  $("text").addEventListener("focus", () => {
    clearTimeout(typingLayout);
    root.classList.add("typing");
  });
  $("text").addEventListener("blur", () => {
    clearTimeout(typingLayout);
    typingLayout = setTimeout(() => root.classList.remove("typing"), 250);
  });
  // Send keeps the keyboard open: the field keeps focus when the button is pressed
  $("send").addEventListener("mousedown", (e) => e.preventDefault());

  // ------------------------------------------------------------------ panels
  // "Direct help" and "really end?" are small panels in the page, not modal dialogs: the quick
  // exit stays one tap away while they are open. Escape closes them; focus goes in and back.
  function openHelp() {
    $("help").hidden = false;
    $("help-toggle").setAttribute("aria-expanded", "true");
    $("help-title").focus();
  }
  function closeHelp(returnFocus) {
    if ($("help").hidden) return false;
    $("help").hidden = true;
    $("help-toggle").setAttribute("aria-expanded", "false");
    if (returnFocus) $("help-toggle").focus();
    return true;
  }
  function openLeave() {
    if (!socket || leaving) return;
    $("send-error").textContent = "";
    $("leave-row").hidden = true;
    $("leave-confirm").hidden = false;
    $("leave").setAttribute("aria-expanded", "true");
    $("leave-question").focus();
  }
  function closeLeave(returnFocus) {
    if ($("leave-confirm").hidden) return false;
    $("leave-confirm").hidden = true;
    $("leave-row").hidden = false;
    $("leave").setAttribute("aria-expanded", "false");
    if (returnFocus) $("leave").focus();
    return true;
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
  // other ways to get help after a long wait, and always the emergency numbers with them
  function withEmergency(items) {
    const known = new Set(items.map((item) => item.phone || item.url));
    return items.concat((line.emergency || []).filter((item) => !known.has(item.phone || item.url)));
  }
  function onQueue(queue) {
    if (!queue || state === "ended") return;
    if (state !== "waiting") {
      alias = null;
      show("waiting");
    }
    $("position").textContent = String(queue.position);
    $("wait").textContent = waitText(queue.estimated_wait_seconds);
    // nobody on duty: say so and show where else to turn at once, with the emergency numbers
    const nobody = Boolean(queue.nobody_on_duty);
    const alternatives = Array.isArray(queue.alternatives) ? queue.alternatives : [];
    const shown = alternatives.length || nobody ? withEmergency(alternatives) : [];
    contacts($("alternatives"), shown);
    $("alternatives-title").textContent = t(nobody ? "alternatives_title_nobody" : "alternatives_title");
    $("alternatives").hidden = $("alternatives-box").hidden = !shown.length;
    followEnd();
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
    list.insertBefore(el, later || null);
    if (m.role === "operator") $("typing").hidden = true;
    if (state === "ended") $("chat").hidden = false;
    if (atEnd || m.role === "visitor") toEnd();
    if (!shown && m.role !== "visitor" && !(m.seq <= replayed)) {
      unread += 1;
      report();
    }
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
      tryAllTransports: true, // a proxy that blocks WebSocket: long-polling, not "no connection"
    });
    socket.on("connect", () => {
      notice("");
      if (token) probe();
    });
    socket.on("disconnect", (reason) => {
      if (token && reason !== "io client disconnect") notice(t("connection_lost"), true);
    });
    socket.on("connect_error", () => {
      if (token) notice(t("connection_lost"), true);
      else if (starting) unreachable();
    });
    socket.on("queue", onQueue);
    socket.on("assigned", onAssigned);
    socket.on("message", onMessage);
    socket.on("typing", onTyping);
    socket.on("ended", onEnded);
    return socket;
  }
  // Starting, and the server cannot be reached: say so now, not after a long timeout, and
  // drop the socket, so "try again" tries at once instead of waiting for the next back-off.
  function unreachable() {
    starting = false;
    $("start").removeAttribute("aria-busy");
    if (socket) {
      socket.off();
      socket.disconnect();
      socket = null;
    }
    if (!exiting) refuse("offline");
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
      if (state !== "intro") show("intro");
      consent.setAttribute("aria-invalid", "true");
      $("consent-error").textContent = t("consent_error");
      consent.focus();
      return;
    }
    if (starting) return;
    if (typeof io !== "function") return refuse("offline");
    starting = true;
    const attempt = ++attempts;
    $("start").setAttribute("aria-busy", "true");
    $("intro-help").hidden = true;
    notice("");
    const intake = {};
    const topic = $("intake-topic");
    const age = $("intake-age");
    if (topic && topic.value) intake.topic = topic.value;
    if (age && age.value) intake.age_band = age.value;
    connect()
      .timeout(10000)
      .emit("start", { consent: true, intake }, (err, ack) => {
        if (attempt !== attempts || !starting) return; // answered: the server was unreachable
        starting = false;
        $("start").removeAttribute("aria-busy");
        if (exiting) return;
        if (err || !ack) return refuse(socket && socket.connected ? "failed" : "offline");
        if (ack.ok) {
          token = ack.token;
          conversationId = ack.conversation_id;
          save();
          report();
          if (state !== "waiting" && state !== "chat") show("waiting");
          focus($("waiting-title"));
          return;
        }
        const code = ack.error && ack.error.code;
        if (code === "invalid_token" && !retried) return start(null, true);
        if (code === "closed") {
          renderLine({ ...line, open: false, next_open: ack.error.next_open || line.next_open });
          show("closed");
          focus($("closed-title"));
        } else if (code === "queue_full" || code === "line_full") refuse("full");
        else if (code === "blocked") refuse("blocked");
        else if (code === "rate_limited") refuse("limited");
        else if (code === "consent_required") {
          consent.checked = false;
          start();
          $("intro-help").hidden = false;
        } else refuse("failed");
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
  // only after "yes" in the confirmation: an ended chat cannot be resumed
  function leave() {
    if (!socket || leaving) return;
    leaving = true;
    $("leave-yes").setAttribute("aria-busy", "true");
    socket.timeout(8000).emit("leave", {}, (err, ack) => {
      leaving = false;
      $("leave-yes").removeAttribute("aria-busy");
      if (exiting) return;
      if (!err && ack && (ack.ok || (ack.error && ack.error.code === "ended"))) {
        closeLeave(false);
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
  function retry() {
    if (typeof io !== "function") location.reload(); // the chat's own script did not load
    else start(null);
  }

  // ------------------------------------------------------------------ quick exit
  // Wipe first, then tell the server (at most 300 ms), then leave: the host page navigates on
  // our message; opened on its own, the frame navigates itself. Works with the network down.
  function quickExit() {
    if (exiting) return;
    exiting = true;
    const url = (line && line.exit_url) || cfg.status.exit_url;
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
  // GOV.UK "Exit this page": Shift three times within 1.5 s, anywhere. Escape twice within 1 s
  // only outside form fields and panels: there Escape means "clear" or "close", and two of
  // them must not throw a person out of a conversation that cannot be resumed. The Escape
  // that closes a panel also quiets Escape for a second.
  const FIELDS = 'input, textarea, select, [contenteditable]:not([contenteditable="false"])';
  function shortcuts(action) {
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
          if (shifts.length >= 3) action();
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
    if (e.source !== window.parent || !e.data) return;
    if (e.data.type === "helpline:quick-exit") quickExit();
    else if (e.data.type === "helpline:visible") {
      shown = !!e.data.visible;
      if (shown) {
        unread = 0;
        followEnd();
      }
      report();
    }
  });
  if (EMBEDDED) {
    $("close").hidden = false;
    $("close").addEventListener("click", () => {
      shown = false; // count from now on, not from when the host page answers
      parent.postMessage({ type: "helpline:close" }, "*");
    });
  } else shown = true;
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

  const saved = loadSaved();
  if (saved && typeof io === "function") {
    // rebuild the whole view: the page is new, so everything is replayed (since 0)
    token = saved.token;
    conversationId = saved.conversation_id;
    replayed = +saved.since || 0;
    show("resuming");
    connect();
  } else {
    renderLine(line);
  }
  refreshLine();
  setInterval(() => {
    if (state === "intro" || state === "closed") refreshLine();
  }, 60000);
})();
