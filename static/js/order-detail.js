// One order: the actions its status allows, components, Shopify sync state and history.
import { ApiError, api, loadLocations, pageUrl } from "./api.js";
import { historyItems } from "./history.js";
import { confirmReverse, drawReversalLinks } from "./order-reversal.js";
import { drawCost } from "./order-cost.js";
import { drawAvailability } from "./order-availability.js";
import { confirmRelease, drawHold } from "./order-hold.js";
import { confirm, modalOpen, titleBar } from "./chrome.js";
import {
  $, TYPES, UNITS, announce, clearBanner, commaList, fill, formatDate, formatQuantity, gidNumber, h, isolate, merchant, quoted, showApiError,
  showFlash, statusBadge, syncBadge, timeElement, whileBusy,
} from "./ui.js";

const data = document.body.dataset;
const orderId = Number(data.orderId);
const POLL_MS = 2000; // while a push is pending, watch it finish
// Shopify's quantity names other than `available`, as the receipt shows them under the location (SPEC §10).
const QUANTITY_NAMES = { incoming: "Incoming", quality_control: "Quality control" };
const ACTIONS = {
  start: { button: "#action-start", done: "Order started." },
  complete: { button: "#action-complete", done: "Order completed." },
  cancel: { button: "#action-cancel", done: "Order cancelled." },
};

let order = null;
let settings = null; // the shop's defaults, for saying whether a draft will reach Shopify
let locations = new Map();
let busy = false;
let pollTimer = null;
let lastSyncKey = "";

const actionButtons = () => [...Object.values(ACTIONS).map((action) => $(action.button)), $("#retry-sync"),
  $("#skip-sync"), ...document.querySelectorAll("#review-batches button")];
const locationName = (id) => (id ? locations.get(id) || `Location ${gidNumber(id)}` : null);

function variantTitles() {
  const titles = new Map();
  for (const component of order.components) {
    if (component.title) titles.set(component.variantId, component.title);
    for (const material of component.materials) if (material.title) titles.set(material.variantId, material.title);
  }
  return titles;
}

// ------------------------------------------------------------------ drawing

function drawHeader() {
  fill($("#order-title"), merchant(order.reference));
  document.title = `${isolate(order.reference)} · Production orders`;
  fill($("#order-status"), statusBadge(order.status));
  $("#order-subtitle").textContent = `${TYPES[order.type] || order.type} order`;
  $("#edit-link").hidden = !order.editable;
  $("#edit-link").textContent = order.status === "in_progress" ? "Edit order" : "Edit";
  for (const [name, action] of Object.entries(ACTIONS)) $(action.button).hidden = !order.availableActions.includes(name);
}

function drawDetails() {
  $("#fact-type").textContent = TYPES[order.type] || order.type;
  const draft = order.status === "draft";
  const shopLocation = settings && settings.defaultLocationId;
  fill($("#fact-location"), order.locationId ? merchant(locationName(order.locationId))
    : draft ? (shopLocation ? [merchant(locationName(shopLocation)), " (the shop's default, applied when started)"]
      : "No location yet (the shop's default applies when started)") : "None");
  $("#fact-planned").textContent = formatDate(order.plannedStartDate);
  const sync = order.syncProductionOrderToShopify;
  const shopSync = settings ? ` — now ${settings.syncProductionOrdersToShopifyByDefault ? "yes" : "no"}` : "";
  $("#fact-sync").textContent = sync === null
    ? (draft ? `Shop default${shopSync} (decided when the order starts)` : "No (never started)") : sync ? "Yes" : "No";
  fill($("#fact-created"), timeElement(order.createdAt));
  for (const name of ["started", "completed", "cancelled"]) {
    const at = order[`${name}At`];
    $(`#fact-${name}-row`).hidden = !at;
    fill($(`#fact-${name}`), timeElement(at));
  }
  $("#notes-card").hidden = !order.notes;
  fill($("#fact-notes"), merchant(order.notes || ""));
}

