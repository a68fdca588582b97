"""Authenticating a webhook: HMAC-SHA256 of the raw body with the app secret, base64-encoded."""

import base64
import hashlib
import hmac


def body_signature(secret: str, body: bytes) -> str:
    """The value Shopify sends in X-Shopify-Hmac-Sha256 for `body`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_is_authentic(body: bytes, header: str | None, secrets: list[str]) -> bool:
    """True when `header` matches the body signed with any of `secrets` (current, then previous)."""
    if not header:
        return False
    given = header.strip().encode()
    # Compare every candidate in constant time; never short-circuit on a prefix.
    return any(hmac.compare_digest(body_signature(secret, body).encode(), given) for secret in secrets if secret)
