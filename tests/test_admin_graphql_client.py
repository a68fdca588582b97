"""The Admin GraphQL client (SPEC §5 "Throttling" and §4 refresh), with Shopify faked at the HTTP boundary.

`responses` stands in for Shopify; the client under test is the real `AdminGraphQL` with only its
`sleep` injected (a recorder), so every wait it decides on is visible and nothing really sleeps.
Also: the pure sync policy `push_reason` as a table. The bucket estimate itself is tested in
test_throttle.py.
"""

import json
import logging

import pytest
import requests
import responses
from responses import matchers
from sqlalchemy.orm import Session

from shopify_app.admin_api import graphql as graphql_module
from shopify_app.admin_api import throttle as throttle_module
from shopify_app.admin_api.documents import ADJUST_INVENTORY, VARIANT_INVENTORY_ITEMS
from shopify_app.admin_api.errors import GraphQLError, ReauthRequired, ShopifyUnavailable
from shopify_app.admin_api.graphql import AdminGraphQL, backoff_delay
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.models import Shop
from shopify_app.sync.policy import push_reason

from .builders import API_KEY, API_SECRET, SCOPES, SHOP

OLD_ACCESS = "shpat_test_access"  # what the `shop` fixture stores
OLD_REFRESH = "shprt_test_refresh"
NEW_ACCESS = "shpat_refreshed_7f3a"
NEW_REFRESH = "shprt_refreshed_c9d1"
SECRETS = (OLD_ACCESS, OLD_REFRESH, NEW_ACCESS, NEW_REFRESH, API_SECRET)
GRAPHQL_URL = f"https://{SHOP}/admin/api/2026-10/graphql.json"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"

KEY = "3b7a1f0c-4b8e-5d55-9a61-8f1f0e6f3c11"
ADJUST_VARIABLES = {
    "input": {"name": "available", "reason": "correction",
              "referenceDocumentUri": "gid://production-orders/ProductionOrder/42",
              "changes": [{"inventoryItemId": "gid://shopify/InventoryItem/9001",
                           "locationId": "gid://shopify/Location/501", "delta": 5, "changeFromQuantity": None}]},
    "idempotencyKey": KEY,
}
ADJUST_BODY = {"query": ADJUST_INVENTORY, "variables": ADJUST_VARIABLES, "operationName": "AdjustInventory"}
ADJUST_DATA = {"inventoryAdjustQuantities": {
    "inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/77", "createdAt": "2026-11-20T10:00:00Z"},
    "userErrors": []}}
ITEMS_VARIABLES = {"ids": ["gid://shopify/ProductVariant/1001"]}
ITEMS_BODY = {"query": VARIANT_INVENTORY_ITEMS, "variables": ITEMS_VARIABLES, "operationName": "VariantInventoryItems"}
ITEMS_DATA = {"nodes": [{"__typename": "ProductVariant", "id": "gid://shopify/ProductVariant/1001",
                         "displayName": "Candle", "inventoryItem": {"id": "gid://shopify/InventoryItem/9001",
                                                                    "tracked": True}}]}


def cost(requested=10, actual=10, available=990.0, maximum=1000.0, rate=50.0) -> dict:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available,
                                        "restoreRate": rate}}}


def ok(data=ADJUST_DATA, **cost_kw) -> dict:
    return {"data": data, "extensions": cost(**cost_kw)}


