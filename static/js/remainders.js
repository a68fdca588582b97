// Remainders: every account with a carried fraction (GET /api/accounts), sortable by product and location.
// In demo mode the fake store's quantity sits next to each account, to watch a fraction become a unit.
import { DEMO, api, loadLocations } from "./api.js";
import { $, $$, announce, fill, formatQuantity, gidNumber, h, showApiError, clearBanner, whileBusy } from "./ui.js";

let accounts = [];
let names = new Map();
let locations = new Map();
let shopify = new Map();
let sortKey = "variant";

const productName = (id) => names.get(id) || `Variant ${gidNumber(id)}`;
const locationName = (id) => locations.get(id) || `Location ${gidNumber(id)}`;

async function demoStock() {
  if (!DEMO) return;
  try {
    const response = await fetch("/demo/inventory.json", { cache: "no-store" });
    const data = await response.json();
    shopify = new Map(data.items.map((item) => [`${item.variantId}@${item.locationId}`, item.available]));
    for (const item of data.items) if (item.displayName) names.set(item.variantId, item.displayName);
  } catch {
    shopify = new Map();
  }
}

function draw() {
  const showAll = $("#show-all").checked;
  const rows = accounts.filter((account) => showAll || account.remainder !== 0);
  const key = (account) => (sortKey === "variant"
    ? [productName(account.variantId), locationName(account.locationId)]
    : [locationName(account.locationId), productName(account.variantId)]).join("\u0000");
  rows.sort((a, b) => key(a).localeCompare(key(b)));
  fill($("#remainders-body"), rows.map((account) => {
    const inStore = shopify.get(`${account.variantId}@${account.locationId}`);
    return h("tr", {},
      h("th", { scope: "row" }, h("bdi", { class: "cell-title" }, productName(account.variantId)),
        h("span", { class: "cell-meta" }, account.variantId)),
      h("td", {}, h("bdi", {}, locationName(account.locationId))),
      h("td", { class: "numeric" }, formatQuantity(account.exact)),
      h("td", { class: "numeric" }, String(account.whole)),
      h("td", { class: "numeric" }, formatQuantity(account.remainder)),
      DEMO ? h("td", { class: "numeric" }, inStore === undefined ? "—" : String(inStore)) : null,
      h("td", {}, account.meaning || h("span", { class: "subdued" }, "Nothing carried")));
  }));
  for (const header of $$("th[aria-sort]")) {
    header.setAttribute("aria-sort", header.querySelector("button").dataset.sort === sortKey ? "ascending" : "none");
  }
  $("#remainders-loading").hidden = true;
  $("#remainders-table").hidden = rows.length === 0;
  $("#remainders-empty").hidden = rows.length > 0;
}

async function load() {
  clearBanner();
  try {
    const [data, found] = await Promise.all([api("GET", "/accounts"), loadLocations(), demoStock()]);
    accounts = data.items;
    locations = found || new Map();
  } catch (error) {
    $("#remainders-loading").hidden = true;
    showApiError(error);
    return;
  }
  draw();
}

for (const button of $$("button.sort")) {
  button.addEventListener("click", () => {
    sortKey = button.dataset.sort;
    draw();
    announce(`Sorted by ${sortKey === "variant" ? "product" : "location"}.`);
  });
}
$("#show-all").addEventListener("change", draw);
$("#refresh").addEventListener("click", async () => {
  await whileBusy($("#refresh"), load);
  announce("Remainders refreshed.");
});

load();
