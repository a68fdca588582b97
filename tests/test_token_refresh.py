"""Keeping the expiring offline token alive (SPEC §4), with Shopify faked at the HTTP boundary.

`access_token_for` hands out the stored token while it is fresh; within five minutes of its expiry,
or after the Admin API rejected it, it spends the single-use refresh token and saves the new pair in
one write. It does so under the shop's database lock and re-checks after taking it, so N workers
racing for the same shop make exactly one refresh call. A dead refresh token clears the pair (the
merchant's next app open exchanges a new one); a transient failure keeps the old pair.
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
import responses
from cryptography.fernet import Fernet
from responses import matchers
from sqlalchemy.orm import Session

from shopify_app.admin_api.errors import OAuthRefused, ReauthRequired, ShopifyUnavailable
from shopify_app.auth.token_refresh import access_token_for
from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.models import Shop
from shopify_app.sync.models import SyncPush
from shopify_app.sync.worker import run_once

from .both_databases import backend  # noqa: F401
from .builders import API_KEY, API_SECRET, LOCATION, SCOPES, SHOP, TOKEN_KEY, component, installed_shop, session_token
from .conftest import AuthedClient

OLD_ACCESS = "shpat_test_access"  # what the `shop` fixture stores
OLD_REFRESH = "shprt_test_refresh"
NEW_ACCESS = "shpat_refreshed_access_41c2"
NEW_REFRESH = "shprt_refreshed_refresh_93aa"
NEW_SCOPES = SCOPES + ",write_products"
ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 90 * 24 * 3600
SLACK = timedelta(seconds=2)
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"

SHOP_COLUMNS = ("access_token_encrypted", "access_token_expires_at", "refresh_token_encrypted",
                "refresh_token_expires_at", "scopes", "installed_at", "uninstalled_at")


def refresh_request(refresh_token: str = OLD_REFRESH) -> dict:
    return {"client_id": API_KEY, "client_secret": API_SECRET, "grant_type": "refresh_token",
            "refresh_token": refresh_token}


def exact_refresh(refresh_token: str = OLD_REFRESH) -> list:
    return [matchers.json_params_matcher(refresh_request(refresh_token)),
            matchers.header_matcher({"Content-Type": "application/json"})]


def grant(access: str = NEW_ACCESS, refresh: str = NEW_REFRESH, scope: str = NEW_SCOPES) -> dict:
    return {"access_token": access, "scope": scope, "expires_in": ACCESS_LIFETIME,
            "refresh_token": refresh, "refresh_token_expires_in": REFRESH_LIFETIME}


def shop_row(shop_id: int) -> dict:
    with Session(db.engine) as session:
        shop = session.get(Shop, shop_id)
        return {column: getattr(shop, column) for column in SHOP_COLUMNS}


def decrypt(value: str) -> str:
    return Fernet(TOKEN_KEY.encode()).decrypt(value.encode()).decode()


def expiring_in(shop: Shop, delta: timedelta) -> Shop:
    shop.access_token_expires_at = utcnow() + delta
    db.session.commit()
    return shop


def send(app, method: str, path: str, headers: dict | None = None):
    """One request in a thread of its own: its own app context, session and `g`, like a real server."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: app.test_client().open(path, method=method, headers=headers or {})).result(60)


def assert_new_pair_stored(shop_id: int, before, after):
    row = shop_row(shop_id)
    assert decrypt(row["access_token_encrypted"]) == NEW_ACCESS
    assert decrypt(row["refresh_token_encrypted"]) == NEW_REFRESH
    assert row["scopes"] == NEW_SCOPES
    lifetime, refresh_lifetime = timedelta(seconds=ACCESS_LIFETIME), timedelta(seconds=REFRESH_LIFETIME)
    assert before + lifetime - SLACK <= row["access_token_expires_at"] <= after + lifetime + SLACK
    assert before + refresh_lifetime - SLACK <= row["refresh_token_expires_at"] <= after + refresh_lifetime + SLACK


# ------------------------------------------------------------------ when to refresh


@pytest.mark.parametrize("remaining", [timedelta(minutes=6), timedelta(minutes=59)], ids=["6min", "59min"])
def test_a_fresh_token_is_returned_without_any_http(app, shop, remaining):
    expiring_in(shop, remaining)
    before = shop_row(shop.id)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:  # nothing registered
        assert access_token_for(shop) == OLD_ACCESS
        assert len(rsps.calls) == 0
    assert shop_row(shop.id) == before


