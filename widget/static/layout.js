/* The screen on a phone. Its keyboard hides the lower half of the screen: fit the page into the
 * visual viewport, and below 35rem collapse the header to one line and hide helper text while
 * typing, so the conversation keeps a few lines (frame-compact.css, .compact and .typing).
 * And whoever reads the newest lines keeps reading them when the space shrinks. */
import { $ } from "./config.js";
import { session } from "./session.js";

const root = document.documentElement;
const main = $("main");
const viewport = window.visualViewport;
let atEnd = true;

function fit() {
  const zoomed = viewport && Math.abs(viewport.scale - 1) > 0.01;
  const height = viewport && !zoomed ? viewport.height : window.innerHeight;
  root.style.setProperty("--frame-height", `${Math.floor(height)}px`);
  root.classList.toggle("compact", height < 560);
}
export const scrollable = () => session.state === "waiting" || session.state === "chat" || session.state === "ended";
// is the visitor reading the newest lines (scrolled to the end)?
export const readingNewest = () => atEnd;
export function toEnd() {
  main.scrollTop = main.scrollHeight;
  atEnd = true;
}
// whoever was reading the newest lines keeps reading them when the space shrinks
export function followEnd() {
  if (atEnd && scrollable()) toEnd();
}

// the visual viewport alone: the space page (space.js) has no conversation to follow
export function watchViewport() {
  if (viewport) viewport.addEventListener("resize", fit);
  window.addEventListener("resize", fit);
  fit();
}

export function watchLayout() {
  main.addEventListener(
    "scroll",
    () => {
      atEnd = main.scrollHeight - main.scrollTop - main.clientHeight < 48;
    },
    { passive: true }
  );
  if (window.ResizeObserver) new ResizeObserver(followEnd).observe(main);
  watchViewport();
  // typing: hide helper text (and the end button) so the keyboard leaves room for messages;
  // put them back a moment after leaving the field, so a tap never lands on a moving target
  let typingLayout = 0;
  $("text").addEventListener("focus", () => {
    clearTimeout(typingLayout);
    root.classList.add("typing");
  });
  $("text").addEventListener("blur", () => {
    clearTimeout(typingLayout);
    typingLayout = setTimeout(() => root.classList.remove("typing"), 250);
  });
  // Send keeps the keyboard open: the field keeps focus when the button is pressed
  $("send").addEventListener("mousedown", (e) => e.preventDefault());
}
