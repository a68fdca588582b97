"""Authenticating a document request of the embedded app (the admin loads our page in its iframe).

Shopify adds `id_token` (a session token) to the URL of an embedded page load. A valid one names
the shop (installing the app by token exchange if needed); a stale one sends the page through the
session-token bounce page, where App Bridge fetches a fresh token and reloads. An in-app link
carries the admin's parameters but no token: it gets the data-free shell at once (one document load,
no bounce), and App Bridge hands the shell's scripts a session token for every API call.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import g, redirect, request, url_for

from ..errors import Unauthorized
from ..shops.domains import is_shop_domain, valid_shop_domain
from ..shops.models import Shop
from ..shops.scoping import set_identity
from .session_token import decode_session_token
from .token_exchange import TokenExchangeFailed, shop_for_session_token

# Marks the reload after a bounce for a refused exchange, so a second refusal shows an error page
# instead of bouncing forever.
EXCHANGE_RETRIED = "exchange_retried"


@dataclass(frozen=True)
class AdminShell:
    """An in-app navigation inside the admin: render the shell for `shop_domain` (validated, not verified)."""

    shop_domain: str


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


def authenticate_page_load() -> Shop | AdminShell | object | None:
    """The verified shop of this page load, the shell of an in-app link, a redirect, or None (no Shopify context)."""
    shop_param = request.args.get("shop")
    if shop_param:
        shop_param = valid_shop_domain(shop_param)  # a `shop` that is not one is 400, wherever it comes
    id_token = request.args.get("id_token")
    if id_token:
        return _shop_of_session_token(id_token)
    if shop_param:
        if request.args.get("embedded") == "1":
            # An in-app link: no bounce. The shell holds no shop data and renders nothing from the
            # database; what it shows comes from /api calls that carry App Bridge's session token,
            # which is verified there. So the unverified `shop` may name who frames the shell
            # (frame-ancestors): it is a validated myshopify.com domain, so only that shop's admin
            # (or admin.shopify.com) can frame it, never an arbitrary site; and a shell framed by the
            # wrong shop's admin shows nothing, because App Bridge's tokens name the real shop.
            g.csp_shop = shop_param
            return AdminShell(shop_param)
        # Opened outside the admin: install (or reconnect) through the code grant.
        return redirect(url_for("auth.install", shop=shop_param))
    return None


def admin_shop_of_query() -> str | None:
    """The validated `shop` of a load carrying the admin's parameters (embedded=1), else None; never raises."""
    shop = request.args.get("shop")
    if request.args.get("embedded") == "1" and is_shop_domain(shop):
        return shop.lower()
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

