"""Recording the need to push, in the same transaction as the change that causes it."""

from sqlalchemy import select, update

from ..db_types import utcnow
from ..extensions import db
from ..production.models import ProductionOrder
from .models import CANCELLED, PENDING, SyncPush
from .policy import push_reason, turns_sync_off


def request_push(order: ProductionOrder, reason: str) -> SyncPush:
    """Make sure an unsent push exists for the order (at most one: later changes fold into it).

    The caller holds the order's row lock, so two requests cannot both insert one.
    """
    push = db.session.scalars(
        select(SyncPush).where(SyncPush.order_id == order.id, SyncPush.status == PENDING)
    ).one_or_none()
    if push is None:
        push = SyncPush(shop_id=order.shop_id, order_id=order.id, status=PENDING, reason=reason,
                        next_attempt_at=utcnow())
        db.session.add(push)
    return push


def cancel_unsent(order: ProductionOrder) -> None:
    """Sync was turned off: drop the push nothing was sent for (one already sending finishes)."""
    db.session.execute(
        update(SyncPush).where(SyncPush.order_id == order.id, SyncPush.status == PENDING)
        .values(status=CANCELLED, finished_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )


def after_change(order: ProductionOrder, event_type: str, changes: dict, sync_mode: str) -> None:
    """Called by the order service for every committed change, inside its transaction."""
    if turns_sync_off(changes):
        cancel_unsent(order)
    reason = push_reason(event_type, order.status, order.sync_to_shopify, sync_mode, changes,
                         incoming=order.incoming_planned)
    if reason is not None:
        request_push(order, reason)


def queue_live_pushes(shop_id: int) -> int:
    """Switching to live mode: every in-progress order that syncs gets a push now."""
    orders = db.session.scalars(
        select(ProductionOrder).where(
            ProductionOrder.shop_id == shop_id, ProductionOrder.status == "in_progress",
            ProductionOrder.sync_to_shopify.is_(True))
        .with_for_update()
    ).all()
    for order in orders:
        request_push(order, "live_mode_on")
    return len(orders)


def latest_push(order_id: int) -> SyncPush | None:
    """The order's most recent push, whatever its state."""
    return db.session.scalars(
        select(SyncPush).where(SyncPush.order_id == order_id).order_by(SyncPush.id.desc()).limit(1)
    ).one_or_none()
