// The create/edit form. Creating is one POST; saving an existing order is one PATCH carrying the
// order's fields and its whole list of rows, which the server applies all or nothing (If-Match on
// the version the form was loaded at). Leaving with unsaved changes asks first.
import { ApiError, Decimal, api, loadLocations, pageUrl } from "./api.js";
import { addRow, renumber, rowMaterials, rowValues, rows, showProduced } from "./component-rows.js";
import { lockForReversal } from "./order-reversal.js";
import { leave, saveBar, titleBar } from "./chrome.js";
import { formatForInput, parseQuantity } from "./numbers.js";
import { pickBoms, pickVariants, pickerAvailable } from "./picker.js";
import {
  $, announce, clearBanner, clearFieldErrors, fill, flashNext, h, isolate, merchant, showApiError, showBanner, whileBusy,
} from "./ui.js";

const orderId = document.body.dataset.orderId ? Number(document.body.dataset.orderId) : null;
const form = $("#order-form");
const VARIANT_GID = /^gid:\/\/shopify\/ProductVariant\/[0-9]+$/;
const LOCATION_GID = /^gid:\/\/shopify\/Location\/[0-9]+$/;
const SYNC_VALUES = { default: null, true: true, false: false };

let order = null; // the server's copy while editing; its version goes into If-Match
let saving = false;

const inProgress = () => Boolean(order && order.status === "in_progress");

// ------------------------------------------------------------------ reading and checking the form

// Labour and overhead: money in the merchant's locale, cents at most; empty is "none" (null).
function moneyField(id) {
  const text = $(id).value.trim();
  if (!text) return { value: null };
  const parsed = parseQuantity(text);
  if (parsed.error) return parsed;
  if ((parsed.value.split(".")[1] || "").length > 2) return { error: "Use at most 2 decimal places (cents)." };
  return { value: parsed.value };
}

function orderFields() {
  const notes = $("#notes").value;
  const labour = moneyField("#labour-cost");
  const overhead = moneyField("#overhead-cost");
  return {
    labourCost: labour.value === null || labour.error ? null : new Decimal(labour.value),
    overheadCost: overhead.value === null || overhead.error ? null : new Decimal(overhead.value),
    reference: $("#reference").value.trim(),
    type: $("#type").value,
    locationId: $("#location").value.trim() || null,
    plannedStartDate: $("#planned-start").value || null,
    notes: notes.trim() ? notes : null,
    syncProductionOrderToShopify: SYNC_VALUES[$("#sync").value],
    holdDays: holdDays(),
  };
}

// Curing days: a whole number; anything else is sent as typed, so the API's message shows at the field.
function holdDays() {
  const text = $("#hold-days").value.trim();
  return text === "" ? 0 : /^[0-9]{1,3}$/.test(text) ? Number(text) : text;
}

/** Each row's quantities read in the merchant's locale: {planned, produced} strings or errors. */
function quantities(row) {
  const values = rowValues(row);
  const wholeOnly = values.unit === "pcs";
  return {
    planned: parseQuantity(values.quantityPlanned, { wholeOnly }),
    produced: inProgress() ? parseQuantity(values.quantityProduced, { wholeOnly }) : null,
  };
}

/** Problems the browser can see before asking the server, keyed like the API's details. */
function problems() {
  const found = {};
  const fields = orderFields();
  if (!fields.reference) found.reference = "Enter a reference for the order.";
  for (const [id, path] of [["#labour-cost", "labourCost"], ["#overhead-cost", "overheadCost"]]) {
    const { error } = moneyField(id);
    if (error) found[path] = error;
  }
  if (fields.locationId && !LOCATION_GID.test(fields.locationId)) {
    found.locationId = "Enter a location ID like gid://shopify/Location/123, or leave it empty.";
  }
  rows().forEach((row, index) => {
    const values = rowValues(row);
    const path = (field) => `components[${index}].${field}`;
    if (!VARIANT_GID.test(values.variantId)) {
      found[path("variantId")] = "Enter a variant ID like gid://shopify/ProductVariant/123 (or just its number).";
    }
    const { planned, produced } = quantities(row);
    if (planned.error) found[path("quantityPlanned")] = planned.error;
    if (produced && produced.error) found[path("quantityProduced")] = produced.error;
  });
  return found;
}

function rowBody(row) {
  const values = rowValues(row);
  const { planned, produced } = quantities(row);
  const body = {
    variantId: values.variantId, title: values.title, sku: values.sku, unit: values.unit,
    quantityPlanned: new Decimal(planned.value),
  };
  if (produced) body.quantityProduced = new Decimal(produced.value);
  const id = Number(row.dataset.componentId);
  if (id) return { id, ...body }; // an existing row keeps its materials
  const materials = rowMaterials(row);
  if (materials.length) {
    body.materials = materials.map((material) => ({
      variantId: material.variantId, title: material.title, quantityPerUnit: new Decimal(String(material.quantityPerUnit)),
    }));
  }
  return body;
}

// ------------------------------------------------------------------ saving

async function save() {
  clearBanner();
  clearFieldErrors(form);
  const found = problems();
  if (Object.keys(found).length) {
    showApiError(new ApiError(422, "validation_failed", "Some fields need your attention.", found), { root: form });
    return;
  }
  const components = rows().map(rowBody);
  if (!order) {
    const created = await api("POST", "/production-orders", { body: { ...orderFields(), components } });
    flashNext(`Production order ${created.reference} created as a draft.`);
    leave(pageUrl(`/orders/${created.id}`));
    return;
  }
  // One request: the fields and every row, saved together or not at all.
  order = await api("PATCH", `/production-orders/${order.id}`, { body: { ...orderFields(), components }, version: order.version });
  flashNext(`Production order ${order.reference} saved.`);
  leave(pageUrl(`/orders/${order.id}`));
}

