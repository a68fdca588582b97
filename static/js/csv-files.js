// CSV files through the API: downloads and uploads need the session token, which a plain link or
// form post would not carry, so the file is fetched (or sent) here and handed to the browser.
import { ApiError, sessionToken } from "./api.js";
import { $$, showApiError, whileBusy } from "./ui.js";

async function send(method, path, { body, contentType } = {}) {
  const call = async () => {
    const headers = { Authorization: `Bearer ${await sessionToken()}`, Accept: "text/csv, application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    return fetch(`/api${path}`, { method, headers, body, cache: "no-store" });
  };
  let response;
  try {
    response = await call();
    if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) response = await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "network", "The app could not be reached. Check your connection and try again.");
  }
  if (!response.ok) {
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch {
      error = {};
    }
    throw new ApiError(response.status, error.code || "http_error",
      error.message || `The app answered with an error (${response.status}). Try again in a moment.`, error.details);
  }
  return response;
}

/** GET a CSV export and save it under `filename`. */
export async function downloadCsv(path, filename) {
  const blob = await (await send("GET", path)).blob();
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** POST a CSV file (a File or Blob) and resolve to the JSON answer; rejects with an ApiError. */
export async function postCsv(path, file) {
  return (await send("POST", path, { body: file, contentType: "text/csv" })).json();
}

// Export buttons: data-export="/production-orders.csv"; data-filters copies the list's filters,
// which the list keeps in the address.
for (const button of $$("[data-export]")) {
  button.addEventListener("click", () => whileBusy(button, async () => {
    const query = new URLSearchParams();
    if (button.hasAttribute("data-filters")) {
      const current = new URLSearchParams(window.location.search);
      for (const name of ["status", "q"]) if (current.get(name)) query.set(name, current.get(name));
      // The list's "can't start: short of materials" tab: the drafts short of materials.
      if (query.get("status") === "short") {
        query.set("status", "draft");
        query.set("shortage", "true");
      } else if (query.get("status") === "curing") { // the list's "Curing" tab is the `hold` filter
        query.delete("status");
        query.set("hold", "curing");
      }
    }
    const text = query.toString();
    try {
      await downloadCsv(button.dataset.export + (text ? `?${text}` : ""), button.dataset.filename);
    } catch (error) {
      showApiError(error);
    }
  }));
}