@pytest.mark.parametrize("remaining", [timedelta(minutes=4, seconds=50), timedelta(seconds=30),
                                       timedelta(minutes=-10)], ids=["4min50", "30s", "expired"])
def test_a_token_within_five_minutes_of_expiry_is_refreshed_and_the_new_pair_stored(app, shop, remaining):
    expiring_in(shop, remaining)
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant(), match=exact_refresh())
        assert access_token_for(shop) == NEW_ACCESS
        assert len(rsps.calls) == 1
    after = utcnow()
    assert_new_pair_stored(shop.id, before, after)

    # The new token is fresh: the next caller gets it without another call.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        with Session(db.engine) as session:
            assert access_token_for(session.get(Shop, shop.id)) == NEW_ACCESS
        assert len(rsps.calls) == 0


def test_each_refresh_spends_the_refresh_token_of_the_previous_one(app, shop):
    """Refresh tokens are single-use: the second refresh must send the one the first received."""
    expiring_in(shop, timedelta(minutes=1))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant("shpat_1", "shprt_1"), match=exact_refresh(OLD_REFRESH))
        assert access_token_for(shop) == "shpat_1"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant("shpat_2", "shprt_2"), match=exact_refresh("shprt_1"))
        assert access_token_for(shop, rejected_token="shpat_1") == "shpat_2"
    assert decrypt(shop_row(shop.id)["refresh_token_encrypted"]) == "shprt_2"


def test_a_token_the_admin_api_rejected_is_refreshed_even_when_not_near_expiry(app, shop):
    expiring_in(shop, timedelta(minutes=50))
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant(), match=exact_refresh())
        assert access_token_for(shop, rejected_token=OLD_ACCESS) == NEW_ACCESS
        assert len(rsps.calls) == 1
    assert_new_pair_stored(shop.id, before, utcnow())


def test_a_rejected_token_that_was_already_replaced_is_not_refreshed_again(app, shop):
    """Another worker refreshed after our 401: use its token, do not spend its refresh token."""
    expiring_in(shop, timedelta(minutes=50))
    before = shop_row(shop.id)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        assert access_token_for(shop, rejected_token="shpat_replaced_earlier") == OLD_ACCESS
        assert len(rsps.calls) == 0
    assert shop_row(shop.id) == before


def test_an_admin_api_401_refreshes_once_and_resends_with_the_new_token(app, shop):
    """End to end through the one Admin API client: 401 -> refresh -> the same call, new token."""
    graphql = f"https://{SHOP}/admin/api/{app.config['SHOPIFY_API_VERSION']}/graphql.json"
    locations = {"data": {"locations": {
        "nodes": [{"id": "gid://shopify/Location/501", "name": "Workshop", "isActive": True}],
        "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(graphql, status=401, json={"errors": "[API] Invalid API key or access token"},
                  match=[matchers.header_matcher({"X-Shopify-Access-Token": OLD_ACCESS})])
        rsps.post(TOKEN_URL, json=grant(), match=exact_refresh())
        rsps.post(graphql, json=locations, match=[matchers.header_matcher({"X-Shopify-Access-Token": NEW_ACCESS})])
        response = send(app, "GET", "/api/locations", headers={"Authorization": f"Bearer {session_token(SHOP)}"})
        assert [call.request.url for call in rsps.calls] == [graphql, TOKEN_URL, graphql]
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"items": [{"id": "gid://shopify/Location/501", "name": "Workshop"}]}
    assert_new_pair_stored(shop.id, before, utcnow())


# ------------------------------------------------------------------ when refreshing fails


def test_invalid_grant_clears_the_pair_and_the_next_app_open_exchanges_again(app, shop):
    expiring_in(shop, timedelta(minutes=2))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, status=400, match=exact_refresh(),
                  json={"error": "invalid_grant", "error_description": "refresh token revoked"})
        with pytest.raises(ReauthRequired):
            access_token_for(shop)
        assert len(rsps.calls) == 1
    row = shop_row(shop.id)
    assert row["access_token_encrypted"] is row["refresh_token_encrypted"] is None
    assert row["access_token_expires_at"] is row["refresh_token_expires_at"] is None

    # Without a token, nothing calls Shopify again until the merchant opens the app ...
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        with Session(db.engine) as session:
            with pytest.raises(ReauthRequired):
                access_token_for(session.get(Shop, shop.id))
        assert len(rsps.calls) == 0

    # ... and then the next API request with a valid session token runs the exchange.
    id_token = session_token(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant("shpat_exchanged", "shprt_exchanged"), match=[
            matchers.json_params_matcher({
                "client_id": API_KEY, "client_secret": API_SECRET,
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": id_token,
                "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
                "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
                "expiring": "1"})])
        response = send(app, "GET", "/api/settings", headers={"Authorization": f"Bearer {id_token}"})
        assert len(rsps.calls) == 1
    assert response.status_code == 200, response.get_json()
    row = shop_row(shop.id)
    assert decrypt(row["access_token_encrypted"]) == "shpat_exchanged"
    assert decrypt(row["refresh_token_encrypted"]) == "shprt_exchanged"


