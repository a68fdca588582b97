"""Material availability at an order's location (SPEC §10): the order's needs against Shopify's stock.

Shopify's `available` quantities are read through the one Admin client, one `nodes(ids:)` query per
location and AVAILABILITY_CHUNK variants: an order page asks once, the list's "short of materials"
filter asks once per chunk for every draft together. Shopify failing or throttling past the
request's deadline is a 503 that says nothing was decided (never a 500, never a guess).
"""

import logging
import math
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..admin_api.documents import INVENTORY_AVAILABILITY
from ..admin_api.errors import ReauthRequired, ShopifyError, ShopifyUnavailable
from ..admin_api.graphql import AdminGraphQL
from ..errors import ServiceUnavailable, Unauthorized, ValidationFailed
from ..extensions import db
from ..shops.models import Shop
from . import availability_rules as rules
from .lifecycle import OrderStatus
from .listing import order_filter
from .models import Component, ProductionOrder

log = logging.getLogger(__name__)

# Each variant costs about 4 points (variant, item, level, quantities): 100 keep a query near 400,
# well inside a single query's limit of 1,000 and a standard shop's bucket.
AVAILABILITY_CHUNK = 100
OPEN_STATUSES = (OrderStatus.DRAFT.value, OrderStatus.IN_PROGRESS.value)


def order_location(order: ProductionOrder, shop: Shop) -> str | None:
    """Where the order draws its materials: its own location, or for a draft the shop's default
    (the one start will give it)."""
    if order.location_id or order.status != OrderStatus.DRAFT.value:
        return order.location_id
    return shop.settings.default_location_id


def order_rows(components) -> list[rules.Row]:
    """Component rows (ORM objects or rows with the same attribute names) as the rules read them."""
    return [rules.Row(c.variant_id, c.title or "", Decimal(c.quantity_planned), Decimal(c.quantity_produced),
                      tuple(rules.Material(m["variantId"], m.get("title") or "", Decimal(str(m["quantityPerUnit"])))
                            for m in c.materials or []))
            for c in components]