/** Discard: the form as loaded (a new order: empty). */
function discard() {
  clearBanner();
  clearFieldErrors(form);
  for (const row of rows()) row.remove();
  if (order) fillForm();
  else form.reset();
  renumber();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (saving) return;
  saving = true;
  try {
    await whileBusy([$("#save"), $("#pick-products"), $("#add-bom"), $("#add-row")], save);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showApiError(error, { root: form });
  } finally {
    saving = false;
  }
});

// ------------------------------------------------------------------ adding rows

$("#add-row").addEventListener("click", () => {
  const row = addRow();
  $('[data-field="variantId"]', row).focus();
});

$("#pick-products").addEventListener("click", async () => {
  if (!pickerAvailable()) {
    showBanner({ tone: "warning", title: "The product picker is not available here",
                 message: "Add rows by variant ID instead." });
    return;
  }
  const picked = await whileBusy($("#pick-products"), pickVariants);
  const present = new Set(rows().map((row) => rowValues(row).variantId));
  const added = [];
  for (const variant of picked) {
    if (present.has(variant.variantId)) {
      announce(`${variant.title || variant.variantId} is already on this order.`);
      continue;
    }
    added.push(addRow(variant));
  }
  if (added.length) {
    announce(`${added.length} ${added.length === 1 ? "product" : "products"} added. Enter the planned quantities.`);
    $('[data-field="quantityPlanned"]', added[0]).focus();
  } else {
    $("#pick-products").focus();
  }
});

$("#add-bom").addEventListener("click", async () => {
  // A BOM row is its output variant with the BOM's lines snapshotted as the row's materials.
  const boms = await whileBusy($("#add-bom"), pickBoms);
  const added = boms.map((bom) => addRow({
    variantId: bom.outputVariantId, title: bom.outputTitle, sku: bom.outputSku, materials: bom.lines,
  }));
  // The BOM's curing time becomes the order's (the longest, as the API does for a BOM added by id).
  const longest = Math.max(0, ...boms.map((bom) => bom.holdDays || 0));
  if (longest > (Number($("#hold-days").value) || 0)) $("#hold-days").value = String(longest);
  if (added.length) {
    announce(`${added.length} ${added.length === 1 ? "row" : "rows"} added from bills of materials. Enter the planned quantities.`);
    $('[data-field="quantityPlanned"]', added[0]).focus();
  } else {
    $("#add-bom").focus();
  }
});

// ------------------------------------------------------------------ loading

function fillLocations(locations, current) {
  const field = $("#location");
  if (locations === null) {
    // Shopify did not list the locations: the ID can still be typed.
    const input = h("input", {
      id: "location", name: "locationId", class: "input input--mono", "data-path": "locationId",
      placeholder: "gid://shopify/Location/…", "aria-describedby": "location-help location-error", autocomplete: "off",
    });
    field.replaceWith(input);
    input.value = current || "";
    $("#location-help").textContent = "Shopify did not list your locations just now: enter a location ID, or leave it empty.";
    return;
  }
  for (const [id, name] of locations) field.append(h("option", { value: id }, name));
  if (current && !locations.has(current)) field.append(h("option", { value: current }, `${current} (not an active location)`));
  field.value = current || "";
}

function fillForm() {
  $("#reference").value = order.reference;
  $("#type").value = order.type;
  $("#planned-start").value = order.plannedStartDate || "";
  $("#notes").value = order.notes || "";
  $("#labour-cost").value = order.labourCost === null ? "" : formatForInput(order.labourCost);
  $("#overhead-cost").value = order.overheadCost === null ? "" : formatForInput(order.overheadCost);
  $("#hold-days").value = String(order.holdDays);
  const sync = order.syncProductionOrderToShopify;
  $("#sync").value = sync === null ? "default" : String(sync);
  showProduced(inProgress());
  if (inProgress() && $("#sync-default-option")) {
    $("#sync-default-option").remove(); // once started, the order has its own setting
    $("#produced-help").hidden = false;
    $("#components-help").hidden = true;
  }
  for (const component of order.components) addRow(component);
  if (order.reversalOf) lockForReversal(order);
  fill($("#form-title"), "Edit ", merchant(order.reference));
  document.title = `Edit ${isolate(order.reference)} · Production orders`;
  titleBar({ title: `Edit ${isolate(order.reference)}` });
}

async function start() {
  renumber();
  if (!pickerAvailable()) $("#pick-products").hidden = true;
  const locations = loadLocations();
  if (orderId === null) {
    // The new form is there at once; the merchant may type before the locations arrive.
    changes.markClean();
    $("#reference").focus();
    const list = await locations;
    changes.refill(() => fillLocations(list, null));
    return;
  }
  try {
    order = await api("GET", `/production-orders/${orderId}`);
  } catch (error) {
    $("#form-loading").hidden = true;
    if (error.status === 404) {
      $("#order-missing").hidden = false;
      form.remove();
    } else {
      showApiError(error);
    }
    return;
  }
  $("#form-loading").hidden = true;
  if (!order.editable) {
    fill($("#read-only-text"), merchant(order.reference), ` is ${order.status === "completed" ? "completed" : "cancelled"}: `
      + "completed and cancelled orders are kept as a record and cannot be edited.");
    $("#read-only-notice").hidden = false;
    for (const element of [form, $("#component-row-template"), $("#product-picker")]) element.remove(); // nothing to edit here
    return;
  }
  fillLocations(await locations, order.locationId);
  fillForm();
  form.hidden = false;
  changes.markClean();
  $("#reference").focus();
}

const changes = saveBar(form, { onDiscard: discard });
start();