function quantityCell(value, unit) {
  return h("td", { class: "numeric" }, `${formatQuantity(value)} ${UNITS[unit] || unit}`);
}

function drawComponents() {
  const components = order.components;
  fill($("#components-body"), components.map((component) => h("tr", {},
    h("th", { scope: "row" },
      h("span", { class: "cell-title" }, merchant(component.title || component.variantId)),
      h("span", { class: "cell-meta" }, component.title
        ? (component.sku ? ["SKU ", merchant(component.sku)] : "") : "Variant ID as typed; no title known")),
    quantityCell(component.quantityPlanned, component.unit),
    quantityCell(component.quantityProduced, component.unit),
    h("td", {}, component.materials.length
      ? h("ul", { class: "plain-list" }, component.materials.map((material) =>
        h("li", {}, `${formatQuantity(material.quantityPerUnit)} × `, merchant(material.title || material.variantId))))
      : h("span", { class: "subdued" }, "—")))));
  $("#components-table").hidden = components.length === 0;
  $("#components-empty").hidden = components.length > 0;
  const cancelledDraft = order.status === "cancelled" && !order.startedAt;
  $("#components-empty").textContent = cancelledDraft
    ? "This order was cancelled as a draft, so its components were deleted."
    : "This order has no components.";
  $("#record-link").hidden = order.status !== "in_progress";
  const note = order.status === "in_progress"
    ? "Marking the order complete sets each planned quantity to what was produced."
    : order.status === "cancelled" && !cancelledDraft && components.length
      ? "Cancelled while in progress: the components are kept for reference."
      : "";
  $("#complete-note").textContent = note;
  $("#complete-note").hidden = !note;
}

const SYNC_TEXT = {
  off: (o) => (o.syncProductionOrderToShopify === null && o.status === "draft"
    ? "Whether this order updates Shopify inventory is decided when it starts, from the shop's default in Settings."
    : "This order does not update Shopify inventory."),
  pending: () => "Sending the produced quantities to Shopify… This page updates by itself.",
  failed: (o) => (o.sync.retryHelps
    ? "Shopify did not accept the last update. Fix the problem below in Shopify, then retry"
      + " — or leave the products Shopify refused out of this order's sync."
    : "Shopify refused the last update, and a retry would be refused the same way. Leave the products"
      + " Shopify refused out of this order's sync: the rest is sent again, and the choice is kept in the history."),
  needs_review: () => "An update may or may not have reached Shopify. Check below and tell the app which.",
  synced: (o) => (o.sync.skippedVariantIds.length
    ? ["Shopify inventory has everything this order produced, except what was left out of its sync: ",
      commaList(o.sync.skippedVariantIds.map((id) => merchant(variantTitles().get(id) || id))), "."]
    : o.sync.adjustments.length
    ? "Shopify inventory has everything this order produced."
    : o.status === "in_progress" || o.status === "draft"
      ? "Produced quantities are sent to Shopify when the order is completed (or as you record them, with live sync)."
      : "Nothing needed to be sent to Shopify."),
};

