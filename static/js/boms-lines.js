// The material lines of the BOM editor: adding, removing, numbering (errors come back as
// lines[i].field, so paths follow the rows' order) and reading what was typed.
import { normalVariant } from "./ui.js";
import { $, $$, announce, fill, merchant } from "./ui.js";

const body = $("#lines");
const template = $("#line-template");
const LINE_FIELDS = ["title", "variantId", "quantityPerUnit"];
const LABELS = { title: "Title", variantId: "Variant ID", quantityPerUnit: "Quantity per unit" };
let lineCount = 0;

export const lines = () => $$(".line-row", body);

export function lineValues(row) {
  const values = {};
  for (const field of LINE_FIELDS) values[field] = $(`[data-field="${field}"]`, row).value.trim();
  values.variantId = normalVariant(values.variantId);
  values.sku = row.dataset.sku || ""; // the picked variant's SKU (the CSV export names materials by it)
  return values;
}

/** Paths and labels follow the rows' order: the API answers lines[i].field. */
export function renumber() {
  lines().forEach((row, index) => {
    const title = $('[data-field="title"]', row).value.trim();
    const name = `material ${index + 1}${title ? ` (${title})` : ""}`;
    const label = () => [`material ${index + 1}`, title ? [" (", merchant(title), ")"] : ""]; // new nodes per label
    for (const input of $$("[data-field]", row)) {
      const field = input.dataset.field;
      input.dataset.path = `lines[${index}].${field}`;
      fill($(`label[data-for="${field}"]`, row), `${LABELS[field]} of `, label());
    }
    for (const error of $$("[data-error]", row)) {
      const field = error.dataset.error;
      error.dataset.errorFor = field ? `lines[${index}].${field}` : `lines[${index}]`;
    }
    $('[data-role="remove"]', row).setAttribute("aria-label", `Remove ${name}`);
  });
  const count = lines().length;
  $("#lines-wrap").hidden = count === 0;
  $("#no-lines").hidden = count > 0;
}

/** A new row, filled from `data` ({variantId, title, quantityPerUnit}); returns its <tr>. */
export function addLine(data = {}) {
  const row = template.content.firstElementChild.cloneNode(true);
  const key = ++lineCount;
  for (const input of $$("[data-field]", row)) {
    const field = input.dataset.field;
    input.id = `l${key}-${field}`;
    $(`label[data-for="${field}"]`, row).htmlFor = input.id;
    const error = $(`[data-error="${field}"]`, row);
    error.id = `l${key}-${field}-error`;
    input.setAttribute("aria-describedby", error.id);
    const value = data[field];
    if (value !== undefined && value !== null) input.value = String(value);
  }
  row.dataset.sku = data.sku || "";
  $('[data-error=""]', row).id = `l${key}-error`;
  $('[data-field="title"]', row).setAttribute("aria-describedby", `l${key}-title-error l${key}-error`);
  $('[data-field="title"]', row).addEventListener("input", renumber);
  $('[data-field="variantId"]', row).addEventListener("change", (event) => {
    event.target.value = normalVariant(event.target.value);
    row.dataset.sku = ""; // another variant typed in: the picked SKU no longer applies
  });
  $('[data-role="remove"]', row).addEventListener("click", () => removeLine(row));
  body.append(row);
  renumber();
  return row;
}

function removeLine(row) {
  const next = row.nextElementSibling || row.previousElementSibling;
  const title = $('[data-field="title"]', row).value.trim();
  row.remove();
  renumber();
  announce(`${title || "Material"} removed from the form. Save to keep the change.`);
  (next ? $('[data-role="remove"]', next) : $("#add-line")).focus();
}
