"""Freezing a push: its changes are computed once, split into batches, and never recomputed."""

from decimal import Decimal

from sqlalchemy import select

from ..db_types import utcnow
from ..extensions import db
from ..production.models import ProductionOrder
from .models import PENDING, SENDING, SUCCEEDED, SyncBatch, SyncLeg, SyncPush
from .planner import Material, Row, batches, plan_changes

BATCH_SIZE = 250


def pushed_totals(order_id: int) -> dict[tuple[str, str], int]:
    """What each leg of the order has had applied in Shopify so far."""
    legs = db.session.scalars(select(SyncLeg).where(SyncLeg.order_id == order_id))
    return {(leg.variant_id, leg.location_id): leg.pushed for leg in legs}


def planner_rows(order: ProductionOrder) -> list[Row]:
    """The order's component rows as the planner sees them."""
    return [
        Row(variant_id=c.variant_id, produced=Decimal(c.quantity_produced),
            materials=tuple(Material(m["variantId"], Decimal(m["quantityPerUnit"])) for m in c.materials))
        for c in order.components
    ]


def freeze(push_id: int) -> SyncPush:
    """Turn a pending push into frozen batches (or finish it when nothing needs sending).

    Runs under the order's row lock, so the order cannot change while its targets are read; a
    change committed afterwards opens a new pending push that starts from the pushed totals.
    """
    push = db.session.get(SyncPush, push_id)
    order = db.session.scalars(
        select(ProductionOrder).where(ProductionOrder.id == push.order_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    db.session.refresh(push)
    if push.status != PENDING:
        db.session.commit()
        return push
    changes = plan_changes(planner_rows(order), order.type, order.location_id, pushed_totals(order.id))
    now = utcnow()
    push.frozen_at = now
    if not changes:
        push.status, push.finished_at, push.last_error = SUCCEEDED, now, None
    else:
        push.status = SENDING
        for seq, batch in enumerate(batches(changes, BATCH_SIZE)):
            db.session.add(SyncBatch(push_id=push.id, seq=seq, changes=[
                {"variantId": c.variant_id, "locationId": c.location_id, "delta": c.delta} for c in batch]))
    db.session.commit()
    return push
