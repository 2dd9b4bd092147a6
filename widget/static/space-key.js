/* The key to the visitor's space, and where it is kept: only in this tab's sessionStorage
 * (never localStorage, never a cookie), so closing the tab or the quick exit forgets it.
 * It arrives in the URL's fragment (/space#KEY), which the browser never sends to a server;
 * it is taken from there at once and the fragment is removed from the address bar and from
 * history (history.replaceState), so Back, history and a shoulder-surfer see no key. */
const STORE = "helpline-space";

function fragment() {
  try {
    return decodeURIComponent(location.hash.replace(/^#/, "")).trim();
  } catch {
    return location.hash.replace(/^#/, "").trim(); // a stray "%": the server will say no
  }
}

export function takeKey() {
  const fromLink = fragment();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (fromLink) saveKey(fromLink);
  return fromLink || storedKey();
}

function storedKey() {
  try {
    return sessionStorage.getItem(STORE) || "";
  } catch {
    return "";
  }
}
export function saveKey(key) {
  try {
    sessionStorage.setItem(STORE, key);
  } catch {
    /* storage refused: the page works until it is closed or reloaded */
  }
}
export function dropKey() {
  try {
    sessionStorage.removeItem(STORE);
  } catch {
    /* nothing stored */
  }
}
