"""Keeping an expiring offline access token alive with its single-use refresh token."""

import logging

from flask import current_app

from ..admin_api.client import post_token_request
from ..admin_api.errors import OAuthRefused, ReauthRequired
from ..extensions import db
from ..shops import tokens
from ..shops.locking import lock_shop
from ..shops.models import Shop

log = logging.getLogger(__name__)


def access_token_for(shop: Shop, *, rejected_token: str | None = None) -> str:
    """A usable access token for the Admin API, refreshed first when it is about to expire.

    `rejected_token` is the token the Admin API just answered 401 to: refresh unless another
    process already replaced it. Commits the session (it may have to write the new pair).
    """
    if rejected_token is None and tokens.access_token_fresh(shop):
        return tokens.access_token(shop)
    shop = lock_shop(shop.id)
    current = tokens.access_token(shop)
    if current is not None and current != rejected_token and tokens.access_token_fresh(shop):
        db.session.commit()  # someone refreshed while we waited for the lock
        return current
    if not shop.is_installed or not tokens.refreshable(shop):
        _needs_reauth(shop)
    config = current_app.config
    try:
        body = post_token_request(shop.domain, {
            "client_id": config["SHOPIFY_API_KEY"],
            "client_secret": config["SHOPIFY_API_SECRET"],
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token(shop),
        })
        grant = tokens.TokenGrant.from_response(body)
    except OAuthRefused as exc:
        if exc.grant_dead:
            _needs_reauth(shop)
        db.session.rollback()
        raise
    except Exception:
        db.session.rollback()
        raise
    tokens.store_grant(shop, grant)
    db.session.commit()
    log.info("refreshed the offline token of %s", shop.domain)
    return grant.access_token


def forget_dead_tokens(shop: Shop):
    """The Admin API refuses even a fresh token (app uninstalled, access revoked): forget it."""
    _needs_reauth(lock_shop(shop.id))


def _needs_reauth(shop: Shop):
    """Forget a pair that can never work again; the next page load exchanges a new one."""
    tokens.clear_tokens(shop)
    db.session.commit()
    log.warning("offline token of %s is dead; waiting for the merchant to open the app", shop.domain)
    raise ReauthRequired(shop.domain)
