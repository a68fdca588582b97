"""Shopify-managed installation: trade a session token for an expiring offline access token."""

import logging

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..admin_api.client import post_token_request
from ..admin_api.errors import OAuthRefused, ShopifyError
from ..db_types import utcnow
from ..errors import Unauthorized
from ..extensions import db
from ..shops import tokens
from ..shops.locking import lock_shop
from ..shops.models import Shop
from ..shops.service import create_shop, find_installed_shop

log = logging.getLogger(__name__)

GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"


class TokenExchangeFailed(Unauthorized):
    """Shopify did not trade the session token for an offline token; nothing was stored."""

    def __init__(self, reason: str):
        super().__init__("Shopify did not grant this app access to the shop. Reload the app to try again.",
                         {"reason": reason})
        # Shopify's rule: `invalid_subject_token` means "get a fresh session token and try again"
        # (shopify-app-js bounces a document load, and answers a fetch 401 with the retry header).
        self.subject_token_rejected = reason == "invalid_subject_token"


def _find(domain: str) -> Shop | None:
    return db.session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()


def _shop_row(domain: str) -> tuple[Shop, bool]:
    """The shop's row and whether we just created it (committed, not installed: a row to lock)."""
    shop = _find(domain)
    if shop is not None:
        return shop, False
    try:
        shop = create_shop(domain, installed_at=None)
        db.session.commit()
        return shop, True
    except IntegrityError:
        db.session.rollback()  # another request inserted it first; use theirs
        return _find(domain), False


def _forget_placeholder(shop_id: int) -> None:
    """Remove a row created for a failed first install, unless someone installed it meanwhile."""
    db.session.execute(delete(Shop).where(
        Shop.id == shop_id, Shop.installed_at.is_(None), Shop.access_token_encrypted.is_(None)))
    db.session.commit()


def mark_installed(shop: Shop, now) -> None:
    """Shopify just granted a token, so the app is installed as of now.

    Every grant moves `installed_at`, not only one after a processed uninstall: an uninstall whose
    webhook is still on its way was triggered before this grant and must not undo it.
    """
    shop.installed_at, shop.uninstalled_at = now, None


def shop_for_session_token(domain: str, session_token: str) -> Shop:
    """The shop a verified session token names, installed by token exchange first if it must be.

    The common case (installed, usable token) costs one read and no lock.
    """
    shop = find_installed_shop(domain)
    if shop is not None and tokens.has_usable_offline_token(shop):
        return shop
    return install_with_session_token(domain, session_token)


def install_with_session_token(domain: str, session_token: str) -> Shop:
    """Make sure `domain` has a usable offline token, exchanging `session_token` for one if not.

    Runs under the shop's lock and re-checks after taking it: a concurrent request may have
    exchanged already, and each exchange retires the previous pair. On failure nothing is stored.
    """
    shop, created = _shop_row(domain)
    shop = lock_shop(shop.id)
    if tokens.has_usable_offline_token(shop):
        db.session.commit()
        return shop
    config = current_app.config
    try:
        body = post_token_request(domain, {
            "client_id": config["SHOPIFY_API_KEY"],
            "client_secret": config["SHOPIFY_API_SECRET"],
            "grant_type": GRANT_TOKEN_EXCHANGE,
            "subject_token": session_token,
            "subject_token_type": ID_TOKEN_TYPE,
            "requested_token_type": OFFLINE_TOKEN_TYPE,
            "expiring": "1",
        })
        grant = tokens.TokenGrant.from_response(body)
    except (ShopifyError, ValueError) as exc:
        db.session.rollback()
        if created:
            _forget_placeholder(shop.id)
        reason = exc.error if isinstance(exc, OAuthRefused) else str(exc)
        log.warning("token exchange failed for %s: %s", domain, reason)
        raise TokenExchangeFailed(reason) from None
    now = utcnow()
    tokens.store_grant(shop, grant, now)
    mark_installed(shop, now)
    db.session.commit()
    log.info("installed on %s through token exchange (scopes %s)", domain, grant.scope)
    return shop