function drawSync() {
  const sync = order.sync;
  fill($("#sync-badge"), syncBadge(order));
  // An order that never syncs and never did needs no bookkeeping on screen.
  const quiet = sync.state === "off" && !sync.adjustments.length;
  for (const selector of ["#sync-facts", "#sync-links", "#adjustments-heading", "#adjustments-wrap"]) $(selector).hidden = quiet;
  fill($("#sync-text"), SYNC_TEXT[sync.state](order));
  $("#sync-error").hidden = !sync.lastError;
  $("#sync-error").classList.toggle("inline-error--warning", sync.state !== "failed");
  fill($("#sync-error-text"), quoted(sync.lastError || ""));
  fill($("#sync-last"), sync.lastSyncedAt ? timeElement(sync.lastSyncedAt) : "Never");
  $("#sync-attempts").textContent = String(sync.attempts);
  // Only where a retry helps (the server knows: a backoff to cut short, a failure fixable in Shopify).
  $("#retry-sync").hidden = !sync.retryHelps;
  $("#skip-sync").hidden = !(sync.state === "failed" && sync.failedVariantIds.length);
  const titles = variantTitles();
  const history = (url) => (url ? h("a", { href: url, target: "_top", rel: "noopener" }, "Inventory history") : "—");
  fill($("#adjustments-body"), sync.adjustments.map((entry) => h("tr", {},
    h("td", {}, h("bdi", {}, titles.get(entry.variantId) || entry.variantId)),
    h("td", {}, h("bdi", {}, locationName(entry.locationId)),
      entry.name !== "available" ? h("span", { class: "cell-meta" }, QUANTITY_NAMES[entry.name] || entry.name) : null),
    h("td", { class: "numeric" }, `${entry.exact > 0 ? "+" : ""}${formatQuantity(entry.exact)}`),
    h("td", { class: `numeric ${entry.quantity < 0 ? "negative" : entry.quantity > 0 ? "positive" : "subdued"}` },
      entry.quantity ? `${entry.quantity > 0 ? "+" : ""}${entry.quantity}` : "0 (carried)"),
    h("td", { class: "numeric" }, entry.quantityAfterChange === null ? "—" : String(entry.quantityAfterChange)),
    h("td", {}, history(entry.inventoryHistoryUrl)))));
  $("#adjustments-table").hidden = sync.adjustments.length === 0;
  $("#adjustments-note").hidden = quiet || sync.adjustments.length === 0;
  $("#adjustments-empty").hidden = quiet || sync.adjustments.length > 0;
  drawReview(titles, history);
}

function drawReview(titles, history) {
  const batches = order.sync.review;
  $("#review").hidden = batches.length === 0;
  fill($("#review-batches"), batches.map((batch) => h("div", { class: "review__batch" },
    h("p", { class: "subdued" }, "First sent ", timeElement(batch.firstSentAt)),
    h("ul", { class: "plain-list" }, batch.changes.filter((c) => c.quantity).map((change) => h("li", {},
      h("bdi", {}, titles.get(change.variantId) || change.variantId), ` at `,
      h("bdi", {}, locationName(change.locationId)), `: ${change.quantity > 0 ? "+" : ""}${change.quantity} · `,
      history(change.inventoryHistoryUrl)))),
    h("div", { class: "button-group" },
      h("button", { type: "button", class: "button button--primary", "data-batch": batch.batchId, "data-applied": "1" },
        "It was applied in Shopify"),
      h("button", { type: "button", class: "button", "data-batch": batch.batchId, "data-applied": "0" },
        "It was not applied")))));
}

// ------------------------------------------------------------------ will this order reach Shopify?

const link = (href, text, primary = false) => h("a", { class: `button${primary ? " button--primary" : ""}`, href }, text);

/** Why completing this order will not change Shopify inventory (null when it will, or it is too late to say). */
function syncNotice() {
  const flag = order.syncProductionOrderToShopify;
  const settingsUrl = pageUrl("/settings");
  if (!order.editable) {
    return order.status === "completed" && flag !== true
      ? { title: "This order did not change Shopify inventory", text: "It was set not to update Shopify inventory when it was completed.", actions: [] }
      : null;
  }
  const shopDefault = settings ? settings.syncProductionOrdersToShopifyByDefault : null;
  const willSync = flag === null ? shopDefault : flag;
  const location = order.locationId || (order.status === "draft" && settings ? settings.defaultLocationId : null);
  if (willSync === false) {
    return flag === false
      ? { title: "Completing this order will not change Shopify inventory",
          text: "It is set not to update Shopify inventory. Edit the order and choose Yes under “Update Shopify inventory” if it should.",
          actions: [link(data.editUrl, "Edit order")] }
      : { title: "When started, this order will not update Shopify inventory",
          text: "It follows the shop default, and inventory sync is off by default in Settings. Turn the default on, or set this order to Yes.",
          actions: [link(settingsUrl, "Open Settings"), link(data.editUrl, "Edit order")] };
  }
  if (willSync && !location) {
    return { title: "This order has no location, so it cannot update Shopify inventory",
             text: order.status === "draft"
               ? "Neither the order nor Settings names a location, so starting it will be refused. Choose a location on the order, or a default location in Settings."
               : "Choose the location where production happens.",
             actions: [link(data.editUrl, "Choose a location"), link(settingsUrl, "Set a default location")] };
  }
  return null;
}

