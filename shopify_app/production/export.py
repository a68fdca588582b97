"""The order list as CSV rows (SPEC §11): one row per component, read in keyset batches of orders.

Rows are read as plain tuples (no ORM objects, no identity map), a batch of orders and their
components at a time, so memory stays flat whatever the number of orders.
"""

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import and_, or_, select

from ..extensions import db
from ..shops.models import Shop
from ..sync.status import summaries
from .models import Component, ProductionOrder
from .listing import order_filter

HEADER = ["reference", "status", "type", "location_id", "planned_start_date", "started_at", "completed_at",
          "variant_id", "sku", "title", "unit", "quantity_planned", "quantity_produced", "sync_state"]
ORDERS_PER_BATCH = 1000
_ORDER = ProductionOrder
_ORDER_COLUMNS = (_ORDER.id, _ORDER.created_at, _ORDER.sync_to_shopify, _ORDER.reference, _ORDER.status, _ORDER.type,
                  _ORDER.location_id, _ORDER.planned_start_date, _ORDER.started_at, _ORDER.completed_at)
_COMPONENT_COLUMNS = (Component.order_id, Component.variant_id, Component.sku, Component.title, Component.unit,
                      Component.quantity_planned, Component.quantity_produced)


def _batches(shop: Shop, status, q, among, hold) -> Iterator[list]:
    """The filtered orders (as rows), newest first, a batch at a time."""
    conditions = order_filter(shop, status=status, q=q, among=among, hold=hold)
    after = None
    while True:
        query = select(*_ORDER_COLUMNS).where(*conditions)
        if after is not None:
            query = query.where(or_(_ORDER.created_at < after.created_at,
                                    and_(_ORDER.created_at == after.created_at, _ORDER.id < after.id)))
        orders = db.session.execute(
            query.order_by(_ORDER.created_at.desc(), _ORDER.id.desc()).limit(ORDERS_PER_BATCH)).all()
        if orders:
            yield orders
        if len(orders) < ORDERS_PER_BATCH:
            return
        after = orders[-1]


def order_rows(shop: Shop, *, status=None, q=None, among=None, hold=None) -> Iterator[list]:
    """Rows of HEADER for the orders the list shows with the same filters.

    An order with no components still gets one row (its component cells empty), so no order is
    missing from the file.
    """
    for orders in _batches(shop, status, q, among, hold):
        states = summaries(orders)
        components = defaultdict(list)
        for row in db.session.execute(select(*_COMPONENT_COLUMNS).where(
                Component.order_id.in_([o.id for o in orders])).order_by(Component.order_id, Component.id)):
            components[row.order_id].append(row[1:])
        for order in orders:
            head = list(order[3:])
            state = states[order.id].state
            for component in components.get(order.id) or [(None,) * 6]:
                yield head + list(component) + [state]
