"""What each webhook topic does. Handlers change the session; the route commits once."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from ..db_types import utcnow
from ..extensions import db
from ..shops import tokens
from ..shops.models import Shop
from .models import WebhookDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    topic: str
    shop_domain: str
    webhook_id: str
    triggered_at: datetime | None
    payload: dict


def _shop(domain: str) -> Shop | None:
    return db.session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()


def _from_an_earlier_install(shop: Shop, delivery: Delivery) -> bool:
    # Deliveries can arrive out of order: an uninstall triggered before the latest install
    # belongs to the previous installation and must not undo the current one.
    return (delivery.triggered_at is not None and shop.installed_at is not None
            and delivery.triggered_at < shop.installed_at)


def app_uninstalled(delivery: Delivery) -> str:
    """Forget the tokens and mark the shop uninstalled; its sync work waits for a re-install."""
    shop = _shop(delivery.shop_domain)
    if shop is None:
        return "unknown_shop"
    if _from_an_earlier_install(shop, delivery):
        return "stale"
    tokens.clear_tokens(shop)
    shop.uninstalled_at = utcnow()
    log.info("uninstalled from %s", shop.domain)
    return "uninstalled"


def app_scopes_update(delivery: Delivery) -> str:
    """Record the scopes the merchant granted now."""
    shop = _shop(delivery.shop_domain)
    current = delivery.payload.get("current")
    if shop is None or not isinstance(current, list):
        return "ignored"
    shop.scopes = ",".join(str(scope) for scope in current)
    return "scopes_updated"


def customer_data(delivery: Delivery) -> str:
    """The app stores no customer data: nothing to report or erase, only to acknowledge."""
    log.info("%s for %s acknowledged: no customer data is stored", delivery.topic, delivery.shop_domain)
    return "no_customer_data"


def shop_redact(delivery: Delivery) -> str:
    """Erase every row of the shop (48 hours after uninstall, Shopify asks for this)."""
    shop = _shop(delivery.shop_domain)
    if shop is None:
        return "unknown_shop"
    if _from_an_earlier_install(shop, delivery):
        return "stale"
    db.session.delete(shop)  # orders, components, events and settings go with it (ON DELETE CASCADE)
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.shop_domain == delivery.shop_domain))
    log.info("erased every row of %s", delivery.shop_domain)
    return "redacted"


HANDLERS = {
    "app/uninstalled": app_uninstalled,
    "app/scopes_update": app_scopes_update,
    "customers/data_request": customer_data,
    "customers/redact": customer_data,
    "shop/redact": shop_redact,
}
