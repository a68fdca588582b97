"""The sync outbox: pushes, their frozen batches, the shop's accounts and what each order froze."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import ExactDecimal, UTCDateTime, utcnow
from ..extensions import db

# Push states. `pending`: recorded, not frozen (later changes fold into it); `sending`: frozen into
# batches, being sent or retried with the same keys; then `succeeded`, `failed` (a permanent error
# the merchant must fix, then retry or settle), `cancelled` (sync turned off before anything was
# sent), or `needs_review`: a batch sent longer ago than Shopify keeps idempotency keys, whose
# outcome we never learned, waits for the merchant to say whether Shopify applied it.
PENDING, SENDING, SUCCEEDED, FAILED, CANCELLED = "pending", "sending", "succeeded", "failed", "cancelled"
NEEDS_REVIEW = "needs_review"
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
    # Set when the push fails: False when a retry would meet the same refusal (a variant deleted in
    # Shopify, a change Shopify refused as such), so the merchant is offered to settle instead.
    retry_helps: Mapped[bool | None] = mapped_column(Boolean)
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
    # `adjust`: inventoryAdjustQuantities, every change of one quantity name (Shopify takes one name
    # per call); `move`: inventoryMoveQuantities, pairs of changes (`quality_control` -quantity,
    # `available` +quantity) of a released curing hold.
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="adjust")
    # [{"variantId", "locationId", "name", "exact", "delta"}], fixed at freeze time; a change whose
    # delta is 0 (the fraction is carried) is recorded but never sent.
    changes: Mapped[list] = mapped_column(JSON, nullable=False)
    # The exact mutation variables, fixed before the first send so every retry is identical.
    variables: Mapped[dict | None] = mapped_column(JSON)
    # Bumped only when Shopify says an earlier attempt under the key applied nothing.
    key_generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    applied_at = mapped_column(UTCDateTime)
    adjustment_group_id: Mapped[str | None] = mapped_column(String(128))
    # When the current key was first sent: Shopify forgets a key after its retention window.
    first_sent_at = mapped_column(UTCDateTime)
    # Set when the batch was abandoned and its deltas given back to the accounts.
    returned_at = mapped_column(UTCDateTime)
    # As Shopify answered, aligned with `changes`: [{"quantityAfterChange", "inventoryItemId",
    # "inventoryHistoryUrl"} or null for a change that was not sent].
    receipt: Mapped[list | None] = mapped_column(JSON)

    push: Mapped[SyncPush] = relationship(back_populates="batches")


class SyncLeg(db.Model):
    """What one order has frozen into one account so far (abandoned batches given back).

    The next push of the order freezes `contribution now - exact`, so edits in progress, location
    moves and removed rows converge."""

    __tablename__ = "sync_legs"
    __table_args__ = (UniqueConstraint("order_id", "variant_id", "location_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    location_id: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    exact = mapped_column(ExactDecimal, nullable=False)
    whole: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SyncAccount(db.Model):
    """(shop, variant, location, quantity name): exact contributions and integer deltas frozen
    into it by every order of the shop. Shopify holds start + floor(exact) once all are sent."""

    __tablename__ = "sync_accounts"
    __table_args__ = (UniqueConstraint("shop_id", "variant_id", "location_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    location_id: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    exact = mapped_column(ExactDecimal, nullable=False)
    whole: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SkippedVariant(db.Model):
    """A variant the merchant chose not to sync for one order (its push failed for good)."""

    __tablename__ = "sync_skipped_variants"
    __table_args__ = (UniqueConstraint("order_id", "variant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
