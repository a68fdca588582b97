"""The merchant settles a push that stopped: retry it, give up on some variants, or say whether a
batch Shopify may have forgotten was applied. Sync bookkeeping, never an edit (no version bump).

Every function runs inside the request's transaction, after the order's row lock; the caller
commits. Abandoned batches give their deltas back to the accounts (`ledger.give_back`).
"""

from sqlalchemy import select

from ..db_types import utcnow
from ..errors import InvalidTransition, NotFound, ValidationFailed
from ..extensions import db
from ..production.models import OrderEvent, ProductionOrder
from . import ledger
from .models import FAILED, NEEDS_REVIEW, OPEN_STATES, SENDING, SUCCEEDED, SkippedVariant, SyncBatch, SyncPush
from .outbox import latest_push, request_push


def retry(order: ProductionOrder) -> SyncPush | None:
    """The merchant's retry: a failed push gives its unsent deltas back and a new push (new keys:
    the failed batch applied nothing) takes over; a push still waiting is made due now. None when
    there is nothing to retry."""
    ledger.take_write_lock()
    push = latest_push(order.id)
    if push is None:
        return None
    if push.status == FAILED:
        ledger.give_back(order.shop_id, order.id, list(push.batches))
        return request_push(order, "retry")
    if push.status == NEEDS_REVIEW:
        raise InvalidTransition("Say first whether Shopify applied the change waiting for review.",
                                {"sync": NEEDS_REVIEW})
    if push.status in OPEN_STATES:
        push.next_attempt_at = utcnow()
        return push
    return None


def failed_variants(push: SyncPush) -> list[str]:
    """Variants with a change in the failed push's unapplied batches (what the merchant may skip)."""
    found = {}
    for batch in push.batches:
        if batch.applied_at is None and batch.returned_at is None:
            for change in batch.changes:
                found.setdefault(change["variantId"], None)
    return list(found)


def skip_variants(order: ProductionOrder, variant_ids: list[str], actor: str) -> SyncPush:
    """Give up on variants of a failed push (e.g. deleted in Shopify): their deltas go back to the
    accounts, they are left out of this order's sync from now on, and the rest is pushed again."""
    ledger.take_write_lock()
    push = latest_push(order.id)
    if push is None or push.status != FAILED:
        raise InvalidTransition("Only a failed sync can be settled by leaving variants out.", {"sync": "not failed"})
    candidates = failed_variants(push)
    unknown = [v for v in variant_ids if v not in candidates]
    if unknown:
        raise ValidationFailed("These variants are not part of the failed sync.",
                               {f"variantIds.{variant_ids.index(v)}": "not in the failed sync" for v in unknown})
    ledger.give_back(order.shop_id, order.id, list(push.batches))
    already = set(db.session.scalars(select(SkippedVariant.variant_id).where(SkippedVariant.order_id == order.id)))
    for variant in dict.fromkeys(variant_ids):
        if variant not in already:
            db.session.add(SkippedVariant(shop_id=order.shop_id, order_id=order.id, variant_id=variant))
    db.session.add(OrderEvent(shop_id=order.shop_id, order_id=order.id, type="sync_resolved", actor=actor,
                              changes={"skippedVariants": [None, list(dict.fromkeys(variant_ids))]}))
    return request_push(order, "skip")


def resolve(order: ProductionOrder, batch_id: int, applied: bool, actor: str) -> SyncBatch:
    """Settle a batch in review: applied in Shopify (recorded, nothing sent) or not (sent again
    under a new key)."""
    ledger.take_write_lock()
    batch = db.session.scalars(
        select(SyncBatch).join(SyncPush, SyncPush.id == SyncBatch.push_id)
        .where(SyncBatch.id == batch_id, SyncPush.order_id == order.id)
        .execution_options(populate_existing=True)).one_or_none()
    if batch is None:
        raise NotFound("No batch with this id on this order.", {"batchId": batch_id})
    push = db.session.get(SyncPush, batch.push_id, populate_existing=True)
    if push.status != NEEDS_REVIEW or batch.applied_at is not None:
        raise InvalidTransition("This batch is not waiting for review.", {"batchId": batch_id})
    now = utcnow()
    if applied:
        batch.applied_at = now  # Shopify's receipt is unknown: adjustmentGroupId stays null
    else:
        batch.key_generation += 1
        batch.first_sent_at = None
    done = all(b.applied_at is not None for b in push.batches)
    push.status = SUCCEEDED if done else SENDING
    push.finished_at = now if done else None
    push.last_error, push.next_attempt_at = None, now
    push.claimed_by = push.claimed_until = None
    db.session.add(OrderEvent(shop_id=order.shop_id, order_id=order.id, type="sync_resolved", actor=actor,
                              changes={"batchId": [None, batch.id], "applied": [None, applied]}))
    return batch

