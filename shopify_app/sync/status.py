"""The `sync` block of an order's representation, read in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from .models import FAILED, OPEN_STATES, SyncBatch, SyncPush

REAUTH_MESSAGE = "Shopify needs you to open the app again to reconnect it; the push resumes after that."


@dataclass
class SyncSummary:
    state: str = "off"
    last_synced_at: datetime | None = None
    last_error: str | None = None
    attempts: int = 0
    adjustments: list[dict] = field(default_factory=list)

    def as_fields(self) -> dict:
        return {"state": self.state, "last_synced_at": self.last_synced_at, "last_error": self.last_error,
                "attempts": self.attempts, "adjustments": self.adjustments}


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
    applied = defaultdict(list)
    # No push at all (drafts, orders that never synced): no batch either, so no second query.
    rows = [] if not latest else db.session.execute(
        select(SyncPush.order_id, SyncBatch.changes, SyncBatch.adjustment_group_id, SyncBatch.applied_at)
        .join(SyncBatch, SyncBatch.push_id == SyncPush.id)
        .where(SyncPush.order_id.in_(ids), SyncBatch.applied_at.is_not(None))
        .order_by(SyncBatch.applied_at, SyncBatch.id)
    )
    for order_id, changes, group_id, applied_at in rows:
        for change in changes:
            applied[order_id].append({"variant_id": change["variantId"], "location_id": change["locationId"],
                                      "quantity": change["delta"], "adjustment_group_id": group_id,
                                      "at": applied_at})
    for order in orders:
        summary = result[order.id]
        summary.adjustments = applied[order.id]
        summary.last_synced_at = applied[order.id][-1]["at"] if applied[order.id] else None
        if order.sync_to_shopify is not True:
            continue  # "off", but what was pushed before stays visible
        push = latest.get(order.id)
        summary.state = "synced"
        if push is not None:
            summary.attempts, summary.last_error = push.attempts, push.last_error
            if push.status in OPEN_STATES:
                summary.state = "pending"
            elif push.status == FAILED:
                summary.state = "failed"
    return result