THROTTLED = {"errors": [{"message": "Throttled", "extensions": {
    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
    "extensions": cost(requested=105, actual=None, available=5, maximum=1000, rate=50)}


def exact(body=ADJUST_BODY, token=OLD_ACCESS) -> list:
    """Matches only the exact JSON body, the token header and JSON content."""
    return [matchers.json_params_matcher(body),
            matchers.header_matcher({"X-Shopify-Access-Token": token, "Content-Type": "application/json",
                                     "Accept": "application/json"})]


class Sleeps(list):
    """An injected `sleep`: records the requested delays instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture(autouse=True)
def fresh_estimates(monkeypatch):
    """The bucket estimate and the per-operation cost memory are process-wide: start each test
    with neither (other test files talk to the same shop domain), and put them back afterwards."""
    monkeypatch.setattr(throttle_module.throttle, "_memory", throttle_module.MemoryBudget())
    monkeypatch.setattr(graphql_module, "_unit_cost", {})


@pytest.fixture
def shopify():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sleeps():
    return Sleeps()


def sent(rsps) -> list[tuple[str, str | None, bytes]]:
    """(url, token header, raw body) of every request made; fails on a request nothing matched
    (responses answers those with a ConnectionError, which the client would retry as transient)."""
    out = []
    for call in rsps.calls:
        unmatched = isinstance(call.response, Exception) and "Connection refused by Responses" in str(call.response)
        assert not unmatched, f"a request matched no registered answer: {call.response}"
        body = call.request.body
        out.append((call.request.url, call.request.headers.get("X-Shopify-Access-Token"),
                    body if isinstance(body, bytes) else (body or "").encode()))
    return out


def graphql_bodies(rsps) -> list[dict]:
    return [json.loads(body) for url, _, body in sent(rsps) if url == GRAPHQL_URL]


def assert_no_secret(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked into: {text!r}"


def exception_texts(exc: BaseException) -> list[str]:
    """str/repr/args of the exception and everything chained to it (what a traceback would print)."""
    texts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts += [str(exc), repr(exc), *map(str, exc.args)]
        exc = exc.__cause__ or exc.__context__
    return texts


def reload_shop(shop_id: int) -> Shop:
    with Session(db.engine, expire_on_commit=False) as session:
        return session.get(Shop, shop_id)


# ------------------------------------------------------------------ URL, headers, body


def test_a_call_posts_the_exact_body_with_the_access_token_to_the_versioned_url(app, shop, shopify, sleeps):
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    data = AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert data == ADJUST_DATA
    ((url, token, body),) = sent(shopify)
    assert (url, token) == (GRAPHQL_URL, OLD_ACCESS)
    assert json.loads(body) == ADJUST_BODY
    assert "Authorization" not in shopify.calls[0].request.headers
    assert sleeps == []


def test_the_admin_origin_setting_points_the_client_at_a_local_fake(app, shop, shopify, sleeps):
    app.config["SHOPIFY_ADMIN_ORIGIN"] = "http://127.0.0.1:8765/{shop}"
    url = f"http://127.0.0.1:8765/{SHOP}/admin/api/2026-10/graphql.json"
    shopify.post(url, json=ok(ITEMS_DATA), match=exact(ITEMS_BODY))
    client = AdminGraphQL(shop, sleep=sleeps)
    assert client.url == url
    assert client.execute("VariantInventoryItems", VARIANT_INVENTORY_ITEMS, ITEMS_VARIABLES) == ITEMS_DATA
    assert client.calls == 1


# ------------------------------------------------------------------ transient failures

TRANSIENT = {
    "500": dict(status=500, json={"errors": "Internal Server Error"}),
    "502-html": dict(status=502, body="<html><h1>502 Bad Gateway</h1></html>", content_type="text/html"),
    "503": dict(status=503, json={"errors": "Service Unavailable"}),
    "429-no-retry-after": dict(status=429, json={"errors": "Too Many Requests"}),
    "read-timeout": dict(body=requests.exceptions.ReadTimeout()),
    "connect-timeout": dict(body=requests.exceptions.ConnectTimeout()),
    "connection-reset": dict(body=requests.exceptions.ConnectionError("Connection aborted.")),
    "200-not-json": dict(status=200, body="<html>maintenance</html>", content_type="text/html"),
}


@pytest.mark.parametrize("failure", TRANSIENT, ids=str)
def test_a_transient_failure_is_retried_with_the_identical_body_and_key(app, shop, shopify, sleeps, failure):
    app.config.update(SYNC_BACKOFF_BASE_SECONDS=1.0, SYNC_BACKOFF_MAX_SECONDS=30.0, SYNC_HTTP_RETRIES=4)
    shopify.post(GRAPHQL_URL, match=exact(), **TRANSIENT[failure])
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    client = AdminGraphQL(shop, sleep=sleeps)
    assert client.execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES) == ADJUST_DATA
    first, second = sent(shopify)
    assert first == second  # same URL, same token, byte-identical body (same idempotency key)
    assert json.loads(second[2])["variables"]["idempotencyKey"] == KEY
    assert client.calls == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0  # attempt 0: base·2^0 with jitter in [½, 1]


def test_backoff_grows_exponentially_with_jitter_and_is_capped(app, shop, shopify, sleeps):
    app.config.update(SYNC_BACKOFF_BASE_SECONDS=1.0, SYNC_BACKOFF_MAX_SECONDS=5.0, SYNC_HTTP_RETRIES=5)
    for failure in ("500", "502-html", "503", "read-timeout", "500"):
        shopify.post(GRAPHQL_URL, match=exact(), **TRANSIENT[failure])
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    assert AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES) == ADJUST_DATA
    assert len(set(body for _, _, body in sent(shopify))) == 1 and len(shopify.calls) == 6
    # attempt k sleeps in [c/2, c] with c = min(cap, base·2^k): 1, 2, 4, then capped at 5.
    ceilings = [1.0, 2.0, 4.0, 5.0, 5.0]
    assert len(sleeps) == 5
    for delay, ceiling in zip(sleeps, ceilings):
        assert ceiling / 2 <= delay <= ceiling, (sleeps, ceilings)
    assert sleeps[2] > sleeps[0]  # grows (disjoint ranges: 2 ≤ d2 and d0 ≤ 1)
    assert max(sleeps) <= 5.0


def test_backoff_delays_are_jittered_not_synchronised():
    delays = [backoff_delay(3, 0.5, 60) for _ in range(200)]
    assert all(2.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100  # workers retrying together do not retry in lockstep
    assert all(30 <= backoff_delay(20, 0.5, 60) <= 60 for _ in range(50))  # capped, no overflow


def test_a_429_honours_retry_after(app, shop, shopify, sleeps):
    app.config.update(SYNC_BACKOFF_BASE_SECONDS=0.1, SYNC_BACKOFF_MAX_SECONDS=60.0)
    shopify.post(GRAPHQL_URL, status=429, json={"errors": "Too Many Requests"}, headers={"Retry-After": "7"},
                 match=exact())
    shopify.post(GRAPHQL_URL, status=429, json={"errors": "Too Many Requests"}, headers={"Retry-After": "2.5"},
                 match=exact())
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    assert AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES) == ADJUST_DATA
    assert sleeps == [7.0, 2.5]
    assert len(set(body for _, _, body in sent(shopify))) == 1


@pytest.mark.parametrize("failure", ["503", "read-timeout", "502-html"])
def test_after_the_configured_retries_the_call_raises_shopify_unavailable(app, shop, shopify, sleeps, failure):
    app.config.update(SYNC_BACKOFF_BASE_SECONDS=0.2, SYNC_BACKOFF_MAX_SECONDS=10.0, SYNC_HTTP_RETRIES=3)
    for _ in range(4):  # the first attempt and 3 retries
        shopify.post(GRAPHQL_URL, match=exact(), **TRANSIENT[failure])
    with pytest.raises(ShopifyUnavailable) as raised:
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(shopify.calls) == 4 and len(set(body for _, _, body in sent(shopify))) == 1
    assert len(sleeps) == 3
    assert_no_secret(*exception_texts(raised.value))


def test_a_429_that_persists_raises_with_its_retry_after(app, shop, shopify, sleeps):
    app.config.update(SYNC_HTTP_RETRIES=1)
    for _ in range(2):
        shopify.post(GRAPHQL_URL, status=429, json={"errors": "Too Many Requests"}, headers={"Retry-After": "4"},
                     match=exact())
    with pytest.raises(ShopifyUnavailable) as raised:
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert raised.value.retry_after == 4.0
    assert sleeps == [4.0]


# ------------------------------------------------------------------ THROTTLED and the bucket


def test_a_throttled_answer_waits_for_the_bucket_then_resends(app, shop, shopify, sleeps):
    """(105 − 5) / 50 = 2 s, plus jitter up to as much again (other workers saw the same bucket):
    the wait comes from Shopify's numbers, not a fixed sleep."""
    shopify.post(GRAPHQL_URL, json=THROTTLED, match=exact())
    shopify.post(GRAPHQL_URL, json=ok(requested=105, actual=105, available=0), match=exact())
    client = AdminGraphQL(shop, sleep=sleeps)
    assert client.execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES) == ADJUST_DATA
    assert len(sleeps) == 1 and 2.0 - 0.05 <= sleeps[0] <= 4.0 + 0.05
    first, second = sent(shopify)
    assert first == second
    assert client.calls == 2


@pytest.mark.parametrize("available, rate, expected", [(5, 50, 2.0), (55, 50, 1.0), (5, 25, 4.0), (80, 10, 2.5)])
def test_the_throttled_wait_follows_the_reported_bucket(app, shop, shopify, sleeps, available, rate, expected):
    throttled = {**THROTTLED, "extensions": cost(requested=105, actual=None, available=available, rate=rate)}
    shopify.post(GRAPHQL_URL, json=throttled, match=exact())
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(sleeps) == 1 and expected - 0.05 <= sleeps[0] <= 2 * expected + 0.05


def test_throttling_that_never_ends_gives_up_with_shopify_unavailable(app, shop, shopify, sleeps):
    for _ in range(graphql_module.MAX_THROTTLE_WAITS + 1):
        shopify.post(GRAPHQL_URL, json=THROTTLED, match=exact())
    with pytest.raises(ShopifyUnavailable):
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(shopify.calls) == graphql_module.MAX_THROTTLE_WAITS + 1
    assert len(sleeps) == graphql_module.MAX_THROTTLE_WAITS  # a wait before every resend, none after giving up
    # What the bucket lacks, plus jitter that grows with each THROTTLED answer up to 3 times as much.
    assert all(2.0 - 0.05 <= s <= 2.0 * (1 + min(n, 3)) + 0.05 for n, s in enumerate(sleeps, start=1))


@pytest.mark.parametrize("available, requested, expected", [
    (10, 50, 0.8),   # (50 − 10) / 50
    (30, 50, 0.4),   # a fuller bucket waits less
    (2, 20, 0.36),   # a cheaper call waits less
    (50, 50, None),  # enough points: no wait at all
    (400, 50, None),
])
def test_after_a_nearly_empty_bucket_the_next_call_waits_before_sending(app, shop, shopify, sleeps,
                                                                        available, requested, expected):
    """Proactive: the first answer reports the bucket; the NEXT call sleeps just enough, then sends
    once (no THROTTLED round trip)."""
    shopify.post(GRAPHQL_URL, json=ok(requested=requested, actual=requested, available=available), match=exact())
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    client = AdminGraphQL(shop, sleep=sleeps)
    client.execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert sleeps == []  # nothing known before the first answer
    client.execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(shopify.calls) == 2
    if expected is None:
        assert sleeps == []
    else:
        assert len(sleeps) == 1 and sleeps[0] == pytest.approx(expected, abs=0.05)


def test_the_bucket_estimate_is_shared_by_clients_of_the_same_shop(app, shop, shopify, sleeps):
    """The estimate is per shop, not per client object: the worker makes a new client per push."""
    shopify.post(GRAPHQL_URL, json=ok(requested=50, actual=50, available=0), match=exact())
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    AdminGraphQL(shop, sleep=Sleeps()).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(sleeps) == 1 and sleeps[0] == pytest.approx(1.0, abs=0.05)


# ------------------------------------------------------------------ 401: one refresh, then reauth


def refresh_grant() -> dict:
    return {"access_token": NEW_ACCESS, "scope": SCOPES, "expires_in": 3600,
            "refresh_token": NEW_REFRESH, "refresh_token_expires_in": 90 * 24 * 3600}


def register_refresh(rsps) -> None:
    rsps.post(TOKEN_URL, json=refresh_grant(), match=[matchers.json_params_matcher({
        "client_id": API_KEY, "client_secret": API_SECRET, "grant_type": "refresh_token",
        "refresh_token": OLD_REFRESH})])


UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_a_401_refreshes_once_and_resends_the_same_body_with_the_new_token(app, shop, shopify, sleeps):
    shopify.post(GRAPHQL_URL, status=401, json=UNAUTHORIZED, match=exact(token=OLD_ACCESS))
    register_refresh(shopify)
    shopify.post(GRAPHQL_URL, json=ok(), match=exact(token=NEW_ACCESS))
    assert AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES) == ADJUST_DATA
    (u1, t1, b1), (u2, _, _), (u3, t3, b3) = sent(shopify)
    assert (u1, u2, u3) == (GRAPHQL_URL, TOKEN_URL, GRAPHQL_URL)
    assert (t1, t3) == (OLD_ACCESS, NEW_ACCESS)
    assert b1 == b3  # the same idempotency key after the refresh
    stored = reload_shop(shop.id)
    with app.app_context():
        assert tokens.access_token(stored) == NEW_ACCESS and tokens.refresh_token(stored) == NEW_REFRESH
    assert sleeps == []


def test_a_second_401_clears_the_tokens_and_raises_reauth_required(app, shop, shopify, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    shopify.post(GRAPHQL_URL, status=401, json=UNAUTHORIZED, match=exact(token=OLD_ACCESS))
    register_refresh(shopify)
    shopify.post(GRAPHQL_URL, status=401, json=UNAUTHORIZED, match=exact(token=NEW_ACCESS))
    with pytest.raises(ReauthRequired) as raised:
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(shopify.calls) == 3  # exactly one refresh, no third GraphQL attempt
    assert raised.value.shop_domain == SHOP
    stored = reload_shop(shop.id)
    assert stored.access_token_encrypted is None and stored.refresh_token_encrypted is None
    assert stored.access_token_expires_at is None and stored.refresh_token_expires_at is None
    assert_no_secret(*exception_texts(raised.value), *(r.getMessage() for r in caplog.records))


def test_a_401_whose_refresh_is_refused_raises_reauth_required(app, shop, shopify, sleeps):
    shopify.post(GRAPHQL_URL, status=401, json=UNAUTHORIZED, match=exact(token=OLD_ACCESS))
    shopify.post(TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "revoked"})
    with pytest.raises(ReauthRequired) as raised:
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(shopify.calls) == 2
    assert reload_shop(shop.id).access_token_encrypted is None
    assert_no_secret(*exception_texts(raised.value))


# ------------------------------------------------------------------ GraphQL errors


@pytest.mark.parametrize("errors", [
    [{"message": "Field 'bogus' doesn't exist on type 'QueryRoot'",
      "extensions": {"code": "undefinedField", "typeName": "QueryRoot", "fieldName": "bogus"}}],
    [{"message": "Query cost is 1200, which exceeds the bucket size of 1000.",
      "extensions": {"code": "MAX_COST_EXCEEDED"}}],
    "[API] This action requires merchant approval for write_inventory scope.",
], ids=["undefined-field", "max-cost", "string-errors"])
def test_top_level_graphql_errors_raise_without_retry(app, shop, shopify, sleeps, errors, caplog):
    caplog.set_level(logging.DEBUG)
    shopify.post(GRAPHQL_URL, json={"errors": errors, "extensions": cost(requested=10, actual=0)}, match=exact())
    with pytest.raises(GraphQLError) as raised:
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert len(shopify.calls) == 1 and sleeps == []
    expected = errors if isinstance(errors, list) else [errors]
    assert raised.value.errors == expected
    first = expected[0]["message"] if isinstance(expected[0], dict) else expected[0]
    assert first[:40] in str(raised.value)
    assert_no_secret(*exception_texts(raised.value), *(r.getMessage() for r in caplog.records))


def test_a_throttled_error_among_others_is_waited_for_not_raised(app, shop, shopify, sleeps):
    mixed = {**THROTTLED, "errors": [{"message": "something else"}] + THROTTLED["errors"]}
    shopify.post(GRAPHQL_URL, json=mixed, match=exact())
    shopify.post(GRAPHQL_URL, json=ok(), match=exact())
    assert AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES) == ADJUST_DATA
    assert len(sleeps) == 1


