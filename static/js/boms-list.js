// The bill of materials list: active or not, what each BOM makes, how many materials, an empty state.
import { api, pageUrl } from "./api.js";
import { moneyFormat } from "./order-cost.js";
import { $, badge, fill, h, linkRow, merchant, showApiError, showFlash, timeElement } from "./ui.js";

const ACTIVE = { true: ["Active", "success"], false: ["Inactive", "neutral"] };

function bomRow(bom) {
  const count = bom.lines.length;
  const output = bom.outputTitle || bom.outputVariantId;
  const meta = [bom.outputSku ? ["SKU ", merchant(bom.outputSku)] : null, bom.outputTitle ? bom.outputVariantId : null]
    .filter(Boolean).flatMap((part, index) => (index ? [" · ", part] : [part]));
  return linkRow(h("tr", {},
    h("th", { scope: "row" }, h("a", { href: pageUrl(`/boms/${bom.id}`), class: "link-strong" }, merchant(bom.name))),
    h("td", {}, badge(ACTIVE[bom.active])),
    h("td", {},
      h("bdi", { class: "cell-title" }, output),
      h("span", { class: "cell-meta" }, meta)),
    h("td", { class: "numeric" }, `${count} ${count === 1 ? "material" : "materials"}`),
    h("td", { class: "numeric" }, bom.estimatedUnitCost === null
      ? h("span", { class: "subdued", title: "A material's cost per item has not been read from Shopify yet" }, "—")
      : moneyFormat(bom.costCurrency, 2).format(bom.estimatedUnitCost)),
    h("td", {}, timeElement(bom.updatedAt))));
}

async function load() {
  let data;
  try {
    data = await api("GET", "/boms");
  } catch (error) {
    $("#boms-loading").hidden = true;
    showApiError(error);
    return;
  }
  $("#boms-loading").hidden = true;
  fill($("#boms-body"), data.items.map(bomRow));
  $("#boms-table").hidden = data.items.length === 0;
  $("#boms-empty").hidden = data.items.length > 0;
  $("#boms-note").hidden = !data.items.some((bom) => !bom.active);
}

showFlash();
load();
