"""What each webhook topic does. Handlers change the session; the route commits once."""

import logging
import re

from sqlalchemy import delete, select

from ..db_types import utcnow
from ..extensions import db
from ..shops import tokens
from ..shops.models import Shop
from .delivery import Delivery
from .models import WebhookDelivery

log = logging.getLogger(__name__)

SCOPE = re.compile(r"[a-z0-9_]{1,100}")  # read_products, write_inventory…: nothing else is stored


def _shop(domain: str) -> Shop | None:
    return db.session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()


def _not_of_this_install(shop: Shop, delivery: Delivery) -> bool:
    """True when the delivery cannot be shown to belong to the shop's current installation.

    Deliveries arrive out of order: an uninstall or redact triggered before the latest install
    belongs to an earlier one and must not undo the current one. One with no valid trigger time
    cannot show it does not, so it changes nothing either.
    """
    if delivery.triggered_at is None:
        return True
    return shop.installed_at is not None and delivery.triggered_at < shop.installed_at


def app_uninstalled(delivery: Delivery) -> str:
    """Forget the tokens and mark the shop uninstalled; its sync work waits for a re-install."""
    shop = _shop(delivery.shop_domain)
    if shop is None:
        return "unknown_shop"
    if _not_of_this_install(shop, delivery):
        return "stale"
    tokens.clear_tokens(shop)
    shop.uninstalled_at = utcnow()
    log.info("uninstalled from %s", shop.domain)
    return "uninstalled"


def app_scopes_update(delivery: Delivery) -> str:
    """Record the scopes the merchant granted now."""
    shop = _shop(delivery.shop_domain)
    current = delivery.payload.get("current")
    if shop is None or not isinstance(current, list) or not all(
            isinstance(scope, str) and SCOPE.fullmatch(scope) for scope in current):
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
    if _not_of_this_install(shop, delivery):
        return "stale"
    if shop.is_installed:
        # Shopify asks for this 48 hours after an uninstall. While the app is installed, the
        # request can only be a replay (its trigger time header is unsigned): erase nothing.
        log.warning("shop/redact for %s ignored: the app is installed there", shop.domain)
        return "still_installed"
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
