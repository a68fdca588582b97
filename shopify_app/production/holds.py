"""Curing holds (SPEC §10): an order's output waits in Shopify's `quality_control` until released.

The hold starts at completion (`hold_until` = completion + `holdDays`). Releasing it — by the sync
worker once `hold_until` has passed, or early by the merchant (POST …/release) — is a change of the
order like a transition: one guarded commit that bumps `version`, writes one `released` event and,
in the same transaction, the outbox push that moves the held units to `available`. Two workers
racing, or a worker racing the merchant, cannot both release: the version guard (and the row lock
on PostgreSQL) lets one commit win; the other sees the hold released and does nothing. A crash
after the commit loses nothing: the push is in the outbox and its batches carry idempotency keys.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from ..db_types import utcnow
from ..errors import Conflict
from ..extensions import db
from ..shops.models import Shop
from . import lifecycle
from .commits import check_version, commit_change
from .history import Changes
from .models import ProductionOrder

log = logging.getLogger(__name__)
RELEASES_PER_PASS = 100  # a worker pass releases at most this many holds, then sends pushes


def hold_until(completed_at: datetime, hold_days: int) -> datetime:
    """When a hold that started at completion ends."""
    return completed_at + timedelta(days=hold_days)


def is_held(order: ProductionOrder) -> bool:
    """The order's output is curing now: completed with a hold not yet released."""
    return lifecycle.is_curing(order.status, order.hold_until, order.released_at)


def hold_json(order: ProductionOrder) -> dict | None:
    """The order's `hold` block: null when its output was never held."""
    if order.hold_until is None:
        return None
    return {"until": order.hold_until, "releasedAt": order.released_at}


def release_order(order: ProductionOrder, shop: Shop, *, actor: str, expected_version=None) -> ProductionOrder:
    """Release the order's held output now (the caller holds the order's row lock)."""
    check_version(order, expected_version)
    lifecycle.ensure_can_release(order.status, order.hold_until, order.released_at)
    now = utcnow()
    changes = Changes()
    changes.record("hold", hold_json(order), {"until": order.hold_until, "releasedAt": now})
    order.released_at = now
    return commit_change(order, shop, "released", actor, changes)


def due_holds(now: datetime, limit: int = RELEASES_PER_PASS) -> list[tuple[int, int]]:
    """(order id, shop id) of holds whose time has come, oldest first."""
    rows = db.session.execute(
        select(ProductionOrder.id, ProductionOrder.shop_id)
        .where(ProductionOrder.hold_until <= now, ProductionOrder.released_at.is_(None),
               ProductionOrder.status == "completed")
        .order_by(ProductionOrder.hold_until, ProductionOrder.id).limit(limit)
    ).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def release_due() -> int:
    """The sync worker's duty: release every hold whose `until` has passed; returns how many."""
    released = 0
    for order_id, shop_id in due_holds(utcnow()):
        shop = db.session.get(Shop, shop_id)
        order = db.session.scalars(
            select(ProductionOrder).where(ProductionOrder.id == order_id).with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if order is None or not is_held(order):  # another worker (or the merchant) was first
            db.session.rollback()
            continue
        try:
            release_order(order, shop, actor="system")
        except Conflict:  # lost the version race to another release: that one stands
            log.info("hold of order %s was released by another worker", order_id)
            continue
        released += 1
    return released
