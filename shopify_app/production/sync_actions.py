"""The merchant's answers to a push that stopped: retry it, leave variants out, or say whether a
batch Shopify may have forgotten was applied. Sync bookkeeping, not edits: no version bump.
"""

from ..errors import InvalidTransition
from ..extensions import db
from ..sync import settling
from ..validation import parse
from . import lifecycle
from .models import ProductionOrder
from .schemas import SyncResolve, SyncSkip


def _ensure_syncs(order: ProductionOrder) -> None:
    lifecycle.ensure_sync_retry_allowed(order.status, order.started_at)
    if order.sync_to_shopify is not True:
        raise InvalidTransition("This order does not sync to Shopify.", {"sync": "off"})


def retry_sync(order: ProductionOrder) -> ProductionOrder:
    """Queue a retry of a failed or waiting push (POST …/sync). Not an edit: no version bump."""
    _ensure_syncs(order)
    if settling.retry(order) is None:
        raise InvalidTransition("Shopify already has everything this order produced.", {"sync": "synced"})
    db.session.commit()
    return order


def skip_sync_variants(order: ProductionOrder, data, *, actor: str) -> ProductionOrder:
    """Settle a failed push by leaving some variants out of this order's sync (POST …/sync/skip)."""
    _ensure_syncs(order)
    body = parse(SyncSkip, data)
    settling.skip_variants(order, body.variant_ids, actor)
    db.session.commit()
    return order


def resolve_sync(order: ProductionOrder, data, *, actor: str) -> ProductionOrder:
    """Settle a batch Shopify may have forgotten: applied or not (POST …/sync/resolve)."""
    _ensure_syncs(order)
    body = parse(SyncResolve, data)
    settling.resolve(order, body.batch_id, body.applied, actor)
    db.session.commit()
    return order
