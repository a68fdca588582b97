"""A reusable bill of materials and its lines."""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import Quantity, UTCDateTime, utcnow
from ..extensions import db


class Bom(db.Model):
    """Producing one unit of `output_variant_id` consumes each line's quantity of its variant."""

    __tablename__ = "boms"
    __table_args__ = (Index("ix_boms_shop_name", "shop_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    output_variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    output_title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    output_sku: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    hold_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # default curing hold (SPEC §10)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    lines: Mapped[list["BomLine"]] = relationship(
        back_populates="bom", order_by="BomLine.position", cascade="all, delete-orphan", passive_deletes=True)


class BomLine(db.Model):
    """One material of a BOM and how much of it one produced unit consumes."""

    __tablename__ = "bom_lines"
    __table_args__ = (UniqueConstraint("bom_id", "variant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bom_id: Mapped[int] = mapped_column(ForeignKey("boms.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    variant_id: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    sku: Mapped[str] = mapped_column(String(255), nullable=False, default="")  # portable across shops (CSV)
    quantity_per_unit = mapped_column(Quantity, nullable=False)

    bom: Mapped[Bom] = relationship(back_populates="lines")