@pytest.mark.parametrize("rejected", [None, OLD_ACCESS], ids=["near-expiry", "rejected-by-api"])
def test_an_expired_refresh_token_needs_reauth_without_calling_shopify(app, shop, rejected):
    shop.access_token_expires_at = utcnow() + timedelta(minutes=1)
    shop.refresh_token_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        with pytest.raises(ReauthRequired):
            access_token_for(shop, rejected_token=rejected)
        assert len(rsps.calls) == 0
    with Session(db.engine) as session:
        assert not tokens.has_usable_offline_token(session.get(Shop, shop.id))


TRANSIENT = {
    "500": dict(status=500, body="Internal Server Error"),
    "502": dict(status=502, body="Bad Gateway"),
    "503": dict(status=503, body="Service Unavailable"),
    "429": dict(status=429, body="", headers={"Retry-After": "7"}),
    "connect_timeout": dict(body=requests.exceptions.ConnectTimeout("timed out")),
    "connection_error": dict(body=requests.exceptions.ConnectionError("connection reset")),
}


@pytest.mark.parametrize("failure", TRANSIENT, ids=str)
def test_a_transient_failure_raises_shopify_unavailable_and_keeps_the_old_pair(app, shop, failure):
    expiring_in(shop, timedelta(minutes=2))
    before = shop_row(shop.id)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, match=exact_refresh(), **TRANSIENT[failure])
        with pytest.raises(ShopifyUnavailable) as raised:
            access_token_for(shop)
    assert shop_row(shop.id) == before
    if failure == "429":
        assert raised.value.retry_after == 7
    # The kept refresh token is still the one spent on the next attempt.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant(), match=exact_refresh(OLD_REFRESH))
        with Session(db.engine) as session:
            assert access_token_for(session.get(Shop, shop.id)) == NEW_ACCESS


REFUSED_BUT_ALIVE = {
    "401-invalid_client": dict(status=401, json={"error": "invalid_client"}),
    "401-unknown": dict(status=401, json={"error": "something_new"}),
    "401-no-json": dict(status=401, body="Unauthorized"),
    "401-invalid_token": dict(status=401, json={"error": "invalid_token"}),
    "400-invalid_request": dict(status=400, json={"error": "invalid_request"}),
}


@pytest.mark.parametrize("answer", REFUSED_BUT_ALIVE, ids=str)
def test_a_refusal_other_than_invalid_grant_keeps_the_shops_tokens(backend, answer):
    """Only `invalid_grant` says the refresh token is dead; wiping on any 401 locked shops out."""
    shop = expiring_in(installed_shop(SHOP), timedelta(minutes=2))
    before = shop_row(shop.id)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, match=exact_refresh(), **REFUSED_BUT_ALIVE[answer])
        with pytest.raises(OAuthRefused) as raised:
            access_token_for(shop)
    assert not isinstance(raised.value, ReauthRequired)
    assert shop_row(shop.id) == before
    with Session(db.engine) as session:
        assert tokens.has_usable_offline_token(session.get(Shop, shop.id))
    # The kept refresh token is the one spent on the next attempt, which works.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, json=grant(), match=exact_refresh(OLD_REFRESH))
        with Session(db.engine) as session:
            assert access_token_for(session.get(Shop, shop.id)) == NEW_ACCESS


def test_invalid_grant_still_clears_the_pair_on_both_databases(backend):
    shop = expiring_in(installed_shop(SHOP), timedelta(minutes=2))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(TOKEN_URL, status=400, match=exact_refresh(), json={"error": "invalid_grant"})
        with pytest.raises(ReauthRequired):
            access_token_for(shop)
    row = shop_row(shop.id)
    assert row["access_token_encrypted"] is row["refresh_token_encrypted"] is None


