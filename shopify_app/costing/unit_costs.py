"""Shopify's cost per item of variants, as the app last read it.

Costs come with lookups the app makes anyway (the id check when a row is saved or an order
starts, the sync's inventory-item lookup): no call is made only to learn a cost. An estimated
cost is therefore as current as the last of those answers.
"""

from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from ..db_types import utcnow
from ..extensions import db
from ..upsert import upsert
from .models import VariantCost


def from_item(item: dict | None) -> tuple[Decimal | None, str | None] | None:
    """(amount, currency) of an `InventoryItem` node's `unitCost`; None when the node does not
    say (the field was not asked for); (None, None) when Shopify has no cost for it."""
    if not isinstance(item, dict) or "unitCost" not in item:
        return None
    cost = item.get("unitCost")
    if not isinstance(cost, dict):
        return None, None
    try:
        amount = Decimal(str(cost.get("amount")))
    except (InvalidOperation, ValueError):
        return None, None
    if not amount.is_finite() or amount < 0:
        return None, None
    return amount, cost.get("currencyCode")


def remember(shop_id: int, costs: dict[str, tuple[Decimal | None, str | None]]) -> None:
    """Store the costs Shopify just answered, in one statement however many (the caller commits
    with its own work)."""
    now = utcnow()
    rows = [{"shop_id": shop_id, "variant_id": variant, "currency": currency, "updated_at": now, "amount": amount}
            for variant, (amount, currency) in costs.items()]
    upsert(db.session.connection(), VariantCost.__table__, rows, ["shop_id", "variant_id"], {
        "amount": lambda excluded: excluded.amount, "currency": lambda excluded: excluded.currency,
        "updated_at": lambda excluded: excluded.updated_at})


def known(shop_id: int, variant_ids) -> dict[str, tuple[Decimal | None, str | None]]:
    """The stored cost of each variant that has one on record."""
    ids = list(dict.fromkeys(variant_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(VariantCost.variant_id, VariantCost.amount, VariantCost.currency)
                              .where(VariantCost.shop_id == shop_id, VariantCost.variant_id.in_(ids)))
    return {variant: (amount, currency) for variant, amount, currency in rows}


def basis(shop_id: int, variant_ids) -> dict:
    """The unit costs an order is priced with, as stored on it at completion."""
    costs = known(shop_id, variant_ids)
    currency = next((c for _, c in costs.values() if c), None)
    return {"currency": currency,
            "unitCosts": {v: (None if costs.get(v, (None,))[0] is None else str(costs[v][0]))
                          for v in dict.fromkeys(variant_ids)}}
