// The BOM editor, for a new bill of materials (POST) and an existing one (PATCH: its `lines` replace
// every line). Errors come back keyed by JSON path (name, outputVariantId, lines[i].variantId, …)
// and are shown next to their fields.
import { ApiError, Decimal, api, pageUrl } from "./api.js";
import { confirm, leave, saveBar, titleBar } from "./chrome.js";
import { addLine, lineValues, lines, renumber } from "./boms-lines.js";
import { normalDecimal, normalVariant } from "./ui.js";
import { pickVariants, pickerAvailable } from "./picker.js";
import {
  $, $$, announce, badge, clearBanner, clearFieldErrors, fill, flashNext, isolate, merchant, showApiError, showBanner, whileBusy,
} from "./ui.js";

const bomId = document.body.dataset.bomId ? Number(document.body.dataset.bomId) : null;
const form = $("#bom-form");
const VARIANT_GID = /^gid:\/\/shopify\/ProductVariant\/[0-9]+$/;
const ACTIVE = { true: ["Active", "success"], false: ["Inactive", "neutral"] };

let bom = null; // the server's copy while editing
let busy = false;

const buttons = () => [$("#save"), $("#delete-bom"), $("#pick-output"), $("#pick-lines"), $("#add-line")];

// ------------------------------------------------------------------ reading and checking the form

function output() {
  return {
    outputVariantId: normalVariant($("#output-variant").value),
    outputTitle: $("#output-title").value.trim(),
    outputSku: $("#output-sku").value.trim(),
  };
}

/** "0.25" -> null; otherwise what is wrong with a quantity per unit. */
function quantityProblem(text) {
  const value = normalDecimal(text);
  if (value === null) return "Enter the quantity used per unit as a number, like 1 or 0.25.";
  if (value === "0") return "Enter a quantity more than 0.";
  if ((value.split(".")[1] || "").length > 3) return "Use at most 3 decimal places.";
  return null;
}

/** Problems the browser can see before asking the server, keyed like the API's details. */
function problems() {
  const found = {};
  if (!$("#name").value.trim()) found.name = "Enter a name for the bill of materials.";
  if (!VARIANT_GID.test(output().outputVariantId)) {
    found.outputVariantId = "Choose the product this makes, or enter a variant ID like gid://shopify/ProductVariant/123.";
  }
  if (!lines().length) found.lines = "Add at least one material.";
  lines().forEach((row, index) => {
    const values = lineValues(row);
    if (!VARIANT_GID.test(values.variantId)) {
      found[`lines[${index}].variantId`] = "Enter a variant ID like gid://shopify/ProductVariant/123 (or just its number).";
    }
    const problem = quantityProblem(values.quantityPerUnit);
    if (problem) found[`lines[${index}].quantityPerUnit`] = problem;
  });
  return found;
}

function requestBody() {
  return {
    name: $("#name").value.trim(),
    ...output(),
    active: $("#active").checked,
    lines: lines().map((row) => {
      const values = lineValues(row);
      return {
        variantId: values.variantId, title: values.title, ...(values.sku ? { sku: values.sku } : {}),
        quantityPerUnit: new Decimal(normalDecimal(values.quantityPerUnit)),
      };
    }),
  };
}

// ------------------------------------------------------------------ saving and deleting

async function save() {
  clearBanner();
  clearFieldErrors(form);
  const found = problems();
  if (Object.keys(found).length) {
    showApiError(new ApiError(422, "validation_failed", "Some fields need your attention.", found), { root: form });
    return;
  }
  const body = requestBody();
  const saved = bom ? await api("PATCH", `/boms/${bom.id}`, { body }) : await api("POST", "/boms", { body });
  flashNext(`Bill of materials ${saved.name} ${bom ? "saved" : "created"}${saved.active ? "" : " (inactive)"}.`);
  leave(pageUrl("/boms"));
}

/** Discard: the form as loaded (a new bill of materials: empty). */
function discard() {
  clearBanner();
  clearFieldErrors(form);
  for (const row of lines()) row.remove();
  if (bom) fillForm();
  else form.reset();
  renumber();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (busy) return;
  busy = true;
  try {
    await whileBusy(buttons(), save);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showApiError(error, { root: form });
  } finally {
    busy = false;
  }
});

async function deleteBom() {
  if (busy) return;
  busy = true;
  clearBanner();
  try {
    await whileBusy(buttons(), () => api("DELETE", `/boms/${bom.id}`));
    flashNext(`Bill of materials ${bom.name} deleted. Production orders that used it keep their materials.`);
    leave(pageUrl("/boms"));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 404) {
      showBanner({ tone: "warning", title: "This bill of materials was already deleted",
                   message: "Someone (or another tab) deleted it. Production orders that used it keep their materials." });
    } else {
      showApiError(error);
    }
    $("#delete-bom").focus();
  } finally {
    busy = false;
  }
}

