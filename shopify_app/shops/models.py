"""The Shop (one installation of the app) and its merchant settings."""

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db_types import UTCDateTime, utcnow
from ..extensions import db

SYNC_MODES = ("on_complete", "live")
COST_UPDATES = ("off", "batch", "weighted_average")
SHORTAGE_POLICIES = ("warn", "block")


class Shop(db.Model):
    """A shop that installed the app. Tokens are stored encrypted; only token storage reads them."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at = mapped_column(UTCDateTime)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at = mapped_column(UTCDateTime)
    scopes: Mapped[str | None] = mapped_column(Text)
    installed_at = mapped_column(UTCDateTime)
    uninstalled_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    settings: Mapped["ShopSettings"] = relationship(
        back_populates="shop", uselist=False, cascade="all, delete-orphan", lazy="joined"
    )

    @property
    def is_installed(self) -> bool:
        """True while the app is installed (installed and not uninstalled since)."""
        return self.installed_at is not None and self.uninstalled_at is None

    def __repr__(self) -> str:  # never include tokens
        return f"<Shop {self.id} {self.domain}>"


class ShopSettings(db.Model):
    """What the merchant chooses on the settings screen."""

    __tablename__ = "shop_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    sync_by_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    default_location_id: Mapped[str | None] = mapped_column(String(64))
    sync_mode: Mapped[str] = mapped_column(String(16), nullable=False, default="on_complete")
    cost_update: Mapped[str] = mapped_column(String(24), nullable=False, default="off")
    # Whether an order short of materials at its location may start (SPEC §10): warn or block.
    shortage_policy: Mapped[str] = mapped_column(String(8), nullable=False, default="warn")
    # SPEC §10: a syncing order's planned output shows as Shopify's `incoming` while in progress.
    planned_output_as_incoming: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop] = relationship(back_populates="settings")
