"""Shopify calls inside a web request share one deadline (issue #11, point 4), and locations are cached.

Shopify is faked with `responses`. "Slow" is what the client decides, never a real wait: a backoff,
a Retry-After or an empty cost bucket that would pass SHOPIFY_REQUEST_DEADLINE_SECONDS ends the
request at once with 503 `service_unavailable` and Retry-After, and the timeouts handed to
`requests` never exceed what the deadline leaves. The sync worker has no request, so no deadline.
Every case runs on SQLite and on PostgreSQL.
"""

import pytest
import requests
import responses
from flask import g

from shopify_app.admin_api import graphql as graphql_module
from shopify_app.admin_api import throttle as throttle_module
from shopify_app.admin_api.documents import ACTIVE_LOCATIONS
from shopify_app.admin_api.graphql import AdminGraphQL

from .builders import LOCATION, LOCATION_2, OTHER_SHOP, SHOP, installed_shop
from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .conftest import AuthedClient

GRAPHQL_URL = f"https://{SHOP}/admin/api/2026-10/graphql.json"
LOCATIONS = {"data": {"locations": {
    "nodes": [{"id": LOCATION, "name": "Workshop", "isActive": True},
              {"id": LOCATION_2, "name": "Shop front", "isActive": True}],
    "pageInfo": {"hasNextPage": False, "endCursor": None}}},
    "extensions": {"cost": {"requestedQueryCost": 25, "actualQueryCost": 3,
                            "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 1990,
                                               "restoreRate": 100}}}}
THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
             "extensions": {"cost": {"requestedQueryCost": 25, "actualQueryCost": None,
                                     "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 0,
                                                        "restoreRate": 1}}}}


@pytest.fixture(autouse=True)
def fresh_estimates(monkeypatch):
    """The bucket estimates are process-wide: a test that empties a bucket must not leave it empty."""
    monkeypatch.setattr(throttle_module.throttle, "_memory", throttle_module.MemoryBudget())
    monkeypatch.setattr(graphql_module, "_unit_cost", {})


@pytest.fixture
def app(backend):
    # Backoff far beyond the deadline: a retry the client would wait for must end the request instead.
    backend.config.update(SHOPIFY_REQUEST_DEADLINE_SECONDS=8, SYNC_BACKOFF_BASE_SECONDS=30,
                          SYNC_BACKOFF_MAX_SECONDS=60, SHOPIFY_HTTP_TIMEOUT_SECONDS=20)
    return backend


@pytest.fixture
def api(app, client, shop):
    return AuthedClient(client, shop.domain)


@pytest.fixture
def shopify():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def assert_503(response) -> int:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "service_unavailable"
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    return retry_after


def test_shopify_failing_ends_the_request_with_503_instead_of_backing_off_past_the_deadline(api, shopify):
    shopify.post(GRAPHQL_URL, status=503, json={"errors": "Service Unavailable"})
    retry_after = assert_503(api.get("/api/locations"))
    assert len(shopify.calls) == 1  # the first backoff (15-30 s) would pass the 8 s deadline
    assert 15 <= retry_after <= 30


def test_a_timeout_ends_the_request_with_503_and_every_timeout_fits_the_deadline(app, api, shopify):
    app.config["SHOPIFY_REQUEST_DEADLINE_SECONDS"] = 3
    shopify.post(GRAPHQL_URL, body=requests.ReadTimeout("read timed out"))
    assert_503(api.get("/api/locations"))
    connect, read = shopify.calls[0].request.req_kwargs["timeout"]
    assert 0 < connect <= 3 and 0 < read <= 3  # not the configured 20 s


def test_shopify_asking_to_come_back_later_is_passed_on_as_retry_after(api, shopify):
    shopify.post(GRAPHQL_URL, status=429, headers={"Retry-After": "30"}, json={"errors": "Too Many Requests"})
    assert assert_503(api.get("/api/locations")) == 30
    assert len(shopify.calls) == 1


@pytest.mark.parametrize("header", ["inf", "nan", "-1", "1e999", "99999999999999999999"])
def test_an_absurd_retry_after_from_shopify_is_not_a_500(api, shopify, header):
    shopify.post(GRAPHQL_URL, status=429, headers={"Retry-After": header}, json={"errors": "Too Many Requests"})
    assert 15 <= assert_503(api.get("/api/locations")) <= 30  # ignored: our own backoff decides


def test_an_empty_cost_bucket_ends_the_request_instead_of_waiting_for_it(api, shopify):
    shopify.post(GRAPHQL_URL, json=THROTTLED)  # refills at 1 point a second: 25 s to wait
    assert assert_503(api.get("/api/locations")) >= 20
    assert len(shopify.calls) == 1


def test_a_deadline_already_spent_makes_no_call_at_all(app, shop, shopify):
    with app.test_request_context("/api/locations"):
        g.shopify_deadline = 0.0  # monotonic time long past: an earlier call used the budget up
        with pytest.raises(graphql_module.ShopifyUnavailable):
            AdminGraphQL(shop).execute("ActiveLocations", ACTIVE_LOCATIONS, {"after": None})
    assert len(shopify.calls) == 0


def test_the_worker_has_no_deadline_and_waits_as_shopify_asks(app, shop, shopify):
    shopify.post(GRAPHQL_URL, status=429, headers={"Retry-After": "30"}, json={"errors": "Too Many Requests"})
    shopify.post(GRAPHQL_URL, json=LOCATIONS)
    waits = []
    data = AdminGraphQL(shop, sleep=waits.append).execute("ActiveLocations", ACTIVE_LOCATIONS, {"after": None})
    assert waits == [30.0] and data["locations"]["nodes"][0]["id"] == LOCATION
    assert shopify.calls[0].request.req_kwargs["timeout"] == (5, 20.0)


def test_locations_are_asked_once_per_shop_then_served_from_the_cache(api, client, shopify):
    shopify.post(GRAPHQL_URL, json=LOCATIONS)
    first = api.get("/api/locations")
    second = api.get("/api/locations")
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json() == {"items": [{"id": LOCATION, "name": "Workshop"},
                                                               {"id": LOCATION_2, "name": "Shop front"}]}
    assert len(shopify.calls) == 1
    # Another shop has its own entry: it asks its own Shopify, never sees this shop's list.
    installed_shop(OTHER_SHOP)
    shopify.post(f"https://{OTHER_SHOP}/admin/api/2026-10/graphql.json",
                 json={**LOCATIONS, "data": {"locations": {"nodes": [], "pageInfo": {"hasNextPage": False}}}})
    assert AuthedClient(client, OTHER_SHOP).get("/api/locations").get_json() == {"items": []}
    assert len(shopify.calls) == 2


def test_a_failure_is_not_cached(api, shopify):
    shopify.post(GRAPHQL_URL, status=503, json={"errors": "Service Unavailable"})
    shopify.post(GRAPHQL_URL, json=LOCATIONS)
    assert_503(api.get("/api/locations"))
    assert api.get("/api/locations").status_code == 200
    assert len(shopify.calls) == 2


def test_the_cache_expires(api, shopify, monkeypatch):
    from shopify_app.shops import locations

    monkeypatch.setattr(locations, "CACHE_SECONDS", 0.0)
    shopify.post(GRAPHQL_URL, json=LOCATIONS)
    assert api.get("/api/locations").status_code == 200
    assert api.get("/api/locations").status_code == 200
    assert len(shopify.calls) == 2
