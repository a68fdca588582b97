// Outside the admin (demo mode) App Bridge must not load: it would send the page to Shopify's login.
// The templates' App Bridge elements become in-page equivalents here: a title bar is the page
// header's row of buttons (styled by CSS), a <ui-modal> an in-page dialog, a <ui-save-bar> a bar
// that announces unsaved changes, and toasts the page's role=status message.
// ui.js imports chrome.js, which imports this module: only `h` (a hoisted function) runs while the
// modules load; `$` is used after they have.
import { $, fill, h, merchant } from "./ui.js";

// Titles are plain text for App Bridge, with merchant text between Unicode's isolate marks
// (ui.js `isolate`); drawn in the page, those parts become <bdi> and the marks go.
const ISOLATED = /\u2068([^\u2069]*)\u2069/;
const titleNodes = (title) => title.split(ISOLATED).map((part, index) => (index % 2 ? merchant(part) : part));

const FOCUSABLE = "button:not([disabled]):not([hidden]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
const parts = new WeakMap(); // ui-modal -> {heading, footer, primary}
let toastTimer = null;

/** A <ui-modal> (one content element and a <ui-title-bar> of buttons) as an in-page dialog. */
function buildModal(modal) {
  const bar = modal.querySelector(":scope > ui-title-bar");
  const body = [...modal.children].find((child) => child !== bar) || h("div");
  const heading = h("h2", { id: `${modal.id}-heading` }, bar.getAttribute("title") || "");
  const buttons = [...bar.children];
  const footer = h("footer", { class: "modal__footer" }, buttons);
  body.classList.add("modal__body");
  const box = h("div", { class: "modal", role: "dialog", "aria-modal": "true", "aria-labelledby": heading.id },
    h("header", { class: "modal__header" }, heading), body, footer);
  if (body.id) box.setAttribute("aria-describedby", body.id);
  modal.replaceChildren(box);
  modal.classList.add("modal-layer");
  modal.hidden = true;
  parts.set(modal, { heading, footer, primary: buttons.find((button) => button.getAttribute("variant") === "primary") });
}

function buildSaveBar(bar) {
  bar.classList.add("save-bar");
  bar.setAttribute("role", "region");
  bar.setAttribute("aria-label", "Unsaved changes");
  bar.prepend(h("p", { class: "save-bar__message" }, "Unsaved changes"));
  // Announced from outside the bar: a live region that is itself hidden says nothing.
  bar.before(h("p", { class: "visually-hidden", "aria-live": "polite", "data-save-bar-status": bar.id }));
  bar.hidden = true;
}

/** The leave confirmation: declared here, since no template needs it in the admin (App Bridge has its own). */
function leaveModal() {
  let modal = document.getElementById("leave-confirmation");
  if (modal) return modal;
  modal = h("ui-modal", { id: "leave-confirmation" },
    h("div", { id: "leave-confirmation-text" }, h("p", {}, "If you leave this page, your unsaved changes are lost.")),
    h("ui-title-bar", { title: "Leave page with unsaved changes?" },
      h("button", { type: "button", class: "button" }, "Stay"),
      h("button", { type: "button", class: "button button--critical", variant: "primary" }, "Leave page")));
  document.body.append(modal);
  buildModal(modal);
  return modal;
}

export function init() {
  for (const modal of document.querySelectorAll("ui-modal")) buildModal(modal);
  for (const bar of document.querySelectorAll("ui-save-bar")) buildSaveBar(bar);
}

export function syncTitleBar() {} // the header shows its buttons itself; `hidden` hides them

export function openModal(modal, { title }) {
  const { heading, footer, primary } = parts.get(modal);
  if (title) fill(heading, titleNodes(title));
  const opener = document.activeElement;
  modal.hidden = false;
  // Focus starts on the safe choice, never on the one that acts (a second Enter must not act).
  ([...footer.children].find((button) => button !== primary) || primary).focus();
  return new Promise((resolve) => {
    const finish = (value) => {
      modal.hidden = true;
      modal.removeEventListener("click", onClick);
      modal.removeEventListener("keydown", onKey);
      if (opener && opener.isConnected && opener.focus) opener.focus();
      resolve(value);
    };
    const onClick = (event) => {
      const button = event.target.closest("button");
      // Only the buttons answer: the second click of a double click that opened the modal lands
      // on the backdrop, and must not be taken for an answer.
      if (button && footer.contains(button)) finish(button === primary);
    };
    const onKey = (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        finish(false);
      } else if (event.key === "Tab") { // focus stays inside the dialog
        const focusable = [...modal.querySelectorAll(FOCUSABLE)].filter((element) => element.offsetParent !== null);
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    };
    modal.addEventListener("click", onClick);
    modal.addEventListener("keydown", onKey);
  });
}

function saveBarStatus(bar, text) {
  const status = document.querySelector(`[data-save-bar-status="${bar.id}"]`);
  if (status) status.textContent = text;
}

export function showSaveBar(bar) {
  bar.hidden = false;
  saveBarStatus(bar, "Unsaved changes");
}

export function hideSaveBar(bar) {
  bar.hidden = true;
  saveBarStatus(bar, "");
}

export const leaveConfirmation = () => openModal(leaveModal(), {});

export function toast(message, { error }) {
  const status = $("#page-status");
  status.textContent = message;
  status.classList.toggle("toast--error", error);
  status.classList.add("toast--visible");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => status.classList.remove("toast--visible"), 5000);
}