function drawNotice() {
  const notice = syncNotice();
  $("#sync-notice").hidden = !notice;
  if (!notice) return;
  $("#sync-notice").className = `callout ${order.editable ? "callout--warning" : "callout--info"}`;
  $("#sync-notice-title").textContent = notice.title;
  $("#sync-notice-text").textContent = notice.text;
  fill($("#sync-notice-actions"), notice.actions);
}

function draw() {
  drawNotice();
  drawHeader();
  drawDetails();
  drawComponents();
  drawCost(order, variantTitles());
  drawAvailability(order, locationName, settings && settings.shortagePolicy);
  drawSync();
  drawReversalLinks(order);
  drawHold(order);
  titleBar({ title: isolate(order.reference) }); // the actions this status allows, in the admin's title bar too
  $("#order-loading").hidden = true;
  $("#order-view").hidden = false;
}

async function loadHistory() {
  try {
    const events = (await api("GET", `/production-orders/${orderId}/events`)).items;
    fill($("#history"), historyItems(order, events, locations));
    $("#history-loading").hidden = true;
  } catch (error) {
    $("#history-loading").textContent = `The history could not be loaded: ${error.message}`;
  }
}

// ------------------------------------------------------------------ watching a pending push

const syncKey = (o) => JSON.stringify([o.version, o.sync.state, o.sync.attempts, o.sync.lastError, o.sync.adjustments.length]);

function watchSync() {
  clearTimeout(pollTimer);
  if (order.sync.state === "pending") pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  if (busy || document.hidden || modalOpen()) {
    watchSync();
    return;
  }
  try {
    const fresh = await api("GET", `/production-orders/${orderId}`);
    if (busy) return; // an action answered meanwhile: its answer is newer
    order = fresh;
    if (syncKey(order) !== lastSyncKey) {
      lastSyncKey = syncKey(order);
      draw();
      loadHistory();
      if (order.sync.state !== "pending") announce(order.sync.state === "synced" ? "Shopify inventory updated." : "The Shopify update needs attention.");
    }
  } catch {
    // A missed poll is retried on the next tick.
  }
  watchSync();
}

function show(fresh) {
  order = fresh;
  lastSyncKey = syncKey(order);
  draw();
  loadHistory();
  watchSync();
}

// ------------------------------------------------------------------ actions

async function run(path, button, done, { version, body } = {}) {
  busy = true;
  clearBanner();
  try {
    await whileBusy(actionButtons(), async () => {
      show(await api("POST", path, { version, body }));
    });
    announce(done);
    // Focus goes to the order's title, never to an action button: a second Enter or click must not
    // complete or cancel anything by itself.
    (button.id === "retry-sync" && !button.hidden ? button : $("#order-title")).focus();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const fix = error.status === 422 && order.editable
      ? [h("a", { class: "button", href: data.editUrl }, "Edit order")] : [];
    showApiError(error, { actions: fix });
    // A start refused for shortages: show what Shopify has now.
    if (error.status === 422 && path.endsWith("/start")) drawAvailability(order, locationName, settings && settings.shortagePolicy, { force: true });
    if (error.status === 409) {
      // Someone else moved the order on: show where it is now.
      try {
        show(await api("GET", `/production-orders/${orderId}`));
      } catch {
        // the banner already explains
      }
    }
  } finally {
    busy = false;
  }
}

function transition(name) {
  return run(`/production-orders/${orderId}/${name}`, $(ACTIONS[name].button), ACTIONS[name].done,
    { version: order.version });
}

const exact = (value) => Math.round(value * 1e6) / 1e6; // products of 3-place decimals: 6 places at most

