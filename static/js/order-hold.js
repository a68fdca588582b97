// Shopify's inventory states on the order page (SPEC §10): whether the planned output shows as
// incoming, the curing hold (held until / released), and the "Release for sale…" confirmation.
import { confirm } from "./chrome.js";
import { $, fill, formatDate, merchant, timeElement } from "./ui.js";

/** The Details rows for incoming and curing, and the Release button while output is held. */
export function drawHold(order) {
  const syncs = order.syncProductionOrderToShopify === true;
  const incoming = syncs && order.plannedOutputAsIncoming;
  $("#fact-incoming-row").hidden = !incoming;
  $("#fact-incoming").textContent = order.status === "in_progress"
    ? "The planned output is shown as incoming at this order's location"
    : "The planned output was shown as incoming while in progress";
  const hold = order.hold;
  const days = order.holdDays;
  $("#fact-hold-row").hidden = !hold && !days;
  if (hold && hold.releasedAt) fill($("#fact-hold"), "Released for sale ", timeElement(hold.releasedAt));
  else if (hold) fill($("#fact-hold"), `In quality control until ${formatDate(hold.until.slice(0, 10))}`);
  else $("#fact-hold").textContent = `${days} ${days === 1 ? "day" : "days"} in quality control after completion`;
  $("#action-release").hidden = !(order.status === "completed" && hold && !hold.releasedAt);
}

/** Ask before releasing early; `release()` runs when the merchant confirms. */
export async function confirmRelease(order, release) {
  const until = formatDate(order.hold.until.slice(0, 10));
  fill($("#release-text"), "The output of ", merchant(order.reference), ` cures until ${until}. `,
    order.syncProductionOrderToShopify === true
      ? "Releasing now moves it from quality control to available in Shopify, so it can be sold straight away."
      : "Releasing now marks it ready for sale.");
  if (await confirm("release-dialog", { returnFocus: $("#order-title") })) release();
}
