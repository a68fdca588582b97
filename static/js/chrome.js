// The admin's chrome for every page: title bar, contextual save bar, confirmation modals, toasts.
// Templates declare it once with App Bridge's own elements (<ui-title-bar>, <ui-save-bar>,
// <ui-modal>). Inside the admin App Bridge draws them (chrome-app-bridge.js); in demo mode, where
// App Bridge must not load, the same elements become in-page equivalents (chrome-in-page.js).
// Page scripts call only what this module exports, so a page is written once for both.
import { DEMO } from "./api.js";
import * as appBridge from "./chrome-app-bridge.js";
import * as inPage from "./chrome-in-page.js";

// App Bridge loads blocking in <head>, so `shopify` exists before any module runs; if the CDN
// failed, the page still works with the in-page chrome rather than with none.
const adapter = !DEMO && window.shopify ? appBridge : inPage;
adapter.init();

let openModals = 0;
let activeSaveBar = null; // {dirty(), markClean()} of the page's form, if it has one
let leaving = false; // the page itself navigates after a save or a confirmed leave: do not ask

/** Sync the page's <ui-title-bar> (its actions are the buttons and links inside) after actions were shown or hidden. */
export function titleBar({ title } = {}) {
  const bar = [...document.querySelectorAll("ui-title-bar")].find((element) => !element.closest("ui-modal"));
  if (!bar) return;
  if (title) bar.setAttribute("title", title);
  adapter.syncTitleBar(bar);
}

/**
 * Ask with the <ui-modal id=…> the template declares: resolves true when its primary button was
 * chosen, false for any other button, Escape or closing it. Focus then returns to the opener, or to
 * `returnFocus` (a destructive opener must not get it back: a second Enter would ask again).
 */
export async function confirm(id, { title, returnFocus } = {}) {
  const modal = document.getElementById(id);
  openModals += 1;
  try {
    return await adapter.openModal(modal, { title });
  } finally {
    openModals -= 1;
    if (returnFocus) returnFocus.focus();
  }
}

/** Whether a confirmation is open (a page's background refresh waits for it). */
export const modalOpen = () => openModals > 0;

/** A short result message: the admin's toast, or an in-page one (role=status) in demo mode. */
export function toast(message, { error = false } = {}) {
  adapter.toast(message, { error });
}

// What a form holds, to tell whether it has unsaved changes (row order and count included).
function snapshot(form) {
  return JSON.stringify([...form.elements]
    .filter((element) => element.tagName !== "BUTTON" && element.tagName !== "FIELDSET" && element.type !== "submit")
    .map((element) => [element.id || element.name,
      element.type === "checkbox" || element.type === "radio" ? element.checked : element.value]));
}

/**
 * The contextual save bar of `form`: shown while the form differs from what it held at the last
 * markClean() (the page calls it once the form is filled, and after a save that stays on the page). Its Save button (type=submit, in the template's <ui-save-bar>) submits the form;
 * Discard calls onDiscard, which puts the saved values back. Leaving with changes asks first.
 */
export function saveBar(form, { onDiscard }) {
  const bar = form.querySelector("ui-save-bar");
  let clean = null; // nothing to lose until the page has filled the form and called markClean()
  let shown = false;
  const dirty = () => clean !== null && snapshot(form) !== clean;
  const check = () => {
    const now = dirty();
    if (now === shown) return;
    shown = now;
    if (now) adapter.showSaveBar(bar);
    else adapter.hideSaveBar(bar);
  };
  const markClean = () => {
    clean = snapshot(form);
    check();
  };
  form.addEventListener("input", check);
  form.addEventListener("change", check);
  form.addEventListener("click", () => setTimeout(check)); // values set by a script after a click (a picker, Remove)
  new MutationObserver(check).observe(form, { childList: true, subtree: true }); // rows added or removed
  bar.querySelector("button:not([variant='primary'])").addEventListener("click", async () => {
    await onDiscard();
    markClean();
  });
  // Values the page fills in late (defaults that wait for an API answer) are not the merchant's
  // changes, unless the merchant has already typed: then the bar stays, with both to save or discard.
  const refill = (change) => {
    const edited = dirty();
    change();
    if (edited) check();
    else markClean();
  };
  activeSaveBar = { dirty, markClean, check, refill };
  return activeSaveBar;
}

/** The page is about to navigate on purpose (after a save): no leave confirmation. */
export function leave(url) {
  leaving = true;
  window.location.assign(url);
}

// In-app links ask before dropping unsaved changes (App Bridge's leave confirmation in the admin,
// an in-page modal in demo mode); closing or reloading the tab asks through the browser.
document.addEventListener("click", async (event) => {
  if (leaving || !activeSaveBar || !activeSaveBar.dirty() || event.defaultPrevented) return;
  const link = event.target.closest("a[href]");
  if (!link || (link.target && link.target !== "_self") || link.hasAttribute("download")) return;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || (url.pathname === window.location.pathname && url.hash)) return;
  event.preventDefault();
  if (await adapter.leaveConfirmation()) leave(url.href);
});

window.addEventListener("beforeunload", (event) => {
  if (leaving || !activeSaveBar || !activeSaveBar.dirty()) return;
  event.preventDefault();
  event.returnValue = ""; // the browser asks "Leave site? Changes you made may not be saved."
});
