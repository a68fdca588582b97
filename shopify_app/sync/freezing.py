"""Freezing a push: its account changes are computed once, split into batches, and never recomputed."""

from decimal import Decimal

from sqlalchemy import select

from ..db_types import utcnow
from ..extensions import db
from ..production.models import ProductionOrder
from ..shops.models import ShopSettings
from . import accounts, ledger
from .models import PENDING, SENDING, SUCCEEDED, SkippedVariant, SyncBatch, SyncPush
from .planner import Change, Material, Row, States, contribution, plan_batches

BATCH_SIZE = 250


def planner_rows(order: ProductionOrder) -> list[Row]:
    """The order's component rows as the planner sees them."""
    return [
        Row(variant_id=c.variant_id, produced=Decimal(c.quantity_produced),
            materials=tuple(Material(m["variantId"], Decimal(m["quantityPerUnit"])) for m in c.materials),
            planned=Decimal(c.quantity_planned))
        for c in order.components
    ]


def skipped_variants(order_id: int) -> frozenset[str]:
    """Variants the merchant chose not to sync for this order."""
    return frozenset(db.session.scalars(select(SkippedVariant.variant_id).where(SkippedVariant.order_id == order_id)))


def order_states(order: ProductionOrder) -> States:
    """Which inventory states the order's amounts are in now (SPEC §10)."""
    return States(incoming=order.incoming_planned and order.status == "in_progress",
                  held=order.status == "completed" and order.hold_days > 0 and order.released_at is None)


def books_available(order: ProductionOrder, sync_mode: str) -> bool:
    """Whether this push may move the order's `available` amounts: always in live mode, only from
    completion in on_complete mode (an earlier push of such an order only moves `incoming`)."""
    return sync_mode == "live" or order.status == "completed"


def freeze(push_id: int) -> SyncPush:
    """Turn a pending push into frozen batches (or finish it when nothing needs sending).

    Holds the order (its row lock; SQLite's write lock) so no change can fold into the push while
    it is frozen, then the accounts it touches, in a fixed order: a change committed afterwards
    opens a new pending push, and two pushes never claim the same whole unit.
    """
    db.session.commit()  # start clean: the write lock must come before any read below
    ledger.take_write_lock()
    push = db.session.get(SyncPush, push_id, populate_existing=True)
    order = db.session.scalars(
        select(ProductionOrder).where(ProductionOrder.id == push.order_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    db.session.refresh(push)
    if push.status != PENDING:
        db.session.commit()
        return push
    skipped = skipped_variants(order.id)
    wanted = contribution(planner_rows(order), order.type, order.location_id, skipped, order_states(order))
    legs = ledger.order_legs(order.id)
    frozen = {key: leg.exact for key, leg in legs.items() if key[0] not in skipped}
    if not books_available(order, db.session.get(ShopSettings, order.shop_id).sync_mode):
        wanted = {key: exact for key, exact in wanted.items() if key[2] != accounts.AVAILABLE}
        wanted |= {key: exact for key, exact in frozen.items() if key[2] == accounts.AVAILABLE}
    moves = accounts.exact_changes(wanted, frozen)
    locked = ledger.lock_accounts(order.shop_id, moves)
    now = utcnow()
    changes = []
    for key, exact in moves.items():
        account = locked[key]
        balance = accounts.Balance(account.exact, account.whole)
        if not exact and balance.settled:
            continue
        balance, delta = accounts.freeze(balance, exact)
        account.exact, account.whole, account.updated_at = balance.exact, balance.whole, now
        ledger.add_to_leg(legs, order.shop_id, order.id, key, exact, delta)
        changes.append(Change(*key, exact=exact, delta=delta))
    push.frozen_at = now
    if not changes:
        push.status, push.finished_at, push.last_error = SUCCEEDED, now, None
    else:
        push.status = SENDING
        for seq, (kind, batch) in enumerate(plan_batches(changes, BATCH_SIZE)):
            # A batch whose integers are all 0 carries fractions only: nothing to send.
            nothing_to_send = not any(c.delta for c in batch)
            db.session.add(SyncBatch(push_id=push.id, seq=seq, kind=kind, changes=[c.as_json() for c in batch],
                                     applied_at=now if nothing_to_send else None))
    db.session.commit()
    return push
