/* The operator console: one evening shift of chats over the /operator namespace.
 *
 * No framework: the page is rendered by the server, this script keeps it in step with the
 * socket. Visitor and operator text is shown from the server's sanitized `html`; everything
 * else (system lines, notes, whispers, names, config labels) only ever through textContent.
 * The wire contract is docs/protocol.md, section 8.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("config").textContent);
  var T = config.strings;
  var me = config.me;
  var lang = config.lang;
  var baseTitle = document.title;
  var ALERTED = "console.alerted"; // conversations already announced, survives a reload

  var conversations = new Map(); // id -> conversation state, in tab order
  var activeId = null;
  var numbered = 0;
  var offers = []; // handover offers waiting for an answer, oldest first
  var offerShown = null;
  var everConnected = false;
  var staleTimer = null;

  // ------------------------------------------------------------------ small helpers
  var common = ConsoleCommon(T); // common.js
  var t = common.t, $ = common.$, el = common.el;
  var announce = common.announce, errorText = common.errorText;
  function showNotice(text) {
    // visible and spoken (role=status); replaces the previous notice, nothing piles up
    $("#notice").textContent = text;
  }
  function timeOf(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleTimeString(lang === "nl" ? "nl-NL" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  }
  function topicLabel(list, id) {
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i].label;
    return id;
  }
  function alerted() {
    try { return JSON.parse(sessionStorage.getItem(ALERTED) || "[]"); } catch (e) { return []; }
  }
  function markAlerted(id) {
    try {
      var seen = alerted().slice(-50);
      seen.push(id);
      sessionStorage.setItem(ALERTED, JSON.stringify(seen));
    } catch (e) { /* private mode: alerts may repeat after a reload, nothing worse */ }
  }

  // ------------------------------------------------------------------ the socket
  var socket = io("/operator", { withCredentials: true });

  function call(event, data) {
    return socket.timeout(10000).emitWithAck(event, data || {}).catch(function () {
      return { ok: false, error: { code: "timeout" } };
    });
  }

  // ------------------------------------------------------------------ alerts
  var alerts = ConsoleAlerts([[660, 0], [880, 0.18]]);  // common.js: chime and notification
  var notify = alerts.notify;
  var setupAlertsButton = alerts.setup;

  function updateTitle() {
    var unread = 0;
    conversations.forEach(function (conv) { unread += conv.unread; });
    document.title = unread ? "(" + unread + ") " + baseTitle : baseTitle;
  }

  // ------------------------------------------------------------------ status switch
  var statusRadios = Array.prototype.slice.call(document.querySelectorAll('#status-switch input'));

  function showStatus(status) {
    statusRadios.forEach(function (radio) { radio.checked = radio.value === status.state; });
    var text = t("status_text", {
      state: t("state_" + status.state), load: status.load, capacity: status.capacity,
    });
    if (status.reason === "debrief") text += " " + t("status_debrief");
    $("#status-text").textContent = text;
    $("#empty").textContent = t(status.state === "available" ? "no_conversations_available" : "no_conversations");
    document.body.dataset.state = status.state;
  }
  statusRadios.forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked) return;
      call("status", { state: radio.value }).then(function (ack) {
        if (!ack.ok) $("#status-text").textContent = errorText(ack);
      });
    });
  });

  // ------------------------------------------------------------------ tabs
  var tabs = $("#tabs");
  var panels = $("#panels");

  function selectTab(id, focusTab) {
    activeId = id;
    conversations.forEach(function (conv, key) {
      var on = key === id;
      conv.tab.setAttribute("aria-selected", on ? "true" : "false");
      conv.tab.tabIndex = on ? 0 : -1;
      conv.panel.hidden = !on;
      if (on && !document.hidden) { conv.unread = 0; renderTab(conv); }
    });
    $("#empty").hidden = conversations.size > 0;
    if (focusTab && id && conversations.has(id)) conversations.get(id).tab.focus();
    updateTitle();
    if (id && conversations.has(id)) scrollDown(conversations.get(id));
  }

  tabs.addEventListener("keydown", function (event) {
    var ids = Array.from(conversations.keys());
    var at = ids.indexOf(activeId);
    var next = null;
    if (event.key === "ArrowRight") next = ids[(at + 1) % ids.length];
    else if (event.key === "ArrowLeft") next = ids[(at - 1 + ids.length) % ids.length];
    else if (event.key === "Home") next = ids[0];
    else if (event.key === "End") next = ids[ids.length - 1];
    if (next) { event.preventDefault(); selectTab(next, true); }
  });

  function renderTab(conv) {
    var tab = conv.tab;
    tab.textContent = "";
    tab.appendChild(el("span", "tab-name", t("conversation_n", { n: conv.number })));
    tab.appendChild(el("span", "tab-line", config.lines[conv.line] || conv.line));
    if (conv.mode === "reader") tab.appendChild(el("span", "tab-flag", t("tab_reading")));
    if (conv.left) tab.appendChild(el("span", "tab-flag left", t("tab_left")));
    if (conv.unread) {
      var badge = el("span", "badge", String(conv.unread));
      badge.setAttribute("aria-hidden", "true");
      tab.appendChild(badge);
      tab.appendChild(el("span", "visually-hidden", t("unread_n", { n: conv.unread })));
    }
  }

  // ------------------------------------------------------------------ one conversation
  function buildPanel(conv) {
    var panel = $("#panel-template").content.firstElementChild.cloneNode(true);
    var suffix = "-" + conv.id;
    panel.id = "panel" + suffix;
    panel.setAttribute("aria-labelledby", "tab" + suffix);
    panel.querySelectorAll("[data-id]").forEach(function (node) { node.id = node.dataset.id + suffix; });
    panel.querySelectorAll("[data-for]").forEach(function (node) { node.htmlFor = node.dataset.for + suffix; });
    panel.querySelectorAll("[data-labelledby]").forEach(function (node) {
      node.setAttribute("aria-labelledby", node.dataset.labelledby + suffix);
    });
    panel.querySelectorAll("[data-describedby]").forEach(function (node) {
      node.setAttribute("aria-describedby", node.dataset.describedby.split(" ").map(function (x) { return x + suffix; }).join(" "));
    });
    var tab = el("button", "tab");
    tab.type = "button";
    tab.id = "tab" + suffix;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", panel.id);
    tab.addEventListener("click", function () { selectTab(conv.id, false); });
    conv.tab = tab;
    conv.panel = panel;
    conv.transcript = $(".transcript", panel);
    conv.transcript.setAttribute("aria-label", t("transcript"));
    conv.notes = $(".note-list", panel);
    conv.banners = $(".banners", panel);
    wirePanel(conv);
    tabs.appendChild(tab);
    panels.appendChild(panel);
  }

  function wirePanel(conv) {
    var panel = conv.panel;
    var compose = $(".compose", panel);
    var text = $("textarea", compose);
    var typingTimer = null;
    var typingSent = false;

    function stopTyping() {
      window.clearTimeout(typingTimer);
      if (typingSent && conv.mode === "holder") call("typing", { conversation_id: conv.id, active: false });
      typingSent = false;
    }
    text.addEventListener("input", function () {
      if (conv.mode !== "holder" || conv.left) return;
      if (!typingSent) { typingSent = true; call("typing", { conversation_id: conv.id, active: true }); }
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(stopTyping, 4000);
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        compose.requestSubmit();
      }
    });
    compose.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = text.value.trim();
      var error = $(".error", compose);
      if (!value) { error.textContent = t("error_empty"); return; }
      error.textContent = "";
      stopTyping();
      var event_ = conv.mode === "holder" && !conv.whisperOnly ? "message" : "whisper";
      call(event_, { conversation_id: conv.id, text: value }).then(function (ack) {
        if (ack.ok) { text.value = ""; text.focus(); } else { error.textContent = errorText(ack); }
      });
    });

    // canned responses: "Insert" puts the chosen text at the cursor; the volunteer edits and
    // sends it as usual, nothing is ever sent by choosing
    var cannedSelect = $(".canned select", compose);
    $(".canned-insert", compose).addEventListener("click", function () {
      var item = cannedFor(conv).find(function (c) { return c.id === cannedSelect.value; });
      if (!item) { cannedSelect.focus(); return; }
      var start = text.selectionStart, end = text.selectionEnd;
      text.focus();
      text.setRangeText(item.text, start, end, "end");
      text.dispatchEvent(new Event("input", { bubbles: true }));
      cannedSelect.value = "";
    });

    var noteForm = $(".note-form", panel);
    noteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var area = $("textarea", noteForm);
      var error = $(".error", noteForm);
      if (!area.value.trim()) { error.textContent = t("error_empty"); return; }
      call("note", { conversation_id: conv.id, text: area.value.trim() }).then(function (ack) {
        if (ack.ok) { area.value = ""; error.textContent = ""; } else { error.textContent = errorText(ack); }
      });
    });

    $(".flag-form", panel).addEventListener("submit", function (event) {
      event.preventDefault();
      var risk = $("select", event.target).value;
      call("flag", { conversation_id: conv.id, risk: risk }).then(function (ack) {
        if (ack.ok) { conv.risk = ack.risk; renderFacts(conv); actionStatus(conv, t("flagged", { risk: t("risk_" + ack.risk) })); }
        else actionStatus(conv, errorText(ack));
      });
    });
    $(".act-end", panel).addEventListener("click", function () { openWrapup(conv); });
    $(".act-backup", panel).addEventListener("click", function () { openBackup(conv); });
    $(".act-handover", panel).addEventListener("click", function () { openHandover(conv); });
    $(".act-block", panel).addEventListener("click", function () { openBlock(conv); });
    $(".act-takeover", panel).addEventListener("click", function () {
      call("takeover", { conversation_id: conv.id }).then(function (ack) {
        if (!ack.ok) actionStatus(conv, errorText(ack));
      });
    });
    $(".act-stop", panel).addEventListener("click", function () {
      call("unobserve", { conversation_id: conv.id }).then(function (ack) {
        if (ack.ok) removeConversation(conv.id, t("stopped_reading"));
        else actionStatus(conv, errorText(ack));
      });
    });
  }

  function cannedFor(conv) { return (config.canned || {})[conv.line] || []; }

  function renderCanned(conv, show) {
    var row = $(".compose .canned", conv.panel);
    var select = $("select", row);
    var items = cannedFor(conv);
    if (select.options.length !== items.length + 1) {
      while (select.options.length > 1) select.remove(1);
      items.forEach(function (item) {
        var option = el("option", null, item.title);
        option.value = item.id;
        option.title = item.text;
        select.appendChild(option);
      });
    }
    row.hidden = !show || !items.length;
    $(".compose .canned-hint", conv.panel).hidden = row.hidden;
  }

  function actionStatus(conv, text) { $(".action-status", conv.panel).textContent = text; }

  function renderMode(conv) {
    var panel = conv.panel;
    var holder = conv.mode === "holder";
    ["act-end", "act-backup", "act-handover", "act-block"].forEach(function (name) { $("." + name, panel).hidden = !holder; });
    $(".act-takeover", panel).hidden = holder || !!conv.left;
    $(".act-stop", panel).hidden = holder;
    $(".note-form", panel).hidden = !holder;
    $(".act-end", panel).textContent = conv.left ? t("wrapup_now") : t("end");
    $(".act-handover", panel).disabled = !!conv.left;
    var label = $(".compose label", panel);
    var area = $(".compose textarea", panel);
    var send = $(".compose .send", panel);
    // the holder writes to the visitor; with the visitor gone, or as a reader-along, the box
    // whispers, and only while there is someone to whisper to
    var canMessage = holder && !conv.left;
    var canWhisper = !holder || conv.observers.size > 0;
    conv.whisperOnly = !canMessage;
    $(".compose", panel).hidden = !canMessage && !canWhisper;
    if (canMessage) { label.textContent = t("your_message"); send.textContent = t("send"); }
    else { label.textContent = t("whisper_label"); send.textContent = t("whisper_send"); }
    area.disabled = false;
    renderCanned(conv, canMessage);
    conv.panel.classList.toggle("visitor-gone", !!conv.left);
    renderTab(conv);
  }

  function renderFacts(conv) {
    var facts = $(".facts", conv.panel);
    facts.textContent = "";
    function fact(label, value, className) {
      if (value === undefined || value === null || value === "") return;
      var box = el("div", className);
      box.appendChild(el("dt", "", label));
      box.appendChild(el("dd", "", value));
      facts.appendChild(box);
    }
    fact(t("fact_line"), config.lines[conv.line] || conv.line);
    fact(t("fact_language"), conv.lang ? t("language_" + conv.lang) : "");
    fact(t("fact_topic"), conv.intake.topic ? topicLabel(config.intake_topics, conv.intake.topic) : t("not_given"));
    fact(t("fact_age"), conv.intake.age_band || t("not_given"));
    fact(t("fact_risk"), t("risk_" + (conv.risk || "none")), "risk risk-" + (conv.risk || "none"));
    if (conv.started_at) fact(t("fact_started"), timeOf(conv.started_at));
    $(".conv-title", conv.panel).textContent = t("conversation_n", { n: conv.number }) +
      (conv.mode === "reader" ? " – " + t("tab_reading") : "");
  }

  function renderObserved(conv) {
    var sign = $(".observed", conv.panel);
    var names = [];
    conv.observers.forEach(function (kind, by) { names.push(t("observer_" + kind, { name: by })); });
    sign.hidden = names.length === 0;
    sign.textContent = names.length ? t("observed_by", { names: names.join(", ") }) : "";
    renderMode(conv);
  }

  function setBanner(conv, key, kind, text) {
    var existing = conv.banners.querySelector('[data-key="' + key + '"]');
    if (!text) { if (existing) existing.remove(); return; }
    var banner = existing || el("div");
    banner.className = "banner " + kind;
    banner.dataset.key = key;
    banner.setAttribute("role", kind === "danger" || kind === "warning" ? "alert" : "status");
    banner.textContent = text;
    if (!existing) conv.banners.appendChild(banner);
  }

  function ensureConversation(data, mode) {
    var conv = conversations.get(data.id);
    var isNew = !conv;
    if (isNew) {
      numbered += 1;
      conv = {
        id: data.id, number: numbered, messages: new Map(), unread: 0, observers: new Map(),
        left: null, mode: mode, typingTimer: null,
      };
      conversations.set(data.id, conv);
      buildPanel(conv);
    }
    conv.mode = mode;
    conv.stale = false;
    conv.line = data.line;
    conv.lang = data.lang;
    conv.intake = data.intake || {};
    conv.risk = data.risk || conv.risk || "none";
    conv.started_at = data.started_at;
    conv.assigned_at = data.assigned_at;
    if (data.state === "wrapup" && !conv.left) conv.left = "left";
    (data.messages || []).forEach(function (message) { addMessage(conv, message, false); });
    if (data.handover_note) setBanner(conv, "handover-note", "info", t("handover_note_banner", { note: data.handover_note }));
    renderFacts(conv);
    renderMode(conv);
    if (!activeId || !conversations.has(activeId)) selectTab(conv.id, false);
    else selectTab(activeId, false);
    return { conv: conv, isNew: isNew };
  }

  function messageNode(conv, message) {
    var item = el(message.role === "note" ? "li" : "div", "msg role-" + message.role);
    item.dataset.role = message.role;
    item.dataset.seq = String(message.seq || 0);
    item.dataset.id = message.id;
    var mine = message.author_id === me.id;
    if (mine) item.classList.add("mine");
    var who;
    if (message.role === "visitor") who = t("role_visitor");
    else if (message.role === "operator") who = mine ? t("role_you") : (message.author || t("role_colleague"));
    else if (message.role === "system") who = t("role_system");
    else if (message.role === "whisper") who = t("role_whisper", { author: mine ? t("role_you") : (message.author || "") });
    else who = t("role_note", { author: mine ? t("role_you") : (message.author || "") });
    var meta = el("p", "meta");
    meta.appendChild(el("span", "who", who));
    var time = el("time", "", timeOf(message.at));
    time.dateTime = message.at || "";
    meta.appendChild(time);
    if (message.role === "visitor" && conv.assigned_at && message.at && message.at < conv.assigned_at) {
      meta.appendChild(el("span", "tag", t("while_waiting")));
    }
    item.appendChild(meta);
    var body = el("div", "body");
    if ((message.role === "visitor" || message.role === "operator") && typeof message.html === "string") {
      body.innerHTML = message.html; // sanitized by the server (bleach), the only HTML we show
      body.querySelectorAll("a").forEach(function (link) {
        link.target = "_blank"; // never navigate the console away mid-shift
        link.rel = "noopener noreferrer nofollow";
      });
    } else {
      body.textContent = message.text;
    }
    item.appendChild(body);
    return item;
  }

  function insertInOrder(list, node) {
    var seq = Number(node.dataset.seq);
    var after = null;
    for (var child = list.lastElementChild; child; child = child.previousElementSibling) {
      if (Number(child.dataset.seq) <= seq) { after = child; break; }
    }
    if (after) after.after(node); else list.prepend(node);
  }

  function addMessage(conv, message, live) {
    if (conv.messages.has(message.id)) return;
    conv.messages.set(message.id, message);
    var node = messageNode(conv, message);
    var nearBottom = conv.transcript.scrollHeight - conv.transcript.scrollTop - conv.transcript.clientHeight < 80;
    if (message.role === "note") insertInOrder(conv.notes, node);
    else insertInOrder(conv.transcript, node);
    if (message.role === "visitor") setTyping(conv, false);
    if (live && message.author_id !== me.id && (message.role === "visitor" || message.role === "whisper")) {
      if (conv.id !== activeId || document.hidden) { conv.unread += 1; renderTab(conv); updateTitle(); }
    }
    if (nearBottom || !live) scrollDown(conv);
  }

  function scrollDown(conv) { conv.transcript.scrollTop = conv.transcript.scrollHeight; }

  function setTyping(conv, active) {
    var line = $(".typing", conv.panel);
    window.clearTimeout(conv.typingTimer);
    line.textContent = active ? t("visitor_typing") : "";
    if (active) conv.typingTimer = window.setTimeout(function () { line.textContent = ""; }, 10000);
  }

  function removeConversation(id, notice) {
    var conv = conversations.get(id);
    if (!conv) return;
    var hadFocus = conv.panel.contains(document.activeElement) || conv.tab === document.activeElement;
    conv.tab.remove();
    conv.panel.remove();
    conversations.delete(id);
    if (activeId === id) activeId = conversations.size ? Array.from(conversations.keys())[0] : null;
    selectTab(activeId, false);
    if (hadFocus) {
      if (activeId) conversations.get(activeId).tab.focus(); else $("#main").focus();
    }
    if (notice) showNotice(notice);
  }

  // ------------------------------------------------------------------ dialogs
  function dialog(id, onSubmit) {
    var box = document.getElementById(id);
    var form = $("form", box);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var choice = event.submitter ? event.submitter.value : "ok";
      if (choice === "cancel") { box.close("cancel"); return; }
      var error = $('.error[role="alert"]', form);
      error.textContent = "";
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      Promise.resolve(onSubmit(choice, box)).then(function (ack) {
        buttons.forEach(function (b) { b.disabled = false; });
        if (ack && ack.ok === false) error.textContent = errorText(ack);
        else if (ack !== null) box.close(choice);
      });
    });
    return box;
  }

  var target = null; // the conversation a dialog acts on
  var backupDialog = dialog("dlg-backup", function () {
    return call("backup_request", { conversation_id: target.id, reason: $("#backup-reason").value.trim() })
      .then(function (ack) {
        if (ack.ok) { actionStatus(target, t("backup_requested_ok")); $("#backup-reason").value = ""; }
        return ack;
      });
  });
  function openBackup(conv) { target = conv; backupDialog.showModal(); }

  var handoverDialog = dialog("dlg-handover", function () {
    var to = $("#handover-to").value;
    var note = $("#handover-note").value.trim();
    var conv = target;
    if (!to) { $("#handover-to").focus(); return { ok: false, error: { code: "handover_choose" } }; }
    return call("handover", { conversation_id: conv.id, to: to, note: note }).then(function (ack) {
      if (ack.ok) {
        $("#handover-note").value = "";
        if (ack.pending) {
          var option = $("#handover-to").selectedOptions[0];
          actionStatus(conv, t("handover_pending", { name: option ? option.dataset.alias : "" }));
        }
      }
      return ack;
    });
  });
  function openHandover(conv) {
    target = conv;
    var select = $("#handover-to");
    select.textContent = "";
    var choose = el("option", "", t("handover_choose"));
    choose.value = ""; // nothing preselected: a stray Enter must not send anyone to the queue
    select.appendChild(choose);
    var queue = el("option", "", t("handover_queue"));
    queue.value = "queue";
    select.appendChild(queue);
    call("colleagues").then(function (ack) {
      (ack.colleagues || []).forEach(function (colleague) {
        var free = colleague.state === "available" && colleague.load < colleague.capacity;
        var option = el("option", "", t("colleague_option", {
          name: colleague.alias, state: t("state_" + colleague.state), load: colleague.load, capacity: colleague.capacity,
        }));
        option.value = colleague.id;
        option.dataset.alias = colleague.alias;
        option.disabled = !free;
        select.appendChild(option);
      });
    });
    handoverDialog.showModal();
  }

  var blockDialog = dialog("dlg-block", function () {
    var conv = target;
    return call("block", { conversation_id: conv.id }).then(function (ack) {
      if (ack.ok) actionStatus(conv, t("blocked_ok"));
      return ack;
    });
  });
  function openBlock(conv) { target = conv; blockDialog.showModal(); }

  var wrapupDialog = dialog("dlg-wrapup", function (choice, box) {
    var topics = Array.from(box.querySelectorAll('input[name="topic"]:checked')).map(function (x) { return x.value; });
    var risk = box.querySelector('input[name="wrisk"]:checked');
    var topicsError = $("#wrapup-topics-error");
    var riskError = $("#wrapup-risk-error");
    topicsError.textContent = topics.length ? "" : t("wrapup_need_topic");
    riskError.textContent = risk ? "" : t("wrapup_need_risk");
    $("#wrapup-topics").toggleAttribute("aria-invalid", !topics.length);
    $("#wrapup-risk").toggleAttribute("aria-invalid", !risk);
    if (!topics.length || !risk) {
      (topics.length ? box.querySelector('input[name="wrisk"]') : box.querySelector('input[name="topic"]')).focus();
      return { ok: false, error: { code: "wrapup_incomplete" } };
    }
    return call("end", { conversation_id: target.id, wrapup: { topics: topics, risk: risk.value } });
  });
  wrapupDialog.addEventListener("change", function (event) {
    // an answered question loses its error at once, not only at the next submit
    var fieldset = event.target.closest("fieldset");
    if (!fieldset) return;
    fieldset.removeAttribute("aria-invalid");
    $(".error", fieldset).textContent = "";
  });
  wrapupDialog.addEventListener("close", function () {
    if (wrapupDialog.returnValue !== "cancel") {
      wrapupDialog.querySelectorAll("input").forEach(function (input) { input.checked = false; });
    }
    $("#wrapup-topics-error").textContent = "";
    $("#wrapup-risk-error").textContent = "";
  });
  function openWrapup(conv) {
    target = conv;
    $("p", wrapupDialog).textContent = conv.left ? t("wrapup_explain") : t("wrapup_explain_active");
    wrapupDialog.showModal();
  }

  var offerDialog = dialog("dlg-offer", function (choice) {
    var offer = offerShown;
    if (!offer) return { ok: true };
    var event = choice === "accept" ? "handover_accept" : "handover_decline";
    return call(event, { conversation_id: offer.conversation_id }).then(function (ack) {
      if (ack.ok && choice === "accept" && conversations.has(offer.conversation_id)) {
        selectTab(offer.conversation_id, false);
      }
      return ack;
    });
  });
  offerDialog.addEventListener("cancel", function (event) { event.preventDefault(); }); // answer it
  offerDialog.addEventListener("close", function () {
    offerShown = null;
    showNextOffer();
  });
  function showNextOffer() {
    if (offerShown || !offers.length) return;
    offerShown = offers.shift();
    $("#offer-text").textContent = t("offer_text", { name: offerShown.from });
    var facts = $("#offer-facts");
    facts.textContent = "";
    [[t("fact_line"), config.lines[offerShown.line] || offerShown.line],
     [t("fact_topic"), offerShown.intake && offerShown.intake.topic ? topicLabel(config.intake_topics, offerShown.intake.topic) : t("not_given")],
     [t("handover_note"), offerShown.note || t("no_note")]].forEach(function (pair) {
      var box = el("div");
      box.appendChild(el("dt", "", pair[0]));
      box.appendChild(el("dd", "", pair[1]));
      facts.appendChild(box);
    });
    $(".error", offerDialog).textContent = "";
    offerDialog.showModal();
  }

  // ------------------------------------------------------------------ backup alerts
  function addBackupAlert(request) {
    var list = $("#backup-list");
    var existing = list.querySelector('[data-conversation="' + request.conversation_id + '"]');
    if (existing) existing.remove();
    var item = el("li", "backup-alert");
    item.dataset.conversation = request.conversation_id;
    var text = t(request.escalated ? "backup_alert_escalated" : "backup_alert", {
      name: request.operator, line: config.lines[request.line] || request.line || "",
    });
    item.appendChild(el("p", "", text));
    if (request.reason) item.appendChild(el("p", "reason", t("backup_alert_reason", { reason: request.reason })));
    var join = el("button", "primary", t("backup_join"));
    join.type = "button";
    join.addEventListener("click", function () {
      call("backup_join", { conversation_id: request.conversation_id }).then(function (ack) {
        if (ack.ok) {
          item.remove();
          toggleBackupAlerts();
          var made = ensureConversation(ack.conversation, "reader");
          selectTab(made.conv.id, true);
        } else {
          item.appendChild(el("p", "error", errorText(ack)));
        }
      });
    });
    item.appendChild(join);
    list.appendChild(item);
    toggleBackupAlerts();
  }
  function removeBackupAlert(conversationId) {
    var item = $('#backup-list [data-conversation="' + conversationId + '"]');
    if (item) item.remove();
    toggleBackupAlerts();
  }
  function toggleBackupAlerts() { $("#backup-alerts").hidden = !$("#backup-list").children.length; }

  function showBroadcast(text, from, kind) {
    var box = el("div", "banner " + (kind || "info") + " broadcast");
    box.setAttribute("role", "status");
    box.appendChild(el("span", "", from ? t("broadcast_from", { name: from, text: text }) : text));
    var close = el("button", "quiet", t("dismiss"));
    close.type = "button";
    close.addEventListener("click", function () { box.remove(); $("#main").focus(); });
    box.appendChild(close);
    $("#broadcasts").appendChild(box);
  }

  // ------------------------------------------------------------------ server events
  function connFor(data) { return data && conversations.get(data.conversation_id); }

  socket.on("connect", function () {
    $("#connection").hidden = true;
    statusRadios.forEach(function (radio) { radio.disabled = false; });
    if (everConnected) {
      // the server re-sends every conversation that is still ours: what it leaves out was
      // released while we were away (docs/protocol.md §8.1)
      conversations.forEach(function (conv) { if (conv.mode === "holder") conv.stale = true; });
      window.clearTimeout(staleTimer);
      staleTimer = window.setTimeout(function () {
        conversations.forEach(function (conv) { if (conv.stale) removeConversation(conv.id, t("released_disconnected")); });
      }, 3000);
    }
    everConnected = true;
  });
  socket.on("disconnect", function (reason) {
    var box = $("#connection");
    box.textContent = t("connection_lost");
    box.hidden = false;
    statusRadios.forEach(function (radio) { radio.disabled = true; });
    // the server closed it (an administrator changed, reset or deactivated the account):
    // socket.io does not retry by itself then. Connect again: a valid session comes back
    // with the changed account, an ended one is refused and goes to the login.
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", function (error) {
    if (error && error.message === "unauthorized") {
      window.location.assign("/login?lang=" + encodeURIComponent(lang));
      return;
    }
    var box = $("#connection");
    box.textContent = t("connection_lost");
    box.hidden = false;
  });

  socket.on("status", showStatus);

  socket.on("assigned", function (data) {
    var made = ensureConversation(data.conversation, "holder");
    if (made.isNew && alerted().indexOf(made.conv.id) < 0) {
      markAlerted(made.conv.id);
      var line = config.lines[made.conv.line] || made.conv.line;
      notify(t("notify_new_title"), t("notify_new_body", { line: line }), "new-" + made.conv.id);
      announce(t("new_conversation", { n: made.conv.number, line: line }));
    }
  });

  socket.on("message", function (message) {
    var conv = connFor(message);
    if (conv) addMessage(conv, message, true);
  });

  socket.on("typing", function (data) {
    var conv = connFor(data);
    if (conv) setTyping(conv, !!data.active);
  });

  socket.on("visitor_connection", function (data) {
    var conv = connFor(data);
    if (!conv || conv.left) return;
    setBanner(conv, "connection", "warning", data.connected ? "" : t("visitor_dropped"));
  });

  socket.on("visitor_left", function (data) {
    var conv = connFor(data);
    if (!conv) return;
    conv.left = data.reason;
    setTyping(conv, false);
    setBanner(conv, "connection", "", "");
    var kind = data.reason === "quick_exit" ? "safety" : "warning";
    setBanner(conv, "left", kind, t("left_" + data.reason));
    if (data.reason === "forgot") {
      conv.transcript.textContent = "";
      conv.notes.textContent = "";
      conv.messages.clear();
    }
    renderMode(conv);
    announce(t("left_" + data.reason));
  });

  socket.on("released", function (data) {
    removeBackupAlert(data.conversation_id);
    removeConversation(data.conversation_id, t("released_" + data.reason));
  });

  socket.on("handover_offered", function (data) {
    offers.push(data);
    notify(t("notify_offer_title"), t("offer_text", { name: data.from }), "offer-" + data.conversation_id);
    showNextOffer();
  });
  socket.on("handover_withdrawn", function (data) {
    offers = offers.filter(function (offer) { return offer.conversation_id !== data.conversation_id; });
    if (offerShown && offerShown.conversation_id === data.conversation_id) {
      offerDialog.close("withdrawn");
    }
    announce(t("offer_withdrawn"));
  });
  socket.on("handover_declined", function (data) {
    var conv = connFor(data);
    if (conv) setBanner(conv, "handover", "info", t("handover_declined_" + data.reason, { name: data.by }));
  });

  socket.on("observed", function (data) {
    var conv = connFor(data);
    if (!conv) return;
    if (data.active) conv.observers.set(data.by, data.kind || "observer");
    else conv.observers.delete(data.by);
    renderObserved(conv);
  });

  socket.on("backup_requested", function (data) {
    addBackupAlert(data);
    notify(t("notify_backup_title"), t("backup_alert", { name: data.operator, line: config.lines[data.line] || "" }), "backup-" + data.conversation_id);
    announce(t("backup_alert", { name: data.operator, line: config.lines[data.line] || "" }));
  });
  socket.on("backup_answered", function (data) { removeBackupAlert(data.conversation_id); });

  socket.on("emergency_procedure", function (data) {
    var conv = connFor(data);
    if (conv) setBanner(conv, "emergency", "danger", t("emergency_banner", { text: data.text }));
  });
  socket.on("risk_alert", function (data) {
    showBroadcast(t("risk_alert", { name: data.by, line: config.lines[data.line] || data.line }), null, "danger");
  });
  socket.on("broadcast", function (data) {
    showBroadcast(data.text, data.from, "info");
    announce(t("broadcast_from", { name: data.from, text: data.text }));
  });

  // ------------------------------------------------------------------ page life
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && activeId && conversations.has(activeId)) {
      var conv = conversations.get(activeId);
      conv.unread = 0;
      renderTab(conv);
      updateTitle();
    }
  });
  setupAlertsButton();
  selectTab(null, false);
})();
