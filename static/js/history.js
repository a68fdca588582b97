// An order's history in words: each event's type, who did it, when, and its changes summarised.
import { FIELD_LABELS, STATUS, TYPES, UNITS, formatDate, formatQuantity, gidNumber, h, commaList, merchant, timeElement } from "./ui.js";

const EVENT_TITLES = {
  created: "Order created",
  updated: "Order edited",
  started: "Order started",
  completed: "Order completed",
  cancelled: "Order cancelled",
  component_added: "Component added",
  component_updated: "Component changed",
  component_removed: "Component removed",
  sync_succeeded: "Shopify inventory updated",
  sync_failed: "Shopify inventory update failed",
  sync_resolved: "Shopify inventory update settled",
  reversed: "Reversal created",
  cost_updated: "Cost per item set in Shopify",
  released: "Curing output released for sale",
};
const NAMES = { incoming: "incoming", quality_control: "quality control" }; // Shopify's other quantity names
const twoPlaces = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const moneyText = (amount) => (amount === null || amount === undefined ? "none" : twoPlaces.format(Number(amount)));
const QUIET_FIELDS = new Set(["startedAt", "completedAt", "cancelledAt"]); // the event's own time says it
const ROW_FIELD = /^components\.(\d+)\.(\w+)$/;
const ROW = /^components\.(\d+)$/;

function actorName(actor) {
  if (actor === "system") return "the app (sync)";
  if (/^[0-9]+$/.test(actor)) return `staff member ${actor}`;
  return actor;
}

function variantTitles(order, events) {
  const titles = new Map();
  const note = (row) => {
    if (!row || typeof row !== "object") return;
    if (row.variantId && row.title) titles.set(row.variantId, row.title);
    for (const material of row.materials || []) if (material.title) titles.set(material.variantId, material.title);
  };
  for (const event of events) {
    for (const [key, pair] of Object.entries(event.changes)) {
      if (key === "components") pair.flat().forEach(note);
      else if (ROW.test(key)) pair.forEach(note);
    }
  }
  order.components.forEach(note);
  return titles;
}

/** Rows as they were after `event` (row ids can be reused once a row is deleted, so names follow time). */
function replay(rows, event) {
  for (const [key, [, after]] of Object.entries(event.changes)) {
    let match;
    if (key === "components") {
      rows.clear();
      for (const row of after || []) rows.set(row.id, { ...row });
    } else if ((match = ROW.exec(key))) {
      if (after) rows.set(Number(match[1]), { ...after });
      else rows.delete(Number(match[1]));
    } else if ((match = ROW_FIELD.exec(key)) && rows.has(Number(match[1]))) {
      rows.get(Number(match[1]))[match[2]] = after;
    }
  }
}

function rowName(context, id) {
  const row = context.rows.get(Number(id));
  return row && (row.title || row.variantId) ? merchant(row.title || row.variantId) : `Component ${id}`;
}

function locationName(context, id) {
  if (!id) return "none";
  return context.locations.has(id) ? merchant(context.locations.get(id)) : `Location ${gidNumber(id)}`;
}

function value(context, field, raw) {
  if (raw === null || raw === undefined || raw === "") {
    return field === "syncProductionOrderToShopify" ? "shop default" : "none";
  }
  switch (field) {
    case "status": return (STATUS[raw] || [raw])[0];
    case "type": return TYPES[raw] || raw;
    case "locationId": return locationName(context, raw);
    case "syncProductionOrderToShopify": case "plannedOutputAsIncoming": return raw ? "yes" : "no";
    case "plannedStartDate": return formatDate(raw);
    case "labourCost": case "overheadCost": return moneyText(raw);
    case "unit": return UNITS[raw] || raw;
    case "quantityPlanned":
    case "quantityProduced": return formatQuantity(raw);
    case "notes": return ["“", merchant(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw), "”"];
    case "reference": case "title": case "sku": return merchant(raw);
    case "materials": return `${raw.length} ${raw.length === 1 ? "material" : "materials"}`;
    default: return String(raw);
  }
}

