"""Offline tokens at rest and in flight (SPEC §4): encrypted, rotatable, never logged, never returned.

The tokens come in the way production gets them — a token exchange and a refresh against a fake
Shopify at the HTTP boundary — and the checks look where a leak would land: the SQLite file and its
WAL, the raw column values, every log record, every response of every page and endpoint, reprs.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from cryptography.fernet import Fernet, InvalidToken
from responses import matchers
from sqlalchemy import text

from shopify_app.admin_api.errors import ReauthRequired
from shopify_app.auth.token_refresh import access_token_for
from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.models import Shop
from shopify_app.shops.tokens import TokenGrant, TokenKeyError

from .builders import API_KEY, API_SECRET, SCOPES, SHOP, TOKEN_KEY, installed_shop, session_token

NEW_SHOP = "leaky-candles.myshopify.com"
# Distinctive values, so that a leak anywhere is found by a plain substring search.
ACCESS = "shpat_PLAINTEXT_ACCESS_c0ffee4242"
REFRESH = "shprt_PLAINTEXT_REFRESH_d15ea5e777"
ACCESS_2 = "shpat_PLAINTEXT_ACCESS_2_feedface"
REFRESH_2 = "shprt_PLAINTEXT_REFRESH_2_badcab1e"
KEY_B = Fernet.generate_key().decode()
UNRELATED_KEY = Fernet.generate_key().decode()


def token_url(domain: str) -> str:
    return f"https://{domain}/admin/oauth/access_token"


def grant(access: str, refresh: str) -> dict:
    return {"access_token": access, "scope": SCOPES, "expires_in": 3600,
            "refresh_token": refresh, "refresh_token_expires_in": 90 * 24 * 3600}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def send(app, method: str, path: str, headers: dict | None = None, **kwargs):
    """One request in a thread of its own: its own app context, session and `g`, like a real server."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        # buffered: a streamed body (the CSV exports) is read in the request's thread, as a server does.
        future = pool.submit(lambda: app.test_client().open(path, method=method, headers=headers or {},
                                                            buffered=True, **kwargs))
        return future.result(timeout=60)


def install_by_exchange(app, domain: str = NEW_SHOP, access: str = ACCESS, refresh: str = REFRESH):
    """Install `domain` the production way: an API call with a session token, exchanged inline."""
    id_token = session_token(domain)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(domain), json=grant(access, refresh),
                  match=[matchers.json_params_matcher({
                      "client_id": API_KEY, "client_secret": API_SECRET,
                      "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                      "subject_token": id_token,
                      "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
                      "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
                      "expiring": "1"})])
        response = send(app, "GET", "/api/settings", headers=bearer(id_token))
    assert response.status_code == 200, response.get_json()
    return response


def refresh_now(domain: str, spent: str, access: str, refresh: str) -> str:
    """Make the stored token about to expire and let `access_token_for` refresh it."""
    shop = db.session.query(Shop).filter_by(domain=domain).one()
    shop.access_token_expires_at = utcnow() + timedelta(minutes=1)
    db.session.commit()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(domain), json=grant(access, refresh), match=[matchers.json_params_matcher({
            "client_id": API_KEY, "client_secret": API_SECRET, "grant_type": "refresh_token",
            "refresh_token": spent})])
        return access_token_for(shop)


def raw_tokens(domain: str) -> tuple[str, str]:
    """The two token columns exactly as stored, bypassing the app's token module."""
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT access_token_encrypted, refresh_token_encrypted FROM shops "
                                "WHERE domain = :domain"), {"domain": domain}).one()
    return row[0], row[1]


def database_bytes() -> bytes:
    """Everything SQLite has written for this database: the main file, its WAL and shared memory."""
    path = Path(db.engine.url.database)
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert path in files and any(p.name.endswith("-wal") for p in files), files
    return b"".join(p.read_bytes() for p in files)


# ------------------------------------------------------------------ encrypted at rest


