"""Reading one delivery off the request: its raw body and headers, bounded, and its JSON payload."""

import json
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request

from ..errors import BadRequest, PayloadTooLarge
from ..shops.domains import is_shop_domain

# The longest value each header may have. Shopify sends UUIDs and a nanosecond ISO 8601 time;
# the ids must fit their 100-character columns, so they are bounded before any query.
HEADER_LIMITS = {
    "X-Shopify-Topic": 100,
    "X-Shopify-Shop-Domain": 255,
    "X-Shopify-Webhook-Id": 100,
    "X-Shopify-Event-Id": 100,
    "X-Shopify-Triggered-At": 64,
}
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class Delivery:
    topic: str
    shop_domain: str
    webhook_id: str
    event_id: str | None
    triggered_at: datetime | None
    payload: dict


def read_body() -> bytes:
    """The raw body, or 413 when it is larger than MAX_CONTENT_LENGTH, with or without Content-Length.

    Werkzeug stops a chunked body (no Content-Length) at the limit without saying so; reading
    against a limit one byte higher tells "exactly at the limit" from "over it".
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    request.max_content_length = limit + 1  # read past this and werkzeug raises 413 itself
    chunks, size = [], 0
    while chunk := request.stream.read(_READ_SIZE):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"A webhook body may be at most {limit} bytes.")
    return b"".join(chunks)


def _header(name: str, *, required: bool) -> str | None:
    value = request.headers.get(name)
    if not value:
        if required:
            raise BadRequest("The webhook is missing its topic, shop or id headers.", {name: "missing"})
        return None
    if len(value) > HEADER_LIMITS[name] or not _VISIBLE_ASCII.fullmatch(value):
        raise BadRequest(f"The {name} header is not a value Shopify sends.",
                         {name: f"at most {HEADER_LIMITS[name]} visible ASCII characters"})
    return value


def parse_triggered_at(value: str | None) -> datetime | None:
    """X-Shopify-Triggered-At as an aware datetime, or None when it is missing or not a UTC time."""
    if not value:
        return None
    try:
        # Shopify sends nanoseconds; Python keeps microseconds (truncating keeps order right).
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _payload(body: bytes) -> dict:
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise BadRequest("The webhook body is not JSON.") from None
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body is not a JSON object.")
    return payload


def parse_delivery(body: bytes) -> Delivery:
    """The delivery of an authenticated body: headers bounded, shop domain checked, JSON parsed."""
    topic = _header("X-Shopify-Topic", required=True)
    shop_domain = _header("X-Shopify-Shop-Domain", required=True)
    if not is_shop_domain(shop_domain):
        raise BadRequest("X-Shopify-Shop-Domain is not a shop's myshopify.com domain.",
                         {"X-Shopify-Shop-Domain": "not a myshopify.com domain"})
    webhook_id = _header("X-Shopify-Webhook-Id", required=True)
    event_id = _header("X-Shopify-Event-Id", required=False)
    triggered_at = parse_triggered_at(_header("X-Shopify-Triggered-At", required=False))
    return Delivery(topic=topic, shop_domain=shop_domain.lower(), webhook_id=webhook_id, event_id=event_id,
                    triggered_at=triggered_at, payload=_payload(body))
