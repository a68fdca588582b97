"""A per-shop database lock, held until the transaction ends, that spans processes and machines.

Token exchange and refresh take it: Shopify retires the previous token pair on each of them, so two
workers must never run them for the same shop at once.
"""

from sqlalchemy import select, update

from ..extensions import db
from .models import Shop


def lock_shop(shop_id: int) -> Shop:
    """Take the shop's lock for the rest of the transaction and return the shop re-read fresh."""
    if db.engine.dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database's single write lock, which is
        # exclusive across processes until commit. Readers are not blocked (WAL).
        db.session.execute(update(Shop).where(Shop.id == shop_id).values(id=Shop.id))
        stmt = select(Shop).where(Shop.id == shop_id)
    else:
        # of=Shop: the settings are joined in eagerly, and PostgreSQL cannot lock the nullable
        # side of an outer join.
        stmt = select(Shop).where(Shop.id == shop_id).with_for_update(of=Shop)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()
