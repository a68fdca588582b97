"""Webhook deliveries already handled, so that Shopify's retries are processed once."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db_types import UTCDateTime, utcnow
from ..extensions import db


class WebhookDelivery(db.Model):
    """One processed delivery: its X-Shopify-Webhook-Id and X-Shopify-Event-Id are never processed again.

    Shopify repeats both on a retry; the same event can also come again under a new webhook id.
    """

    __tablename__ = "webhook_deliveries"

    webhook_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Unique, so two concurrent deliveries of one event cannot both commit.
    event_id: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)
    topic: Mapped[str] = mapped_column(String(100), nullable=False)
    shop_domain: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(32), nullable=False)
    received_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
