"""Verifying the `hmac` Shopify adds to the query of redirects and admin page loads.

The message is the query without `hmac` (and `signature`), keys sorted, form-encoded the way
Shopify's official JS and Ruby libraries do it: only A-Z a-z 0-9 * - . _ stay raw, so `+`, `/`,
`=`, `%`, `&` and `~` in a value (a base64 `host`, a state nonce) are percent-encoded. ShopifyAPI
for Python escapes only `%`, `&` and `=`, which gives a different message for such values.
"""

import hashlib
import hmac
import time
from urllib.parse import quote

TIMESTAMP_TOLERANCE_SECONDS = 90
_SAFE = "*-._"  # with ASCII letters and digits, what WHATWG form-encoding leaves raw


def _form_encode(text: str, space: str) -> str:
    # Python's quote() never encodes "~"; WHATWG form-encoding (and Ruby's) does.
    return quote(text, safe=_SAFE).replace("~", "%7E").replace("%20", space)


def canonical_query(params: list[tuple[str, str]], space: str = "%20") -> str:
    """The signed message for a query given as (key, value) pairs, repeated keys kept."""
    pairs = sorted((k, v) for k, v in params if k not in ("hmac", "signature"))
    return "&".join(f"{_form_encode(k, space)}={_form_encode(v, space)}" for k, v in pairs)


def query_signature(secret: str, params: list[tuple[str, str]], space: str = "%20") -> str:
    """The hex HMAC-SHA256 Shopify would put in `hmac` for these parameters."""
    return hmac.new(secret.encode(), canonical_query(params, space).encode(), hashlib.sha256).hexdigest()


def query_is_authentic(params: list[tuple[str, str]], secrets: list[str]) -> bool:
    """True when the query's `hmac` matches under any of `secrets` (current, then previous)."""
    given = next((v for k, v in params if k == "hmac"), "")
    if not given:
        return False
    # The JS library writes a space as %20, Ruby's as +; they differ only when a value has a space.
    spaces = ("%20", "+") if any(" " in k or " " in v for k, v in params) else ("%20",)
    return any(
        hmac.compare_digest(query_signature(secret, params, space).encode(), given.lower().encode())
        for secret in secrets if secret for space in spaces
    )


def timestamp_is_recent(value: str | None, now: float | None = None) -> bool:
    """The query's `timestamp` is within ±90 seconds of now (replays of old redirects fail)."""
    try:
        stamp = int(value or "")
    except ValueError:
        return False
    return abs((now if now is not None else time.time()) - stamp) <= TIMESTAMP_TOLERANCE_SECONDS
