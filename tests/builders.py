"""Builders for real signed session tokens, shops and orders used across the tests."""

import time
import uuid

import jwt

from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.service import create_shop

TOKEN_KEY = "4SRoPn3bBCEsG3bV8rQm1P0Q6bS2-K3S6cLQ8y7vFqA="  # a Fernet key for tests only
SCOPES = "read_products,read_locations,write_inventory,read_inventory"
API_KEY = "test-api-key-0123456789abcdef"
API_SECRET = "test-api-secret-0123456789abcdef0123456789"
PREVIOUS_SECRET = "old-api-secret-0123456789abcdef0123456789"
SHOP = "candles-test.myshopify.com"
OTHER_SHOP = "soap-test.myshopify.com"
VARIANT = "gid://shopify/ProductVariant/1001"
VARIANT_2 = "gid://shopify/ProductVariant/1002"
LOCATION = "gid://shopify/Location/501"
LOCATION_2 = "gid://shopify/Location/502"


def session_token(shop: str = SHOP, *, secret: str = API_SECRET, sub: str = "7001", **overrides) -> str:
    """A session token as App Bridge issues it, signed with `secret`."""
    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY, "sub": sub,
        "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": str(uuid.uuid4()), "sid": str(uuid.uuid4()),
    }
    claims.update(overrides)
    claims = {key: value for key, value in claims.items() if value is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


def auth_headers(shop: str = SHOP, **token_overrides) -> dict:
    return {"Authorization": f"Bearer {session_token(shop, **token_overrides)}"}


def installed_shop(domain: str = SHOP, *, access_token: str = "shpat_test_access",
                   refresh_token: str = "shprt_test_refresh", expires_in: int = 3600):
    """A shop with the app installed and a fresh expiring offline token pair."""
    shop = create_shop(domain, installed_at=utcnow())
    tokens.store_grant(shop, tokens.TokenGrant(
        access_token=access_token, scope=SCOPES, expires_in=expires_in,
        refresh_token=refresh_token, refresh_token_expires_in=90 * 24 * 3600))
    db.session.commit()
    return shop


def component(variant=VARIANT, planned=10, **fields) -> dict:
    return {"variantId": variant, "quantityPlanned": planned, "title": "Beeswax candle", "sku": "CNDL-1", **fields}
