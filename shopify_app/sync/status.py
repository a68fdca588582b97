"""The `sync` block of an order's representation, read in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from .models import FAILED, NEEDS_REVIEW, OPEN_STATES, SkippedVariant, SyncBatch, SyncPush

REAUTH_MESSAGE = "Shopify needs you to open the app again to reconnect it; the push resumes after that."
REVIEW_MESSAGE = ("Shopify never answered a change sent longer ago than it remembers requests. Check the "
                  "inventory history in Shopify, then say whether it was applied.")


@dataclass
class SyncSummary:
    state: str = "off"
    last_synced_at: datetime | None = None
    last_error: str | None = None
    attempts: int = 0
    adjustments: list[dict] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)
    failed_variant_ids: list[str] = field(default_factory=list)
    retry_helps: bool = False
    skipped_variant_ids: list[str] = field(default_factory=list)

    def as_fields(self) -> dict:
        return {"state": self.state, "last_synced_at": self.last_synced_at, "last_error": self.last_error,
                "attempts": self.attempts, "adjustments": self.adjustments, "review": self.review,
                "failed_variant_ids": self.failed_variant_ids, "retry_helps": self.retry_helps,
                "skipped_variant_ids": self.skipped_variant_ids}


def _entries(changes: list, receipt: list | None, group_id: str | None, at) -> list[dict]:
    """Receipt entries of one batch: one per account change; a carried fraction sent nothing."""
    entries = []
    for change, sent in zip(changes, receipt or [None] * len(changes)):
        quantity = int(change["delta"])
        entries.append({
            "variant_id": change["variantId"], "location_id": change["locationId"], "name": change["name"],
            "exact": Decimal(change["exact"]), "quantity": quantity,
            "adjustment_group_id": group_id if quantity else None,
            "quantity_after_change": (sent or {}).get("quantityAfterChange") if quantity else None,
            "inventory_history_url": (sent or {}).get("inventoryHistoryUrl"), "at": at})
    return entries


def summaries(orders, latest_pushes: dict | None = None) -> dict[int, SyncSummary]:
    """order id -> its sync summary, for any number of orders in two queries (one when the caller
    already read each order's latest push, `latest_pushes`: order id -> push, absent when none)."""
    ids = [o.id for o in orders]
    result = {o.id: SyncSummary() for o in orders}
    if not ids:
        return result
    latest = latest_pushes
    if latest is None:
        latest_ids = select(func.max(SyncPush.id)).where(SyncPush.order_id.in_(ids)).group_by(SyncPush.order_id)
        latest = {p.order_id: p for p in db.session.scalars(select(SyncPush).where(SyncPush.id.in_(latest_ids)))}
    applied, review, failed = defaultdict(list), defaultdict(list), defaultdict(dict)
    # No push at all (drafts, orders that never synced): no batch either, so no second query.
    rows = [] if not latest else db.session.execute(
        select(SyncPush.order_id, SyncPush.id, SyncPush.status, SyncBatch.id, SyncBatch.changes, SyncBatch.receipt,
               SyncBatch.adjustment_group_id, SyncBatch.applied_at, SyncBatch.first_sent_at, SyncBatch.returned_at)
        .join(SyncBatch, SyncBatch.push_id == SyncPush.id)
        .where(SyncPush.order_id.in_(ids),
               (SyncBatch.applied_at.is_not(None)) | SyncPush.status.in_((NEEDS_REVIEW, FAILED)))
        .order_by(SyncBatch.applied_at, SyncBatch.id)
    )
    skipped = defaultdict(list)
    if latest:  # only an order that pushed can have settled a failure by leaving variants out
        for order_id, variant_id in db.session.execute(
                select(SkippedVariant.order_id, SkippedVariant.variant_id)
                .where(SkippedVariant.order_id.in_(list(latest))).order_by(SkippedVariant.id)):
            skipped[order_id].append(variant_id)
    reviewing = set()
    for order_id, push_id, status, batch_id, changes, receipt, group_id, applied_at, first_sent_at, returned_at in rows:
        if applied_at is not None:
            applied[order_id].extend(_entries(changes, receipt, group_id, applied_at))
        elif status == FAILED and returned_at is None and push_id == latest[order_id].id:
            for change in changes:  # what the merchant may leave out to settle the failure
                failed[order_id].setdefault(change["variantId"], None)
        elif status == NEEDS_REVIEW and any(c["delta"] for c in changes):
            reviewing.add(order_id)
            review[order_id].append({"batch_id": batch_id, "first_sent_at": first_sent_at,
                                     "changes": _entries(changes, receipt, None, None)})
    for order in orders:
        summary = result[order.id]
        summary.adjustments, summary.review = applied[order.id], review[order.id]
        summary.skipped_variant_ids = skipped[order.id]
        sent = [a["at"] for a in applied[order.id] if a["quantity"]]
        summary.last_synced_at = sent[-1] if sent else (applied[order.id][-1]["at"] if applied[order.id] else None)
        if order.sync_to_shopify is not True:
            continue  # "off", but what was pushed before stays visible
        push = latest.get(order.id)
        summary.state = "synced"
        if push is not None:
            summary.attempts, summary.last_error = push.attempts, push.last_error
            if push.status in OPEN_STATES:
                summary.state = "pending"
                summary.retry_helps = push.last_error is not None  # waiting out a backoff: "now" helps
            elif push.status == FAILED:
                summary.state = "failed"
                summary.failed_variant_ids = list(failed[order.id])
                summary.retry_helps = push.retry_helps is not False  # unknown (failed before 0013): offer it
        if order.id in reviewing:
            # An older push waiting for the merchant outranks a later one that went through.
            summary.state = "needs_review"
            summary.last_error = REVIEW_MESSAGE
    return result
