"""The accounts in the database: locked in a fixed order, frozen into, given back to.

Freezing serialises on the accounts it touches, so two pushes never both claim the same whole
unit: on PostgreSQL the account rows are locked (FOR UPDATE) in one fixed order, so two pushes
cannot deadlock; SQLite has one writer at a time, and `take_write_lock` makes a freeze take that
lock *before* it reads anything its writes depend on.
"""

from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db_types import utcnow
from ..extensions import db
from . import accounts
from .models import SyncAccount, SyncBatch, SyncLeg
from .planner import Key


def take_write_lock() -> None:
    """SQLite: start the transaction with the database's write lock (BEGIN IMMEDIATE).

    pysqlite opens a transaction only at the first write, so reads before it see a snapshot that
    another writer may change before we write (a live edit folding into a push being frozen).
    PostgreSQL needs nothing here: row locks do the work there.
    """
    if db.engine.dialect.name != "sqlite":
        return
    connection = db.session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_accounts(shop_id: int, keys) -> dict[Key, SyncAccount]:
    """The shop's accounts for `keys`, created when missing, locked until the commit."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    db.session.execute(
        insert(SyncAccount).values([
            {"shop_id": shop_id, "variant_id": v, "location_id": loc, "name": name, "exact": Decimal(0),
             "whole": 0, "updated_at": now} for v, loc, name in keys])
        .on_conflict_do_nothing(index_elements=["shop_id", "variant_id", "location_id", "name"]))
    rows = db.session.scalars(
        select(SyncAccount)
        .where(SyncAccount.shop_id == shop_id,
               tuple_(SyncAccount.variant_id, SyncAccount.location_id, SyncAccount.name).in_(keys))
        .order_by(SyncAccount.variant_id, SyncAccount.location_id, SyncAccount.name)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    return {(a.variant_id, a.location_id, a.name): a for a in rows}


def order_legs(order_id: int) -> dict[Key, SyncLeg]:
    """What the order has frozen so far, per account key."""
    legs = db.session.scalars(select(SyncLeg).where(SyncLeg.order_id == order_id)
                              .execution_options(populate_existing=True))
    return {(leg.variant_id, leg.location_id, leg.name): leg for leg in legs}


def add_to_leg(legs: dict, shop_id: int, order_id: int, key: Key, exact: Decimal, delta: int) -> None:
    """Count a frozen (or given back, with negative amounts) change into the order's leg."""
    leg = legs.get(key)
    if leg is None:
        leg = legs[key] = SyncLeg(shop_id=shop_id, order_id=order_id, variant_id=key[0], location_id=key[1],
                                  name=key[2], exact=Decimal(0), whole=0)
        db.session.add(leg)
    leg.exact, leg.whole, leg.updated_at = leg.exact + exact, leg.whole + delta, utcnow()


def give_back(shop_id: int, order_id: int, batches: list[SyncBatch]) -> int:
    """Return the deltas of abandoned batches (never applied) to their accounts and the order's
    legs; the next push touching those accounts sends the correction. Caller holds the locks'
    order: the order row first (PostgreSQL), or the write lock (SQLite). Returns changes given back."""
    open_batches = [b for b in batches if b.applied_at is None and b.returned_at is None]
    changes = [c for b in open_batches for c in b.changes]
    if not changes:
        for batch in open_batches:
            batch.returned_at = utcnow()
        return 0
    keys = [(c["variantId"], c["locationId"], c["name"]) for c in changes]
    locked = lock_accounts(shop_id, keys)
    legs = order_legs(order_id)
    now = utcnow()
    for change, key in zip(changes, keys):
        exact, delta = Decimal(change["exact"]), int(change["delta"])
        account = locked[key]
        balance = accounts.give_back(accounts.Balance(account.exact, account.whole), exact, delta)
        account.exact, account.whole, account.updated_at = balance.exact, balance.whole, now
        add_to_leg(legs, shop_id, order_id, key, -exact, -delta)
    for batch in open_batches:
        batch.returned_at = now
    return len(changes)


def shop_accounts(shop_id: int, variant_id: str | None = None, location_id: str | None = None) -> list[SyncAccount]:
    """The shop's accounts, optionally for one variant and/or location, by variant then location."""
    query = select(SyncAccount).where(SyncAccount.shop_id == shop_id)
    if variant_id is not None:
        query = query.where(SyncAccount.variant_id == variant_id)
    if location_id is not None:
        query = query.where(SyncAccount.location_id == location_id)
    return db.session.scalars(query.order_by(SyncAccount.variant_id, SyncAccount.location_id,
                                             SyncAccount.name)).all()
