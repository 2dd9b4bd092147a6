/* Help within reach: the emergency numbers as lists the frame fills itself, the "Direct help"
 * panel, and the "really end?" confirmation. Both are small panels in the page, not modal
 * dialogs: the quick exit stays one tap away while they are open. Escape closes them
 * (quick-exit.js); focus goes in and back. */
import { $ } from "./config.js";
import { t } from "./words.js";
import { session } from "./session.js";

// the same markup as the template's contact_list macro
export function contacts(list, items) {
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

export function openHelp() {
  $("help").hidden = false;
  $("help-toggle").setAttribute("aria-expanded", "true");
  $("help-title").focus();
}
export function closeHelp(returnFocus) {
  if ($("help").hidden) return false;
  $("help").hidden = true;
  $("help-toggle").setAttribute("aria-expanded", "false");
  if (returnFocus) $("help-toggle").focus();
  return true;
}

export function openLeave() {
  if (!session.socket || session.leaving) return;
  $("send-error").textContent = "";
  $("leave-row").hidden = true;
  $("leave-confirm").hidden = false;
  $("leave").setAttribute("aria-expanded", "true");
  $("leave-question").focus();
}
export function closeLeave(returnFocus) {
  const box = $("leave-confirm"); // the chat's; the space page has none
  if (!box || box.hidden) return false;
  $("leave-confirm").hidden = true;
  $("leave-row").hidden = false;
  $("leave").setAttribute("aria-expanded", "false");
  if (returnFocus) $("leave").focus();
  return true;
}