# ------------------------------------------------------------------ no secrets in errors or logs


LEAKY = {
    # Exception texts that quote what was sent, to prove the client never passes them on.
    "connection-error": dict(body=requests.exceptions.ConnectionError(
        f"HTTPSConnectionPool(host='{SHOP}', port=443): Max retries exceeded with url: /admin/api/2026-10/graphql.json")),
    "read-timeout": dict(body=requests.exceptions.ReadTimeout(
        f"HTTPSConnectionPool(host='{SHOP}', port=443): Read timed out. (read timeout=20)")),
    "500": dict(status=500, json={"errors": "Internal Server Error"}),
}


@pytest.mark.parametrize("failure", LEAKY, ids=str)
def test_tokens_never_appear_in_exception_messages_or_logs(app, shop, shopify, sleeps, caplog, failure):
    caplog.set_level(logging.DEBUG)
    app.config.update(SYNC_HTTP_RETRIES=1)
    for _ in range(2):
        shopify.post(GRAPHQL_URL, match=exact(), **LEAKY[failure])
    with pytest.raises(ShopifyUnavailable) as raised:
        AdminGraphQL(shop, sleep=sleeps).execute("AdjustInventory", ADJUST_INVENTORY, ADJUST_VARIABLES)
    assert_no_secret(*exception_texts(raised.value), *(r.getMessage() for r in caplog.records))
    assert SHOP in str(raised.value) or "Shopify" in str(raised.value)


