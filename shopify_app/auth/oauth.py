"""Authorization code grant: the fallback install for non-embedded entry and legacy installs."""

import base64
import binascii
import logging
import re
import secrets
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..admin_api.client import post_token_request
from ..admin_api.errors import ShopifyError
from ..db_types import utcnow
from ..errors import AuthenticationFailed, BadRequest
from ..extensions import db
from ..shops import tokens
from ..shops.locking import lock_shop
from ..shops.models import Shop
from ..shops.domains import valid_shop_domain
from ..shops.service import create_shop
from .query_hmac import query_is_authentic, timestamp_is_recent
from .token_exchange import mark_installed

log = logging.getLogger(__name__)

STATE_COOKIE = "shopify_app_state"
ADMIN_HOST = re.compile(r"admin\.shopify\.com/store/[a-zA-Z0-9][a-zA-Z0-9-]*")
STATE_MAX_AGE = 600  # seconds a merchant may spend on Shopify's authorize page


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="oauth-state")


def begin(shop: str, redirect_uri: str) -> tuple[str, str]:
    """The authorize URL to send the merchant to, and the signed cookie value holding its state."""
    nonce = secrets.token_hex(16)  # hex: nothing in it that encodings could disagree on
    config = current_app.config
    query = urlencode({
        "client_id": config["SHOPIFY_API_KEY"],
        "scope": config["SHOPIFY_SCOPES"],
        "redirect_uri": redirect_uri,
        "state": nonce,
        "grant_options[]": "",  # empty: an offline token
    })
    return f"https://{shop}/admin/oauth/authorize?{query}", _serializer().dumps({"nonce": nonce, "shop": shop})


def _state_matches(cookie: str | None, state: str | None, shop: str) -> bool:
    if not cookie or not state:
        return False
    try:
        saved = _serializer().loads(cookie, max_age=STATE_MAX_AGE)
    except BadSignature:
        return False
    return secrets.compare_digest(str(saved.get("nonce", "")), state) and saved.get("shop") == shop


def complete(params: list[tuple[str, str]], state_cookie: str | None) -> Shop:
    """Verify Shopify's redirect back to us, exchange the code, store the tokens; the shop."""
    args = dict(params)
    shop_domain = valid_shop_domain(args.get("shop"))
    config = current_app.config
    if not query_is_authentic(params, [config["SHOPIFY_API_SECRET"], config["SHOPIFY_API_SECRET_PREVIOUS"]]):
        raise AuthenticationFailed("The request did not come from Shopify (HMAC mismatch).")
    if not timestamp_is_recent(args.get("timestamp")):
        raise AuthenticationFailed("This link has expired. Start the installation again.")
    if not _state_matches(state_cookie, args.get("state"), shop_domain):
        raise AuthenticationFailed("The installation could not be matched to this browser. Start it again.")
    if not args.get("code"):
        raise BadRequest("Shopify did not send an authorization code.")
    try:
        grant = tokens.TokenGrant.from_response(post_token_request(shop_domain, {
            "client_id": config["SHOPIFY_API_KEY"],
            "client_secret": config["SHOPIFY_API_SECRET"],
            "code": args["code"],
            "expiring": "1",
        }))
    except (ShopifyError, ValueError) as exc:
        log.warning("code exchange failed for %s: %s", shop_domain, type(exc).__name__)
        raise AuthenticationFailed("Shopify did not grant access. Start the installation again.") from None
    shop = db.session.scalars(select(Shop).where(Shop.domain == shop_domain)).one_or_none()
    if shop is None:
        shop = create_shop(shop_domain, installed_at=None)
        db.session.flush()
    shop = lock_shop(shop.id)
    now = utcnow()
    tokens.store_grant(shop, grant, now)
    mark_installed(shop, now)
    db.session.commit()
    log.info("installed on %s through the authorization code grant", shop_domain)
    return shop


def admin_app_url(host: str | None, shop: str) -> str:
    """Where the app lives inside the Shopify admin, from the base64 `host` Shopify sends."""
    api_key = current_app.config["SHOPIFY_API_KEY"]
    try:
        decoded = base64.b64decode(host + "=" * (-len(host) % 4), validate=True).decode() if host else ""
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    # Only ever redirect into Shopify's admin: the host is request input, so it must be exactly
    # the new admin's store path or this shop's own admin, nothing that merely ends like one.
    if ADMIN_HOST.fullmatch(decoded) or decoded == f"{shop}/admin":
        return f"https://{decoded}/apps/{api_key}"
    return f"https://{shop}/admin/apps/{api_key}"
