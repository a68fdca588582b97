"""What the app knows of Shopify's unit costs, and the cost writes it owes Shopify."""

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import ExactDecimal, UTCDateTime, utcnow
from ..extensions import db

# Cost write states: `pending` (frozen, not yet confirmed by Shopify: sent again with the same
# value until it is), `applied`, `failed` (Shopify refused it for good; the merchant sees why).
COST_PENDING, COST_APPLIED, COST_FAILED = "pending", "applied", "failed"


class VariantCost(db.Model):
    """A variant's `InventoryItem.unitCost` as Shopify last answered it (amount null: no cost)."""

    __tablename__ = "variant_costs"
    __table_args__ = (UniqueConstraint("shop_id", "variant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    amount = mapped_column(ExactDecimal)
    currency: Mapped[str | None] = mapped_column(String(8))
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class CostUpdate(db.Model):
    """One output variant's new cost per item, frozen once the completion push is applied.

    `inventoryItemUpdate` takes no idempotency key: the stored `new_cost` is what makes a resend
    safe, so it is never recomputed."""

    __tablename__ = "cost_updates"
    __table_args__ = (
        UniqueConstraint("order_id", "variant_id"),
        Index("ix_cost_updates_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    inventory_item_id: Mapped[str] = mapped_column(String(64), nullable=False)
    mode: Mapped[str] = mapped_column(String(24), nullable=False)
    old_cost = mapped_column(ExactDecimal)
    new_cost = mapped_column(ExactDecimal, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=COST_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    applied_at = mapped_column(UTCDateTime)
