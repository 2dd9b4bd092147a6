/* A personal link shown once (after a letter, after replacing it in the space): copy it with
 * the clipboard, or, where a browser or an embedding page does not allow that, select the
 * text so the visitor can copy it themselves. Shared by the chat frame and the space page. */
import { t } from "./words.js";

export const spaceUrl = (key, lang) => `${location.origin}/space?lang=${lang}#${key}`;

export async function copyLink(input, status) {
  status.textContent = "";
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = t("link_copied");
  } catch {
    input.focus();
    input.select();
    status.textContent = t("link_copy_manual");
  }
}