def read_stock(shop: Shop, variants_by_location: dict[str, list[str]]) -> dict[tuple[str, str], int | None]:
    """{(variant, location): available} from Shopify; None for an item Shopify does not track, 0 for
    one never stocked at the location, no key for a variant Shopify does not know (deleted).

    Raises ServiceUnavailable (503) or Unauthorized (401) when Shopify cannot answer.
    """
    client = AdminGraphQL(shop)
    stock = {}
    try:
        for location, variants in variants_by_location.items():
            variants = list(dict.fromkeys(variants))
            for start in range(0, len(variants), AVAILABILITY_CHUNK):
                chunk = variants[start:start + AVAILABILITY_CHUNK]
                data = client.execute("InventoryAvailability", INVENTORY_AVAILABILITY,
                                      {"ids": chunk, "locationId": location}, size=len(chunk))
                for variant, node in zip(chunk, data.get("nodes") or []):
                    if isinstance(node, dict) and node.get("__typename") == "ProductVariant":
                        stock[(variant, location)] = _available(node)
    except ReauthRequired:
        raise Unauthorized("Shopify needs the app to be opened again to reconnect.") from None
    except ShopifyError as error:
        log.warning("reading stock from Shopify failed for %s: %s", shop.domain, error)  # messages carry no token
        wait = error.retry_after if isinstance(error, ShopifyUnavailable) and error.retry_after else 5
        raise ServiceUnavailable(
            "Shopify did not answer, so what is in stock could not be read. Try again in a moment.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))}) from None
    return stock


def _available(node: dict) -> int | None:
    item = node.get("inventoryItem") or {}
    if item.get("tracked") is False:
        return None
    level = item.get("inventoryLevel") or {}
    return next((int(q["quantity"]) for q in level.get("quantities") or [] if q.get("name") == "available"), 0)


def order_lines(shop: Shop, order: ProductionOrder, location: str | None, *,
                known_only: bool = False) -> list[rules.Line]:
    """The order's needs at `location` with Shopify's stock (one query per 100 variants). A variant
    Shopify does not know has nothing in stock, or with `known_only` is left out."""
    needs = rules.needs(order.type, order_rows(order.components))
    if location is None or not needs:
        return rules.lines(needs, None if location is None else {})
    stock = read_stock(shop, {location: [need.variant_id for need in needs]})
    known = {need.variant_id: stock[(need.variant_id, location)] for need in needs
             if (need.variant_id, location) in stock}
    return rules.lines([need for need in needs if need.variant_id in known] if known_only else needs, known)


def order_availability(shop: Shop, order: ProductionOrder) -> tuple[str | None, list[rules.Line]]:
    """(location, lines) for GET …/availability. A completed or cancelled order needs nothing more:
    no lines, and Shopify is not asked."""
    location = order_location(order, shop)
    if order.status not in OPEN_STATUSES:
        return location, []
    return location, order_lines(shop, order, location)


def refuse_shortages(shop: Shop, order: ProductionOrder, location: str | None) -> None:
    """Under shortagePolicy `block`: ValidationFailed naming each material the order is short of
    at `location` (the one it starts at), so it does not start. Shopify unreachable is a 503: the
    order is not started blind.

    Called before the start's id check (shopify_ids), which writes the costs it reads: on SQLite
    that takes the write lock, and this call's share of the Shopify budget, kept in the database in
    a connection of its own, would wait for it. A variant Shopify does not know is left to that
    check, which names it for what it is.
    """
    needs = rules.needs(order.type, order_rows(order.components))
    if not any(need.required for need in needs):
        return
    if location is None:
        raise ValidationFailed(
            "This order cannot start without a location: the shop's shortage policy starts an order only "
            "when its materials are in stock where it is made.",
            {"locationId": "choose the location where production happens, so its stock can be checked"})
    short = rules.shortages(order_lines(shop, order, location, known_only=True))
    if short:
        raise ValidationFailed(
            "This order cannot start: it is short of "
            + "; ".join(f"{line.title or line.variant_id} (short by {_text(line.shortage)})" for line in short)
            + " at its location. Add stock in Shopify, lower the planned quantities, or change the "
              "shortage policy in Settings.",
            {line.path: f"short by {_text(line.shortage)}: {_text(line.required)} needed, "
                        f"{line.available} available" for line in short})


def short_draft_ids(shop: Shop, q: str | None = None) -> list[int]:
    """Ids of the shop's drafts (matching `q`) that are short of materials where they would start.

    One statement reads every such draft's rows; Shopify is asked once per location and 100
    variants for all of them together. A draft with no location (and no default) is not listed:
    nothing can be said about its stock.
    """
    default_location = shop.settings.default_location_id
    rows_by_order: dict[int, tuple[str, str | None, list]] = {}
    row = aliased(Component)  # the search's own EXISTS over Component must not correlate with these rows
    query = (select(ProductionOrder.id, ProductionOrder.type, ProductionOrder.location_id, row)
             .join(row, row.order_id == ProductionOrder.id)
             .where(*order_filter(shop, status=OrderStatus.DRAFT.value, q=q))
             .order_by(ProductionOrder.id, row.id))
    for order_id, order_type, location, component in db.session.execute(query):
        rows_by_order.setdefault(order_id, (order_type, location or default_location, []))[2].append(component)
    needs_by_order, wanted = {}, {}
    for order_id, (order_type, location, components) in rows_by_order.items():
        needs = [need for need in rules.needs(order_type, order_rows(components)) if need.required]
        if location and needs:
            needs_by_order[order_id] = (location, needs)
            wanted.setdefault(location, []).extend(need.variant_id for need in needs)
    if not wanted:
        return []
    stock = read_stock(shop, wanted)
    return [order_id for order_id, (location, needs) in needs_by_order.items()
            if rules.shortages(rules.lines(needs, {n.variant_id: stock.get((n.variant_id, location), 0) for n in needs}))]


def _text(value: Decimal) -> str:
    return format(value, "f")
