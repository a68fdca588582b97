// The order list: status filter, search, pagination, empty states. State lives in the URL.
import { api, pageUrl } from "./api.js";
import {
  $, $$, UNITS, fill, formatQuantity, h, linkRow, merchant, showApiError, showFlash, statusBadge, syncBadge, timeElement,
} from "./ui.js";
import { drawChecklist } from "./checklist.js";

const PER_PAGE = 25;
const SEARCH_DELAY_MS = 300;

const params = new URLSearchParams(window.location.search);
// Tabs beside the statuses: "short", drafts that cannot start, short of materials where they would
// (read from Shopify); "curing", completed orders whose output is still held (`hold=curing`).
const STATUSES = ["draft", "short", "in_progress", "completed", "cancelled", "curing"];
const state = {
  status: STATUSES.includes(params.get("status")) ? params.get("status") : "",
  q: params.get("q") || "",
  page: Math.max(1, Number.parseInt(params.get("page"), 10) || 1),
};
let request = 0; // only the latest request may draw the table
let nextCursor = null; // "Next" continues from the last row shown: same cost however deep

function remember() {
  // Keep the filters in the address (back button, reload), and every other parameter as it was.
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries({ status: state.status, q: state.q, page: state.page > 1 ? state.page : "" })) {
    if (value) url.searchParams.set(key, value);
    else url.searchParams.delete(key);
  }
  window.history.replaceState(null, "", url);
}

function drawTabs() {
  for (const tab of $$(".tab")) tab.setAttribute("aria-pressed", String(tab.dataset.status === state.status));
  $("#clear-filters").hidden = !state.status && !state.q;
}

const amount = (value, unit) => `${formatQuantity(value)} ${UNITS[unit] || unit}`;

/** One line per output row (its title, never a bare id when a title exists); the rest counted. */
function outputCells(order) {
  const more = order.componentCount - order.outputs.length;
  // Quantities give way to the identifying columns on a phone (Polaris' condensed index table).
  const column = (lines) => h("td", { class: "numeric hide-on-phone" }, h("div", { class: "cell-outputs" }, lines));
  const names = order.outputs.map((row) => h("bdi", {}, row.title || row.variantId));
  return [
    h("td", {}, order.componentCount
      ? h("div", { class: "cell-outputs" }, names, more > 0 ? h("span", { class: "subdued" }, `and ${more} more`) : null)
      : h("span", { class: "subdued" }, order.status === "cancelled" && !order.startedAt ? "Deleted with the draft" : "No products yet")),
    column(order.outputs.map((row) => h("span", {}, amount(row.quantityPlanned, row.unit)))),
    column(order.outputs.map((row) => h("span", {}, order.status === "draft" ? "—" : amount(row.quantityProduced, row.unit)))),
  ];
}

function orderRow(order) {
  const link = h("a", { href: pageUrl(`/orders/${order.id}`), class: "link-strong" }, merchant(order.reference));
  return linkRow(h("tr", {},
    h("th", { scope: "row" }, link),
    h("td", {}, statusBadge(order.status)),
    ...outputCells(order),
    h("td", { class: "hide-on-phone" }, syncBadge(order)),
    h("td", { class: "hide-on-phone" }, timeElement(order.updatedAt))));
}

async function load(cursor = null) {
  const mine = ++request;
  remember();
  drawTabs();
  const query = new URLSearchParams({ page: state.page, perPage: PER_PAGE });
  if (cursor) query.set("cursor", cursor);
  if (state.status === "short") {
    query.set("status", "draft");
    query.set("shortage", "true");
  } else if (state.status === "curing") {
    query.set("hold", "curing");
  } else if (state.status) {
    query.set("status", state.status);
  }
  if (state.q) query.set("q", state.q);
  $("#orders-table").setAttribute("aria-busy", "true");
  let data;
  try {
    data = await api("GET", `/production-orders?${query}`);
  } catch (error) {
    if (mine === request) showApiError(error);
    return;
  } finally {
    $("#orders-table").removeAttribute("aria-busy");
  }
  if (mine !== request) return;
  if (!data.items.length && state.page > 1 && data.total > 0) {
    state.page = Math.ceil(data.total / PER_PAGE); // the page emptied (orders filtered away): show the last one
    load();
    return;
  }
  fill($("#orders-body"), data.items.map(orderRow));
  const filtered = Boolean(state.status || state.q);
  $("#orders-table").hidden = data.items.length === 0;
  $("#empty-all").hidden = data.items.length > 0 || filtered;
  $("#empty-filtered").hidden = data.items.length > 0 || !filtered;
  const first = (data.page - 1) * data.perPage + 1;
  const last = first + data.items.length - 1;
  $("#pagination").hidden = data.total === 0;
  $("#page-summary").textContent = data.total ? `Showing ${first}–${last} of ${data.total}` : "";
  $("#prev-page").disabled = data.page <= 1;
  nextCursor = data.nextCursor;
  $("#next-page").disabled = !nextCursor;
}

let searchTimer = null;

function search(value) {
  state.q = value.trim();
  state.page = 1;
  load();
}

function clearFilters() {
  state.status = "";
  state.q = "";
  state.page = 1;
  $("#search").value = "";
  load();
  $("#search").focus();
}

$("#search").value = state.q;
for (const tab of $$(".tab")) {
  tab.addEventListener("click", () => {
    state.status = tab.dataset.status;
    state.page = 1;
    load();
  });
}
$("#search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(event.target.value), SEARCH_DELAY_MS);
});
$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  search($("#search").value);
});
$("#clear-filters").addEventListener("click", clearFilters);
$("#clear-filters-empty").addEventListener("click", clearFilters);
$("#prev-page").addEventListener("click", () => {
  state.page = Math.max(1, state.page - 1);
  load();
});
$("#next-page").addEventListener("click", () => {
  state.page += 1;
  load(nextCursor);
});

showFlash();
// The first answer shows the checklist and the list in one go (see templates/orders/list.html).
Promise.allSettled([load(), drawChecklist()]).then(() => {
  $("#orders-loading").hidden = true;
  $("#orders-page").hidden = false;
});
