/* The page's words, in the volunteer's language (console/locales/{nl,en}.json, sent with the
 * start data). Strings carry {placeholders}; a missing key shows the key itself, which the
 * locale tests catch before a volunteer would.
 */
import { config } from "./config.js";

const T = config.strings;

export function t(key, values) {
  let text = Object.prototype.hasOwnProperty.call(T, key) ? T[key] : key;
  for (const [name, value] of Object.entries(values || {})) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

/** Whether this language has a text for `key` (for keys made from a server's code). */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(T, key);
}

/** An ack's error as text: our own words for the codes we know, else the server's. */
export function errorText(ack) {
  const code = ack?.error?.code;
  return T[`error_${code}`] || ack?.error?.message || t("error_generic");
}

/** A line's name from the configuration; its id when the configuration does not know it. */
export function lineName(id) {
  return config.lines[id] || id || "";
}

/** An intake topic's label in this language; its id when the configuration does not know it. */
export function topicLabel(id) {
  const topic = config.intake_topics.find((item) => item.id === id);
  return topic ? topic.label : id;
}
