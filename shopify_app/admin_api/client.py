"""The one `requests`-based client for Shopify: base URL, API version, timeouts, typed errors."""

import logging
import math

import requests
from flask import current_app

from . import deadline
from .errors import OAuthRefused, ShopifyUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 20
TOKEN_PATH = "/admin/oauth/access_token"
MAX_RETRY_AFTER = 3600.0

_session = requests.Session()


def admin_origin(shop_domain: str) -> str:
    """`https://{shop}`, or SHOPIFY_ADMIN_ORIGIN (a local fake Shopify) with `{shop}` filled in."""
    template = current_app.config.get("SHOPIFY_ADMIN_ORIGIN") or "https://{shop}"
    return template.replace("{shop}", shop_domain).rstrip("/")


def post_token_request(shop_domain: str, payload: dict) -> dict:
    """POST to the shop's OAuth token endpoint; the JSON answer, or OAuthRefused / ShopifyUnavailable."""
    url = admin_origin(shop_domain) + TOKEN_PATH
    try:
        response = _session.post(url, json=payload, headers={"Accept": "application/json"},
                                 timeout=deadline.timeouts(CONNECT_TIMEOUT, READ_TIMEOUT))
    except requests.RequestException as exc:
        # The exception text can quote the request; log only its kind.
        raise ShopifyUnavailable(f"could not reach Shopify ({type(exc).__name__})") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise ShopifyUnavailable(f"Shopify answered HTTP {response.status_code}",
                                 retry_after=retry_after(response))
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not response.ok:
        error = body.get("error") if isinstance(body, dict) else None
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        raise OAuthRefused(response.status_code, str(error or "unknown_error"), str(description)[:300])
    if not isinstance(body, dict):
        raise ShopifyUnavailable("Shopify's token endpoint answered with something that is not JSON")
    return body


def retry_after(response) -> float | None:
    """Seconds from a Retry-After header; None when absent or not a sane number ("inf", "-1", "1e999")."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_RETRY_AFTER else None
