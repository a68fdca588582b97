"""Where the per-shop bucket estimate of throttle.py is shared: Redis, or the app's database.

Both stores apply the same pure functions of throttle.py atomically (one place for the bucket's
arithmetic): Redis in an optimistic WATCH/MULTI transaction that redis-py retries on conflict, on
the server's clock (`TIME`), so workers on several machines agree on "now"; the database under the
bucket row's write lock, in a connection of its own so that the caller's transaction is untouched,
on the wall clock of each machine (keep them NTP-synced).

If the store cannot be reached the call falls back to this process's own estimate (and says so in
the log): the sync slows down or meets a THROTTLED answer, it never stops.
"""

import logging
import time

import redis
from flask import current_app
from sqlalchemy import Float, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .throttle import BucketState

log = logging.getLogger(__name__)

KEY_TTL_SECONDS = 3600  # a shop nobody called for an hour starts again from its next answer
FIELDS = ("maximum", "available", "restore_rate", "inflight", "at")


class ApiBudget(db.Model):
    """The shared estimate of one shop's Admin API cost bucket (used when no REDIS_URL is set)."""

    __tablename__ = "admin_api_budgets"

    shop_domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    maximum: Mapped[float] = mapped_column(Float, nullable=False)
    available: Mapped[float] = mapped_column(Float, nullable=False)
    restore_rate: Mapped[float] = mapped_column(Float, nullable=False)
    inflight: Mapped[float] = mapped_column(Float, nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)  # Unix time of `available`


def _state(values) -> BucketState | None:
    return None if values is None else BucketState(*(float(values[f]) for f in FIELDS))


def _values(state: BucketState) -> dict:
    return {f: getattr(state, f) for f in FIELDS}


class RedisBudget:
    """Bucket estimates in Redis hashes `<prefix>api-budget:<shop>`."""

    def __init__(self, client: redis.Redis, prefix: str):
        self.client, self.prefix = client, prefix

    def _key(self, shop: str) -> str:
        return f"{self.prefix}api-budget:{shop}"

    @staticmethod
    def _now(pipe) -> float:
        seconds, micros = pipe.time()
        return seconds + micros / 1_000_000

    def update(self, shop: str, change):
        key = self._key(shop)

        def apply(pipe):
            raw = pipe.hgetall(key)
            state, result = change(_state({k.decode(): v for k, v in raw.items()} if raw else None), self._now(pipe))
            pipe.multi()
            if state is None:
                pipe.delete(key)
            else:
                pipe.hset(key, mapping=_values(state))
                pipe.expire(key, KEY_TTL_SECONDS)
            return result

        return self.client.transaction(apply, key, value_from_callable=True)

    def read(self, shop: str, look):
        with self.client.pipeline() as pipe:
            pipe.hgetall(self._key(shop)).time()
            raw, (seconds, micros) = pipe.execute()
        return look(_state({k.decode(): v for k, v in raw.items()} if raw else None), seconds + micros / 1e6)


class DatabaseBudget:
    """Bucket estimates in the `admin_api_budgets` table, one row per shop."""

    def __init__(self, engine, clock=time.time):
        self.engine, self.clock = engine, clock

    def update(self, shop: str, change):
        table = ApiBudget.__table__
        for attempt in range(2):
            try:
                with self.engine.connect() as conn, conn.begin():
                    # A write first: the row's lock on PostgreSQL, the database's write lock on SQLite,
                    # so the read below cannot be interleaved with another process's update.
                    conn.execute(update(table).where(table.c.shop_domain == shop)
                                 .values(shop_domain=table.c.shop_domain))
                    row = conn.execute(select(table).where(table.c.shop_domain == shop)).mappings().first()
                    state, result = change(_state(row), self.clock())
                    if state is None and row is not None:
                        conn.execute(delete(table).where(table.c.shop_domain == shop))
                    elif state is not None and row is not None:
                        conn.execute(update(table).where(table.c.shop_domain == shop).values(**_values(state)))
                    elif state is not None:
                        conn.execute(insert(table).values(shop_domain=shop, **_values(state)))
                    return result
            except IntegrityError:
                if attempt:  # two first answers for a new shop raced: the second one reads the row
                    raise
        raise AssertionError("unreachable")

    def read(self, shop: str, look):
        table = ApiBudget.__table__
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.shop_domain == shop)).mappings().first()
        return look(_state(row), self.clock())


class FallBack:
    """A shared store that degrades to this process's memory while it is unreachable."""

    def __init__(self, store, memory, errors):
        self.store, self.memory, self.errors = store, memory, errors

    def update(self, shop: str, change):
        try:
            return self.store.update(shop, change)
        except self.errors as exc:
            log.warning("shared API budget unavailable (%s); using this process's estimate", type(exc).__name__)
            return self.memory.update(shop, change)

    def read(self, shop: str, look):
        try:
            return self.store.read(shop, look)
        except self.errors as exc:
            log.warning("shared API budget unavailable (%s); using this process's estimate", type(exc).__name__)
            return self.memory.read(shop, look)


def store_for_app():
    """The current app's shared store (built once per app), or None outside an app."""
    from flask import has_app_context

    from .throttle import MemoryBudget

    if not has_app_context():
        return None
    app = current_app._get_current_object()
    store = app.extensions.get("admin_api_budget")
    if store is None:
        url = app.config.get("REDIS_URL")
        if url:
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            shared, errors = RedisBudget(client, app.config.get("REDIS_KEY_PREFIX", "")), redis.RedisError
        else:
            shared, errors = DatabaseBudget(db.engine), SQLAlchemyError
        store = app.extensions["admin_api_budget"] = FallBack(shared, MemoryBudget(time.time), errors)
    return store
