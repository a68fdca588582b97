"""The fake's `/admin/oauth/access_token`: token exchange, refresh rotation and the code grant."""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from flask import request

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
LEEWAY = 10  # seconds of clock skew Shopify's libraries tolerate


def _error(code: str, description: str, status: int = 400):
    return {"error": code, "error_description": description}, status


def _request_body() -> dict:
    # Official libraries send JSON; the old Python library sends the code grant form-encoded.
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


def _is_expiring(value) -> bool:
    return str(value).strip().lower() in ("1", "true")


def _b64json(segment: str):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def verify_session_token(token, config, shop: str, now: float | None = None) -> bool:
    """True if `token` is an HS256 session token for this app (aud) and this shop (dest host).

    Checked by hand rather than with PyJWT: PyJWT warns about short demo secrets, and a warning
    escalated to an error (the test suite's setting) would turn into a 500 inside the server thread.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        return False
    head, body, signature = token.split(".")
    try:
        header, claims = _b64json(head), _b64json(body)
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (ValueError, TypeError):  # bad base64 or JSON
        return False
    expected = hmac.new(config.api_secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not hmac.compare_digest(given, expected):
        return False
    now = time.time() if now is None else now
    audience = claims.get("aud") if isinstance(claims, dict) else None
    if config.api_key not in (audience if isinstance(audience, list) else [audience]):
        return False
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not isinstance(exp, (int, float)) or not isinstance(nbf, (int, float)):
        return False
    if now > exp + LEEWAY or now < nbf - LEEWAY:
        return False
    return urlsplit(str(claims.get("dest", ""))).hostname == shop


def handle_token(rt, shop: str):
    """POST /<shop>/admin/oauth/access_token → (JSON body, status)."""
    config, tokens = rt.config, rt.store.tokens
    data = _request_body()
    if data.get("client_id") != config.api_key or data.get("client_secret") != config.api_secret:
        return _error("invalid_client", "Client authentication failed: unknown client_id or wrong client_secret.", 401)
    expiring = _is_expiring(data.get("expiring", "0"))
    ttl = {"access_ttl": config.access_token_ttl, "refresh_ttl": config.refresh_token_ttl}
    grant = data.get("grant_type")
    if grant == "refresh_token":
        body = tokens.rotate(shop, data.get("refresh_token") or "", config.scopes, **ttl)
        if body is None:
            return _error("invalid_grant", "The refresh token is invalid, expired, or has been revoked.")
        return body, 200
    if grant == TOKEN_EXCHANGE:
        return _token_exchange(rt, shop, data, expiring, ttl)
    if grant in (None, "", "authorization_code") and data.get("code"):
        if not tokens.take_code(shop, str(data["code"])):
            return _error("invalid_request", "The authorization code was not found or was already used.")
        return tokens.issue(shop, config.scopes, expiring=expiring, **ttl), 200
    if grant in (None, "", "authorization_code"):
        return _error("invalid_request", "The authorization code is missing.")
    return _error("unsupported_grant_type", f"Unsupported grant_type {grant!r}.")


def _token_exchange(rt, shop: str, data: dict, expiring: bool, ttl: dict):
    config, tokens = rt.config, rt.store.tokens
    if data.get("requested_token_type", OFFLINE_TOKEN_TYPE) == ONLINE_TOKEN_TYPE:
        return _error("invalid_request", "The fake Shopify issues offline tokens only.")
    subject, subject_type = data.get("subject_token"), data.get("subject_token_type", ID_TOKEN_TYPE)
    if subject_type == OFFLINE_TOKEN_TYPE:
        # Migration of a non-expiring offline token to an expiring pair; the old token is retired.
        record = tokens.live_access(subject, shop)
        if record is None or record.expires_at is not None or not expiring:
            return _error("invalid_subject_token", "The subject token is not a live non-expiring offline token.")
        body = tokens.issue(shop, config.scopes, expiring=True, **ttl)
        tokens.retire(subject)
        return body, 200
    if subject_type != ID_TOKEN_TYPE or not verify_session_token(subject, config, shop):
        return _error("invalid_subject_token", "The session token could not be verified for this shop.")
    rt.store.add_shop(shop)  # the merchant's store exists in Shopify even if the test seeded nothing
    return tokens.issue(shop, config.scopes, expiring=expiring, **ttl), 200
