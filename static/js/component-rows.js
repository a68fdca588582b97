// The component rows of the order form: adding, removing, numbering (errors come back as
// components[i].field, so paths follow the rows' order) and reading what was typed.
import { formatForInput } from "./numbers.js";
import { $, $$, announce, fill, formatQuantity, h, merchant, normalVariant } from "./ui.js";

const list = $("#components");
const template = $("#component-row-template");
const ROW_FIELDS = ["title", "sku", "variantId", "unit", "quantityPlanned", "quantityProduced"];
const materialsOf = new WeakMap(); // row element -> its materials (read-only here)
let rowCount = 0;
let recordingProduced = false;

export const rows = () => $$(".component-row", list);
export const rowMaterials = (row) => materialsOf.get(row);

/** Rows show the produced quantity only while the order is in progress. */
export function showProduced(flag) {
  recordingProduced = flag;
}

function materialItem(material) {
  return h("li", {}, `${formatQuantity(material.quantityPerUnit)} × `, merchant(material.title || material.variantId));
}

export function addRow(data = {}) {
  const row = template.content.firstElementChild.cloneNode(true);
  const key = ++rowCount;
  if (data.id) row.dataset.componentId = String(data.id);
  const materials = data.materials || [];
  materialsOf.set(row, materials);
  for (const input of $$("[data-field]", row)) {
    const field = input.dataset.field;
    input.id = `c${key}-${field}`;
    $(`label[data-for="${field}"]`, row).htmlFor = input.id;
    const error = $(`[data-error="${field}"]`, row);
    error.id = `c${key}-${field}-error`;
    input.setAttribute("aria-describedby", error.id);
    const value = data[field];
    if (value !== undefined && value !== null) input.value = field.startsWith("quantity") ? formatForInput(value) : String(value);
  }
  if (!data.unit) $('[data-field="unit"]', row).value = "pcs";
  if (!recordingProduced) $('[data-role="produced"]', row).hidden = true;
  else if (data.quantityProduced === undefined) $('[data-field="quantityProduced"]', row).value = "0";
  if (materials.length) {
    $('[data-role="materials"]', row).hidden = false;
    fill($('[data-role="materials-list"]', row), materials.map(materialItem));
  }
  $('[data-field="title"]', row).addEventListener("input", renumber);
  $('[data-field="variantId"]', row).addEventListener("change", (event) => {
    event.target.value = normalVariant(event.target.value);
  });
  $('[data-role="remove"]', row).addEventListener("click", () => removeRow(row));
  list.append(row);
  renumber();
  return row;
}

function removeRow(row) {
  const next = row.nextElementSibling || row.previousElementSibling;
  const title = $('[data-field="title"]', row).value.trim();
  row.remove();
  renumber();
  announce(`${title || "Component"} removed from the form. Save to keep the change.`);
  (next ? $('[data-role="remove"]', next) : $("#pick-products")).focus();
}

/** Paths, headings and labels follow the rows' order: errors come back as components[i].field. */
export function renumber() {
  rows().forEach((row, index) => {
    const title = $('[data-field="title"]', row).value.trim();
    const name = title || `Component ${index + 1}`;
    fill($('[data-role="heading"]', row), title ? merchant(title) : name);
    $('[data-role="remove"]', row).setAttribute("aria-label", `Remove ${name}`);
    for (const input of $$("[data-field]", row)) input.dataset.path = `components[${index}].${input.dataset.field}`;
    for (const error of $$("[data-error]", row)) {
      const field = error.dataset.error;
      error.dataset.errorFor = field ? `components[${index}].${field}` : `components[${index}]`;
    }
  });
  $("#no-components").hidden = rows().length > 0;
}

export function rowValues(row) {
  const values = {};
  for (const field of ROW_FIELDS) values[field] = $(`[data-field="${field}"]`, row).value;
  values.variantId = normalVariant(values.variantId);
  values.title = values.title.trim();
  values.sku = values.sku.trim();
  return values;
}
