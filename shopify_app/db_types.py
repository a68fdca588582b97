"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.types import TypeDecorator

QUANTITY_PLACES = 3
# Primary keys are 32-bit integers: a larger id cannot exist, and PostgreSQL refuses to compare with one.
MAX_ID = 2**31 - 1
_SCALE = 10**QUANTITY_PLACES


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp; SQLite has no time zones, so store naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Quantity(TypeDecorator):
    """An exact decimal with three places, stored as an integer count of thousandths.

    SQLite has no exact decimal type (SQLAlchemy warns and goes through float), so the
    quantity is kept as an integer on every database: exact, portable and cheap to sum.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        scaled = Decimal(value) * _SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"quantity {value} has more than {QUANTITY_PLACES} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value) / _SCALE


class ExactDecimal(TypeDecorator):
    """An exact decimal of any size, stored as its canonical text (an account's exact sum).

    Products of two three-place quantities have six places and can exceed a 64-bit count of
    millionths; text keeps them exact on SQLite and PostgreSQL alike. Sums happen in Python.
    """

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        return format(value.normalize(), "f") if value else "0"

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def render_migration_type(type_, obj, autogen_context):
    """Alembic hook: write our column types as their plain database types in migrations.

    Migrations must not import application code, which changes over time.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl
        length = getattr(impl, "length", None)
        return f"sa.{impl.__class__.__name__}({'length=' + str(length) if length else ''})"
    return False
