"""The sync outbox: pushes, their frozen batches, and what each leg has had pushed so far."""

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..extensions import db

# Push states. `pending`: recorded, not frozen (later changes fold into it); `sending`: frozen into
# batches, being sent or retried with the same keys; then `succeeded`, `failed` (a permanent error
# the merchant must fix, then retry), or `cancelled` (sync turned off before anything was sent).
PENDING, SENDING, SUCCEEDED, FAILED, CANCELLED = "pending", "sending", "succeeded", "failed", "cancelled"
OPEN_STATES = (PENDING, SENDING)


class SyncPush(db.Model):
    """The need to bring one order's legs in Shopify to their targets (a transactional outbox row)."""

    __tablename__ = "sync_pushes"
    __table_args__ = (
        # At most one unsent push per order: later changes fold into it.
        Index("uq_sync_pushes_one_pending_per_order", "order_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_sync_pushes_due", "status", "next_attempt_at"),
        Index("ix_sync_pushes_order", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # A lease, not a lock: a worker that dies stops renewing it and another takes the push over.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    frozen_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)

    batches: Mapped[list["SyncBatch"]] = relationship(
        back_populates="push", order_by="SyncBatch.seq", cascade="all, delete-orphan", passive_deletes=True)


class SyncBatch(db.Model):
    """Up to 250 frozen changes sent as one mutation under one idempotency key."""

    __tablename__ = "sync_batches"
    __table_args__ = (UniqueConstraint("push_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("sync_pushes.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    # [{"variantId", "locationId", "delta"}], fixed at freeze time.
    changes: Mapped[list] = mapped_column(JSON, nullable=False)
    # The exact mutation variables, fixed before the first send so every retry is identical.
    variables: Mapped[dict | None] = mapped_column(JSON)
    # Bumped only when Shopify says an earlier attempt under the key applied nothing.
    key_generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    applied_at = mapped_column(UTCDateTime)
    adjustment_group_id: Mapped[str | None] = mapped_column(String(128))

    push: Mapped[SyncPush] = relationship(back_populates="batches")


class SyncLeg(db.Model):
    """How much of one (order, variant, location) is already in Shopify."""

    __tablename__ = "sync_legs"
    __table_args__ = (UniqueConstraint("order_id", "variant_id", "location_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    location_id: Mapped[str] = mapped_column(String(64), nullable=False)
    pushed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
