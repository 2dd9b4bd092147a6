/* The supervisor's live floor over the /operator namespace (docs/protocol.md §8.7, §8.8).
 *
 * The server pushes `dashboard` snapshots (coalesced, at most four a second) after `monitor`;
 * this script keeps the tables in step without rebuilding them, so a focused button stays
 * focused while the numbers change, and advances the running times itself between pushes.
 * Reading along (observe, or join as backup) opens a read-only transcript with a whisper box.
 *
 * Visitor and operator text is shown from the server's sanitized `html`; everything else
 * (names, reasons, whispers, broadcasts, labels) only through textContent. Alerts carry no
 * chat text: a notification can show on a locked screen or a shared monitor.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("config").textContent);
  var T = config.strings;
  var me = config.me;
  var lang = config.lang;
  var everConnected = false;
  var snapshotAt = 0; // performance.now() when the last dashboard arrived
  var floor = { lines: [], operators: [], conversations: [], backup_requests: [] };
  var panes = new Map(); // conversation id -> pane state
  var holdTarget = null;

  // ------------------------------------------------------------------ helpers
  var common = ConsoleCommon(T); // common.js
  var t = common.t, $ = common.$, el = common.el;
  var announce = common.announce, errorText = common.errorText;
  function lineName(id) { return config.lines[id] || id || ""; }
  function showNotice(text) { $("#notice").textContent = text; }
  function clock(seconds) {
    // 0:45, 12:05, 1:02:07 — a running time, read at a glance
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var rest = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + rest : m + ":" + rest;
  }
  function timeOf(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleTimeString(lang === "nl" ? "nl-NL" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  }
  function button(text, className, context) {
    // the visible word, plus what it acts on for screen readers ("Observe – Chat, Anna")
    var node = el("button", className || "");
    node.type = "button";
    node.appendChild(document.createTextNode(text));
    if (context !== undefined) node.appendChild(el("span", "visually-hidden", context ? " – " + context : ""));
    return node;
  }

  // ------------------------------------------------------------------ the socket
  var socket = io("/operator", { withCredentials: true });
  function call(event, data) {
    return socket.timeout(10000).emitWithAck(event, data || {}).catch(function () {
      return { ok: false, error: { code: "timeout" } };
    });
  }

  // ------------------------------------------------------------------ alerts: sound, notification
  var alerts = ConsoleAlerts([[880, 0], [660, 0.18], [880, 0.36]]);  // common.js: chime and notification
  var notify = alerts.notify;
  var setupAlertsButton = alerts.setup;

  function addAlert(key, kind, text, actions) {
    var list = $("#alert-list");
    var existing = list.querySelector('[data-key="' + key + '"]');
    if (existing) existing.remove();
    var item = el("li", "floor-alert " + kind);
    item.dataset.key = key;
    item.appendChild(el("p", "", text));
    var row = el("div", "buttons");
    (actions || []).forEach(function (action) { row.appendChild(action); });
    var dismiss = button(t("dismiss"), "quiet", text);
    dismiss.addEventListener("click", function () { removeAlert(key); $("#main").focus(); });
    row.appendChild(dismiss);
    item.appendChild(row);
    list.prepend(item);
    toggleAlerts();
    announce(text);
  }
  function removeAlert(key) {
    var item = $('#alert-list [data-key="' + key + '"]');
    if (item) item.remove();
    toggleAlerts();
  }
  function toggleAlerts() { $("#alerts").hidden = !$("#alert-list").children.length; }

  // ------------------------------------------------------------------ tables kept in step
  function syncRows(tbody, items, keyOf, build, update) {
    // reuse each row by key, so focus and state survive the next snapshot
    var seen = new Set();
    items.forEach(function (item, index) {
      var key = keyOf(item);
      seen.add(key);
      var row = tbody.querySelector('tr[data-key="' + key + '"]');
      if (!row) { row = build(item); row.dataset.key = key; }
      update(row, item);
      if (tbody.children[index] !== row) tbody.insertBefore(row, tbody.children[index] || null);
    });
    Array.prototype.slice.call(tbody.children).forEach(function (row) {
      if (!seen.has(row.dataset.key)) {
        if (row.contains(document.activeElement)) $("#main").focus();
        row.remove();
      }
    });
  }
  function cells(row, count) {
    while (row.children.length < count) row.appendChild(el(row.children.length ? "td" : "th"));
    row.firstElementChild.scope = "row";
    return row.children;
  }
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
  function runningCell(node, seconds, running) {
    // a time that advances by itself between snapshots (the server sends them only on change)
    node.dataset.base = String(seconds === null || seconds === undefined ? "" : seconds);
    node.dataset.run = running ? "1" : "";
    node.classList.add("num");
    renderRunning(node);
  }
  function renderRunning(node) {
    if (node.dataset.base === "") { setText(node, "–"); return; }
    var extra = node.dataset.run ? (performance.now() - snapshotAt) / 1000 : 0;
    setText(node, clock(Number(node.dataset.base) + extra));
  }
  function tick() {
    document.querySelectorAll("[data-run='1']").forEach(renderRunning);
    document.querySelectorAll("#backup-requests [data-base]").forEach(renderWaiting);
  }

  function renderLines() {
    syncRows($("#lines tbody"), floor.lines, function (line) { return line.id; },
      function () { return el("tr"); },
      function (row, line) {
        var c = cells(row, 8);
        setText(c[0], lineName(line.id));
        setText(c[1], String(line.waiting));
        c[1].className = "num" + (line.waiting ? " attention" : "");
        runningCell(c[2], line.waiting ? line.longest_wait_seconds : null, line.waiting > 0);
        [line.available, line.busy, line.paused, line.away, line.active].forEach(function (n, i) {
          setText(c[3 + i], String(n));
          c[3 + i].className = "num";
        });
      });
  }

  function riskLabel(node, risk) {
    var label = node.firstElementChild || node.appendChild(el("span"));
    label.className = "risk-label risk-" + risk;
    setText(label, t("risk_" + risk));
  }

  function renderConversations() {
    var list = floor.conversations;
    $("#no-conversations").hidden = list.length > 0;
    $("#conversations").parentElement.hidden = list.length === 0;
    syncRows($("#conversations tbody"), list, function (conv) { return conv.id; },
      function (conv) {
        var row = el("tr");
        cells(row, 8);
        var actions = row.children[7];
        var observe = button(t("act_observe"), "act-observe", "");
        observe.addEventListener("click", function () { startReading(conv.id, "observe"); });
        var hold = button(t("act_hold"), "act-hold quiet", "");
        hold.addEventListener("click", function () { openHold(conv.id); });
        var box = el("div", "row-actions");
        box.appendChild(observe);
        box.appendChild(hold);
        actions.appendChild(box);
        return row;
      },
      function (row, conv) {
        var c = row.children;
        var name = conv.operator || t("floor_nobody");
        var context = t("row_context", { line: lineName(conv.line), name: name });
        setText(c[0], lineName(conv.line));
        setText(c[1], t("conv_state_" + conv.state));
        setText(c[2], name);
        runningCell(c[3], conv.waited_seconds, conv.state === "waiting");
        runningCell(c[4], conv.state === "waiting" ? null : conv.duration_seconds, conv.state === "active");
        riskLabel(c[5], conv.risk);
        setText(c[6], conv.watchers.length ? conv.watchers.join(", ") : "–");
        row.className = "risk-row-" + conv.risk;
        var observe = $(".act-observe", row);
        var reading = panes.has(conv.id);
        var mine = conv.operator_id === me.id;
        observe.hidden = mine;
        observe.disabled = reading;
        observe.firstChild.textContent = reading ? t("act_reading") : t("act_observe");
        observe.lastChild.textContent = " – " + context;
        $(".act-hold", row).lastChild.textContent = " – " + context;
      });
  }

  function renderOperators() {
    var list = floor.operators;
    $("#no-operators").hidden = list.length > 0;
    $("#operators").parentElement.hidden = list.length === 0;
    syncRows($("#operators tbody"), list, function (op) { return op.id; },
      function () { return el("tr"); },
      function (row, op) {
        var c = cells(row, 5);
        setText(c[0], op.alias);
        setText(c[1], t("role_" + op.role));
        var full = op.state === "available" && op.load >= op.capacity;
        var state = c[2].firstElementChild || c[2].appendChild(el("span"));
        state.className = "state-label state-" + (full ? "busy" : op.state);
        setText(state, full ? t("state_busy") : t("state_" + op.state));
        setText(c[3], t("load_of", { load: op.load, capacity: op.capacity }));
        c[3].className = "num";
        runningCell(c[4], op.in_chat_seconds, op.in_chat_seconds !== null);
      });
  }

  function renderWaiting(node) {
    var extra = (performance.now() - snapshotAt) / 1000;
    setText(node, t("backup_waiting", { time: clock(Number(node.dataset.base) + extra) }));
  }

  function renderBackup() {
    var list = $("#backup-requests");
    var requests = floor.backup_requests;
    $("#no-backup").hidden = requests.length > 0;
    var seen = new Set();
    requests.forEach(function (request) {
      seen.add(request.conversation_id);
      var item = list.querySelector('[data-key="' + request.conversation_id + '"]');
      if (!item) {
        item = el("li", "backup-item");
        item.dataset.key = request.conversation_id;
        item.appendChild(el("p", "who"));
        item.appendChild(el("p", "reason"));
        item.appendChild(el("p", "waited"));
        var join = button(t("backup_join"), "primary", request.operator);
        join.addEventListener("click", function () { startReading(request.conversation_id, "backup_join"); });
        item.appendChild(join);
        list.appendChild(item);
      }
      var conv = floor.conversations.find(function (c) { return c.id === request.conversation_id; });
      setText($(".who", item), t(request.escalated ? "backup_alert_escalated" : "backup_alert", {
        name: request.operator, line: lineName(conv && conv.line),
      }));
      var reason = $(".reason", item);
      reason.hidden = !request.reason;
      setText(reason, request.reason ? t("backup_alert_reason", { reason: request.reason }) : "");
      var waited = $(".waited", item);
      waited.dataset.base = String(request.waiting_seconds);
      renderWaiting(waited);
      item.classList.toggle("escalated", !!request.escalated);
    });
    Array.prototype.slice.call(list.children).forEach(function (item) {
      if (!seen.has(item.dataset.key)) {
        if (item.contains(document.activeElement)) $("#main").focus();
        item.remove();
      }
    });
  }

  function renderFloor() {
    renderLines();
    renderConversations();
    renderOperators();
    renderBackup();
    panes.forEach(renderPaneFacts);
  }

  // ------------------------------------------------------------------ reading along
  function startReading(id, event) {
    call(event, { conversation_id: id }).then(function (ack) {
      if (!ack.ok) { showNotice(errorText(ack)); return; }
      var pane = ensurePane(ack.conversation, event === "backup_join" ? "backup" : "observer");
      removeAlert("backup-" + id);
      renderConversations();
      $(".transcript", pane.node).focus();
    });
  }

  function ensurePane(data, kind) {
    var pane = panes.get(data.id);
    if (!pane) {
      var node = $("#pane-template").content.firstElementChild.cloneNode(true);
      var suffix = "-" + data.id;
      node.id = "pane" + suffix;
      node.querySelectorAll("[data-id]").forEach(function (x) { x.id = x.dataset.id + suffix; });
      node.querySelectorAll("[data-for]").forEach(function (x) { x.htmlFor = x.dataset.for + suffix; });
      node.querySelectorAll("[data-describedby]").forEach(function (x) {
        x.setAttribute("aria-describedby", x.dataset.describedby + suffix);
      });
      $(".pane-title", node).id = "pane-title" + suffix;
      node.setAttribute("aria-labelledby", "pane-title" + suffix);
      $(".transcript", node).setAttribute("aria-label", t("transcript"));
      pane = { id: data.id, node: node, messages: new Map(), kind: kind, typingTimer: null };
      panes.set(data.id, pane);
      wirePane(pane);
      $("#panes").prepend(node);
      $("#no-observing").hidden = true;
    }
    pane.kind = kind;
    pane.line = data.line;
    pane.risk = data.risk;
    pane.assigned_at = data.assigned_at;
    (data.messages || []).forEach(function (message) { addMessage(pane, message); });
    renderPaneFacts(pane);
    return pane;
  }

  function renderPaneFacts(pane) {
    var conv = floor.conversations.find(function (c) { return c.id === pane.id; }) || {};
    var name = conv.operator || t("floor_nobody");
    setText($(".pane-title", pane.node), t("pane_title", { line: lineName(pane.line), name: name }));
    var facts = $(".facts", pane.node);
    facts.textContent = "";
    [[t("col_state"), conv.state ? t("conv_state_" + conv.state) : ""],
     [t("col_risk"), t("risk_" + (conv.risk || pane.risk || "none"))],
     [t("reading_as"), t("reading_as_" + pane.kind)]].forEach(function (pair) {
      if (!pair[1]) return;
      var box = el("div");
      box.appendChild(el("dt", "", pair[0]));
      box.appendChild(el("dd", "", pair[1]));
      facts.appendChild(box);
    });
    $(".act-takeover", pane.node).hidden = conv.state !== "active";
  }

  function paneStatus(pane, text) { $(".pane-status", pane.node).textContent = text; }

  function wirePane(pane) {
    var form = $(".whisper-form", pane.node);
    var area = $("textarea", form);
    var error = $(".error", form);
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = area.value.trim();
      if (!text) { error.textContent = t("error_empty"); return; }
      error.textContent = "";
      call("whisper", { conversation_id: pane.id, text: text }).then(function (ack) {
        if (ack.ok) { area.value = ""; area.focus(); } else error.textContent = errorText(ack);
      });
    });
    $(".act-takeover", pane.node).addEventListener("click", function () {
      call("takeover", { conversation_id: pane.id }).then(function (ack) {
        if (!ack.ok) { paneStatus(pane, errorText(ack)); return; }
        removePane(pane.id, null);
        showTookOver();
      });
    });
    $(".act-stop", pane.node).addEventListener("click", function () {
      call("unobserve", { conversation_id: pane.id }).then(function (ack) {
        if (ack.ok || (ack.error && ack.error.code === "forbidden")) removePane(pane.id, t("stopped_reading"));
        else paneStatus(pane, errorText(ack));
      });
    });
  }

  function showTookOver() {
    var box = $("#notice");
    box.textContent = t("took_over") + " ";
    var link = el("a", "", t("open_console"));
    link.href = "/console?lang=" + encodeURIComponent(lang);
    box.appendChild(link);
    link.focus();
  }

  function removePane(id, notice) {
    var pane = panes.get(id);
    if (!pane) return;
    var hadFocus = pane.node.contains(document.activeElement);
    pane.node.remove();
    panes.delete(id);
    $("#no-observing").hidden = panes.size > 0;
    renderConversations();
    if (notice) showNotice(notice);
    if (hadFocus) $("#main").focus();
  }

  function setBanner(pane, key, kind, text) {
    var box = $(".banners", pane.node);
    var existing = box.querySelector('[data-key="' + key + '"]');
    if (!text) { if (existing) existing.remove(); return; }
    var banner = existing || el("div");
    banner.className = "banner " + kind;
    banner.dataset.key = key;
    banner.setAttribute("role", kind === "danger" || kind === "warning" ? "alert" : "status");
    banner.textContent = text;
    if (!existing) box.appendChild(banner);
  }

  function addMessage(pane, message) {
    if (pane.messages.has(message.id)) return;
    pane.messages.set(message.id, message);
    var item = el("div", "msg role-" + message.role);
    item.dataset.seq = String(message.seq || 0);
    var mine = message.author_id === me.id;
    var who;
    if (message.role === "visitor") who = t("role_visitor");
    else if (message.role === "operator") who = message.author || t("role_colleague");
    else if (message.role === "system") who = t("role_system");
    else if (message.role === "whisper") who = t("role_whisper", { author: mine ? t("role_you") : (message.author || "") });
    else who = t("role_note", { author: message.author || "" });
    var meta = el("p", "meta");
    meta.appendChild(el("span", "who", who));
    var time = el("time", "", timeOf(message.at));
    time.dateTime = message.at || "";
    meta.appendChild(time);
    if (message.role === "visitor" && (!pane.assigned_at || (message.at && message.at < pane.assigned_at))) {
      meta.appendChild(el("span", "tag", t("while_waiting")));
    }
    item.appendChild(meta);
    var body = el("div", "body");
    if ((message.role === "visitor" || message.role === "operator") && typeof message.html === "string") {
      body.innerHTML = message.html; // sanitized by the server (bleach), the only HTML we show
      body.querySelectorAll("a").forEach(function (link) {
        link.target = "_blank";
        link.rel = "noopener noreferrer nofollow";
      });
    } else {
      body.textContent = message.text;
    }
    item.appendChild(body);
    var list = $(".transcript", pane.node);
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    var after = null;
    for (var child = list.lastElementChild; child; child = child.previousElementSibling) {
      if (Number(child.dataset.seq) <= Number(item.dataset.seq)) { after = child; break; }
    }
    if (after) after.after(item); else list.prepend(item);
    if (message.role === "visitor") setTyping(pane, false);
    if (nearBottom) list.scrollTop = list.scrollHeight;
  }

  function setTyping(pane, active) {
    var line = $(".typing", pane.node);
    window.clearTimeout(pane.typingTimer);
    line.textContent = active ? t("visitor_typing") : "";
    if (active) pane.typingTimer = window.setTimeout(function () { line.textContent = ""; }, 10000);
  }

  // ------------------------------------------------------------------ hold and broadcast
  var holdDialog = $("#dlg-hold");
  var holdForm = $("form", holdDialog);
  function openHold(id) {
    holdTarget = id;
    $("#hold-reason").value = "";
    $("#hold-days").value = String(config.hold_max_days);
    $(".error", holdForm).textContent = "";
    holdDialog.showModal();
  }
  holdForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var choice = event.submitter ? event.submitter.value : "ok";
    if (choice === "cancel") { holdDialog.close("cancel"); return; }
    var error = $(".error", holdForm);
    var reason = $("#hold-reason").value.trim();
    var days = Number($("#hold-days").value);
    if (!reason) { error.textContent = t("error_hold_reason"); $("#hold-reason").focus(); return; }
    if (!Number.isInteger(days) || days < 1 || days > config.hold_max_days) {
      error.textContent = t("error_hold_days", { days: config.hold_max_days });
      $("#hold-days").focus();
      return;
    }
    call("hold", { conversation_id: holdTarget, reason: reason, days: days }).then(function (ack) {
      if (!ack.ok) { error.textContent = errorText(ack); return; }
      holdDialog.close("ok");
      var until = new Date(ack.expires_at).toLocaleDateString(lang === "nl" ? "nl-NL" : "en-GB",
        { day: "numeric", month: "long", year: "numeric" });
      showNotice(t("hold_placed", { date: until }));
    });
  });

  $("#broadcast-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var area = $("#broadcast-text");
    var error = $("#broadcast-error");
    var text = area.value.trim();
    if (!text) { error.textContent = t("error_empty"); area.focus(); return; }
    error.textContent = "";
    call("broadcast", { text: text }).then(function (ack) {
      if (ack.ok) { area.value = ""; showNotice(t("broadcast_sent")); } else error.textContent = errorText(ack);
    });
  });

  function showBroadcast(data) {
    var box = el("div", "banner info broadcast");
    box.setAttribute("role", "status");
    box.appendChild(el("span", "", t("broadcast_from", { name: data.from, text: data.text })));
    var close = button(t("dismiss"), "quiet");
    close.addEventListener("click", function () { box.remove(); $("#main").focus(); });
    box.appendChild(close);
    $("#broadcasts").appendChild(box);
  }

  // ------------------------------------------------------------------ server events
  function paneFor(data) { return data && panes.get(data.conversation_id); }

  socket.on("connect", function () {
    $("#connection").hidden = true;
    call("monitor").then(function (ack) {
      if (!ack.ok) { $("#status-text").textContent = errorText(ack); return; }
      $("#status-text").textContent = t("floor_live");
    });
    if (everConnected) {
      // the transcript is not re-sent after a reconnect (§8.1): ask again, merge by id
      panes.forEach(function (pane) {
        call(pane.kind === "backup" ? "backup_join" : "observe", { conversation_id: pane.id }).then(function (ack) {
          if (ack.ok) ensurePane(ack.conversation, pane.kind);
          else removePane(pane.id, t("reading_ended"));
        });
      });
    }
    everConnected = true;
  });
  socket.on("disconnect", function (reason) {
    var box = $("#connection");
    box.textContent = t("floor_connection_lost");
    box.hidden = false;
    $("#status-text").textContent = t("connecting");
    // closed by the server (the account was changed or deactivated): socket.io does not
    // retry then; connect again, and an ended session is refused and goes to the login
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", function (error) {
    if (error && error.message === "unauthorized") {
      window.location.assign("/login?lang=" + encodeURIComponent(lang));
      return;
    }
    var box = $("#connection");
    box.textContent = t("floor_connection_lost");
    box.hidden = false;
  });

  socket.on("dashboard", function (data) {
    floor = data;
    snapshotAt = performance.now();
    renderFloor();
    document.body.dataset.updated = String(Date.now()); // for tests and the curious
  });

  socket.on("message", function (message) {
    var pane = paneFor(message);
    if (pane) addMessage(pane, message);
  });
  socket.on("typing", function (data) {
    var pane = paneFor(data);
    if (pane) setTyping(pane, !!data.active);
  });
  socket.on("visitor_connection", function (data) {
    var pane = paneFor(data);
    if (pane) setBanner(pane, "connection", "warning", data.connected ? "" : t("visitor_dropped"));
  });
  socket.on("visitor_left", function (data) {
    var pane = paneFor(data);
    if (!pane) return;
    setTyping(pane, false);
    setBanner(pane, "connection", "", "");
    setBanner(pane, "left", data.reason === "quick_exit" ? "safety" : "warning", t("left_" + data.reason));
    if (data.reason === "forgot") { $(".transcript", pane.node).textContent = ""; pane.messages.clear(); }
  });
  socket.on("released", function (data) {
    if (panes.has(data.conversation_id)) removePane(data.conversation_id, t("reading_ended"));
  });
  socket.on("emergency_procedure", function (data) {
    var pane = paneFor(data);
    if (pane) setBanner(pane, "emergency", "danger", t("emergency_banner", { text: data.text }));
  });

  socket.on("risk_alert", function (data) {
    var text = t("risk_alert", { name: data.by, line: lineName(data.line) });
    var observe = button(t("act_observe"), "primary", text);
    observe.addEventListener("click", function () {
      removeAlert("risk-" + data.conversation_id);
      startReading(data.conversation_id, "observe");
    });
    addAlert("risk-" + data.conversation_id, "danger", text, panes.has(data.conversation_id) ? [] : [observe]);
    notify(t("notify_risk_title"), text, "risk-" + data.conversation_id);
  });
  socket.on("backup_requested", function (data) {
    if (!data.escalated) return; // the list shows it; the alert is for nobody answering
    var text = t("backup_alert_escalated", { name: data.operator, line: lineName(data.line) });
    var join = button(t("backup_join"), "primary", text);
    join.addEventListener("click", function () { startReading(data.conversation_id, "backup_join"); });
    addAlert("backup-" + data.conversation_id, "warning", text, [join]);
    notify(t("notify_backup_title"), text, "backup-" + data.conversation_id);
  });
  socket.on("backup_answered", function (data) {
    removeAlert("backup-" + data.conversation_id);
  });
  socket.on("broadcast", function (data) {
    showBroadcast(data);
    announce(t("broadcast_from", { name: data.from, text: data.text }));
  });

  setupAlertsButton();
  window.setInterval(tick, 1000);
})();
