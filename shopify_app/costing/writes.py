"""Shopify's cost per item of an order's output, written once after its completion push.

The value is frozen (a `cost_updates` row) in the transaction that records the completion push
as applied, from what that push observed just before the output was added: the item's cost per
item (read by the push's own inventory-item lookup) and its quantity (Shopify's answer to the
adjustment, minus the change). `inventoryItemUpdate` has no idempotency key, so safety comes from
the frozen value: a lost answer or a timeout is followed by the same value again, never a
recomputed one, and the row is marked applied (with its `cost_updated` event) exactly once.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from ..admin_api.documents import UPDATE_ITEM_COST
from ..admin_api.errors import GraphQLError, ShopifyError
from ..admin_api.graphql import AdminGraphQL, backoff_delay
from ..db_types import utcnow
from ..extensions import db
from ..production.models import OrderEvent
from ..shops.models import Shop
from . import arithmetic
from .blocks import costs_of, order_rows
from .models import COST_APPLIED, COST_FAILED, COST_PENDING, CostUpdate

log = logging.getLogger(__name__)
LEASE_SECONDS = 60  # a sender holds an update this long; a resend after it is the same value


def _observed(push, variants: set[str]) -> dict[str, tuple[str, Decimal | None, int | None, datetime | None]]:
    """Per output variant, (inventory item, cost per item, quantity before the change, when the
    cost was read) as this push's lookup and Shopify's answer gave them."""
    seen = {}
    for batch in push.batches:
        for change, entry in zip(batch.changes, batch.receipt or []):
            if entry is None or change["variantId"] not in variants or change["name"] != "available":
                continue
            after = entry.get("quantityAfterChange")
            cost = entry.get("unitCost")
            # A carried fraction sent no change, so Shopify gave no quantity after it (None: `plan`
            # writes only a batch cost for it, since Shopify's count, and so its average, did not move).
            on_hand = None if after is None or not change["delta"] else after - change["delta"]
            read_at = entry.get("readAt")
            seen[change["variantId"]] = (entry["inventoryItemId"], None if cost is None else Decimal(cost), on_hand,
                                         datetime.fromisoformat(read_at) if read_at else batch.first_sent_at)
    return seen


def _landing_before(shop_id: int, item: str, read_at: datetime | None) -> CostUpdate | None:
    """The latest earlier write of this item that lands in Shopify after our read of its cost:
    still pending, or applied since (writes land in frozen order, so its value is the old cost)."""
    later = CostUpdate.status == COST_PENDING
    if read_at is not None:
        later = or_(later, and_(CostUpdate.status == COST_APPLIED, CostUpdate.applied_at >= read_at))
    return db.session.scalars(select(CostUpdate).where(CostUpdate.shop_id == shop_id,
                                                       CostUpdate.inventory_item_id == item, later)
                              .order_by(CostUpdate.id.desc()).limit(1)).first()


def plan(order, shop: Shop, push) -> list[CostUpdate]:
    """Freeze the cost writes a completed order owes Shopify (added to the session; the caller
    commits them with the push's outcome). Nothing for `off`, disassembly or an incomplete cost."""
    mode = shop.settings.cost_update
    if mode == "off" or order.status != "completed" or order.type == "disassembly":
        return []
    if db.session.scalar(select(CostUpdate.id).where(CostUpdate.order_id == order.id).limit(1)) is not None:
        return []  # once per completed order, whatever later pushes do
    rows = order_rows(order.components, produced=True)
    costs, _ = costs_of(order, rows)
    batch_costs = arithmetic.exact_batch_unit_costs(rows, costs, order.labour_cost, order.overhead_cost)
    if not batch_costs:
        return []
    observed = _observed(push, set(batch_costs))
    updates = []
    for variant, batch_cost in batch_costs.items():
        if variant not in observed:
            log.info("order %s: its completion push never read %s's inventory item; cost per item left as is",
                     order.id, variant)
            continue
        item, old_cost, on_hand, read_at = observed[variant]
        if on_hand is None and mode == "weighted_average":
            # No whole unit reached Shopify (the fraction is carried): its stock, and so its average,
            # did not change. Averaging against an unknown stock as if it were 0 units would replace
            # the cost of every unit on hand with this small batch's.
            log.info("order %s: no whole unit of %s reached Shopify; its average cost per item stays",
                     order.id, variant)
            continue
        earlier = _landing_before(shop.id, item, read_at)
        if earlier is not None:
            old_cost = earlier.new_cost
        produced = sum((row.quantity for row in rows if row.variant_id == variant), Decimal(0))
        new_cost = batch_cost if mode == "batch" else arithmetic.weighted_average(on_hand, old_cost, produced,
                                                                                     batch_cost)
        update_row = CostUpdate(shop_id=shop.id, order_id=order.id, variant_id=variant, inventory_item_id=item,
                                mode=mode, old_cost=old_cost, new_cost=arithmetic.money(new_cost))
        db.session.add(update_row)
        updates.append(update_row)
    return updates


def cost_updates_of(order) -> list[CostUpdate]:
    """The cost writes an order owes or owed Shopify (none before its completion push)."""
    if order.id is None or order.status != "completed":
        return []
    return db.session.scalars(select(CostUpdate).where(CostUpdate.order_id == order.id)
                              .order_by(CostUpdate.id)).all()


def _due(now, shop_id: int | None, order_id: int | None):
    older = aliased(CostUpdate)
    query = (select(CostUpdate.id)
             .where(CostUpdate.status == COST_PENDING, CostUpdate.next_attempt_at <= now,
                    # An item's writes land in the order they were frozen: the later value is the last.
                    ~exists().where(and_(older.shop_id == CostUpdate.shop_id,
                                         older.inventory_item_id == CostUpdate.inventory_item_id,
                                         older.status == COST_PENDING, older.id < CostUpdate.id)))
             .order_by(CostUpdate.id).limit(50))
    if shop_id is not None:
        query = query.where(CostUpdate.shop_id == shop_id)
    if order_id is not None:
        query = query.where(CostUpdate.order_id == order_id)
    return query


def _take(update_id: int, now) -> bool:
    """Lease one due write (a guarded UPDATE: two senders never both take it)."""
    taken = db.session.execute(
        update(CostUpdate).where(CostUpdate.id == update_id, CostUpdate.status == COST_PENDING,
                                 CostUpdate.next_attempt_at <= now)
        .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS), attempts=CostUpdate.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return taken


def send_due(*, shop_id: int | None = None, order_id: int | None = None) -> int:
    """Send every due cost write (of one shop or order, if given); returns how many were applied."""
    applied = 0
    for update_id in db.session.scalars(_due(utcnow(), shop_id, order_id)).all():
        if _take(update_id, utcnow()):
            applied += _send(db.session.get(CostUpdate, update_id))
    return applied


def _send(row: CostUpdate) -> int:
    shop = db.session.get(Shop, row.shop_id)
    variables = {"id": row.inventory_item_id, "input": {"cost": format(row.new_cost, "f")}}
    try:
        data = AdminGraphQL(shop).execute("UpdateItemCost", UPDATE_ITEM_COST, variables)
    except GraphQLError as exc:
        return _finish(row, COST_FAILED, str(exc))
    except ShopifyError as exc:  # unavailable, throttled past patience, token trouble: same value later
        config = current_app.config
        delay = backoff_delay(row.attempts, float(config.get("SYNC_BACKOFF_BASE_SECONDS", 0.5)),
                              float(config.get("SYNC_BACKOFF_MAX_SECONDS", 60)))
        db.session.execute(update(CostUpdate).where(CostUpdate.id == row.id, CostUpdate.status == COST_PENDING)
                           .values(last_error=str(exc) or type(exc).__name__,
                                   next_attempt_at=utcnow() + timedelta(seconds=delay)))
        db.session.commit()
        return 0
    result = data.get("inventoryItemUpdate") or {}
    errors = result.get("userErrors") or []
    if errors or not result.get("inventoryItem"):
        message = "; ".join(str(e.get("message")) for e in errors) or "no inventory item returned"
        return _finish(row, COST_FAILED, f"Shopify refused the cost per item: {message}")
    return _finish(row, COST_APPLIED, None)


def _finish(row: CostUpdate, status: str, error: str | None) -> int:
    """Record the outcome once (a resend by a slower sender finds it recorded and adds nothing)."""
    done = db.session.execute(
        update(CostUpdate).where(CostUpdate.id == row.id, CostUpdate.status == COST_PENDING)
        .values(status=status, last_error=error, applied_at=utcnow() if status == COST_APPLIED else None)
        .execution_options(synchronize_session=False)).rowcount == 1
    if done and status == COST_APPLIED:
        # Sync bookkeeping: history only, no version bump.
        db.session.add(OrderEvent(shop_id=row.shop_id, order_id=row.order_id, type="cost_updated", actor="system",
                                  changes={row.variant_id: [None if row.old_cost is None else format(row.old_cost, "f"),
                                                            format(row.new_cost, "f")]}))
    db.session.commit()
    if done and status == COST_FAILED:
        log.warning("cost write %s for order %s failed: %s", row.id, row.order_id, error)
    return int(done and status == COST_APPLIED)