# ------------------------------------------------------------------ push_reason (SPEC §5 "When")

PRODUCED = {"components.12.quantityProduced": [4, 6]}
MOVED = {"locationId": ["gid://shopify/Location/1", "gid://shopify/Location/2"]}
TYPE = {"type": ["assembly", "disassembly"]}
VARIANT = {"components.12.variantId": ["gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"]}
MATERIALS = {"components.12.materials": [[], [{"variantId": "gid://shopify/ProductVariant/3", "quantityPerUnit": "1"}]]}
PLANNED = {"components.12.quantityPlanned": [10, 12]}
NOTES = {"notes": ["", "second shift"]}
TITLE = {"components.12.title": ["Candle", "Big candle"]}
FLAG_ON = {"syncProductionOrderToShopify": [False, True]}
FLAG_OFF = {"syncProductionOrderToShopify": [True, False]}
ROW = {"components.13": [None, {"variantId": "gid://shopify/ProductVariant/1"}]}

POLICY = [
    # event, status after the change, flag, mode, changes -> reason
    # Completion pushes in both modes, whatever moved.
    ("completed", "completed", True, "on_complete", {}, "completed"),
    ("completed", "completed", True, "live", PRODUCED, "completed"),
    # ... but never without the flag.
    ("completed", "completed", False, "on_complete", {}, None),
    ("completed", "completed", None, "on_complete", {}, None),
    ("completed", "completed", None, "live", {}, None),
    ("completed", "completed", False, "live", PRODUCED, None),
    # on_complete: nothing while in progress, even moves of targets or the flag turned on.
    ("component_updated", "in_progress", True, "on_complete", PRODUCED, None),
    ("updated", "in_progress", True, "on_complete", MOVED, None),
    ("updated", "in_progress", True, "on_complete", FLAG_ON, None),
    ("component_added", "in_progress", True, "on_complete", ROW, None),
    ("started", "in_progress", True, "on_complete", {"status": ["draft", "in_progress"]}, None),
    # live, in progress: every field that moves a target pushes ...
    ("component_updated", "in_progress", True, "live", PRODUCED, "live_edit"),
    ("updated", "in_progress", True, "live", MOVED, "live_edit"),
    ("updated", "in_progress", True, "live", TYPE, "live_edit"),
    ("component_updated", "in_progress", True, "live", VARIANT, "live_edit"),
    ("component_updated", "in_progress", True, "live", MATERIALS, "live_edit"),
    ("component_added", "in_progress", True, "live", ROW, "live_edit"),
    ("component_removed", "in_progress", True, "live", {"components.12": [{"variantId": "x"}, None]}, "live_edit"),
    ("started", "in_progress", True, "live", {"status": ["draft", "in_progress"]}, "live_started"),
    ("updated", "in_progress", True, "live", FLAG_ON, "sync_turned_on"),
    ("updated", "in_progress", True, "live", {**FLAG_ON, **MOVED}, "sync_turned_on"),
    # ... fields that cannot move a target do not.
    ("component_updated", "in_progress", True, "live", PLANNED, None),
    ("component_updated", "in_progress", True, "live", TITLE, None),
    ("updated", "in_progress", True, "live", NOTES, None),
    ("updated", "in_progress", True, "live", {}, None),
    # live without the flag: nothing, including the change that turns it off.
    ("component_updated", "in_progress", False, "live", PRODUCED, None),
    ("component_updated", "in_progress", None, "live", PRODUCED, None),
    ("updated", "in_progress", False, "live", FLAG_OFF, None),
    # Drafts never push, in either mode.
    ("component_updated", "draft", True, "live", PRODUCED, None),
    ("updated", "draft", True, "live", MOVED, None),
    ("component_added", "draft", True, "live", ROW, None),
    ("updated", "draft", True, "live", FLAG_ON, None),
    ("created", "draft", True, "live", {"reference": [None, "PO-1"]}, None),
    ("created", "draft", True, "on_complete", {"reference": [None, "PO-1"]}, None),
    # Cancelled: no new push (one queued earlier still goes out, decided elsewhere).
    ("cancelled", "cancelled", True, "live", {"status": ["in_progress", "cancelled"]}, None),
    ("cancelled", "cancelled", True, "on_complete", {"status": ["draft", "cancelled"]}, None),
    # After completion, edits do not push again.
    ("updated", "completed", True, "live", NOTES, None),
]


@pytest.mark.parametrize("event, status, flag, mode, changes, expected", POLICY,
                         ids=[f"{e}-{s}-{f}-{m}-{','.join(c) or 'nothing'}" for e, s, f, m, c, _ in POLICY])
def test_push_reason(event, status, flag, mode, changes, expected):
    assert push_reason(event, status, flag, mode, changes) == expected


# ------------------------------------------------------------------ Throttle on an injected clock
