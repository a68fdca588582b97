// The first-run checklist on the order list: a default location, a decision about inventory sync,
// a first completed order. It disappears once all three are done.
import { api, pageUrl } from "./api.js";
import { $, fill, h, merchant } from "./ui.js";

const KEPT_OFF_KEY = "sync-default-kept-off"; // the merchant chose to leave sync off by default

function item(done, text, action) {
  return h("li", { class: `checklist__item${done ? " checklist__item--done" : ""}` },
    h("span", { class: "checklist__mark", "aria-hidden": "true" }, done ? "✓" : "○"),
    h("span", { class: "checklist__text" }, h("span", { class: "visually-hidden" }, done ? "Done: " : "To do: "), text),
    done ? null : action);
}

export async function drawChecklist() {
  let settings;
  let completed;
  let locations;
  try {
    [settings, completed, locations] = await Promise.all([
      api("GET", "/settings"), api("GET", "/production-orders?status=completed&perPage=1"),
      api("GET", "/locations").catch(() => ({ items: [] })),
    ]);
  } catch {
    return; // the list itself reports API trouble
  }
  const location = locations.items.find((entry) => entry.id === settings.defaultLocationId);
  const syncOn = settings.syncProductionOrdersToShopifyByDefault;
  const syncDecided = syncOn || localStorage.getItem(KEPT_OFF_KEY) === "1";
  const steps = [
    item(Boolean(settings.defaultLocationId),
      settings.defaultLocationId ? ["Default location: ", location ? merchant(location.name) : "chosen"] : "Choose where production happens (a default location)",
      h("a", { class: "button button--plain", href: pageUrl("/settings") }, "Choose in Settings")),
    item(syncDecided,
      syncOn ? "Completed orders update Shopify inventory by default"
        : syncDecided ? "Orders update Shopify inventory only when set on the order"
          : "Decide whether completed orders update Shopify inventory by default",
      h("span", { class: "button-group" },
        h("a", { class: "button button--plain", href: pageUrl("/settings") }, "Turn on in Settings"),
        h("button", { type: "button", class: "button button--plain", onclick: () => {
          localStorage.setItem(KEPT_OFF_KEY, "1");
          drawChecklist();
        } }, "Keep it off"))),
    item(completed.total > 0, "Complete your first production order",
      h("a", { class: "button button--plain", href: pageUrl("/orders/new") }, "Create an order")),
  ];
  const done = Boolean(settings.defaultLocationId) && syncDecided && completed.total > 0;
  $("#checklist").hidden = done;
  fill($("#checklist-items"), steps);
}
