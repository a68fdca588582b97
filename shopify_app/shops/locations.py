"""The shop's active Shopify locations, read through the Admin API client."""

from ..admin_api.documents import ACTIVE_LOCATIONS
from ..admin_api.graphql import AdminGraphQL
from .models import Shop

MAX_PAGES = 20  # 5,000 locations: far beyond any shop, and a bound on a misbehaving cursor


def active_locations(shop: Shop) -> list[dict]:
    """[{id, name}] of the shop's active locations, in Shopify's order."""
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
