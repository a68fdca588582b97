"""Shopify-managed installation through token exchange (SPEC §4), faked only at the HTTP boundary.

A valid session token from a shop without a usable offline token (unknown, uninstalled, or whose
refresh token is dead) is traded inline for an expiring offline token. The request gets 401 with the
App Bridge retry header only if the exchange fails, and then nothing is half-stored. Exactly one
exchange per shop, even when several first requests arrive at once (each exchange retires the
previous pair, so a second one would kill the first one's refresh chain).

Every request runs in its own thread, so it gets its own app context, database session and `g`,
as it would in a real server (a test client used inside the fixture's app context shares them).
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
import responses
from cryptography.fernet import Fernet
from responses import matchers
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.models import Shop, ShopSettings

from .builders import API_KEY, API_SECRET, PREVIOUS_SECRET, SCOPES, SHOP, TOKEN_KEY, installed_shop, session_token

NEW_SHOP = "new-candles.myshopify.com"
NEW_ACCESS = "shpat_exchanged_access_5d1c9a"
NEW_REFRESH = "shprt_exchanged_refresh_7b3e0f"
ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 90 * 24 * 3600
SLACK = timedelta(seconds=2)

SHOP_COLUMNS = ("id", "domain", "access_token_encrypted", "access_token_expires_at", "refresh_token_encrypted",
                "refresh_token_expires_at", "scopes", "installed_at", "uninstalled_at")


# ------------------------------------------------------------------ helpers


def token_url(domain: str) -> str:
    return f"https://{domain}/admin/oauth/access_token"


def exchange_request(subject_token: str) -> dict:
    """Exactly what SPEC §4 says the exchange posts (written out here, not imported from the app)."""
    return {
        "client_id": API_KEY,
        "client_secret": API_SECRET,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": "1",
    }


def grant(access: str = NEW_ACCESS, refresh: str = NEW_REFRESH, scope: str = SCOPES) -> dict:
    return {"access_token": access, "scope": scope, "expires_in": ACCESS_LIFETIME,
            "refresh_token": refresh, "refresh_token_expires_in": REFRESH_LIFETIME}


def exact_exchange(subject_token: str) -> list:
    return [matchers.json_params_matcher(exchange_request(subject_token)),
            matchers.header_matcher({"Content-Type": "application/json"})]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def send(app, method: str, path: str, headers: dict | None = None, **kwargs):
    """One request in a thread of its own: its own app context, session and `g`, like a real server."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(lambda: app.test_client().open(path, method=method, headers=headers or {}, **kwargs))
        return future.result(timeout=60)


def shop_row(domain: str) -> dict | None:
    """The shop's row as the database holds it now, read through a session of its own."""
    with Session(db.engine) as session:
        shop = session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()
        return None if shop is None else {column: getattr(shop, column) for column in SHOP_COLUMNS}


