"""Reading production orders, always scoped to one shop (another shop's id is simply not found)."""

from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, selectinload

from ..errors import NotFound
from ..extensions import db
from ..shops.models import Shop
from ..sync.models import SyncPush
from .models import Component, OrderEvent, ProductionOrder

def _scoped_order(shop: Shop, order_id: int):
    return select(ProductionOrder).where(ProductionOrder.id == order_id,
                                         ProductionOrder.shop_id == shop.id)


def get_order(shop: Shop, order_id: int) -> ProductionOrder:
    """One order of `shop` with its components, or NotFound (also for another shop's id)."""
    order = db.session.scalars(
        _scoped_order(shop, order_id).options(selectinload(ProductionOrder.components))
    ).one_or_none()
    if order is None:
        raise NotFound("No production order with this id.", {"id": order_id})
    return order


@cache
def _order_and_latest_push():
    # Built once: composing this statement costs more than running it.
    later = aliased(SyncPush)
    latest_id = select(func.max(later.id)).where(later.order_id == ProductionOrder.id).scalar_subquery()
    return (select(ProductionOrder, SyncPush).outerjoin(SyncPush, SyncPush.id == latest_id)
            .where(ProductionOrder.id == bindparam("order_id"), ProductionOrder.shop_id == bindparam("shop_id")))


def find_order_and_latest_push(shop: Shop, order_id: int) -> tuple[ProductionOrder, SyncPush | None]:
    """One order of `shop` (components loaded only when touched) and its latest push, in one
    statement, or NotFound."""
    row = db.session.execute(_order_and_latest_push(),
                             {"order_id": order_id, "shop_id": shop.id}).one_or_none()
    if row is None:
        raise NotFound("No production order with this id.", {"id": order_id})
    return row[0], row[1]


def lock_order(shop: Shop, order_id: int) -> ProductionOrder:
    """Load an order for writing: row-locked until the commit (PostgreSQL), re-read fresh."""
    # The rows are read under the same lock, so the answer shows exactly what this request wrote.
    order = db.session.scalars(
        _scoped_order(shop, order_id).with_for_update(of=ProductionOrder)
        .options(selectinload(ProductionOrder.components))
        .execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        raise NotFound("No production order with this id.", {"id": order_id})
    return order


def get_component(order: ProductionOrder, component_id: int) -> Component:
    """A component row of `order`, or NotFound."""
    component = next((c for c in order.components if c.id == component_id), None)
    if component is None:
        raise NotFound("No component with this id on this order.", {"componentId": component_id})
    return component


def list_events(shop: Shop, order_id: int) -> list[OrderEvent]:
    """An order's history, oldest first."""
    if db.session.scalar(select(ProductionOrder.id).where(
            ProductionOrder.id == order_id, ProductionOrder.shop_id == shop.id)) is None:
        raise NotFound("No production order with this id.", {"id": order_id})
    return db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    ).all()
