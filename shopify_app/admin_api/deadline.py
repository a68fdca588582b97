"""A total time budget for the Shopify calls made while one web request waits for them.

gunicorn kills a worker that spends its timeout (30 s) on one request, and a few such requests
take the server down. So inside a web request every Shopify call — HTTP timeouts, backoff between
retries, waits for the cost bucket, token refreshes — shares SHOPIFY_REQUEST_DEADLINE_SECONDS from
the request's first Shopify call, and what would pass it fails at once as ShopifyUnavailable (the
API answers 503 with Retry-After). The sync worker has no request: it keeps its own patience.
"""

import time

from flask import current_app, g, has_request_context

from .errors import ShopifyUnavailable


def remaining() -> float | None:
    """Seconds this request may still spend on Shopify; None outside a web request (no deadline)."""
    if not has_request_context():
        return None
    deadline = g.get("shopify_deadline")
    if deadline is None:
        deadline = g.shopify_deadline = time.monotonic() + current_app.config["SHOPIFY_REQUEST_DEADLINE_SECONDS"]
    return deadline - time.monotonic()


def allow_wait(seconds: float, reason: str) -> None:
    """Raise ShopifyUnavailable (retry after `seconds`) if waiting that long would pass the deadline."""
    left = remaining()
    if left is not None and seconds >= left:
        raise ShopifyUnavailable(f"{reason}; waiting {seconds:.1f}s would pass the request's deadline",
                                 retry_after=seconds)


def timeouts(connect: float, read: float) -> tuple[float, float]:
    """(connect, read) timeouts for one HTTP call, shortened to what the deadline leaves."""
    left = remaining()
    if left is None:
        return connect, read
    if left <= 0:
        raise ShopifyUnavailable("the request's deadline for Shopify has passed")
    # requests' read timeout bounds each wait for bytes, not the whole answer; Shopify sends its
    # JSON in one go, so in practice this bounds the call.
    return min(connect, left), min(read, left)
