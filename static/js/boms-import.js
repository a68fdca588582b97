// BOM import: choose a CSV file, see what it will create (or every problem by line), then import.
import { pageUrl } from "./api.js";
import { postCsv } from "./csv-files.js";
import { $, announce, clearBanner, fill, flashNext, formatQuantity, h, showApiError, whileBusy } from "./ui.js";

let file = null;

function previewRow(bom) {
  const makes = bom.outputTitle || bom.outputVariantId;
  return h("tr", {},
    h("th", { scope: "row" }, h("bdi", {}, bom.name)),
    h("td", {}, h("span", { class: "cell-title" }, h("bdi", {}, makes)),
      h("span", { class: "cell-meta" }, bom.outputSku ? `SKU ${bom.outputSku}` : bom.outputVariantId)),
    h("td", {}, h("ul", { class: "plain-list" }, bom.lines.map((line) =>
      h("li", {}, `${formatQuantity(line.quantityPerUnit)} × `, h("bdi", {}, line.title || line.variantId),
        line.sku ? ` (SKU ${line.sku})` : "")))),
    h("td", { class: "numeric" }, String(bom.holdDays)));
}

function showReport(error) {
  const lines = Object.entries(error.details || {})
    .filter(([key]) => key.startsWith("line "))
    .sort(([a], [b]) => Number(a.slice(5)) - Number(b.slice(5)));
  if (!lines.length) {
    showApiError(error); // not about lines: the file itself (encoding, size, type)
    return;
  }
  fill($("#report-body"), lines.map(([key, problems]) => h("tr", {},
    h("td", { class: "numeric" }, key.slice(5)),
    h("td", {}, h("ul", { class: "plain-list" }, (Array.isArray(problems) ? problems : [problems]).map((p) => h("li", {}, p)))))));
  $("#report-summary").textContent = error.message;
  $("#report").hidden = false;
  $("#report-heading").focus();
}

function reset() {
  clearBanner();
  $("#preview").hidden = true;
  $("#report").hidden = true;
}

async function preview() {
  reset();
  if (!file) return;
  let data;
  try {
    data = await postCsv("/boms/import/preview", file);
  } catch (error) {
    showReport(error);
    return;
  }
  fill($("#preview-body"), data.boms.map(previewRow));
  const count = data.boms.length;
  $("#preview-heading").textContent = `Preview: ${count} ${count === 1 ? "bill" : "bills"} of materials to create`;
  $("#confirm-import").textContent = `Import ${count} ${count === 1 ? "bill" : "bills"} of materials`;
  $("#preview").hidden = false;
  $("#preview-heading").focus();
}

$("#csv-file").addEventListener("change", (event) => {
  file = event.target.files[0] || null;
  preview();
});

$("#confirm-import").addEventListener("click", () => whileBusy($("#confirm-import"), async () => {
  let data;
  try {
    data = await postCsv("/boms/import", file);
  } catch (error) {
    $("#preview").hidden = true;
    showReport(error);
    return;
  }
  const count = data.boms.length;
  flashNext(`${count} ${count === 1 ? "bill" : "bills"} of materials imported.`);
  announce("Imported.");
  window.location.assign(pageUrl("/boms"));
}));