def count(model, *where) -> int:
    with Session(db.engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def decrypt(value: str) -> str:
    return Fernet(TOKEN_KEY.encode()).decrypt(value.encode()).decode()


def assert_retry_401(response):
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.headers.get("X-Shopify-Retry-Invalid-Session-Request") == "1"
    assert response.is_json
    assert response.get_json()["error"]["code"] == "unauthorized"


@contextmanager
def ciphertext_writes():
    """Every SQL statement that writes an encrypted token (a Fernet token starts with gAAAAA)."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        rows = parameters if executemany else [parameters]
        for row in rows:
            values = row.values() if isinstance(row, dict) else row
            if any(isinstance(v, str) and v.startswith("gAAAAA") for v in values or ()):
                statements.append(statement)
                break

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def assert_installed_with_new_grant(row: dict, before, after):
    assert decrypt(row["access_token_encrypted"]) == NEW_ACCESS
    assert decrypt(row["refresh_token_encrypted"]) == NEW_REFRESH
    assert row["scopes"] == SCOPES
    lifetime, refresh_lifetime = timedelta(seconds=ACCESS_LIFETIME), timedelta(seconds=REFRESH_LIFETIME)
    assert before + lifetime - SLACK <= row["access_token_expires_at"] <= after + lifetime + SLACK
    assert before + refresh_lifetime - SLACK <= row["refresh_token_expires_at"] <= after + refresh_lifetime + SLACK
    assert row["installed_at"] is not None and row["uninstalled_at"] is None


def make_uninstalled(domain: str) -> dict:
    """A shop that installed a month ago and uninstalled yesterday (the webhook cleared its tokens)."""
    shop = installed_shop(domain)
    shop.installed_at = utcnow() - timedelta(days=30)
    shop.uninstalled_at = utcnow() - timedelta(days=1)
    tokens.clear_tokens(shop)
    db.session.commit()
    return shop_row(domain)


# ------------------------------------------------------------------ a first install


def test_a_valid_session_token_from_an_unknown_shop_installs_it_in_one_write(app):
    token = session_token(NEW_SHOP)
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps, ciphertext_writes() as writes:
        rsps.post(token_url(NEW_SHOP), json=grant(), match=exact_exchange(token))
        response = send(app, "GET", "/api/settings", headers=bearer(token))
        assert len(rsps.calls) == 1
    after = utcnow()

    # The API call that triggered the install is answered normally, for the new shop.
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"syncProductionOrdersToShopifyByDefault": False,
                                   "defaultLocationId": None, "syncMode": "on_complete", "costUpdate": "off",
                                   "shortagePolicy": "warn", "plannedOutputAsIncoming": False}

    row = shop_row(NEW_SHOP)
    assert row is not None
    assert_installed_with_new_grant(row, before, after)
    assert before <= row["installed_at"] <= after
    assert count(ShopSettings, ShopSettings.shop_id == row["id"]) == 1
    # Access token, refresh token, both expiries and the scopes in a single statement.
    assert len(writes) == 1, writes
    for column in ("access_token_encrypted", "refresh_token_encrypted", "access_token_expires_at",
                   "refresh_token_expires_at", "scopes"):
        assert column in writes[0]


def test_after_the_install_further_calls_do_not_exchange_again(app):
    first = session_token(NEW_SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(NEW_SHOP), json=grant(), match=exact_exchange(first))
        assert send(app, "GET", "/api/settings", headers=bearer(first)).status_code == 200
    stored = shop_row(NEW_SHOP)

    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:  # any call would fail
        for path in ("/api/settings", "/api/production-orders"):
            response = send(app, "GET", path, headers=bearer(session_token(NEW_SHOP)))
            assert response.status_code == 200, response.get_json()
        created = send(app, "POST", "/api/production-orders", headers=bearer(session_token(NEW_SHOP)),
                       json={"reference": "PO-1"})
        assert created.status_code == 201, created.get_json()
        assert len(rsps.calls) == 0
    assert shop_row(NEW_SHOP) == stored  # the pair the first exchange stored is untouched


def test_an_installed_shop_whose_access_token_expired_is_not_exchanged_again(app):
    """A refreshable pair is usable: exchanging would retire the refresh chain the workers hold."""
    shop = installed_shop(SHOP)
    shop.access_token_expires_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    stored = shop_row(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(app, "GET", "/api/settings", headers=bearer(session_token(SHOP)))
        assert len(rsps.calls) == 0
    assert response.status_code == 200
    assert shop_row(SHOP) == stored


def test_a_token_signed_with_the_previous_secret_installs_too(app):
    token = session_token(NEW_SHOP, secret=PREVIOUS_SECRET)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        # The exchange itself always authenticates with the current secret.
        rsps.post(token_url(NEW_SHOP), json=grant(), match=exact_exchange(token))
        response = send(app, "GET", "/api/settings", headers=bearer(token))
    assert response.status_code == 200
    assert shop_row(NEW_SHOP)["installed_at"] is not None


@pytest.mark.parametrize("bad_token", [
    pytest.param(lambda: session_token(NEW_SHOP, secret="not-the-app-secret-0123456789abcdef"), id="wrong-secret"),
    pytest.param(lambda: session_token(NEW_SHOP, aud="another-app"), id="other-app"),
    pytest.param(lambda: session_token(NEW_SHOP, exp=int(time.time()) - 120), id="expired"),
])
def test_an_invalid_session_token_never_reaches_shopify_nor_creates_a_row(app, bad_token):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(app, "GET", "/api/settings", headers=bearer(bad_token()))
        assert len(rsps.calls) == 0
    assert_retry_401(response)
    assert count(Shop) == 0 and count(ShopSettings) == 0


# ------------------------------------------------------------------ shops that need a new token


def test_an_uninstalled_shop_reinstalls_and_its_install_time_moves_forward(app):
    old = make_uninstalled(SHOP)
    token = session_token(SHOP)
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(SHOP), json=grant(), match=exact_exchange(token))
        response = send(app, "GET", "/api/settings", headers=bearer(token))
    after = utcnow()

    assert response.status_code == 200, response.get_json()
    row = shop_row(SHOP)
    assert row["id"] == old["id"]  # the same shop, its data kept
    assert_installed_with_new_grant(row, before, after)
    assert before <= row["installed_at"] <= after
    assert row["installed_at"] > old["uninstalled_at"]
    assert row["uninstalled_at"] is None


@pytest.mark.parametrize("dead", ["tokens-cleared", "refresh-token-expired"])
def test_a_shop_whose_refresh_token_is_dead_exchanges_again(app, dead):
    shop = installed_shop(SHOP, access_token="shpat_old", refresh_token="shprt_old")
    if dead == "tokens-cleared":  # what a refresh answered with invalid_grant leaves behind
        tokens.clear_tokens(shop)
    else:
        shop.access_token_expires_at = utcnow() - timedelta(hours=1)
        shop.refresh_token_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    token = session_token(SHOP)
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(SHOP), json=grant(), match=exact_exchange(token))
        response = send(app, "GET", "/api/production-orders", headers=bearer(token))
    after = utcnow()

    assert response.status_code == 200, response.get_json()
    row = shop_row(SHOP)
    assert decrypt(row["access_token_encrypted"]) == NEW_ACCESS
    assert decrypt(row["refresh_token_encrypted"]) == NEW_REFRESH
    lifetime = timedelta(seconds=ACCESS_LIFETIME)
    assert before + lifetime - SLACK <= row["access_token_expires_at"] <= after + lifetime + SLACK
    assert row["installed_at"] is not None and row["uninstalled_at"] is None


# ------------------------------------------------------------------ the exchange fails

FAILURES = {
    "invalid_subject_token": dict(status=400, json={"error": "invalid_subject_token",
                                                    "error_description": "the session token is invalid"}),
    "invalid_client": dict(status=400, json={"error": "invalid_client"}),
    "server_error": dict(status=500, body="Internal Server Error"),
    "rate_limited": dict(status=429, body="", headers={"Retry-After": "2"}),
    "connect_timeout": dict(body=requests.exceptions.ConnectTimeout("timed out")),
    "read_timeout": dict(body=requests.exceptions.ReadTimeout("timed out")),
    "200_without_access_token": dict(status=200, json={"scope": SCOPES, "expires_in": ACCESS_LIFETIME}),
    "200_not_json": dict(status=200, body="<html>maintenance</html>", content_type="text/html"),
}


@pytest.mark.parametrize("failure", FAILURES, ids=str)
def test_a_failed_exchange_for_a_new_shop_answers_401_and_stores_nothing(app, failure):
    token = session_token(NEW_SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(NEW_SHOP), match=exact_exchange(token), **FAILURES[failure])
        response = send(app, "GET", "/api/settings", headers=bearer(token))
    assert_retry_401(response)
    assert token not in response.get_data(as_text=True) and API_SECRET not in response.get_data(as_text=True)
    assert shop_row(NEW_SHOP) is None
    assert count(Shop) == 0 and count(ShopSettings) == 0

    # App Bridge retries with a fresh token; this time Shopify grants it.
    retry = session_token(NEW_SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(NEW_SHOP), json=grant(), match=exact_exchange(retry))
        assert send(app, "GET", "/api/settings", headers=bearer(retry)).status_code == 200
    assert decrypt(shop_row(NEW_SHOP)["access_token_encrypted"]) == NEW_ACCESS


@pytest.mark.parametrize("failure", FAILURES, ids=str)
def test_a_failed_exchange_for_an_uninstalled_shop_leaves_it_unchanged(app, failure):
    before = make_uninstalled(SHOP)
    token = session_token(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(SHOP), match=exact_exchange(token), **FAILURES[failure])
        response = send(app, "GET", "/api/settings", headers=bearer(token))
    assert_retry_401(response)
    assert shop_row(SHOP) == before
    assert count(ShopSettings) == 1


def test_the_exchange_goes_to_shopify_admin_origin_when_it_is_set(app):
    app.config["SHOPIFY_ADMIN_ORIGIN"] = "http://127.0.0.1:8765/{shop}"
    token = session_token(NEW_SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        # Nothing is registered for https://{shop}: a call there would fail the request.
        rsps.post(f"http://127.0.0.1:8765/{NEW_SHOP}/admin/oauth/access_token", json=grant(),
                  match=exact_exchange(token))
        response = send(app, "GET", "/api/settings", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert decrypt(shop_row(NEW_SHOP)["access_token_encrypted"]) == NEW_ACCESS


# ------------------------------------------------------------------ concurrent first requests

RACERS = 5
ROUNDS = 3
SLOW_SHOPIFY = 0.2  # seconds the fake token endpoint takes, so the racers really overlap


def race(n: int, prepare):
    """Run `prepare(i)()` in n threads released together; `prepare` runs before the barrier."""
    barrier = threading.Barrier(n, timeout=30)
    results, errors = [None] * n, []

    def run(i):
        try:
            action = prepare(i)
            barrier.wait()
            results[i] = action()
        except BaseException as exc:  # reported by the test, never lost in the thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    assert not errors, errors
    return results


def _first_requests_race(app):
    for round_ in range(ROUNDS):
        domain = f"race-{round_}.myshopify.com"
        access, refresh = f"shpat_race_{round_}", f"shprt_race_{round_}"
        bodies, lock = [], threading.Lock()
        session_tokens = [session_token(domain) for _ in range(RACERS)]

        def exchange(request):
            with lock:
                bodies.append(json.loads(request.body))
            time.sleep(SLOW_SHOPIFY)
            return 200, {}, json.dumps(grant(access, refresh))

        def prepare(i):
            client = app.test_client()  # its own client: its own app context, session, connection
            return lambda: client.get("/api/settings", headers=bearer(session_tokens[i]))

        with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
            rsps.add_callback(responses.POST, token_url(domain), callback=exchange,
                              content_type="application/json")
            results = race(RACERS, prepare)
            assert [r.status_code for r in results] == [200] * RACERS, [r.get_json() for r in results]
        assert len(bodies) == 1, f"round {round_}: {len(bodies)} exchanges"
        assert bodies[0]["subject_token"] in session_tokens
        assert bodies[0] == exchange_request(bodies[0]["subject_token"])
        assert count(Shop, Shop.domain == domain) == 1
        row = shop_row(domain)
        assert count(ShopSettings, ShopSettings.shop_id == row["id"]) == 1
        assert decrypt(row["access_token_encrypted"]) == access
        assert decrypt(row["refresh_token_encrypted"]) == refresh
        assert row["installed_at"] is not None


@pytest.mark.postgres
def test_concurrent_first_requests_on_postgresql_exchange_exactly_once(pg_app):
    _first_requests_race(pg_app)


def test_concurrent_first_requests_on_sqlite_exchange_exactly_once(app):
    _first_requests_race(app)
