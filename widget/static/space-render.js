/* What the link opens, drawn from POST /api/space: the line, the letter threads (the
 * visitor's and the volunteers' letters, waiting until the promised time or answered) each
 * with a form to write back, kept transcripts, self-help and the line's numbers. Letter and
 * message markup comes only from the server's sanitized `html`; everything else is text. */
import { $ } from "./config.js";
import { t, when, serverNow } from "./words.js";
import { session } from "./session.js";
import { contacts } from "./panels.js";
import { renderAppointments } from "./space-appointment.js";

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
};

// one letter or message: who, when, and the sanitized html
function entry(tag, role, who, at, html) {
  const item = el(tag, "letter");
  item.dataset.role = role;
  const meta = el("p", "meta");
  meta.append(el("span", "who", who), " ");
  const time = el("time", null, when(at));
  time.dateTime = at;
  meta.append(time);
  const text = el("div", "text");
  text.innerHTML = html || ""; // sanitized by the server
  item.append(meta, text);
  return item;
}

function state(thread) {
  if (thread.state === "answered") return t("space_thread_answered");
  if (thread.due_at && Date.parse(thread.due_at) < serverNow()) return t("space_thread_overdue");
  return thread.due_at ? t("space_thread_waiting", { when: when(thread.due_at) }) : t("space_thread_waiting_soon");
}

function replyForm(thread, onReply) {
  const id = `reply-${thread.id}`;
  const open = el("button", "reply-open", t("space_reply"));
  open.type = "button";
  open.setAttribute("aria-expanded", "false");
  open.setAttribute("aria-controls", id);
  const form = el("form", "reply");
  form.id = id;
  form.hidden = true;
  form.noValidate = true;
  const label = el("label", null, t("space_reply_label"));
  label.htmlFor = `${id}-text`;
  const box = el("textarea");
  box.id = `${id}-text`;
  box.rows = 4;
  box.setAttribute("aria-describedby", `${id}-error`);
  const error = el("p", "error");
  error.id = `${id}-error`;
  error.setAttribute("role", "alert");
  const send = el("button", "primary", t("letter_send"));
  send.type = "submit";
  form.append(label, box, error, send);
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) box.focus();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    onReply(thread.id, box, error, send);
  });
  return [open, form];
}

function threads(list, onReply) {
  const box = $("threads");
  box.textContent = "";
  if (!list.length) box.append(el("p", "hint", t("space_no_letters")));
  // the newest exchange first: that is where an answer arrives
  for (const thread of list.slice().reverse()) {
    const article = el("article", "thread");
    article.dataset.state = thread.state;
    const title = el("h3", null, t("space_thread_title", { when: when(thread.created_at) }));
    title.id = `thread-${thread.id}-title`;
    article.setAttribute("aria-labelledby", title.id);
    article.append(title, el("p", `thread-state ${thread.state}`, state(thread)));
    const letters = el("ol", "letters");
    for (const letter of thread.letters) {
      const who = letter.role === "visitor" ? t("you") : letter.author_alias || t("volunteer");
      letters.append(entry("li", letter.role, who, letter.at, letter.html));
    }
    article.append(letters);
    if (onReply) article.append(...replyForm(thread, onReply));
    box.append(article);
  }
}

function transcripts(list) {
  const box = $("transcript-list");
  box.textContent = "";
  for (const transcript of list) {
    const details = el("details", "transcript");
    details.append(el("summary", null, t("space_transcript_title", { when: when(transcript.started_at) })));
    const messages = el("ol", "letters");
    for (const m of transcript.messages) {
      const who = m.role === "visitor" ? t("you") : m.role === "operator" ? m.author || t("volunteer") : "";
      messages.append(entry("li", m.role, who, m.at, m.html));
    }
    details.append(messages);
    box.append(details);
  }
  $("transcripts").hidden = !list.length;
}

function selfHelp(list) {
  const box = $("self-help-list");
  box.textContent = "";
  for (const item of list) {
    const article = el("article", "self-help-item");
    article.append(el("h3", null, item.title), el("p", null, item.text));
    if (item.url && /^https?:\/\//i.test(item.url)) {
      const a = el("a", null, t("space_read_more", { title: item.title }));
      a.href = item.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.append(el("span", "visually-hidden", ` ${t("opens_new_tab")}`));
      const p = el("p");
      p.append(a);
      article.append(p);
    }
    box.append(article);
  }
  $("self-help").hidden = !list.length;
}

export function renderSpace(space, onReply) {
  const { line } = space;
  session.line = { ...session.line, ...line };
  document.title = `${t("space_title")} – ${line.name}`;
  $("line-name").textContent = line.name;
  $("space-promise").textContent = line.answer_within_hours ? t("letter_promise", { hours: line.answer_within_hours }) : "";
  $("new-letter").hidden = !line.letters;
  threads(space.threads || [], line.letters ? onReply : null); // no letters: read only
  renderAppointments(space.appointments);
  transcripts(space.transcripts || []);
  selfHelp(line.self_help || []);
  contacts($("space-contacts"), line.emergency || []);
  contacts($("help-contacts"), line.emergency || []);
}
