"""Authenticating a document request of the embedded app (the admin loads our page in its iframe).

Shopify adds `id_token` (a session token) to the URL of an embedded page load. A valid one names
the shop (installing the app by token exchange if needed); a missing or stale one sends the page
through the session-token bounce page, where App Bridge fetches a fresh token and reloads.
"""

from urllib.parse import urlencode, urlsplit

from flask import g, redirect, request, url_for

from ..errors import Unauthorized
from ..shops.models import Shop
from ..shops.scoping import set_identity
from .session_token import SHOP_DOMAIN, decode_session_token
from .token_exchange import shop_for_session_token


def _query_without(*names: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.args.items(multi=True) if k not in names]


def bounce_response():
    """302 to the bounce page, which reloads this URL with a fresh `id_token`."""
    query = _query_without("id_token")
    reload_target = request.path + ("?" + urlencode(query) if query else "")
    location = url_for("auth.session_token_bounce") + "?" + urlencode(query + [("shopify-reload", reload_target)])
    return redirect(location)


def authenticate_page_load() -> Shop | object | None:
    """The verified shop of this page load, a redirect to follow first, or None (no Shopify context)."""
    id_token = request.args.get("id_token")
    shop_param = (request.args.get("shop") or "").lower()
    if id_token:
        try:
            claims = decode_session_token("Bearer " + id_token)
        except Unauthorized:
            return bounce_response()  # usually just expired (they live a minute): get a fresh one
        shop = shop_for_session_token(claims["shop"], id_token)
        g.csp_shop = shop.domain
        set_identity(shop, str(claims["sub"]))
        return shop
    if SHOP_DOMAIN.match(shop_param):
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

