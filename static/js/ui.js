// Small DOM helpers shared by the pages: building elements, badges, banners, field errors, busy buttons.
import { toast } from "./chrome.js";
import { parseQuantity } from "./numbers.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** h("a", {href, class: "x", onclick}, "text", child) -> an element. Text is always text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's content. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// ------------------------------------------------------------------ merchant text

/**
 * Merchant-controlled text (a reference, title, SKU, BOM or location name) as an isolated <bdi>: a
 * reference holding U+202E (right-to-left override) cannot reorder the words around it.
 */
export const merchant = (text) => h("bdi", {}, text);

/**
 * The same isolation inside plain text (toasts, document titles, sentences built as strings): Unicode's
 * first-strong isolate and pop-directional isolate marks, the plain-text equivalent of <bdi>.
 */
export const isolate = (text) => `\u2068${text}\u2069`;

/**
 * A server's sentence with the merchant text it quotes “like this” (the API and the sync quote names
 * and references so) isolated: ["uses the reference “", <bdi>PO-1</bdi>, "”."].
 */
export function quoted(text) {
  return String(text ?? "").split(/(?<=“)([^“”]*)(?=”)/).map((part, index) => (index % 2 ? merchant(part) : part));
}

/** [a, b, c] -> [a, ", ", b, ", ", c]: a list of nodes read as one sentence. */
export const commaList = (items) => items.flatMap((item, index) => (index ? [", ", item] : [item]));

// ------------------------------------------------------------------ words for values

export const STATUS = {
  draft: ["Draft", "neutral"],
  in_progress: ["In progress", "info"],
  completed: ["Completed", "success"],
  cancelled: ["Cancelled", "critical"],
};
export const SYNC = {
  off: ["Off", "neutral"],
  pending: ["Sync pending", "attention"],
  failed: ["Sync failed", "critical"],
  needs_review: ["Needs review", "attention"],
  synced: ["Synced", "success"],
};
export const TYPES = { assembly: "Assembly", disassembly: "Disassembly" };
export const UNITS = { pcs: "pcs", cm: "cm", kg: "kg", L: "L", m2: "m²" };

/**
 * A table row that opens its record from anywhere on it, as Polaris' index table rows do. The link in
 * the row stays the keyboard's and screen reader's way in; a click on another link or a button, or one
 * that selects text, keeps its own meaning.
 */
export function linkRow(row) {
  row.classList.add("row--link");
  row.addEventListener("click", (event) => {
    if (event.target.closest("a, button, input, select, label") || String(window.getSelection() || "")) return;
    const link = row.querySelector("a[href]");
    if (link) link.click();
  });
  return row;
}

export function badge([label, tone]) {
  return h("span", { class: `badge badge--${tone}` }, label);
}
export const statusBadge = (status) => badge(STATUS[status] || [status, "neutral"]);

