/* What the frame knows about this visitor's conversation, shared by every module, and the one
 * thing it keeps: {token, conversation_id, since} in this frame's sessionStorage, so a reload
 * resumes and closing the tab forgets (never a cookie, never localStorage).
 *
 * One object with named fields rather than exported variables: an ES module's `let` can only
 * be changed by that module, and these facts change in several (a start, a message, the exit). */
import { cfg, LINE } from "./config.js";

const KEY = "helpline-chat";

export const session = {
  line: cfg.status, // the last /api/lines/{line} answer
  state: "loading", // loading resuming closed refused intro waiting chat ended
  socket: null, // the /visitor socket, once the visitor starts or resumes
  token: null,
  conversationId: null,
  maxSeq: 0, // the newest message seen: a reconnect asks for what came after it
  alias: null, // the volunteer's name, once one answers
  entered: undefined, // when the visitor's current stay in the queue began (server time)
  served: undefined, // the stay in the queue that the last "assigned" ended
  exiting: false, // the quick exit has begun: nothing may draw or send any more
  starting: false, // a start is on its way to the server
  leaving: false, // "yes, end" is on its way to the server
  nobodyOnDuty: false, // the queue says no volunteer is on duty: a letter is offered
  // shown: is the frame open on the host page? Messages that arrive while it is not are
  // counted for the launcher's badge; seq <= replayed were seen before a reload.
  shown: !new URLSearchParams(location.search).has("hidden"),
  unread: 0,
  replayed: 0,
};

export function loadSaved() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY));
    return saved && saved.line === LINE && saved.token ? saved : null;
  } catch {
    return null;
  }
}
export function save() {
  const { token, conversationId, maxSeq } = session;
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
export function dropSaved() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing stored */
  }
}
