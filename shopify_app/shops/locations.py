"""The shop's active Shopify locations, read through the Admin API client and cached briefly."""

import time

from flask import current_app

from ..admin_api.documents import ACTIVE_LOCATIONS
from ..admin_api.graphql import AdminGraphQL
from .models import Shop

MAX_PAGES = 20  # 5,000 locations: far beyond any shop, and a bound on a misbehaving cursor
# Every order form and the settings screen list the locations. A shop adds or closes a location
# rarely, and a stale list costs little (an order at a closed location fails its push with a
# readable message), so each process keeps the answer for a minute instead of asking Shopify on
# every form load. In-process rather than Redis: nothing in the app changes locations, so there is
# nothing to invalidate across processes, and a miss costs one call per process per minute.
CACHE_SECONDS = 60.0


def active_locations(shop: Shop) -> list[dict]:
    """[{id, name}] of the shop's active locations, in Shopify's order (at most CACHE_SECONDS old)."""
    cache = current_app.extensions.setdefault("shop_locations", {})  # per app, so per process
    now = time.monotonic()
    cached = cache.get(shop.domain)
    if cached is not None and cached[0] > now:
        return list(cached[1])
    locations = _fetch(shop)
    cache[shop.domain] = (now + CACHE_SECONDS, locations)
    return list(locations)


def _fetch(shop: Shop) -> list[dict]:
    client = AdminGraphQL(shop)
    locations, after = [], None
    for _ in range(MAX_PAGES):
        data = client.execute("ActiveLocations", ACTIVE_LOCATIONS, {"after": after})
        connection = data.get("locations") or {}
        locations += [{"id": n["id"], "name": n["name"]} for n in connection.get("nodes") or [] if n.get("isActive")]
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page.get("endCursor")
    return locations
