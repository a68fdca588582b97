"""Variant -> inventory item, resolved with one batched `nodes(ids:)` call and briefly cached."""

import time
from dataclasses import dataclass

from ..admin_api.documents import VARIANT_INVENTORY_ITEMS
from ..admin_api.graphql import AdminGraphQL
from ..costing import unit_costs

CACHE_SECONDS = 300  # a variant's inventory item never changes; deletions surface as userErrors
_cache: dict[tuple[str, str], tuple[float, "InventoryItem | None"]] = {}


@dataclass(frozen=True)
class InventoryItem:
    item_id: str
    tracked: bool
    display_name: str
    history_url: str | None = None
    # Shopify's cost per item as this lookup answered it: (amount or None, currency), or None
    # when the answer did not say.
    unit_cost: tuple | None = None


def resolve(client: AdminGraphQL, variant_ids: list[str], *, fresh: bool = False) -> dict[str, InventoryItem | None]:
    """Inventory item per variant id (None for a variant that no longer exists); `fresh` asks
    Shopify even for cached ones (a cost per item can change any time, its item never)."""
    now = time.monotonic()
    shop = client.shop.domain
    result, missing = {}, []
    for variant in dict.fromkeys(variant_ids):
        cached = _cache.get((shop, variant))
        if cached and cached[0] > now and not fresh:
            result[variant] = cached[1]
        else:
            missing.append(variant)
    if missing:
        data = client.execute("VariantInventoryItems", VARIANT_INVENTORY_ITEMS, {"ids": missing},
                              size=len(missing))
        nodes = data.get("nodes") or []
        costs = {}
        for variant, node in zip(missing, nodes + [None] * (len(missing) - len(nodes))):
            item = None
            if isinstance(node, dict) and node.get("__typename") == "ProductVariant" and node.get("inventoryItem"):
                found = node["inventoryItem"]
                cost = unit_costs.from_item(found)
                item = InventoryItem(found["id"], bool(found.get("tracked")), node.get("displayName") or variant,
                                     found.get("inventoryHistoryUrl"), cost)
                if cost is not None:
                    costs[variant] = cost
            result[variant] = item
            _cache[(shop, variant)] = (now + CACHE_SECONDS, item)
        unit_costs.remember(client.shop.id, costs)  # estimates use them too (SPEC §9)
    return result


def forget(shop: str, variant_ids) -> None:
    """Drop cached answers after Shopify refused them (the variant may have changed)."""
    for variant in variant_ids:
        _cache.pop((shop, variant), None)
