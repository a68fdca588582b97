// Calling the app's JSON API with a Shopify session token.
// Inside the admin App Bridge hands out the token; in demo mode /demo/session-token does.

const body = document.body.dataset;
export const DEMO = body.demo === "1";
const EMBED_QUERY = body.embedQuery || "";
const TOKEN_MARGIN_MS = 10_000; // fetch a new demo token this long before the old one expires

let demoToken = null; // {token, expiresAt}
let demoTokenRequest = null; // the fetch in flight: a page's first API calls all wait for the same one

function demoSessionToken() {
  if (demoToken && Date.now() < demoToken.expiresAt - TOKEN_MARGIN_MS) return Promise.resolve(demoToken.token);
  if (!demoTokenRequest) {
    demoTokenRequest = fetchDemoToken().finally(() => { demoTokenRequest = null; });
  }
  return demoTokenRequest;
}

async function fetchDemoToken() {
  const response = await fetch("/demo/session-token", { cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, "unauthorized", "The demo store did not give a session token.");
  const data = await response.json();
  demoToken = { token: data.token, expiresAt: Date.now() + data.expiresIn * 1000 };
  return demoToken.token;
}

/** A session token for the next API call. */
export async function sessionToken() {
  if (!DEMO && window.shopify && typeof window.shopify.idToken === "function") {
    return window.shopify.idToken();
  }
  return demoSessionToken();
}

/** An error answered by the API: {status, code, message, details} (details keyed by JSON path). */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

/** An exact decimal typed by the merchant, written into the JSON body as a number, digit for digit. */
export class Decimal {
  constructor(text) {
    this.text = text;
  }
}

function toJson(value) {
  const raw = [];
  const text = JSON.stringify(value, (_key, item) =>
    item instanceof Decimal ? `\u0000${raw.push(item.text) - 1}\u0000` : item);
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_match, index) => raw[Number(index)]);
}

async function send(method, path, { body, version, token }) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (version !== undefined && version !== null) headers["If-Match"] = `"${version}"`;
  return fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : toJson(body), cache: "no-store" });
}

/**
 * Call the API; resolves to the parsed JSON body, rejects with an ApiError.
 * `version` becomes `If-Match`, so a write on a stale copy of an order is refused (412).
 */
export async function api(method, path, { body, version } = {}) {
  let response;
  try {
    response = await send(method, path, { body, version, token: await sessionToken() });
    if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request")) {
      demoToken = null; // expired or refused: one retry with a fresh token
      response = await send(method, path, { body, version, token: await sessionToken() });
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "network", "The app could not be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_error",
      error.message || `The app answered with an error (${response.status}). Try again in a moment.`, error.details);
  }
  return data;
}

/** A path of this app with the admin's embedding parameters, so the page loads inside the admin. */
export function pageUrl(path, params = {}) {
  const query = new URLSearchParams(EMBED_QUERY);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** GET /api/locations as a Map of id -> name, or null when Shopify does not answer. */
export async function loadLocations() {
  try {
    const data = await api("GET", "/locations");
    return new Map(data.items.map((location) => [location.id, location.name]));
  } catch {
    return null;
  }
}