// A line is a list of text and <bdi> nodes: merchant text stays isolated inside the sentence.
const variantName = (context, variant) => merchant(context.variants.get(variant) || variant);
const rowTitle = (row) => merchant(row.title || row.variantId);
const rowSummary = (row) => [rowTitle(row), ` (planned ${formatQuantity(row.quantityPlanned)} ${UNITS[row.unit] || row.unit})`];

function lines(context, event) {
  const out = [];
  for (const [key, [before, after]] of Object.entries(event.changes)) {
    if (QUIET_FIELDS.has(key)) continue;
    let match;
    if (key === "components") {
      if (after && after.length) out.push(["Components: ", commaList(after.map(rowSummary))]);
      else if (before && before.length) out.push(["Components deleted: ", commaList(before.map(rowTitle))]);
    } else if ((match = ROW.exec(key))) {
      out.push(after ? ["Added ", rowSummary(after)] : ["Removed ", before ? rowTitle(before) : rowName(context, match[1])]);
    } else if ((match = ROW_FIELD.exec(key))) {
      const [, id, field] = match;
      const label = (FIELD_LABELS[field] || field).toLowerCase();
      out.push([rowName(context, id), `: ${label} `, value(context, field, before), " → ", value(context, field, after)]);
    } else if (key.includes("@")) {
      const [variant, rest] = key.split("@");
      const [location, name] = rest.split(" "); // "variant@location" for available, "… incoming" for another name
      const delta = Number(after);
      const state = name ? ` (${NAMES[name] || name})` : "";
      out.push([variantName(context, variant), " at ", locationName(context, location), `${state}: ${delta > 0 ? "+" : ""}${delta}`]);
    } else if (key === "hold") {
      out.push(after.releasedAt ? "Released from quality control to available"
        : `Curing in quality control until ${formatDate(after.until.slice(0, 10))}`);
    } else if (key === "error") {
      out.push(String(after));
    } else if (key === "skippedVariants") {
      out.push(["Left out of this order's sync: ", commaList(after.map((v) => variantName(context, v)))]);
    } else if (key === "applied") {
      out.push(after ? "Confirmed as applied in Shopify: nothing was sent again" : "Not applied in Shopify: sent again");
    } else if (key === "reversedBy") {
      out.push(["Reversed by ", merchant(after.reference)]);
    } else if (key === "reversalOf") {
      out.push("Reverses an earlier order (linked above)");
    } else if (key === "batchId") {
      continue;
    } else if (event.type === "cost_updated") {
      out.push([variantName(context, key), `: ${moneyText(before)} → ${moneyText(after)}`]);
    } else {
      const label = FIELD_LABELS[key] || key;
      out.push(before === null && event.type === "created"
        ? [`${label}: `, value(context, key, after)]
        : [`${label}: `, value(context, key, before), " → ", value(context, key, after)]);
    }
  }
  if (event.type === "cancelled" && (event.changes.status || [])[0] === "in_progress") {
    out.push("Components kept for reference");
  }
  return out;
}

/** The timeline, newest first: each event summarised with the names its rows had at the time. */
export function historyItems(order, events, locations) {
  const context = { rows: new Map(), variants: variantTitles(order, events), locations: locations || new Map() };
  const items = [];
  for (const event of events) {
    const summary = lines(context, event); // before replaying: a removal still knows the row's name
    replay(context.rows, event);
    items.push(eventItem(event, summary));
  }
  return items.reverse();
}

function eventItem(event, summary) {
  return h("li", { class: `timeline__item timeline__item--${event.type}` },
    h("p", { class: "timeline__head" },
      h("strong", {}, EVENT_TITLES[event.type] || event.type),
      h("span", { class: "timeline__meta" }, ` by ${actorName(event.actor)} · `, timeElement(event.createdAt))),
    summary.length ? h("ul", { class: "timeline__changes" }, summary.map((line) => h("li", {}, line))) : null);
}
