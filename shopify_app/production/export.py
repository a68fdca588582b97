"""The order list as CSV rows (SPEC §11): one row per component, read in keyset batches of orders."""

from collections.abc import Iterator

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..shops.models import Shop
from ..sync.status import summaries
from .models import ProductionOrder
from .queries import order_filter

HEADER = ["reference", "status", "type", "location_id", "planned_start_date", "started_at", "completed_at",
          "variant_id", "sku", "title", "unit", "quantity_planned", "quantity_produced", "sync_state"]
ORDERS_PER_BATCH = 500


def _batches(shop: Shop, status, q) -> Iterator[list[ProductionOrder]]:
    """The filtered orders, newest first, a batch at a time; each batch is let go before the next."""
    conditions = order_filter(shop, status=status, q=q)
    after = None
    while True:
        query = select(ProductionOrder).where(*conditions)
        if after is not None:
            created_at, order_id = after
            query = query.where(or_(ProductionOrder.created_at < created_at,
                                    and_(ProductionOrder.created_at == created_at, ProductionOrder.id < order_id)))
        orders = db.session.scalars(
            query.options(selectinload(ProductionOrder.components))
            .order_by(ProductionOrder.created_at.desc(), ProductionOrder.id.desc()).limit(ORDERS_PER_BATCH)
        ).all()
        if not orders:
            return
        yield orders
        after = (orders[-1].created_at, orders[-1].id)
        db.session.expunge_all()  # read-only request: nothing pending; keeps the identity map small
        if len(orders) < ORDERS_PER_BATCH:
            return


def order_rows(shop: Shop, *, status=None, q=None) -> Iterator[list]:
    """Rows of HEADER for the orders the list shows with the same filters.

    An order with no components still gets one row (its component cells empty), so no order is
    missing from the file.
    """
    for orders in _batches(shop, status, q):
        states = summaries(orders)
        for order in orders:
            head = [order.reference, order.status, order.type, order.location_id, order.planned_start_date,
                    order.started_at, order.completed_at]
            state = states[order.id].state
            if not order.components:
                yield head + [None] * 6 + [state]
            for component in order.components:
                yield head + [component.variant_id, component.sku, component.title, component.unit,
                              component.quantity_planned, component.quantity_produced, state]
