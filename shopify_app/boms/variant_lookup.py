"""Variants named in a BOM import, by SKU or GID, resolved through the Admin API in batched queries."""

from dataclasses import dataclass

from ..admin_api.documents import VARIANTS_BY_ID, VARIANTS_BY_SKU
from ..admin_api.errors import ReauthRequired, ShopifyError
from ..admin_api.graphql import AdminGraphQL
from ..errors import ServiceUnavailable, Unauthorized
from ..shops.models import Shop

SKUS_PER_QUERY = 50   # terms in one search query
IDS_PER_QUERY = 250   # the `nodes` limit
MAX_PAGES_PER_QUERY = 10  # a SKU shared by thousands of variants must not keep us paging


@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    sku: str


def _search_term(sku: str) -> str:
    # A quoted value in Shopify's search syntax: backslash and double quote escaped.
    return 'sku:"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _variant(node) -> Variant | None:
    if not isinstance(node, dict) or not node.get("id") or node.get("__typename", "ProductVariant") != "ProductVariant":
        return None
    return Variant(node["id"], node.get("displayName") or "", node.get("sku") or "")


def _by_sku(client: AdminGraphQL, skus: list[str]) -> dict[str, list[Variant]]:
    found: dict[str, list[Variant]] = {sku: [] for sku in skus}
    for start in range(0, len(skus), SKUS_PER_QUERY):
        query = " OR ".join(_search_term(sku) for sku in skus[start:start + SKUS_PER_QUERY])
        after = None
        for _ in range(MAX_PAGES_PER_QUERY):
            data = client.execute("VariantsBySku", VARIANTS_BY_SKU, {"query": query, "after": after})
            connection = data.get("productVariants") or {}
            for node in connection.get("nodes") or []:
                variant = _variant(node)
                if variant and variant.sku in found and variant not in found[variant.sku]:
                    found[variant.sku].append(variant)
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                break
            after = page.get("endCursor")
    return found


def _by_id(client: AdminGraphQL, ids: list[str]) -> dict[str, Variant | None]:
    found: dict[str, Variant | None] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        batch = ids[start:start + IDS_PER_QUERY]
        data = client.execute("VariantsById", VARIANTS_BY_ID, {"ids": batch}, size=len(batch))
        nodes = data.get("nodes") or []
        for variant_id, node in zip(batch, nodes + [None] * (len(batch) - len(nodes))):
            variant = _variant(node)
            found[variant_id] = variant if variant and variant.id == variant_id else None
    return found


def find_variants(shop: Shop, skus, ids) -> tuple[dict[str, list[Variant]], dict[str, Variant | None]]:
    """(SKU -> the variants with exactly that SKU, GID -> the variant or None), in few calls."""
    client = AdminGraphQL(shop)
    try:
        return _by_sku(client, sorted(set(skus))), _by_id(client, sorted(set(ids)))
    except ReauthRequired:
        raise Unauthorized("Shopify needs the app to be opened again to reconnect.") from None
    except ShopifyError:
        raise ServiceUnavailable("Shopify did not answer, so the SKUs could not be looked up; nothing was "
                                 "imported. Try again in a moment.", headers={"Retry-After": "5"}) from None
