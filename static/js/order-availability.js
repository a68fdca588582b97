// What a draft or in-progress order still needs against Shopify's stock at its location (SPEC §10),
// shortages highlighted. Asked once per order version: the page's polling never re-reads Shopify.
import { ApiError, api } from "./api.js";
import { $, badge, fill, formatQuantity, h, merchant } from "./ui.js";

let drawnFor = ""; // "<id>:<version>" of the answer on screen
let request = 0; // only the latest answer may draw

function availableCell(item) {
  if (item.available !== null) return h("td", { class: "numeric" }, formatQuantity(item.available));
  return h("td", { class: "numeric subdued" }, item.shortage === null ? "—" : "Not tracked");
}

function row(item) {
  const short = Boolean(item.shortage);
  return h("tr", { class: short ? "row--short" : null },
    h("th", { scope: "row" }, merchant(item.title || item.variantId)),
    h("td", { class: "numeric" }, formatQuantity(item.required)),
    availableCell(item),
    h("td", { class: "numeric" }, short ? badge([`Short ${formatQuantity(item.shortage)}`, "critical"])
      : h("span", { class: "subdued" }, item.shortage === null ? "—" : "None")));
}

function summary(order, answer, where, policy) {
  const short = answer.items.filter((item) => item.shortage).length;
  if (!answer.items.length) return "This order uses nothing from stock.";
  if (!answer.locationId) return "Choose a location for this order to see what is in stock there.";
  if (!short) return ["Everything this order still needs is in stock at ", merchant(where), "."];
  const what = [`${short} ${short === 1 ? "item is" : "items are"} short at `, merchant(where), "."];
  if (order.status === "in_progress") return [...what, " Production can only finish once the stock arrives."];
  return policy === "block"
    ? [...what, " Starting is refused until Shopify has enough in stock (Settings: orders short of materials)."]
    : [...what, " You can still start the order."];
}

/** Draw the card for `order`; `force` reads Shopify again even for a version already shown. */
export async function drawAvailability(order, locationName, policy, { force = false } = {}) {
  const card = $("#availability-card");
  card.hidden = !["draft", "in_progress"].includes(order.status) || order.components.length === 0;
  const key = `${order.id}:${order.version}`;
  if (card.hidden || (key === drawnFor && !force)) return;
  drawnFor = key;
  const mine = ++request;
  let answer;
  try {
    answer = await api("GET", `/production-orders/${order.id}/availability`);
  } catch (error) {
    if (!(error instanceof ApiError) || mine !== request) throw error;
    drawnFor = ""; // the next redraw asks again
    $("#availability-note").textContent = `What is in stock could not be read from Shopify: ${error.message}`;
    $("#availability-table").hidden = true;
    return;
  }
  if (mine !== request) return;
  fill($("#availability-note"), summary(order, answer, locationName(answer.locationId), policy));
  fill($("#availability-body"), answer.items.map(row));
  $("#availability-table").hidden = answer.items.length === 0;
}
