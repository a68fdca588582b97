"""The authenticated shop of the current request.

Only the session-token check (`auth.session_token.authenticate`) sets it; every data access in the
API reads it from here and passes it to the service, which filters every query by it.
"""

from dataclasses import dataclass

from flask import g

from .models import Shop


@dataclass(frozen=True)
class RequestIdentity:
    shop: Shop
    actor: str  # the Shopify user id (`sub`) the session token was issued to


def set_identity(shop: Shop, actor: str) -> None:
    """Record who is calling; called only after a session token has been verified."""
    g.identity = RequestIdentity(shop=shop, actor=actor)
    # A plain string for log lines: reading shop.domain after a failed transaction would need
    # the (possibly unreachable) database.
    g.shop_domain = shop.domain


def current_identity() -> RequestIdentity:
    """The verified caller. A route reaching this without authentication is a programming error."""
    identity = g.get("identity")
    if identity is None:
        raise RuntimeError("no authenticated shop: the route is missing session-token authentication")
    return identity


def current_shop() -> Shop:
    """The shop the verified session token belongs to."""
    return current_identity().shop