async function confirmDelete() {
  if (await confirm("delete-dialog", { title: `Delete ${isolate(bom.name)}?`, returnFocus: $("#delete-bom") })) deleteBom();
}

// ------------------------------------------------------------------ choosing products

function pickerMissing() {
  showBanner({ tone: "warning", title: "The product picker is not available here", message: "Enter variant IDs instead." });
}

$("#pick-output").addEventListener("click", async () => {
  if (!pickerAvailable()) {
    pickerMissing();
    return;
  }
  const [variant] = await whileBusy($("#pick-output"),
    () => pickVariants({ multiple: false, title: "Choose the product made", action: "Choose" }));
  if (!variant) {
    $("#pick-output").focus();
    return;
  }
  $("#output-variant").value = variant.variantId;
  $("#output-title").value = variant.title;
  $("#output-sku").value = variant.sku;
  announce(`${variant.title || variant.variantId} chosen as the product made.`);
  $("#output-title").focus();
});

$("#pick-lines").addEventListener("click", async () => {
  if (!pickerAvailable()) {
    pickerMissing();
    return;
  }
  const picked = await whileBusy($("#pick-lines"), () => pickVariants({ title: "Choose materials" }));
  const present = new Set(lines().map((row) => lineValues(row).variantId));
  const made = output().outputVariantId;
  const added = [];
  const skipped = [];
  for (const variant of picked) {
    const name = merchant(variant.title || variant.variantId);
    if (variant.variantId === made) skipped.push([name, " is the product made, so it cannot be one of its materials."]);
    else if (present.has(variant.variantId)) skipped.push([name, " is already a material."]);
    else added.push(addLine({ variantId: variant.variantId, title: variant.title, sku: variant.sku, quantityPerUnit: "1" }));
  }
  if (skipped.length) showBanner({ tone: "info", title: "Some products were not added", items: skipped });
  if (added.length) {
    announce(`${added.length} ${added.length === 1 ? "material" : "materials"} added. Check the quantities per unit.`);
    const quantity = $('[data-field="quantityPerUnit"]', added[0]);
    quantity.focus();
    quantity.select();
  } else {
    $("#pick-lines").focus();
  }
});

$("#add-line").addEventListener("click", () => {
  const row = addLine();
  $('[data-field="variantId"]', row).focus();
});

$("#output-variant").addEventListener("change", (event) => {
  event.target.value = normalVariant(event.target.value);
});

// A field's error goes away once the merchant changes that field; the rest stay until the next save.
form.addEventListener("input", (event) => {
  const path = event.target.dataset && event.target.dataset.path;
  if (!path || !event.target.hasAttribute("aria-invalid")) return;
  event.target.removeAttribute("aria-invalid");
  const slot = $$("[data-error-for]", form).find((element) => element.dataset.errorFor === path);
  if (slot) {
    slot.hidden = true;
    slot.textContent = "";
  }
});

// ------------------------------------------------------------------ loading

function fillForm() {
  $("#name").value = bom.name;
  $("#active").checked = bom.active;
  $("#output-variant").value = bom.outputVariantId;
  $("#output-title").value = bom.outputTitle;
  $("#output-sku").value = bom.outputSku;
  for (const line of bom.lines) addLine({ ...line, quantityPerUnit: String(line.quantityPerUnit) });
  fill($("#form-title"), "Edit ", merchant(bom.name));
  document.title = `Edit ${isolate(bom.name)} · Production orders`;
  fill($("#bom-status"), badge(ACTIVE[bom.active]));
  titleBar({ title: `Edit ${isolate(bom.name)}` });
}

async function start() {
  renumber();
  if (!pickerAvailable()) {
    $("#pick-output").hidden = true;
    $("#pick-lines").hidden = true;
  }
  if (bomId === null) {
    changes.markClean();
    $("#name").focus();
    return;
  }
  try {
    bom = await api("GET", `/boms/${bomId}`);
  } catch (error) {
    $("#form-loading").hidden = true;
    if (error.status === 404) {
      $("#bom-missing").hidden = false;
      for (const element of [form, $("#line-template"), $("#product-picker"), $("#delete-dialog")]) element.remove();
    } else {
      showApiError(error);
    }
    return;
  }
  $("#form-loading").hidden = true;
  fillForm();
  $("#delete-bom").hidden = false;
  $("#delete-bom").addEventListener("click", confirmDelete);
  titleBar();
  form.hidden = false;
  changes.markClean();
  $("#name").focus();
}

const changes = saveBar(form, { onDiscard: discard });
start();