/** An order's inventory sync as a badge, in words that fit where the order is. */
export function syncBadge(order) {
  const { state, lastSyncedAt } = order.sync;
  if (state === "off" && order.syncProductionOrderToShopify === null && order.status === "draft") {
    return badge(["Shop default", "neutral"]);
  }
  if (state === "synced" && !lastSyncedAt) {
    const notYet = order.status === "in_progress" || order.status === "draft";
    return badge([notYet ? "Nothing sent yet" : "Nothing to send", "neutral"]);
  }
  return badge(SYNC[state] || [state, "neutral"]);
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const quantityFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

/** An API timestamp as a <time> in the merchant's time zone. */
export function timeElement(iso) {
  if (!iso) return "—";
  return h("time", { datetime: iso }, dateTimeFormat.format(new Date(iso)));
}

/** "2026-11-30" as a readable date (no time zone shift). */
export function formatDate(isoDate) {
  if (!isoDate) return "—";
  const [year, month, day] = isoDate.split("-").map(Number);
  return dateFormat.format(new Date(year, month - 1, day));
}

export const formatQuantity = (value) => (value === null || value === undefined ? "—" : quantityFormat.format(value));

/** The number of a Shopify GID, for showing a record that has no title. */
export const gidNumber = (gid) => (gid || "").split("/").pop();

// ------------------------------------------------------------------ messages

/** "must be unique." -> "Must be unique." */
export function sentence(text) {
  const value = String(text || "").trim();
  if (!value) return value;
  const capital = value[0].toUpperCase() + value.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * A banner at the top of the page (tone: critical, warning, success, info), as Polaris' page banner:
 * the title on a strip of the tone's colour, the details below it, dismissible.
 */
export function showBanner({ tone = "critical", title, message, items = [], actions = [] }) {
  const slot = $("#page-banner");
  const dismiss = h("button", { type: "button", class: "banner__dismiss", "aria-label": "Dismiss", onclick: () => clearBanner() }, "×");
  const details = message || items.length || actions.length;
  const banner = h("div", { class: `banner banner--${tone}`, role: tone === "critical" ? "alert" : "status", tabindex: "-1" },
    title ? h("div", { class: "banner__header" }, h("p", { class: "banner__title" }, quoted(title)), dismiss) : null,
    details ? h("div", { class: "banner__content" },
      message ? h("p", {}, quoted(message)) : null,
      items.length ? h("ul", { class: "banner__list" }, items.map((item) => h("li", {}, typeof item === "string" ? quoted(item) : item))) : null,
      actions.length ? h("div", { class: "button-group" }, actions) : null) : null,
    title ? null : dismiss);
  fill(slot, banner);
  banner.scrollIntoView({ block: "nearest" });
  return banner;
}

export function clearBanner() {
  fill($("#page-banner"));
}

/** A short result message: the admin's toast inside Shopify, an in-page one (role=status) in demo mode. */
export function announce(message, { error = false } = {}) {
  toast(message, { error });
}

/** Keep a message for the next page (after a redirect), then show it there. */
export const flashNext = (message) => sessionStorage.setItem("flash", message);
export function showFlash() {
  const message = sessionStorage.getItem("flash");
  if (message) {
    sessionStorage.removeItem("flash");
    announce(message);
  }
}

// ------------------------------------------------------------------ busy buttons

/** Run `work` with `buttons` disabled (no double submit), then restore them. */
export async function whileBusy(buttons, work) {
  const list = (Array.isArray(buttons) ? buttons : [buttons]).filter(Boolean);
  const before = list.map((button) => button.disabled);
  for (const button of list) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await work();
  } finally {
    list.forEach((button, index) => {
      button.disabled = before[index];
      button.removeAttribute("aria-busy");
    });
  }
}

// ------------------------------------------------------------------ field errors

/** Remove every field error under `root`. */
export function clearFieldErrors(root = document) {
  for (const message of $$("[data-error-for]", root)) {
    message.textContent = "";
    message.hidden = true;
  }
  for (const input of $$("[aria-invalid]", root)) input.removeAttribute("aria-invalid");
}

/** Show `message` next to the input whose data-path is `path`; false when there is no such input. */
export function showFieldError(path, message, root = document) {
  const slot = $$("[data-error-for]", root).find((element) => element.dataset.errorFor === path);
  if (!slot) return false;
  fill(slot, quoted(sentence(message)));
  slot.hidden = false;
  const input = $$("[data-path]", root).find((element) => element.dataset.path === path);
  if (input) input.setAttribute("aria-invalid", "true");
  return true;
}

/** Human words for an API JSON path (for errors with no field on the page). */
export function pathLabel(path, labels = {}) {
  if (labels[path]) return labels[path];
  const row = /^(components|lines)\[(\d+)\]\.?(.*)$/.exec(path);
  if (row) {
    const material = /^materials\[(\d+)\]\.variantId$/.exec(row[3]); // a material named by Shopify's checks
    const field = material ? `material ${Number(material[1]) + 1}` : labels[row[3]] || row[3];
    return `${row[1] === "lines" ? "Material" : "Component"} ${Number(row[2]) + 1}${field ? ` — ${field}` : ""}`;
  }
  return path === "$" ? "" : labels[path] || path;
}

export const FIELD_LABELS = {
  reference: "Reference", type: "Type", locationId: "Location", plannedStartDate: "Planned start date",
  notes: "Notes", syncProductionOrderToShopify: "Update Shopify inventory", variantId: "Variant ID", title: "Product title",
  sku: "SKU", unit: "Unit", quantityPlanned: "Planned quantity", quantityProduced: "Produced quantity",
  materials: "Materials", components: "Components", status: "Status",
  syncProductionOrdersToShopifyByDefault: "Sync by default", defaultLocationId: "Default location",
  syncMode: "Sync mode",
  name: "Name", outputVariantId: "Variant ID of the product made", outputTitle: "Product title", outputSku: "SKU",
  active: "Active", lines: "Materials", quantityPerUnit: "Quantity per unit",
  labourCost: "Labour cost", overheadCost: "Overhead cost", costUpdate: "Cost per item in Shopify",
  shortagePolicy: "Orders short of materials",
  holdDays: "Curing days", plannedOutputAsIncoming: "Planned output shown as incoming",
};

/**
 * Show an API error where it belongs: each `details` path next to its field, the rest in a banner.
 * A 412 means the order changed elsewhere: the merchant reloads rather than overwriting it.
 */
export function showApiError(error, { root = document, actions = [] } = {}) {
  if (error.status === 412) {
    showBanner({
      tone: "warning",
      title: "This order was changed somewhere else",
      message: "Someone (or another tab) changed it since this page loaded. Reload to see the latest version, then make your change again.",
      actions: [h("button", { type: "button", class: "button", onclick: () => window.location.reload() }, "Reload")],
    });
    return;
  }
  clearFieldErrors(root);
  const unplaced = [];
  let first = null;
  for (const [path, message] of Object.entries(error.details || {})) {
    if (typeof message !== "string") continue;
    if (showFieldError(path, message, root)) {
      first = first || $$("[data-path]", root).find((element) => element.dataset.path === path);
    } else if (error.status === 422 || error.status === 400) {
      const label = pathLabel(path, FIELD_LABELS);
      unplaced.push(label ? `${label}: ${sentence(message)}` : sentence(message));
    }
  }
  const placedAll = Object.keys(error.details || {}).length > 0 && unplaced.length === 0 && first;
  if (placedAll) {
    // The general message would repeat the fields' own; say where to look instead.
    showBanner({ title: sentence(error.message).replace(/; see details\.$/, "."), message: "Check the highlighted fields.", actions });
  } else {
    showBanner({ title: sentence(error.message).replace(/; see details\.$/, "."), items: unplaced, actions });
  }
  if (first) first.focus();
}

// Quantities and variant ids as a person types them (shared by the order and BOM forms).

/** A quantity typed in the merchant's locale as a plain decimal string ("1,5" in German -> "1.5"); null when unreadable. */
export const normalDecimal = (text) => parseQuantity(text).value ?? null;

/** A variant id as typed: the GID, or just its number. */
export function normalVariant(text) {
  const value = String(text || "").trim();
  return /^[0-9]+$/.test(value) ? `gid://shopify/ProductVariant/${value}` : value;
}
