"""Offline access tokens at rest: the only module that reads or writes them.

Tokens are encrypted with MultiFernet over the comma-separated keys of TOKEN_ENCRYPTION_KEY: the
first key encrypts, every key decrypts, so keys rotate without downtime (add the new key first,
re-encrypt at leisure, then drop the old one).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from ..db_types import utcnow
from .models import Shop

# Refresh this long before Shopify says the access token expires (clock skew, slow requests).
REFRESH_MARGIN = timedelta(minutes=5)

_ciphers: dict[str, MultiFernet] = {}


class TokenKeyError(RuntimeError):
    """TOKEN_ENCRYPTION_KEY is missing or cannot decrypt what is stored."""


@dataclass(frozen=True)
class TokenGrant:
    """What Shopify's token endpoint answered, parsed; never logged or serialised."""

    access_token: str
    scope: str
    expires_in: int | None = None
    refresh_token: str | None = None
    refresh_token_expires_in: int | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(scope={self.scope!r}, expires_in={self.expires_in})"

    @classmethod
    def from_response(cls, body: dict) -> "TokenGrant":
        """Parse the token endpoint's JSON; a body without an access token is not a grant."""
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError("the token response has no access_token")
        return cls(
            access_token=token,
            scope=str(body.get("scope") or ""),
            expires_in=_int_or_none(body.get("expires_in")),
            refresh_token=body.get("refresh_token") or None,
            refresh_token_expires_in=_int_or_none(body.get("refresh_token_expires_in")),
        )


def _int_or_none(value):
    return int(value) if isinstance(value, (int, float, str)) and str(value).isdigit() else None


def _cipher() -> MultiFernet:
    keys = current_app.config.get("TOKEN_ENCRYPTION_KEY", "")
    cipher = _ciphers.get(keys)
    if cipher is None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise TokenKeyError("TOKEN_ENCRYPTION_KEY is not set")
        try:
            cipher = MultiFernet([Fernet(k) for k in parts])
        except ValueError:
            raise TokenKeyError("TOKEN_ENCRYPTION_KEY holds a key that is not a Fernet key") from None
        _ciphers[keys] = cipher
    return cipher


def _encrypt(value: str | None) -> str | None:
    return None if value is None else _cipher().encrypt(value.encode()).decode()


def _decrypt(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _cipher().decrypt(value.encode()).decode()
    except InvalidToken:
        raise TokenKeyError("no key in TOKEN_ENCRYPTION_KEY decrypts the stored token") from None


def store_grant(shop: Shop, grant: TokenGrant, now: datetime | None = None) -> None:
    """Save a new token pair and its expiries on the shop in one write (the caller commits)."""
    now = now or utcnow()
    shop.access_token_encrypted = _encrypt(grant.access_token)
    shop.access_token_expires_at = now + timedelta(seconds=grant.expires_in) if grant.expires_in else None
    shop.refresh_token_encrypted = _encrypt(grant.refresh_token)
    shop.refresh_token_expires_at = (
        now + timedelta(seconds=grant.refresh_token_expires_in) if grant.refresh_token_expires_in else None
    )
    shop.scopes = grant.scope


def clear_tokens(shop: Shop) -> None:
    """Forget the shop's tokens (uninstall, or a refresh token Shopify no longer accepts)."""
    shop.access_token_encrypted = shop.access_token_expires_at = None
    shop.refresh_token_encrypted = shop.refresh_token_expires_at = None


def access_token(shop: Shop) -> str | None:
    """The stored access token in clear, for the Admin API client only."""
    return _decrypt(shop.access_token_encrypted)


def refresh_token(shop: Shop) -> str | None:
    """The stored refresh token in clear, for the refresh call only."""
    return _decrypt(shop.refresh_token_encrypted)


def access_token_fresh(shop: Shop, now: datetime | None = None) -> bool:
    """True when the access token exists and will not expire within the refresh margin."""
    if shop.access_token_encrypted is None:
        return False
    expires = shop.access_token_expires_at
    return expires is None or expires - REFRESH_MARGIN > (now or utcnow())


def refreshable(shop: Shop, now: datetime | None = None) -> bool:
    """True when a refresh token exists and has not expired."""
    if shop.refresh_token_encrypted is None:
        return False
    expires = shop.refresh_token_expires_at
    return expires is None or expires > (now or utcnow())


def has_usable_offline_token(shop: Shop, now: datetime | None = None) -> bool:
    """Can the app call the Admin API for this shop without the merchant (now or after a refresh)?"""
    return shop.is_installed and (access_token_fresh(shop, now) or refreshable(shop, now))
