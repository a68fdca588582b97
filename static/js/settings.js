// The settings screen: default sync, default location, sync mode. PUT replaces all three at once.
import { ApiError, api, loadLocations } from "./api.js";
import { saveBar } from "./chrome.js";
import { $, announce, clearBanner, clearFieldErrors, h, showApiError, whileBusy } from "./ui.js";

const form = $("#settings-form");
let saved = null; // the shop's settings as last loaded or saved: Discard puts them back

function fillLocations(locations, current) {
  const select = $("#default-location");
  if (locations === null) {
    $("#default-location-help").textContent = "Shopify did not list your locations just now; reload the page to choose one.";
  }
  for (const [id, name] of locations || []) select.append(h("option", { value: id }, name));
  if (current && !(locations && locations.has(current))) {
    select.append(h("option", { value: current }, `${current} (not an active location)`));
  }
  select.value = current || "";
}

/** Sync on by default with no default location: say what happens to orders without a location. */
function warnAboutLocation() {
  $("#no-location-warning").hidden = !($("#sync-default").checked && !$("#default-location").value);
}

function show(settings) {
  saved = settings;
  $("#default-location").value = settings.defaultLocationId || "";
  $("#sync-default").checked = settings.syncProductionOrdersToShopifyByDefault;
  $("#planned-incoming").checked = settings.plannedOutputAsIncoming;
  const mode = form.querySelector(`input[name="syncMode"][value="${settings.syncMode}"]`);
  if (mode) mode.checked = true;
  const costUpdate = form.querySelector(`input[name="costUpdate"][value="${settings.costUpdate}"]`);
  if (costUpdate) costUpdate.checked = true;
  const shortage = form.querySelector(`input[name="shortagePolicy"][value="${settings.shortagePolicy}"]`);
  if (shortage) shortage.checked = true;
  warnAboutLocation();
}

$("#sync-default").addEventListener("change", warnAboutLocation);
$("#default-location").addEventListener("change", warnAboutLocation);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearBanner();
  clearFieldErrors(form);
  const mode = form.querySelector('input[name="syncMode"]:checked');
  const body = {
    syncProductionOrdersToShopifyByDefault: $("#sync-default").checked,
    defaultLocationId: $("#default-location").value || null,
    syncMode: mode ? mode.value : null,
    costUpdate: (form.querySelector('input[name="costUpdate"]:checked') || { value: "off" }).value,
    shortagePolicy: (form.querySelector('input[name="shortagePolicy"]:checked') || { value: "warn" }).value,
    plannedOutputAsIncoming: $("#planned-incoming").checked,
  };
  try {
    await whileBusy($("#save-settings"), async () => show(await api("PUT", "/settings", { body })));
    changes.markClean();
    announce($("#no-location-warning").hidden ? "Settings saved."
      : "Settings saved. Orders without a location will not start until you choose one.");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showApiError(error, { root: form });
  }
});

async function start() {
  const [settings, locations] = await Promise.all([api("GET", "/settings").catch((error) => error), loadLocations()]);
  $("#settings-loading").hidden = true;
  if (settings instanceof Error) {
    showApiError(settings);
    return;
  }
  fillLocations(locations, settings.defaultLocationId);
  show(settings);
  form.hidden = false;
  changes.markClean();
}

const changes = saveBar(form, {
  onDiscard: () => {
    clearBanner();
    clearFieldErrors(form);
    show(saved);
  },
});
start();
