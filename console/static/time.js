/* Times as a volunteer reads them, in the page's language: a message's clock time, a running
 * time that counts up on the floor, and a date (how long a hold lasts).
 */
import { lang } from "./config.js";

const LOCALE = lang === "nl" ? "nl-NL" : "en-GB";

/** "14:05" for an ISO time; empty for a missing or malformed one. */
export function timeOf(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
}

/** "3 december 2026" for an ISO time. */
export function dateOf(iso) {
  return new Date(iso).toLocaleDateString(LOCALE, { day: "numeric", month: "long", year: "numeric" });
}

/** 0:45, 12:05, 1:02:07: a running time, read at a glance. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** "wo 25 nov. 20:05" for an ISO time: when a letter came, or is due (days apart, so with
 * the day); empty for a missing or malformed one. */
export function dateTimeOf(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(LOCALE, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}