def test_the_sqlite_file_and_its_wal_never_hold_a_plaintext_token(app):
    install_by_exchange(app)
    assert refresh_now(NEW_SHOP, REFRESH, ACCESS_2, REFRESH_2) == ACCESS_2

    stored = database_bytes()
    # The right files: the shop and its current ciphertext are in there ...
    assert NEW_SHOP.encode() in stored
    assert raw_tokens(NEW_SHOP)[0].encode() in stored
    # ... and no token, current or retired, in clear.
    for secret in (ACCESS, REFRESH, ACCESS_2, REFRESH_2):
        assert secret.encode() not in stored, f"{secret} is stored in clear"


def test_the_stored_values_decrypt_with_the_configured_key(app):
    install_by_exchange(app)
    access_cipher, refresh_cipher = raw_tokens(NEW_SHOP)
    assert ACCESS not in access_cipher and REFRESH not in refresh_cipher
    fernet = Fernet(TOKEN_KEY.encode())
    assert fernet.decrypt(access_cipher.encode()).decode() == ACCESS
    assert fernet.decrypt(refresh_cipher.encode()).decode() == REFRESH


def test_keys_rotate_old_tokens_stay_readable_and_new_writes_use_the_first_key(app):
    install_by_exchange(app)  # written under key A (TOKEN_KEY)
    old_access_cipher, _ = raw_tokens(NEW_SHOP)
    Fernet(TOKEN_KEY.encode()).decrypt(old_access_cipher.encode())

    app.config["TOKEN_ENCRYPTION_KEY"] = f"{KEY_B},{TOKEN_KEY}"
    shop = db.session.query(Shop).filter_by(domain=NEW_SHOP).one()
    assert tokens.access_token(shop) == ACCESS
    assert tokens.refresh_token(shop) == REFRESH

    # A refresh reads the old refresh token (key A) and writes the new pair under key B.
    assert refresh_now(NEW_SHOP, REFRESH, ACCESS_2, REFRESH_2) == ACCESS_2
    for cipher, plain in zip(raw_tokens(NEW_SHOP), (ACCESS_2, REFRESH_2)):
        assert Fernet(KEY_B.encode()).decrypt(cipher.encode()).decode() == plain
        with pytest.raises(InvalidToken):
            Fernet(TOKEN_KEY.encode()).decrypt(cipher.encode())

    # Once everything is under B, A can be dropped.
    app.config["TOKEN_ENCRYPTION_KEY"] = KEY_B
    db.session.expire_all()
    shop = db.session.query(Shop).filter_by(domain=NEW_SHOP).one()
    assert tokens.access_token(shop) == ACCESS_2
    assert tokens.refresh_token(shop) == REFRESH_2


@pytest.mark.parametrize("keys", [UNRELATED_KEY, f"{UNRELATED_KEY},{KEY_B}", "not-a-fernet-key", ""],
                         ids=["unrelated", "two-unrelated", "malformed", "empty"])
def test_without_a_key_that_decrypts_reading_fails_with_token_key_error(app, keys):
    shop = installed_shop(SHOP)
    app.config["TOKEN_ENCRYPTION_KEY"] = keys
    with pytest.raises(TokenKeyError):
        tokens.access_token(shop)
    with pytest.raises(TokenKeyError):
        tokens.refresh_token(shop)


# ------------------------------------------------------------------ never logged, never returned


