"""Authenticating a document request of the embedded app (the admin loads our page in its iframe).

Shopify adds `id_token` (a session token) to the URL of an embedded page load. A valid one names
the shop (installing the app by token exchange if needed); a missing or stale one sends the page
through the session-token bounce page, where App Bridge fetches a fresh token and reloads.
"""

from urllib.parse import urlencode, urlsplit

from flask import g, redirect, request, url_for

from ..errors import Unauthorized
from ..shops.domains import valid_shop_domain
from ..shops.models import Shop
from ..shops.scoping import set_identity
from .session_token import decode_session_token
from .token_exchange import TokenExchangeFailed, shop_for_session_token

# Marks the reload after a bounce for a refused exchange, so a second refusal shows an error page
# instead of bouncing forever.
EXCHANGE_RETRIED = "exchange_retried"


def _query_without(*names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k not in names]


def bounce_response(*, retrying_exchange_for: str | None = None):
    """302 to the bounce page, which reloads this URL with a fresh `id_token`.

    `retrying_exchange_for` is the verified shop whose exchange Shopify just refused: the reload
    is marked (and names the shop, which the bounce page needs for its frame-ancestors).
    """
    query = _query_without("id_token")
    if retrying_exchange_for is not None:
        query = [(k, v) for k, v in query if k != "shop"] + [("shop", retrying_exchange_for),
                                                             (EXCHANGE_RETRIED, "1")]
    reload_target = request.path + ("?" + urlencode(query) if query else "")
    location = url_for("auth.session_token_bounce") + "?" + urlencode(query + [("shopify-reload", reload_target)])
    return redirect(location)


def _shop_of_session_token(id_token: str):
    """The shop of a verified `id_token`, installing it first if needed; or a bounce to follow."""
    try:
        claims = decode_session_token("Bearer " + id_token)
    except Unauthorized:
        return bounce_response()  # usually just expired (they live a minute): get a fresh one
    # The token is verified, so this shop's admin may frame whatever comes next, an error page included.
    g.csp_shop = claims["shop"]
    try:
        shop = shop_for_session_token(claims["shop"], id_token)
    except TokenExchangeFailed as failure:
        if failure.subject_token_rejected and request.args.get(EXCHANGE_RETRIED) != "1":
            return bounce_response(retrying_exchange_for=claims["shop"])
        raise  # rendered as a page with App Bridge, framed by this shop's admin: never a blank frame
    set_identity(shop, str(claims["sub"]))
    return shop


def authenticate_page_load() -> Shop | object | None:
    """The verified shop of this page load, a redirect to follow first, or None (no Shopify context)."""
    shop_param = request.args.get("shop")
    if shop_param:
        shop_param = valid_shop_domain(shop_param)  # a `shop` that is not one is 400, wherever it comes
    id_token = request.args.get("id_token")
    if id_token:
        return _shop_of_session_token(id_token)
    if shop_param:
        if request.args.get("embedded") == "1":
            return bounce_response()
        # Opened outside the admin: install (or reconnect) through the code grant.
        return redirect(url_for("auth.install", shop=shop_param))
    return None


def reload_target_is_safe(target: str) -> bool:
    """The bounce page only reloads paths of this app, never another site.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so any of those
    could turn "/\t/evil.example" into "//evil.example": refuse them outright.
    """
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in target):
        return False
    parts = urlsplit(target)
    return target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc

