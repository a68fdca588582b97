"""Whose turn it is: workers serve the shop they served least recently (SPEC §12, fairness).

One row per shop that has had a push claimed, with the time of that claim. The worker orders due
pushes by their shop's turn first, so a shop with one push waits for at most the pushes already in
flight, never behind another shop's backlog, however many workers run.
"""

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime
from ..extensions import db
from ..upsert import upsert


class ShopTurn(db.Model):
    """When a worker last claimed a push of this shop."""

    __tablename__ = "sync_shop_turns"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    served_at = mapped_column(UTCDateTime, nullable=False)


def mark_served(shop_id: int, now) -> None:
    """Record, in the caller's transaction, that the shop was just served (its turn moves back)."""
    upsert(db.session.connection(), ShopTurn.__table__, {"shop_id": shop_id, "served_at": now}, ["shop_id"],
           {"served_at": lambda excluded: excluded.served_at})