def test_an_api_call_whose_refresh_gets_invalid_client_is_503_and_the_shop_keeps_its_tokens(backend):
    """End to end: Admin API 401, refresh refused with a 401 that is not invalid_grant."""
    shop = installed_shop(SHOP)
    before = shop_row(shop.id)
    graphql = f"https://{SHOP}/admin/api/{backend.config['SHOPIFY_API_VERSION']}/graphql.json"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(graphql, status=401, json={"errors": "[API] Invalid API key or access token"})
        rsps.post(TOKEN_URL, status=401, json={"error": "invalid_client"}, match=exact_refresh())
        response = send(backend, "GET", "/api/locations", headers={"Authorization": f"Bearer {session_token(SHOP)}"})
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert shop_row(shop.id) == before


def test_a_push_whose_refresh_is_refused_waits_and_the_shop_keeps_its_tokens(backend):
    """The sync worker: Admin API 401, refresh refused (not invalid_grant): retry later, no re-auth."""
    shop = installed_shop(SHOP)
    api = AuthedClient(backend.test_client(), SHOP)
    order = api.post("/api/production-orders", json={
        "reference": "PO-R", "locationId": LOCATION, "syncProductionOrderToShopify": True,
        "components": [component()]}).get_json()
    order = api.post(f"/api/production-orders/{order['id']}/start").get_json()
    row = order["components"][0]["id"]
    api.patch(f"/api/production-orders/{order['id']}/components/{row}", json={"quantityProduced": 4})
    assert api.post(f"/api/production-orders/{order['id']}/complete").status_code == 200
    before = shop_row(shop.id)
    graphql = f"https://{SHOP}/admin/api/{backend.config['SHOPIFY_API_VERSION']}/graphql.json"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(graphql, status=401, json={"errors": "[API] Invalid API key or access token"})
        rsps.post(TOKEN_URL, status=401, json={"error": "invalid_client"}, match=exact_refresh())
        assert run_once("test-worker") == 1
    db.session.expire_all()
    push = db.session.query(SyncPush).filter_by(order_id=order["id"]).one()
    assert push.status in ("pending", "sending") and push.next_attempt_at is not None
    assert "refused to refresh" in push.last_error and "open the app" not in push.last_error
    assert shop_row(shop.id) == before


# ------------------------------------------------------------------ N workers at once

RACERS = 6
ROUNDS = 3
SLOW_SHOPIFY = 0.2  # seconds the fake refresh takes, so the racers really wait on the lock


def _refresh_race(app):
    shop = installed_shop(SHOP)
    shop_id = shop.id
    for round_ in range(ROUNDS):
        spent = OLD_REFRESH if round_ == 0 else f"shprt_round_{round_ - 1}"
        shop = db.session.get(Shop, shop_id)
        shop.access_token_expires_at = utcnow() + timedelta(minutes=1)  # about to expire
        db.session.commit()
        db.session.close()  # the test holds no transaction (nor lock) while the racers run

        bodies, lock = [], threading.Lock()
        new_access, new_refresh = f"shpat_round_{round_}", f"shprt_round_{round_}"

        def refresh(request):
            with lock:
                bodies.append(json.loads(request.body))
            time.sleep(SLOW_SHOPIFY)
            return 200, {}, json.dumps(grant(new_access, new_refresh))

        barrier = threading.Barrier(RACERS, timeout=30)
        results, errors = [None] * RACERS, []

        def worker(i):
            try:
                with app.app_context():  # its own session and database connection
                    racer_shop = db.session.get(Shop, shop_id)
                    barrier.wait()
                    results[i] = access_token_for(racer_shop)
            except BaseException as exc:  # reported below, never lost in the thread
                errors.append(exc)
                barrier.abort()

        with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
            rsps.add_callback(responses.POST, TOKEN_URL, callback=refresh, content_type="application/json")
            threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(RACERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert not any(thread.is_alive() for thread in threads), "a racer never finished"
            assert not errors, errors
        assert len(bodies) == 1, f"round {round_}: {len(bodies)} refresh calls"
        assert bodies[0] == refresh_request(spent)
        assert results == [new_access] * RACERS
        row = shop_row(shop_id)
        assert decrypt(row["access_token_encrypted"]) == new_access
        assert decrypt(row["refresh_token_encrypted"]) == new_refresh


@pytest.mark.postgres
def test_concurrent_refreshes_on_postgresql_call_shopify_once(pg_app):
    _refresh_race(pg_app)


def test_concurrent_refreshes_on_sqlite_call_shopify_once(app):
    _refresh_race(app)
