// The order's cost table (SPEC §9): materials, labour, overhead, and what one output unit cost.
import { fill, formatQuantity, h } from "./ui.js";

const STATES = {
  estimated: "Estimated from the planned quantities and the latest costs per item read from Shopify.",
  final: "Final: the produced quantities at the costs per item known when the order was completed.",
  incomplete: "Incomplete: some materials have no cost per item in Shopify, so the totals leave them out and no"
    + " unit cost is given. Add their cost in Shopify, then save the order to read it again.",
  not_applicable: "Taking products apart is not costed.",
};

// Money in the shop's currency (or plainly, with 2 places, before any cost was read).
export function moneyFormat(currency, places = 2) {
  const options = { minimumFractionDigits: places, maximumFractionDigits: places };
  try {
    if (currency) return new Intl.NumberFormat(undefined, { ...options, style: "currency", currency });
  } catch { /* an unknown currency code: plain numbers */ }
  return new Intl.NumberFormat(undefined, options);
}

const cell = (text, numeric = true) => h("td", numeric ? { class: "numeric" } : {}, text);

export function drawCost(order, titles) {
  const cost = order.cost;
  const money = moneyFormat(cost.currency);
  const unitMoney = moneyFormat(cost.currency, 4);
  const amount = (value, format = money) => (value === null || value === undefined ? "—" : format.format(value));
  $("#cost-state").textContent = STATES[cost.state] || "";
  drawShopifyCost(cost.shopifyCostUpdates || [], titles, money);
  const costed = cost.state !== "not_applicable";
  $("#cost-tables").hidden = !costed;
  if (!costed) return;
  fill($("#cost-materials-body"), [
    ...cost.materials.map((line) => h("tr", {},
      h("th", { scope: "row" }, h("bdi", {}, titles.get(line.variantId) || line.variantId)),
      cell(formatQuantity(line.quantity)), cell(amount(line.unitCost)), cell(amount(line.total)))),
    h("tr", { class: "total-row" }, h("th", { scope: "row", colspan: "3" }, "Materials"), cell(amount(cost.materialsTotal))),
    h("tr", {}, h("th", { scope: "row", colspan: "3" }, "Labour"), cell(amount(cost.labourCost))),
    h("tr", {}, h("th", { scope: "row", colspan: "3" }, "Overhead"), cell(amount(cost.overheadCost))),
    h("tr", { class: "total-row" }, h("th", { scope: "row", colspan: "3" }, "Total"), cell(amount(cost.total))),
  ]);
  fill($("#cost-outputs-body"), cost.outputs.map((output) => h("tr", {},
    h("th", { scope: "row" }, h("bdi", {}, titles.get(output.variantId) || output.variantId)),
    cell(formatQuantity(output.quantity)), cell(amount(output.unitCost, unitMoney)))));
}

// What happened to the cost per item this order writes to Shopify (shop setting), in plain words.
function drawShopifyCost(updates, titles, money) {
  const box = $("#cost-shopify");
  box.hidden = updates.length === 0;
  fill(box, updates.map((update) => {
    const name = titles.get(update.variantId) || "this product";
    const value = money.format(update.newCost);
    if (update.state === "failed") {
      return h("p", { class: "inline-error", role: "status" },
        h("span", { class: "inline-error__title" }, "The cost per item could not be set in Shopify. "),
        h("bdi", {}, name), ` was to cost ${value} per item. `, h("bdi", {}, update.error || "Shopify gave no reason."),
        " Set it in Shopify yourself if you still want it.");
    }
    if (update.state === "pending") {
      return h("p", {}, "Setting the cost per item of ", h("bdi", {}, name), ` in Shopify to ${value}…`);
    }
    return h("p", {}, "Cost per item of ", h("bdi", {}, name), ` set in Shopify to ${value}.`);
  }));
}

function $(selector) {
  return document.querySelector(selector);
}
