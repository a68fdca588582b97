// The create/edit form. Creating is one POST; editing sends only what changed (the order's fields,
// then removed, changed and new component rows), each write with If-Match on the latest version.
import { ApiError, Decimal, api, loadLocations, pageUrl } from "./api.js";
import { addRow, renumber, rowMaterials, rowValues, rows, showProduced } from "./component-rows.js";
import { pickBoms, pickVariants, pickerAvailable } from "./picker.js";
import {
  $, announce, clearBanner, clearFieldErrors, flashNext, h, normalDecimal, showApiError, showBanner, whileBusy,
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

function orderFields() {
  const notes = $("#notes").value;
  return {
    reference: $("#reference").value.trim(),
    type: $("#type").value,
    locationId: $("#location").value.trim() || null,
    plannedStartDate: $("#planned-start").value || null,
    notes: notes.trim() ? notes : null,
    syncProductionOrderToShopify: SYNC_VALUES[$("#sync").value],
  };
}

/** Problems the browser can see before asking the server, keyed like the API's details. */
function problems() {
  const found = {};
  const fields = orderFields();
  if (!fields.reference) found.reference = "Enter a reference for the order.";
  if (fields.locationId && !LOCATION_GID.test(fields.locationId)) {
    found.locationId = "Enter a location ID like gid://shopify/Location/123, or leave it empty.";
  }
  rows().forEach((row, index) => {
    const values = rowValues(row);
    const path = (field) => `components[${index}].${field}`;
    if (!VARIANT_GID.test(values.variantId)) {
      found[path("variantId")] = "Enter a variant ID like gid://shopify/ProductVariant/123 (or just its number).";
    }
    if (normalDecimal(values.quantityPlanned) === null) {
      found[path("quantityPlanned")] = "Enter the planned quantity as a number, like 12 or 2.5.";
    }
    if (inProgress() && normalDecimal(values.quantityProduced) === null) {
      found[path("quantityProduced")] = "Enter the produced quantity as a number (0 if nothing yet).";
    }
  });
  return found;
}

function newRowBody(row) {
  const values = rowValues(row);
  const body = {
    variantId: values.variantId, title: values.title, sku: values.sku, unit: values.unit,
    quantityPlanned: new Decimal(normalDecimal(values.quantityPlanned)),
  };
  if (inProgress()) body.quantityProduced = new Decimal(normalDecimal(values.quantityProduced));
  const materials = rowMaterials(row);
  if (materials.length) {
    body.materials = materials.map((material) => ({
      variantId: material.variantId, title: material.title, quantityPerUnit: new Decimal(String(material.quantityPerUnit)),
    }));
  }
  return body;
}

/** The fields of an existing row that differ from the server's copy. */
function rowChanges(row, saved) {
  const values = rowValues(row);
  const changes = {};
  for (const field of ["variantId", "title", "sku", "unit"]) {
    if (values[field] !== saved[field]) changes[field] = values[field];
  }
  const quantities = inProgress() ? ["quantityPlanned", "quantityProduced"] : ["quantityPlanned"];
  for (const field of quantities) {
    const typed = normalDecimal(values[field]);
    if (typed !== normalDecimal(String(saved[field]))) changes[field] = new Decimal(typed);
  }
  return changes;
}

// ------------------------------------------------------------------ saving

/** Errors of a component request name the row's own fields; place them on row `index`. */
function onRow(error, index) {
  if (error instanceof ApiError && error.status === 422) {
    const details = {};
    for (const [path, message] of Object.entries(error.details)) {
      details[path === "$" ? `components[${index}]` : `components[${index}].${path}`] = message;
    }
    error.details = details;
  }
  return error;
}

async function write(method, path, body, rowIndex) {
  try {
    order = await api(method, path, { body, version: order.version });
  } catch (error) {
    throw rowIndex === undefined ? error : onRow(error, rowIndex);
  }
}

async function saveChanges() {
  const fields = orderFields();
  const patch = {};
  for (const [name, value] of Object.entries(fields)) {
    const saved = name === "notes" && order.notes === "" ? null : order[name];
    if (value !== saved) patch[name] = value;
  }
  if (Object.keys(patch).length) await write("PATCH", `/production-orders/${order.id}`, patch);

  const kept = new Set(rows().map((row) => Number(row.dataset.componentId)).filter(Boolean));
  for (const component of order.components.filter((item) => !kept.has(item.id))) {
    await write("DELETE", `/production-orders/${order.id}/components/${component.id}`);
  }
  for (const [index, row] of rows().entries()) {
    const id = Number(row.dataset.componentId);
    if (id) {
      const saved = order.components.find((item) => item.id === id);
      const changes = saved ? rowChanges(row, saved) : {};
      if (Object.keys(changes).length) {
        await write("PATCH", `/production-orders/${order.id}/components/${id}`, changes, index);
      }
    } else {
      const before = new Set(order.components.map((item) => item.id));
      await write("POST", `/production-orders/${order.id}/components`, newRowBody(row), index);
      const added = order.components.find((item) => !before.has(item.id));
      if (added) row.dataset.componentId = String(added.id); // saved: a second Save will not add it again
    }
  }
}

async function save() {
  clearBanner();
  clearFieldErrors(form);
  const found = problems();
  if (Object.keys(found).length) {
    showApiError(new ApiError(422, "validation_failed", "Some fields need your attention.", found), { root: form });
    return;
  }
  if (!order) {
    const body = { ...orderFields(), components: rows().map(newRowBody) };
    const created = await api("POST", "/production-orders", { body });
    flashNext(`Production order ${created.reference} created as a draft.`);
    window.location.assign(pageUrl(`/orders/${created.id}`));
    return;
  }
  await saveChanges();
  flashNext(`Production order ${order.reference} saved.`);
  window.location.assign(pageUrl(`/orders/${order.id}`));
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
  const sync = order.syncProductionOrderToShopify;
  $("#sync").value = sync === null ? "default" : String(sync);
  showProduced(inProgress());
  if (inProgress()) {
    $("#sync-default-option").remove(); // once started, the order has its own setting
    $("#produced-help").hidden = false;
    $("#components-help").hidden = true;
  }
  for (const component of order.components) addRow(component);
  $("#form-title").textContent = `Edit ${order.reference}`;
  document.title = `Edit ${order.reference} · Production orders`;
}

async function start() {
  renumber();
  if (!pickerAvailable()) $("#pick-products").hidden = true;
  const locations = loadLocations();
  if (orderId === null) {
    fillLocations(await locations, null);
    $("#reference").focus();
    return;
  }
  try {
    order = await api("GET", `/production-orders/${orderId}`);
  } catch (error) {
    $("#form-loading").hidden = true;
    showApiError(error);
    return;
  }
  $("#form-loading").hidden = true;
  if (!order.editable) {
    $("#read-only-text").textContent = `${order.reference} is ${order.status === "completed" ? "completed" : "cancelled"}: `
      + "completed and cancelled orders are kept as a record and cannot be edited.";
    $("#read-only-notice").hidden = false;
    for (const element of [form, $("#component-row-template"), $("#product-picker")]) element.remove(); // nothing to edit here
    return;
  }
  fillLocations(await locations, order.locationId);
  fillForm();
  form.hidden = false;
  $("#reference").focus();
}

start();