def test_no_token_or_secret_appears_in_any_log_record(app, caplog):
    caplog.set_level(logging.DEBUG)
    failed_token = session_token(NEW_SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:  # a refused exchange first
        rsps.post(token_url(NEW_SHOP), status=400,
                  json={"error": "invalid_subject_token", "error_description": "bad token"})
        assert send(app, "GET", "/api/settings", headers=bearer(failed_token)).status_code == 401
    install_by_exchange(app)
    assert refresh_now(NEW_SHOP, REFRESH, ACCESS_2, REFRESH_2) == ACCESS_2
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:  # then a dead refresh token
        rsps.post(token_url(NEW_SHOP), status=400, json={"error": "invalid_grant"})
        shop = db.session.query(Shop).filter_by(domain=NEW_SHOP).one()
        with pytest.raises(ReauthRequired):
            access_token_for(shop, rejected_token=ACCESS_2)

    records = caplog.records
    # The app's own log lines were captured (from the request threads too), so the check means something.
    messages = [r.getMessage() for r in records if r.name.startswith("shopify_app")]
    assert any("installed on " + NEW_SHOP in m for m in messages), messages
    assert any("refreshed" in m and NEW_SHOP in m for m in messages), messages
    logged = caplog.text + "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''} {getattr(r, 'stack_info', '') or ''}" for r in records)
    for secret in (ACCESS, REFRESH, ACCESS_2, REFRESH_2, API_SECRET, failed_token):
        assert secret not in logged, f"a log record contains {secret[:12]}…"


def test_no_token_appears_in_any_response_body_or_header(app):
    responses_seen = [install_by_exchange(app)]
    id_token = session_token(NEW_SHOP)
    auth = bearer(id_token)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        # The one Admin API call a page makes (/api/locations); it must carry the token, not echo it.
        rsps.post(f"https://{NEW_SHOP}/admin/api/{app.config['SHOPIFY_API_VERSION']}/graphql.json",
                  match=[matchers.header_matcher({"X-Shopify-Access-Token": ACCESS})],
                  json={"data": {"locations": {
                      "nodes": [{"id": "gid://shopify/Location/501", "name": "Workshop", "isActive": True}],
                      "pageInfo": {"hasNextPage": False, "endCursor": None}}}})
        created = send(app, "POST", "/api/production-orders", headers=auth, json={"reference": "PO-7"})
        assert created.status_code == 201, created.get_json()
        order_id = created.get_json()["id"]
        responses_seen.append(created)
        responses_seen.append(send(app, "PUT", "/api/settings", headers=auth, json={
            "syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": None, "syncMode": "live"}))
        for path in (f"/api/production-orders/{order_id}", f"/api/production-orders/{order_id}/events"):
            responses_seen.append(send(app, "GET", path, headers=auth))
        # Every GET route of the app without path parameters, as the API and as an embedded page load.
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and not rule.arguments:
                responses_seen.append(send(app, "GET", rule.rule, headers=auth))
                responses_seen.append(send(app, "GET", rule.rule, query_string={
                    "shop": NEW_SHOP, "embedded": "1", "id_token": session_token(NEW_SHOP)}))
    assert all(r.status_code < 500 for r in responses_seen), [(r.status_code, r.request.path) for r in responses_seen]
    assert any(r.status_code == 200 and r.mimetype == "text/html" for r in responses_seen)

    for response in responses_seen:
        exposed = response.get_data(as_text=True) + repr(list(response.headers.items()))
        for secret in (ACCESS, REFRESH, API_SECRET, *raw_tokens(NEW_SHOP)):
            assert secret not in exposed, f"{response.request.path} exposes {secret[:12]}…"


def test_reprs_of_grants_and_shops_never_show_a_token(app):
    grant_ = TokenGrant(access_token=ACCESS, scope=SCOPES, expires_in=3600, refresh_token=REFRESH,
                        refresh_token_expires_in=7776000)
    parsed = TokenGrant.from_response(grant(ACCESS, REFRESH))
    shop = installed_shop(SHOP, access_token=ACCESS, refresh_token=REFRESH)
    ciphertexts = (shop.access_token_encrypted, shop.refresh_token_encrypted)
    for text_ in (repr(grant_), str(grant_), f"{grant_!r}", repr(parsed), repr(shop), str(shop), repr([shop])):
        for secret in (ACCESS, REFRESH, *ciphertexts):
            assert secret not in text_, text_
    assert SHOP in repr(shop)  # still useful to read
