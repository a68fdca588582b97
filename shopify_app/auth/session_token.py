"""Verifying App Bridge session tokens (HS256 JWTs signed with the app's secret)."""

from urllib.parse import urlsplit

from shopify import session_token as shopify_session_token
from flask import current_app, request

from ..errors import Unauthorized
from ..rate_limit import spend_request
from .token_exchange import shop_for_session_token
from ..shops.domains import is_shop_domain
from ..shops.scoping import set_identity


def _secrets() -> list[str]:
    # During a secret rotation, tokens signed with the previous secret stay valid.
    config = current_app.config
    return [s for s in (config["SHOPIFY_API_SECRET"], config["SHOPIFY_API_SECRET_PREVIOUS"]) if s]


def decode_session_token(authorization_header: str) -> dict:
    """The verified claims of a `Bearer <token>` header, or Unauthorized.

    ShopifyAPI checks the signature (HS256 only), `aud`, `exp`/`nbf` with 10 s leeway, the
    required claims and that `iss` and `dest` name the same shop; we add that `exp` and `nbf`
    must be present and that the shop is a myshopify.com domain.
    """
    api_key = current_app.config["SHOPIFY_API_KEY"]
    last_error = "no secret configured"
    for secret in _secrets():
        try:
            claims = shopify_session_token.decode_from_header(authorization_header, api_key, secret)
        except shopify_session_token.SessionTokenError as exc:
            last_error = str(exc)
            continue
        if "exp" not in claims or "nbf" not in claims:
            raise Unauthorized("The session token has no expiry.")
        shop_domain = urlsplit(claims["dest"]).hostname or ""
        if not is_shop_domain(shop_domain):
            raise Unauthorized("The session token does not name a Shopify shop.")
        claims["shop"] = shop_domain.lower()
        return claims
    current_app.logger.info("session token refused: %s", last_error)
    raise Unauthorized()


def bearer_header() -> str:
    """The request's Authorization header (API calls never take a token in the URL)."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise Unauthorized("Missing Authorization: Bearer <session token>.")
    return header


def authenticate() -> None:
    """Verify the request's session token and make its shop the request's shop.

    A valid token from a shop without a usable offline token (new, uninstalled, or whose refresh
    token died) installs the app right here through token exchange.
    """
    header = bearer_header()
    claims = decode_session_token(header)
    shop = shop_for_session_token(claims["shop"], header.removeprefix("Bearer ").strip())
    set_identity(shop, str(claims["sub"]))
    spend_request(shop.domain)
