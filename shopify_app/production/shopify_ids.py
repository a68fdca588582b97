"""Variant and location ids, checked against the shop's Shopify before an order stores or starts with them.

A mistyped variant id would otherwise be accepted until the order is completed and read-only, and
its push would fail forever. The check asks Shopify once per request (`nodes(ids:)`, 250 ids a
call) and answers SPEC §3's 422 with `details` keyed by the JSON path of the row. When Shopify
cannot be asked, nothing is saved (503): an id that was not checked is never silently accepted.
"""

from dataclasses import dataclass

from ..admin_api.documents import CATALOGUE_IDS
from ..admin_api.errors import ReauthRequired, ShopifyError
from ..admin_api.graphql import AdminGraphQL
from ..costing import unit_costs
from ..errors import ServiceUnavailable, Unauthorized, ValidationFailed
from ..shops.models import Shop

NODES_PER_CALL = 250  # Shopify's limit on `nodes(ids:)`
NO_SUCH_VARIANT = "no such product variant in this shop"
NO_SUCH_LOCATION = "no such location in this shop"
INACTIVE_LOCATION = "this location is deactivated in Shopify"


@dataclass(frozen=True)
class IdRef:
    """An id the request names, where it sits (`path`, for the 422) and how a person calls that place."""

    path: str
    gid: str
    label: str


@dataclass(frozen=True)
class CatalogueEntry:
    """What Shopify says about an id that exists."""

    title: str
    sku: str
    active: bool = True


def _lookup(shop: Shop, ids: list[str]) -> dict[str, CatalogueEntry]:
    client = AdminGraphQL(shop)
    found, costs = {}, {}
    for start in range(0, len(ids), NODES_PER_CALL):
        chunk = ids[start:start + NODES_PER_CALL]
        data = client.execute("CatalogueIds", CATALOGUE_IDS, {"ids": chunk}, size=len(chunk))
        for gid, node in zip(chunk, data.get("nodes") or []):
            if not isinstance(node, dict):
                continue  # unknown, deleted or another shop's id: null, as Shopify answers
            if node.get("__typename") == "ProductVariant" and "/ProductVariant/" in gid:
                found[gid] = CatalogueEntry(node.get("displayName") or "", node.get("sku") or "")
                cost = unit_costs.from_item(node.get("inventoryItem"))
                if cost is not None:
                    costs[gid] = cost
            elif node.get("__typename") == "Location" and "/Location/" in gid:
                found[gid] = CatalogueEntry(node.get("name") or "", "", bool(node.get("isActive")))
    unit_costs.remember(shop.id, costs)  # committed with the write the check guards (SPEC §9)
    return found


def check_ids(shop: Shop, refs: list[IdRef]) -> dict[str, CatalogueEntry]:
    """Shopify's entry for every id in `refs`, or ValidationFailed naming each row whose id does not exist."""
    if not refs:
        return {}
    try:
        found = _lookup(shop, list(dict.fromkeys(ref.gid for ref in refs)))
    except ReauthRequired:
        raise Unauthorized("Shopify needs the app to be opened again to reconnect.") from None
    except ShopifyError:
        raise ServiceUnavailable(
            "Shopify did not answer, so the products and locations could not be checked. "
            "Nothing was saved; try again in a moment.", headers={"Retry-After": "5"}) from None
    problems = {}
    for ref in refs:
        entry = found.get(ref.gid)
        if entry is None:
            problems[ref.path] = NO_SUCH_VARIANT if "/ProductVariant/" in ref.gid else NO_SUCH_LOCATION
        elif not entry.active:
            problems[ref.path] = INACTIVE_LOCATION
    if problems:
        labels = {ref.path: ref.label for ref in refs}
        raise ValidationFailed(
            "; ".join(f"{labels[path]}: {text}" for path, text in problems.items()) + ".", problems)
    return found


def row_label(index: int, title: str) -> str:
    """"Component 2 (Amber glass jar)": how the pages number rows."""
    return f"Component {index + 1}" + (f" ({title})" if title else "")


def order_refs(location_id: str | None, rows, prefix: str = "components") -> list[IdRef]:
    """The ids of an order: its location and every row's variant and materials.

    `rows` are (index, variant id, title, materials) with materials as [{variantId, title}].
    """
    refs = [IdRef("locationId", location_id, "Location")] if location_id else []
    for index, variant_id, title, materials in rows:
        path = f"{prefix}[{index}]" if prefix else ""
        refs.append(IdRef(f"{path}.variantId" if path else "variantId", variant_id, row_label(index, title)))
        for number, material in enumerate(materials or []):
            refs.append(IdRef(f"{path}.materials[{number}].variantId" if path else f"materials[{number}].variantId",
                              material["variantId"],
                              f"{row_label(index, title)}, material {number + 1}"
                              + (f" ({material.get('title')})" if material.get("title") else "")))
    return refs
