// Demo mode: the fake store's stock, with what changed since this tab last looked.
import { $, announce, fill, h, merchant, showBanner, clearBanner, whileBusy } from "./ui.js";

const SEEN_KEY = "demo-inventory-seen";
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "EUR" }); // the demo store's currency

function change(delta) {
  if (!delta) return h("span", { class: "subdued" }, "—");
  return h("span", { class: `badge ${delta > 0 ? "badge--success" : "badge--critical"}` }, `${delta > 0 ? "+" : ""}${delta}`);
}

async function load() {
  let data;
  try {
    const response = await fetch("/demo/inventory.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`The demo store answered ${response.status}.`);
    data = await response.json();
  } catch (error) {
    $("#inventory-loading").hidden = true;
    showBanner({ title: "The demo store's inventory could not be loaded", message: error.message });
    return;
  }
  clearBanner();
  const seen = JSON.parse(sessionStorage.getItem(SEEN_KEY) || "null");
  const now = {};
  fill($("#inventory-body"), data.items.map((item) => {
    const key = `${item.variantId}@${item.locationId}`;
    now[key] = item.available;
    const delta = seen && key in seen ? item.available - seen[key] : seen ? item.available : 0;
    return h("tr", {},
      h("th", { scope: "row" }, h("bdi", { class: "cell-title" }, item.displayName || item.variantId),
        item.sku ? h("span", { class: "cell-meta" }, "SKU ", merchant(item.sku)) : null),
      h("td", {}, merchant(item.locationName || item.locationId)),
      h("td", { class: "numeric" }, item.unitCost ? money.format(Number(item.unitCost)) : "—"),
      h("td", { class: "numeric" }, String(item.available)),
      h("td", { class: "numeric" }, String(item.incoming ?? 0)),
      h("td", { class: "numeric" }, String(item.qualityControl ?? 0)),
      h("td", { class: "numeric" }, change(delta)));
  }));
  sessionStorage.setItem(SEEN_KEY, JSON.stringify(now));
  $("#inventory-loading").hidden = true;
  $("#inventory-table").hidden = false;
  $("#inventory-updated").textContent = `Updated ${timeFormat.format(new Date())}.`;
}

$("#refresh").addEventListener("click", async () => {
  await whileBusy($("#refresh"), load);
  announce("Inventory refreshed.");
});

load();
