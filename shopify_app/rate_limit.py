"""A request budget per shop on the API, shared by every worker through RATE_LIMIT_STORAGE_URL.

Counted after the session token is verified, so a forged token naming a shop cannot spend that
shop's budget. The `limits` library does the counting (moving window, memory or Redis storage).
"""

import math
import time

from flask import current_app
from limits import parse_many, storage, strategies

from .errors import RateLimited

def _limiter() -> strategies.MovingWindowRateLimiter:
    # One per app: with memory:// each app (and each test) counts on its own.
    limiter = current_app.extensions.get("rate_limiter")
    if limiter is None:
        url = current_app.config["RATE_LIMIT_STORAGE_URL"]
        limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(url))
        current_app.extensions["rate_limiter"] = limiter
    return limiter


def spend_request(shop_domain: str) -> None:
    """Count one API request for the shop, or RateLimited (429 with Retry-After) when over budget."""
    rule = current_app.config["RATE_LIMIT_PER_SHOP"]
    if not rule:
        return
    limiter = _limiter()
    for item in parse_many(rule):
        if not limiter.hit(item, "shop", shop_domain):
            reset = limiter.get_window_stats(item, "shop", shop_domain).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            raise RateLimited(
                "Too many requests for this shop; slow down and try again shortly.",
                {"limit": str(item)}, headers={"Retry-After": str(wait)},
            )
