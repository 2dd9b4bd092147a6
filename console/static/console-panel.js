/* One conversation on the console: its tab and its panel (transcript, facts, banners,
 * compose box, notes, actions), drawn from the conversation's state. Only drawing here;
 * console-actions.js wires what the volunteer does, console-conversations.js keeps the list.
 *
 * A conversation's state: {id, number, line, lang, intake, risk, shared_connection,
 * started_at, assigned_at,
 * mode: "holder" | "reader", left: reason | null, observers: Map(name -> kind),
 * messages: Map(id -> message), unread, tab, panel, transcript, notes, banners}.
 */
import { config } from "./config.js";
import { t, lineName, topicLabel } from "./strings.js";
import { $, el, suffixIds } from "./dom.js";
import { timeOf } from "./time.js";
import { nearBottom, setBanner, setTyping, visitorWrote as endTypingFor } from "./messages.js";

/** Clone the panel template for `conv`, add its tab, and put both on the page. */
export function buildPanel(conv, onSelect) {
  const panel = $("#panel-template").content.firstElementChild.cloneNode(true);
  const suffix = `-${conv.id}`;
  panel.id = `panel${suffix}`;
  panel.setAttribute("aria-labelledby", `tab${suffix}`);
  suffixIds(panel, suffix);
  const tab = el("button", "tab");
  tab.type = "button";
  tab.id = `tab${suffix}`;
  tab.setAttribute("role", "tab");
  tab.setAttribute("aria-controls", panel.id);
  tab.addEventListener("click", () => onSelect(conv.id));
  conv.tab = tab;
  conv.panel = panel;
  conv.transcript = $(".transcript", panel);
  conv.transcript.setAttribute("aria-label", t("transcript"));
  conv.notes = $(".note-list", panel);
  conv.banners = $(".banners", panel);
  followNewest(conv);
  $("#tabs").appendChild(tab);
  $("#panels").appendChild(panel);
}

/** The transcript stays at the newest message while the volunteer is there (`conv.stuck`),
 * also when banners come and go and the box changes height. Scrolled back, they stay where
 * they are reading, and new messages raise a button that brings them down.
 *
 * Only scrolling up lets go: a scroll event is handled a frame later, when the box may have
 * shrunk meanwhile (a banner, a smaller window), and must not read that as the volunteer
 * leaving the bottom. */
function followNewest(conv) {
  const list = conv.transcript;
  conv.stuck = true;
  conv.top = 0;
  conv.unseen = 0;
  conv.pill = $(".new-messages", conv.panel);
  list.addEventListener("scroll", () => {
    if (list.scrollTop < conv.top) conv.stuck = nearBottom(list);
    else if (nearBottom(list)) conv.stuck = true;
    conv.top = list.scrollTop;
    if (conv.stuck) hidePill(conv);
  });
  new ResizeObserver(() => { if (conv.stuck) scrollDown(conv); }).observe(conv.transcript);
  conv.pill.addEventListener("click", () => {
    scrollDown(conv);
    conv.transcript.focus(); // the button is gone: reading goes on where the messages are
  });
}

function hidePill(conv) {
  conv.unseen = 0;
  conv.pill.hidden = true;
}

/** A message came in below what the volunteer is reading: count it on the button. */
export function newBelow(conv) {
  conv.unseen += 1;
  conv.pill.textContent = "";
  conv.pill.appendChild(document.createTextNode(
    conv.unseen === 1 ? t("new_message") : t("new_messages", { n: conv.unseen }),
  ));
  conv.pill.appendChild(el("span", "", " ↓")).setAttribute("aria-hidden", "true");
  conv.pill.hidden = false;
}

export function renderTab(conv) {
  const tab = conv.tab;
  tab.textContent = "";
  tab.appendChild(el("span", "tab-name", t("conversation_n", { n: conv.number })));
  tab.appendChild(el("span", "tab-line", lineName(conv.line)));
  if (conv.mode === "reader") tab.appendChild(el("span", "tab-flag", t("tab_reading")));
  if (conv.left) tab.appendChild(el("span", "tab-flag left", t("tab_left")));
  if (conv.unread) {
    const badge = el("span", "badge", String(conv.unread));
    badge.setAttribute("aria-hidden", "true");
    tab.appendChild(badge);
    tab.appendChild(el("span", "visually-hidden", t("unread_n", { n: conv.unread })));
  }
}

/** The line's canned responses ([[lines.canned]]), in the console's language. */
export function cannedFor(conv) {
  return (config.canned || {})[conv.line] || [];
}

function renderCanned(conv, show) {
  const row = $(".compose .canned", conv.panel);
  const select = $("select", row);
  const items = cannedFor(conv);
  if (select.options.length !== items.length + 1) {
    while (select.options.length > 1) select.remove(1);
    for (const item of items) {
      const option = el("option", null, item.title);
      option.value = item.id;
      option.title = item.text;
      select.appendChild(option);
    }
  }
  row.hidden = !show || !items.length;
}

