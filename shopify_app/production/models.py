"""Production orders, their component rows and their append-only history."""

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import ExactDecimal, Quantity, UTCDateTime, utcnow
from ..extensions import db


class ProductionOrder(db.Model):
    """A plan to make (or take apart) goods at one location. `version` guards every write."""

    __tablename__ = "production_orders"
    __table_args__ = (
        # Reference is unique per shop, case-insensitively: `reference_key` is its lower-cased form.
        UniqueConstraint("shop_id", "reference_key"),
        # The list's order (created_at, id) in full, so a keyset page is one index range scan.
        Index("ix_production_orders_shop_status_created", "shop_id", "status", "created_at", "id"),
        Index("ix_production_orders_shop_created", "shop_id", "created_at", "id"),
        # The worker's release duty looks up holds that are due.
        Index("ix_production_orders_hold_due", "hold_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    reference: Mapped[str] = mapped_column(String(64), nullable=False)
    # lower() can lengthen a string ("İ" becomes two characters), so the key has room to spare.
    reference_key: Mapped[str] = mapped_column(String(192), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False, default="assembly")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    location_id: Mapped[str | None] = mapped_column(String(64))
    planned_start_date = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    sync_to_shopify: Mapped[bool | None] = mapped_column(Boolean)
    started_at = mapped_column(UTCDateTime)
    completed_at = mapped_column(UTCDateTime)
    cancelled_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The completed order this one reverses (SPEC §11); set once, at creation, by the server.
    reversal_of: Mapped[int | None] = mapped_column(
        ForeignKey("production_orders.id", ondelete="SET NULL"), index=True)
    # Costing (SPEC §9): money the merchant enters, and the material unit costs the order is
    # priced with ({"currency", "unitCosts": {variant id: amount text or null}}), refreshed on
    # every write until completion, which freezes them.
    labour_cost = mapped_column(ExactDecimal)
    overhead_cost = mapped_column(ExactDecimal)
    cost_basis: Mapped[dict | None] = mapped_column(JSON)
    # Inventory states (SPEC §10). `incoming_planned`: the planned output is booked as Shopify's
    # `incoming` while in progress (decided at start from the shop setting, kept for the order's
    # life so a later setting change cannot strand what was booked). `hold_days` > 0: the output
    # cures in `quality_control` from completion until `hold_until`, then is released.
    incoming_planned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    hold_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    hold_until = mapped_column(UTCDateTime)
    released_at = mapped_column(UTCDateTime)

    components: Mapped[list["Component"]] = relationship(
        back_populates="order", order_by="Component.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Every UPDATE of the row carries `WHERE version = <version read>` and bumps it: a write
    # based on a stale read fails instead of silently overwriting (optimistic concurrency).
    __mapper_args__ = {"version_id_col": version}


class Component(db.Model):
    """One output variant of an order with its planned and produced quantities."""

    __tablename__ = "components"
    __table_args__ = (Index("ix_components_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False
    )
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    sku: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    unit: Mapped[str] = mapped_column(String(8), nullable=False, default="pcs")
    quantity_planned = mapped_column(Quantity, nullable=False)
    quantity_produced = mapped_column(Quantity, nullable=False, default=0)
    # Bill of materials per produced unit, snapshotted when the row is added:
    # [{"variantId", "title", "quantityPerUnit" (decimal as a string)}].
    materials: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # On a reversal: the original's row this one undoes (what is left to reverse is counted per row).
    reverses_component_id: Mapped[int | None] = mapped_column(
        ForeignKey("components.id", ondelete="SET NULL"), index=True)

    order: Mapped[ProductionOrder] = relationship(back_populates="components")


class OrderEvent(db.Model):
    """One entry of an order's history. Rows are only ever inserted."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("production_orders.id", ondelete="CASCADE"), nullable=False
    )
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    changes: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
