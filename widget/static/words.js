/* Words and times as the visitor reads them: a locale string with its values filled in, the
 * wait in minutes or hours, a message's time, and the next opening as "vandaag om 19:00". */
import { cfg, LOCALE } from "./config.js";

const S = cfg.strings;

// "today" and "tomorrow" by the server's clock and in the line's time zone, not the device's
const RENDERED_AT = Date.parse(cfg.now) || Date.now();
const LOADED_AT = performance.now();
export const serverNow = () => RENDERED_AT + performance.now() - LOADED_AT;
const ZONE = (() => {
  try {
    new Intl.DateTimeFormat(LOCALE, { timeZone: cfg.timezone });
    return cfg.timezone;
  } catch {
    return undefined; // unknown zone: the device's
  }
})();

export const t = (key, values) =>
  (S[key] || key).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));

// null: nobody on duty (the server says so plainly); 0: a volunteer is free now
export function waitText(seconds) {
  if (seconds == null) return t("wait_nobody_on_duty");
  if (seconds <= 0) return t("wait_now");
  const minutes = Math.ceil(seconds / 60);
  if (minutes === 1) return t("wait_one_minute");
  if (minutes < 90) return t("wait_minutes", { n: minutes });
  const hours = Math.round(minutes / 60);
  return hours === 1 ? t("wait_one_hour") : t("wait_hours", { n: hours });
}
export const clock = (date, zone) =>
  date.toLocaleTimeString(LOCALE, { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false });
// the calendar day in the line's time zone, counted in days, to tell today from tomorrow
function day(ms) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, year: "numeric", month: "numeric", day: "numeric" });
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = +part.value;
  return Date.UTC(parts.year, parts.month - 1, parts.day) / 86400000;
}
// "vandaag om 19:00", "tomorrow at 09:00", "maandag 30 november om 19:00"
export function when(iso) {
  const ms = Date.parse(iso);
  const time = clock(new Date(ms), ZONE);
  const days = day(ms) - day(serverNow());
  if (days === 0) return t("when_today", { time });
  if (days === 1) return t("when_tomorrow", { time });
  const date = new Date(ms).toLocaleDateString(LOCALE, { timeZone: ZONE, weekday: "long", day: "numeric", month: "long" });
  return t("when_date", { date, time });
}
export function errorText(error) {
  const code = error && error.code;
  if (code === "too_long") return t("send_too_long", { limit: error.limit });
  if (code === "ended") return t("send_ended");
  if (code === "rate_limited") return t("send_rate_limited");
  if (code === "unavailable") return t("send_unavailable");
  return t("send_failed");
}