export function actionStatus(conv, text) {
  $(".action-status", conv.panel).textContent = text;
}

/** What the volunteer can do depends on the mode: the holder acts and writes to the visitor;
 * a reader-along (backup) whispers, takes over or stops. */
export function renderMode(conv) {
  const panel = conv.panel;
  const holder = conv.mode === "holder";
  for (const name of ["act-end", "act-backup", "act-handover", "act-block"]) {
    $(`.${name}`, panel).hidden = !holder;
  }
  $(".act-takeover", panel).hidden = holder || !!conv.left;
  $(".act-stop", panel).hidden = holder;
  $(".note-form", panel).hidden = !holder;
  $(".act-end", panel).textContent = conv.left ? t("wrapup_now") : t("end");
  $(".act-handover", panel).disabled = !!conv.left;
  const label = $(".compose label", panel);
  const area = $(".compose textarea", panel);
  const send = $(".compose .send", panel);
  // the holder writes to the visitor; with the visitor gone, or as a reader-along, the box
  // whispers, and only while there is someone to whisper to
  const canMessage = holder && !conv.left;
  const canWhisper = !holder || conv.observers.size > 0;
  conv.whisperOnly = !canMessage;
  $(".compose", panel).hidden = !canMessage && !canWhisper;
  if (canMessage) { label.textContent = t("your_message"); send.textContent = t("send"); }
  else { label.textContent = t("whisper_label"); send.textContent = t("whisper_send"); }
  area.disabled = false;
  renderCanned(conv, canMessage);
  conv.panel.classList.toggle("visitor-gone", !!conv.left);
  renderTab(conv);
}

export function renderFacts(conv) {
  const facts = $(".facts", conv.panel);
  facts.textContent = "";
  const fact = (label, value, className) => {
    if (value === undefined || value === null || value === "") return;
    const box = el("div", className);
    box.appendChild(el("dt", "", label));
    box.appendChild(el("dd", "", value));
    facts.appendChild(box);
  };
  const risk = conv.risk || "none";
  fact(t("fact_line"), lineName(conv.line));
  fact(t("fact_language"), conv.lang ? t(`language_${conv.lang}`) : "");
  fact(t("fact_topic"), conv.intake.topic ? topicLabel(conv.intake.topic) : t("not_given"));
  fact(t("fact_age"), conv.intake.age_band || t("not_given"));
  fact(t("fact_risk"), t(`risk_${risk}`), `risk risk-${risk}`);
  // several chats from one connection: a family, a shelter, a school ... or a prank; served
  // as usual, and the volunteer knows
  if (conv.shared_connection) {
    fact(t("fact_connection"), t("shared_connection_n", { n: conv.shared_connection }), "shared");
  }
  if (conv.started_at) fact(t("fact_started"), timeOf(conv.started_at));
  offerHigherRisks(conv, risk);
  $(".conv-title", conv.panel).textContent = t("conversation_n", { n: conv.number }) +
    (conv.mode === "reader" ? ` – ${t("tab_reading")}` : "");
}

const RISKS = ["none", "low", "high", "acute"];

/** A flag only ever raises the risk: the form offers the levels above the current one. */
function offerHigherRisks(conv, risk) {
  const select = $(".flag-form select", conv.panel);
  const rank = RISKS.indexOf(risk);
  for (const option of select.options) option.disabled = RISKS.indexOf(option.value) <= rank;
  const higher = Array.from(select.options).find((option) => !option.disabled);
  if (select.selectedOptions[0]?.disabled && higher) select.value = higher.value;
  $(".flag-form button", conv.panel).disabled = !higher;
}

/** "Reading along: …": the volunteer always knows who reads along (the visitor never). */
export function renderObserved(conv) {
  const sign = $(".observed", conv.panel);
  const names = Array.from(conv.observers, ([by, kind]) => t(`observer_${kind}`, { name: by }));
  sign.hidden = names.length === 0;
  sign.textContent = names.length ? t("observed_by", { names: names.join(", ") }) : "";
  renderMode(conv);
}

export function banner(conv, key, kind, text) {
  setBanner(conv.banners, key, kind, text);
}

export function typing(conv, active, afterSeq) {
  setTyping(conv, conv.panel, active, afterSeq);
}

/** A visitor's message: the end of "typing…", unless the visitor typed on after it. */
export function visitorWrote(conv, message) {
  endTypingFor(conv, conv.panel, message);
}

export function scrollDown(conv) {
  conv.transcript.scrollTop = conv.transcript.scrollHeight;
  conv.top = conv.transcript.scrollTop;
  conv.stuck = true;
  hidePill(conv);
}