/** What completing sends to Shopify, per variant: outputs added, materials taken (reversed for disassembly). */
function completionChanges() {
  const sign = order.type === "disassembly" ? -1 : 1;
  const totals = new Map();
  const add = (variantId, title, unit, quantity) => {
    const entry = totals.get(variantId) || { title: title || variantId, unit, quantity: 0 };
    entry.quantity = exact(entry.quantity + quantity);
    totals.set(variantId, entry);
  };
  for (const component of order.components) {
    const produced = Number(component.quantityProduced);
    add(component.variantId, component.title, component.unit, sign * produced);
    for (const material of component.materials) {
      add(material.variantId, material.title, null, -sign * produced * Number(material.quantityPerUnit));
    }
  }
  return [...totals.values()].filter((entry) => entry.quantity !== 0);
}

/** The whole units the sync will send per change, as the server freezes them (sync/accounts.py):
 * Shopify holds floor(exact total) of each account, so a fraction may take a whole unit (an opened
 * bag) or nothing (one opened by an earlier order covers it). What this order already sent (live
 * sync) is already in the account. Leaves `whole` unset when the accounts cannot be read. */
async function addWholeUnits(changes) {
  try {
    const { items } = await api("GET", `/accounts?locationId=${encodeURIComponent(order.locationId)}`);
    const accounts = new Map(items.filter((a) => a.name === "available").map((a) => [a.variantId, a]));
    const sent = new Map();
    for (const a of order.sync.adjustments) {
      if (a.locationId === order.locationId) sent.set(a.variantId, exact((sent.get(a.variantId) || 0) + a.exact));
    }
    for (const entry of changes) {
      const account = accounts.get(entry.variantId) || { exact: 0, whole: 0 };
      const change = exact(entry.quantity - (sent.get(entry.variantId) || 0));
      entry.whole = Math.floor(exact(account.exact + change)) - account.whole;
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
}

function changeLine(entry) {
  const signed = (value) => `${value > 0 ? "+" : value < 0 ? "−" : "±"}${formatQuantity(Math.abs(value))}`;
  if (entry.whole === undefined) {
    return h("li", {}, `${signed(entry.quantity)} `, merchant(entry.title), h("span", { class: "subdued" },
      " (exact use; Shopify counts whole units)"));
  }
  const text = [`${signed(entry.whole)} `, merchant(entry.title)];
  if (entry.whole === entry.quantity) return h("li", {}, text);
  return h("li", {}, text, h("span", { class: "subdued" },
    ` (exactly ${signed(entry.quantity)}: Shopify counts whole units; the fraction is carried, see Remainders)`));
}

let confirming = false; // the accounts are read before the modal opens: one modal per click burst

async function confirmComplete() {
  if (confirming || modalOpen()) return;
  const changes = completionChanges();
  const syncs = order.syncProductionOrderToShopify === true;
  confirming = true;
  try {
    if (syncs && order.locationId) await addWholeUnits(changes);
  } finally {
    confirming = false;
  }
  const where = locationName(order.locationId);
  fill($("#complete-text"), !syncs
    ? "Nothing is sent to Shopify: this order does not update Shopify inventory."
    : changes.length ? ["Shopify inventory at ", merchant(where), " will change by:"] : "Nothing was produced, so nothing is sent to Shopify.");
  fill($("#complete-changes"), syncs ? changes.map(changeLine) : []);
  $("#complete-changes").hidden = !syncs || !changes.length;
  const rounded = syncs && changes.some((entry) => entry.whole !== entry.quantity);
  $("#complete-rounding").hidden = !rounded;
  $("#complete-rounding").textContent = rounded
    ? "Shopify keeps whole units: the app keeps the exact amounts per product and location and sends whole ones"
      + " (a material counts as used once opened, a product as made once whole), so later orders make up the difference." : "";
  if (await confirm("complete-dialog", { title: `Mark ${isolate(order.reference)} complete?`, returnFocus: $("#order-title") })) transition("complete");
}

function cancelShopifyText() {
  if (order.status === "draft") return "Nothing has been sent to Shopify for a draft.";
  if (order.syncProductionOrderToShopify !== true) return "This order does not update Shopify inventory: nothing was sent, and nothing will be.";
  const sent = order.sync.adjustments;
  if (!sent.length) {
    return order.sync.state === "pending"
      ? "An update to Shopify is being sent for this order; whatever reaches Shopify stays there. Nothing more is sent after cancelling."
      : "Nothing has been sent to Shopify for this order yet, and after cancelling nothing will be.";
  }
  const titles = variantTitles();
  const lines = sent.map((a) => [`${a.quantity > 0 ? "+" : "−"}${Math.abs(a.quantity)} `, merchant(titles.get(a.variantId) || a.variantId)]);
  return ["Already sent to Shopify: ", commaList(lines), ". That stays in Shopify (those units were made); nothing more is sent after cancelling."];
}

async function confirmCancel() {
  const count = order.components.length;
  const rows = `${count} ${count === 1 ? "component" : "components"}`;
  $("#cancel-text").textContent = order.status === "draft"
    ? (count ? `This draft's ${rows} will be deleted.` : "This draft has no components.")
      + " The order stays in your list as cancelled."
    : `Its ${rows} will be kept for reference.`;
  fill($("#cancel-shopify"), cancelShopifyText());
  if (await confirm("cancel-dialog", { title: `Cancel ${isolate(order.reference)}?`, returnFocus: $("#order-title") })) transition("cancel");
}

$("#action-start").addEventListener("click", () => transition("start"));
$("#action-complete").addEventListener("click", confirmComplete);
$("#action-cancel").addEventListener("click", confirmCancel);
$("#action-reverse").addEventListener("click", () => confirmReverse(order, locationName));
$("#action-release").addEventListener("click", () => confirmRelease(order, () => run(
  `/production-orders/${orderId}/release`, $("#action-release"), "Output released for sale.", { version: order.version })));
$("#review-batches").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-batch]");
  if (!button) return;
  const applied = button.dataset.applied === "1";
  run(`/production-orders/${orderId}/sync/resolve`, button,
    applied ? "Recorded as applied in Shopify; nothing was sent." : "The change will be sent to Shopify again.",
    { body: { batchId: Number(button.dataset.batch), applied } });
});

