// Choosing what to add to an order: product variants (App Bridge's resource picker inside the admin,
// the demo catalogue in demo mode) and bills of materials (from the API), the last two in one dialog.
import { DEMO, api } from "./api.js";
import { $, fill, h } from "./ui.js";

const appBridge = () => !DEMO && window.shopify && typeof window.shopify.resourcePicker === "function";

/** Whether this page can offer a product picker (otherwise rows are added by variant ID). */
export const pickerAvailable = () => DEMO || appBridge();

function fromAppBridge(variant) {
  // Variants come with their own title ("Large") and the product's; show both, like the admin does.
  const productTitle = variant.product && variant.product.title;
  const title = variant.displayName
    || [productTitle, variant.title].filter((part) => part && part !== "Default Title").join(" - ")
    || variant.title || "";
  return { variantId: variant.id, title, sku: variant.sku || "" };
}

function drawChoices(choices, query, selected, empty, multiple) {
  const needle = query.trim().toLowerCase();
  const shown = choices.filter((choice) => !needle || `${choice.title} ${choice.meta}`.toLowerCase().includes(needle));
  const toggle = (event) => {
    if (!multiple) selected.clear(); // a radio: choosing one drops the other
    if (event.target.checked) selected.add(event.target.value);
    else selected.delete(event.target.value);
  };
  fill($("#picker-list"), shown.map((choice, index) => {
    const id = `pick-${index}`;
    return h("li", { class: "picker-item" },
      h("input", {
        type: multiple ? "checkbox" : "radio", name: multiple ? null : "picker-choice", id, value: choice.key,
        checked: selected.has(choice.key), onchange: toggle,
      }),
      h("label", { for: id },
        h("bdi", { class: "picker-item__title" }, choice.title),
        h("bdi", { class: "picker-item__meta" }, choice.meta)));
  }));
  $("#picker-status").textContent = shown.length ? "" : choices.length ? "Nothing matches your search." : empty;
}

/**
 * A modal checklist (or, with `multiple: false`, a list of radios): `load()` gives the items,
 * `describe(item)` -> {key, title, meta}. Resolves to the chosen items ([] when cancelled).
 */
function chooseInDialog({ title, load, describe, empty, multiple = true, action = "Add" }) {
  const dialog = $("#product-picker");
  const search = $("#picker-search");
  $("#picker-title").textContent = title;
  $("#picker-add").textContent = action;
  search.placeholder = "Search";
  return new Promise((resolve) => {
    let items = [];
    let choices = [];
    const selected = new Set();
    const onInput = () => drawChoices(choices, search.value, selected, empty, multiple);
    const onCancel = () => dialog.close("cancel");
    const onClose = () => {
      search.removeEventListener("input", onInput);
      $("#picker-cancel").removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onClose);
      resolve(dialog.returnValue === "add" ? items.filter((_item, index) => selected.has(choices[index].key)) : []);
    };
    search.addEventListener("input", onInput);
    $("#picker-cancel").addEventListener("click", onCancel);
    dialog.addEventListener("close", onClose);
    search.value = "";
    fill($("#picker-list"));
    $("#picker-status").textContent = "Loading…";
    dialog.returnValue = "";
    dialog.showModal();
    load().then((loaded) => {
      items = loaded;
      choices = items.map(describe);
      drawChoices(choices, search.value, selected, empty, multiple);
    }, (error) => {
      $("#picker-status").textContent = error.message;
    });
  });
}

let demoCatalogue = null;

async function demoProducts() {
  if (!demoCatalogue) {
    const response = await fetch("/demo/products.json", { cache: "no-store" });
    if (!response.ok) throw new Error("The demo catalogue is not available.");
    demoCatalogue = (await response.json()).items;
  }
  return demoCatalogue;
}

/**
 * Let the merchant choose variants (one only with `multiple: false`);
 * resolves to [{variantId, title, sku}] ([] when cancelled).
 */
export async function pickVariants({ multiple = true, title = "Choose products", action = "Add" } = {}) {
  if (appBridge()) {
    const selection = await window.shopify.resourcePicker({ type: "variant", multiple });
    return (selection || []).map(fromAppBridge);
  }
  return chooseInDialog({
    title,
    multiple,
    action,
    load: demoProducts,
    describe: (item) => ({ key: item.variantId, title: item.title, meta: item.sku ? `SKU ${item.sku}` : item.variantId }),
    empty: "The demo store has no products.",
  });
}

/** Let the merchant choose active bills of materials; resolves to the BOMs as the API gives them. */
export function pickBoms() {
  return chooseInDialog({
    title: "Add from a bill of materials",
    load: async () => (await api("GET", "/boms?activeOnly=true")).items,
    describe: (bom) => ({
      key: String(bom.id),
      title: bom.name,
      meta: `Makes ${bom.outputTitle || bom.outputVariantId} · ${bom.lines.length} ${bom.lines.length === 1 ? "material" : "materials"}`,
    }),
    empty: "There are no active bills of materials yet.",
  });
}
