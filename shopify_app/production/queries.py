"""Reading production orders, always scoped to one shop (another shop's id is simply not found)."""

from sqlalchemy import Text, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..db_types import MAX_ID
from ..errors import NotFound
from ..extensions import db
from ..shops.models import Shop
from .models import Component, OrderEvent, ProductionOrder

# What every stored material's JSON contains besides its values (see row_replacement.materials_json).
MATERIAL_JSON_SKELETON = '[{"variantid": "gid://shopify/productvariant/", "title": "", "sku": "", "quantityperunit": ""}]'


def _existing_id(value: int, what: str = "production order") -> int:
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"No {what} with this id.", {"id": value})
    return value


def _scoped_order(shop: Shop, order_id: int):
    return select(ProductionOrder).where(ProductionOrder.id == _existing_id(order_id),
                                         ProductionOrder.shop_id == shop.id)


def get_order(shop: Shop, order_id: int) -> ProductionOrder:
    """One order of `shop` with its components, or NotFound (also for another shop's id)."""
    order = db.session.scalars(
        _scoped_order(shop, order_id).options(selectinload(ProductionOrder.components))
    ).one_or_none()
    if order is None:
        raise NotFound("No production order with this id.", {"id": order_id})
    return order


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


def list_orders(shop: Shop, *, status=None, q=None, page=1, per_page=50):
    """A page of the shop's orders, newest first, and the total matching."""
    conditions = [ProductionOrder.shop_id == shop.id]
    if status:
        conditions.append(ProductionOrder.status == status)
    if q:
        needle = q.lower()
        row_fields = [func.lower(Component.sku).contains(needle, autoescape=True),
                      func.lower(Component.title).contains(needle, autoescape=True)]
        if needle not in MATERIAL_JSON_SKELETON:
            # Materials are JSON; a needle that is not part of its keys can only match a title or SKU.
            row_fields.append(func.lower(cast(Component.materials, Text)).contains(needle, autoescape=True))
        component_match = exists().where(Component.order_id == ProductionOrder.id, or_(*row_fields))
        conditions.append(or_(ProductionOrder.reference_key.contains(needle, autoescape=True),
                              func.lower(ProductionOrder.notes).contains(needle, autoescape=True),
                              component_match))
    total = db.session.scalar(select(func.count()).select_from(ProductionOrder).where(*conditions))
    orders = db.session.scalars(
        select(ProductionOrder).where(*conditions)
        .order_by(ProductionOrder.created_at.desc(), ProductionOrder.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return orders, total


LIST_OUTPUTS = 3  # rows shown per order in the list; the rest are counted


def list_outputs(order_ids: list[int]) -> dict[int, tuple[list, int]]:
    """For each order, its first rows (what it makes, planned and produced) and how many rows it has.

    One statement for the whole page, however many rows the orders have.
    """
    if not order_ids:
        return {}
    position = func.row_number().over(partition_by=Component.order_id, order_by=Component.id).label("position")
    count = func.count().over(partition_by=Component.order_id).label("count")
    ranked = (select(Component.order_id, Component.variant_id, Component.title, Component.unit,
                     Component.quantity_planned, Component.quantity_produced, position, count)
              .where(Component.order_id.in_(order_ids)).subquery())
    result = {order_id: ([], 0) for order_id in order_ids}
    for row in db.session.execute(select(ranked).where(ranked.c.position <= LIST_OUTPUTS)
                                  .order_by(ranked.c.order_id, ranked.c.position)):
        rows, _ = result[row.order_id]
        rows.append(row)
        result[row.order_id] = (rows, row.count)
    return result


def list_events(shop: Shop, order_id: int) -> list[OrderEvent]:
    """An order's history, oldest first."""
    if db.session.scalar(select(ProductionOrder.id).where(
            ProductionOrder.id == _existing_id(order_id), ProductionOrder.shop_id == shop.id)) is None:
        raise NotFound("No production order with this id.", {"id": order_id})
    return db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    ).all()
