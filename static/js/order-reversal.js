// Reversals (SPEC §11) on the order pages: the links both ways, the "Reverse…" confirmation with a
// preview of what the reversal will send, and the edit form of a reversal (quantities only).
import { api, pageUrl } from "./api.js";
import { confirm } from "./chrome.js";
import { $, $$, TYPES, UNITS, commaList, fill, flashNext, formatQuantity, h, isolate, merchant, showApiError, whileBusy } from "./ui.js";

const orderLink = (id, reference) => h("a", { href: pageUrl(`/orders/${id}`) }, merchant(reference));
const exact = (value) => Math.round(value * 1e6) / 1e6; // products of 3-place decimals: 6 places at most

/** The detail's "Reversal of …" / "Reversed by …" card; hidden when the order has neither. */
export function drawReversalLinks(order) {
  const card = $("#reversal-card");
  const lines = [];
  if (order.reversalOf) {
    lines.push(h("p", {}, "This order reverses ", orderLink(order.reversalOf, order.reversalOfReference || `#${order.reversalOf}`),
      ": when completed, it takes back what that order sent to Shopify."));
  }
  const item = (r) => [orderLink(r.id, r.reference), h("span", { class: "subdued" }, ` — ${r.status.replace("_", " ")}`)];
  if (order.reversedBy.length === 1) lines.push(h("p", {}, "Reversed by ", ...item(order.reversedBy[0])));
  else if (order.reversedBy.length) {
    lines.push(h("p", {}, "Reversed by these orders:"),
      h("ul", { class: "plain-list" }, order.reversedBy.map((r) => h("li", {}, ...item(r)))));
  }
  card.hidden = !lines.length;
  fill($("#reversal-links"), lines);
  $("#action-reverse").hidden = !order.reversible;
}

/** What completing the reversal sends, per variant (exact amounts): the original's, negated. */
function reversalChanges(order) {
  const sign = order.type === "assembly" ? -1 : 1; // the reversal's type is the opposite one
  const left = new Map(order.leftToReverse.map((entry) => [entry.componentId, Number(entry.quantity)]));
  const totals = new Map();
  const add = (variantId, title, unit, quantity) => {
    const entry = totals.get(variantId) || { title: title || variantId, unit, quantity: 0 };
    entry.quantity = exact(entry.quantity + quantity);
    totals.set(variantId, entry);
  };
  const rows = [];
  for (const component of order.components) {
    const quantity = left.get(component.id);
    if (!quantity) continue;
    rows.push([`${formatQuantity(quantity)} ${UNITS[component.unit] || component.unit} `, merchant(component.title || component.variantId)]);
    add(component.variantId, component.title, component.unit, sign * quantity);
    for (const material of component.materials) {
      add(material.variantId, material.title, null, -sign * quantity * Number(material.quantityPerUnit));
    }
  }
  return { rows, changes: [...totals.values()].filter((entry) => entry.quantity !== 0) };
}

const changeLine = (entry) => h("li", {}, `${entry.quantity > 0 ? "+" : "−"}${formatQuantity(Math.abs(entry.quantity))} `
  + `${entry.unit ? `${UNITS[entry.unit] || entry.unit} ` : ""}`, merchant(entry.title));

/** "Reverse…": explain what the reversal will hold and send, then create it and open it. */
export async function confirmReverse(order, locationName) {
  const { rows, changes } = reversalChanges(order);
  const flipped = TYPES[order.type === "assembly" ? "disassembly" : "assembly"].toLowerCase();
  fill($("#reverse-text"), `A draft ${flipped} order is created, linked to `, merchant(order.reference), ", for what no earlier ",
    "reversal covers: ", commaList(rows), ". You can lower the quantities before you start it (a partial reversal).");
  const syncs = order.syncProductionOrderToShopify === true;
  fill($("#reverse-shopify"), syncs
    ? ["Nothing is sent now. When you complete the reversal, Shopify inventory at ", merchant(locationName(order.locationId)),
      " changes by the exact opposite:"]
    : "Nothing is sent to Shopify: this order does not update Shopify inventory, and neither will its reversal.");
  fill($("#reverse-changes"), syncs ? changes.map(changeLine) : []);
  $("#reverse-changes").hidden = !syncs;
  $("#reverse-rounding").hidden = !syncs || changes.every((entry) => Number.isInteger(entry.quantity));
  if (!(await confirm("reverse-dialog", { title: `Reverse ${isolate(order.reference)}?`, returnFocus: $("#order-title") }))) return;
  try {
    const reversal = await whileBusy([$("#action-reverse")], () =>
      api("POST", `/production-orders/${order.id}/reverse`, { version: order.version }));
    flashNext(`Reversal ${reversal.reference} created as a draft. Edit it to reverse less, then start and complete it.`);
    window.location.assign(pageUrl(`/orders/${reversal.id}`));
  } catch (error) {
    showApiError(error);
  }
}

/** The edit form of a reversal: only quantities, reference, date and notes can change. */
export function lockForReversal(order) {
  for (const id of ["#type", "#location", "#sync"]) $(id).disabled = true;
  for (const id of ["#pick-products", "#add-bom", "#add-row"]) $(id).hidden = true;
  for (const field of $$('#components [data-field="variantId"], #components [data-field="unit"]')) field.disabled = true;
  $("#reversal-note").hidden = false;
  fill($("#reversal-note-text"), "This order reverses ", orderLink(order.reversalOf, order.reversalOfReference || `#${order.reversalOf}`),
    ". Lower a quantity to reverse only part of it (or remove a row to leave it); a quantity can never exceed what is left to reverse.");
}
