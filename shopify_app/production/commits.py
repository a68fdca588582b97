"""How every write of an order ends: the `If-Match` check, and one guarded commit.

The order's `version` column guards the UPDATE itself, so even without a row lock (SQLite) two racing
writers cannot both succeed: the loser gets a 409 here and nothing it did is kept.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..db_types import utcnow
from ..errors import Conflict, ValidationFailed, VersionMismatch
from ..extensions import db
from ..shops.models import Shop
from ..sync import outbox
from .models import OrderEvent, ProductionOrder


def check_version(order: ProductionOrder, expected_version: int | None) -> None:
    """`If-Match` must name the version the client last saw (when the client sends one)."""
    if expected_version is not None and expected_version != order.version:
        raise VersionMismatch(
            "This order was changed since you loaded it. Reload it and try again.",
            {"currentVersion": order.version, "ifMatch": expected_version},
        )


def reference_taken(shop: Shop, reference: str, except_id: int | None = None) -> bool:
    query = select(ProductionOrder.id).where(
        ProductionOrder.shop_id == shop.id, ProductionOrder.reference_key == reference.lower()
    )
    if except_id is not None:
        query = query.where(ProductionOrder.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def duplicate_reference(reference: str) -> ValidationFailed:
    return ValidationFailed(
        f"Another production order already uses the reference “{reference}”.",
        {"reference": "must be unique in this shop (ignoring case)."},
    )


def commit_change(order: ProductionOrder, shop: Shop, event_type: str, actor: str, changes: dict,
            *, touch: bool = True) -> ProductionOrder:
    """Bump the order's version, append its event and commit, or fail without changing anything."""
    if touch:
        order.updated_at = utcnow()  # also marks the row dirty, so the guarded UPDATE bumps `version`
    db.session.add(OrderEvent(shop_id=shop.id, order_id=order.id, type=event_type, actor=actor, changes=changes))
    try:
        # The version-guarded UPDATE runs here: a racing writer loses before the outbox is read.
        db.session.flush()
        # The need to push is written in this same transaction (outbox): a crash cannot lose it.
        outbox.after_change(order, event_type, changes, shop.settings.sync_mode)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("Another request changed this order at the same moment. Reload it and try again.") from None
    except IntegrityError:
        db.session.rollback()
        # The only constraint a valid request can hit is the per-shop reference (a racing create).
        raise duplicate_reference(order.reference) from None
    return order