async function confirmSkip() {
  const titles = variantTitles();
  // Pre-check what Shopify's refusal names: by “title”, or by GID for a variant without one.
  const error = order.sync.lastError || "";
  const named = (variantId) => error.includes(variantId)
    || (titles.has(variantId) && error.includes(`“${titles.get(variantId)}”`));
  fill($("#skip-choices"), order.sync.failedVariantIds.map((variantId, index) => h("label", { class: "choice" },
    h("input", { type: "checkbox", value: variantId, id: `skip-${index}`, checked: named(variantId) }),
    " ", h("bdi", {}, titles.get(variantId) || variantId))));
  const confirmed = await confirm("skip-dialog", { returnFocus: $("#skip-sync") });
  const variantIds = [...document.querySelectorAll("#skip-choices input:checked")].map((input) => input.value);
  if (confirmed && variantIds.length) {
    run(`/production-orders/${orderId}/sync/skip`, $("#skip-sync"),
      "Left out; the rest of the order will be sent to Shopify again.", { body: { variantIds } });
  }
}

$("#skip-sync").addEventListener("click", confirmSkip);
$("#retry-sync").addEventListener("click", () =>
  run(`/production-orders/${orderId}/sync`, $("#retry-sync"), "Retry queued: the app will send the update to Shopify again."));

async function start() {
  showFlash();
  const [fresh, names, shopSettings] = await Promise.all([
    api("GET", `/production-orders/${orderId}`).catch((error) => error),
    loadLocations(),
    api("GET", "/settings").catch(() => null),
  ]);
  locations = names || new Map();
  settings = shopSettings;
  if (fresh instanceof Error) {
    $("#order-loading").hidden = true;
    if (fresh.status === 404) $("#order-missing").hidden = false;
    else showApiError(fresh);
    return;
  }
  show(fresh);
}

start();
