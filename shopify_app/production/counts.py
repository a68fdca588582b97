"""How many orders each shop has per status, kept up to date, so the list never counts them.

Every ORM flush that inserts, deletes or changes the status of a ProductionOrder moves the counts
in the same transaction (a before_flush listener: whichever code writes orders, the counts follow).
Rows written by raw SQL bypass it: call `recount` afterwards (the migration and the benchmarks do).
"""

from collections import Counter

from sqlalchemy import ForeignKey, Integer, String, delete, event, func, inspect, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..upsert import upsert
from .models import ProductionOrder


class ShopOrderCount(db.Model):
    """The number of a shop's orders in one status."""

    __tablename__ = "shop_order_counts"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


def total(shop_id: int, status: str | None = None) -> int:
    """The shop's number of orders (in `status`, if given), read from the maintained counts."""
    conditions = [ShopOrderCount.shop_id == shop_id]
    if status:
        conditions.append(ShopOrderCount.status == status)
    return int(db.session.scalar(select(func.coalesce(func.sum(ShopOrderCount.count), 0)).where(*conditions)))


def recount(connection, shop_id: int) -> None:
    """Rebuild one shop's counts from its orders (after rows were written by raw SQL)."""
    table, orders = ShopOrderCount.__table__, ProductionOrder.__table__
    connection.execute(delete(table).where(table.c.shop_id == shop_id))
    connection.execute(insert(table).from_select(
        ["shop_id", "status", "count"],
        select(orders.c.shop_id, orders.c.status, func.count()).where(orders.c.shop_id == shop_id)
        .group_by(orders.c.shop_id, orders.c.status)))


def _status_before(order: ProductionOrder) -> str:
    history = inspect(order).attrs.status.history
    return (history.deleted or history.unchanged or [order.status])[0]


@event.listens_for(Session, "before_flush")
def _move_counts(session, _context, _instances) -> None:
    moves: Counter = Counter()
    for order in session.new:
        if isinstance(order, ProductionOrder):
            moves[(order.shop_id, order.status or "draft")] += 1
    for order in session.dirty:
        if isinstance(order, ProductionOrder) and inspect(order).attrs.status.history.has_changes():
            moves[(order.shop_id, _status_before(order))] -= 1
            moves[(order.shop_id, order.status)] += 1
    for order in session.deleted:
        if isinstance(order, ProductionOrder):
            moves[(order.shop_id, _status_before(order))] -= 1
    connection = session.connection() if any(moves.values()) else None
    for (shop_id, status), change in sorted(moves.items()):  # a fixed order: no deadlock between shops
        if change:
            upsert(connection, ShopOrderCount.__table__, {"shop_id": shop_id, "status": status, "count": change},
                   ["shop_id", "status"], {"count": lambda excluded: ShopOrderCount.__table__.c.count + excluded.count})
