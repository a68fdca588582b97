"""The loopback fake Shopify itself, exercised through real HTTP on 127.0.0.1."""

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from shopify_app.admin_api.documents import ALL_DOCUMENTS
from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore, FaultPlan

API_KEY = "devshop-test-key-0123456789abcdef"
API_SECRET = "devshop-test-secret-0123456789abcdef0123456789"
SHOP = "fake-candles.myshopify.com"
OTHER_SHOP = "fake-soap.myshopify.com"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
VARIANT, VARIANT_2, BUNDLE = (f"gid://shopify/ProductVariant/{n}" for n in (101, 102, 103))
ITEM, ITEM_2, BUNDLE_ITEM = (f"gid://shopify/InventoryItem/{n}" for n in (201, 202, 203))
LOCATION, LOCATION_2, CLOSED = (f"gid://shopify/Location/{n}" for n in (301, 302, 303))
REPO = Path(__file__).resolve().parents[1]


def schema_path() -> str | None:
    """SHOPIFY_SCHEMA_PATH, else the project's cache, else the shared copy next to the repository."""
    candidates = [os.environ.get("SHOPIFY_SCHEMA_PATH"), REPO / ".cache/shopify/admin_2026-10.json.gz",
                  REPO.parent / "shared/shopify/admin_2026-10.json.gz"]
    return next((str(path) for path in candidates if path and Path(path).is_file()), None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def session_token(shop=SHOP, *, secret=API_SECRET, aud=API_KEY, exp_in=60, **claims) -> str:
    """An App Bridge-style HS256 session token."""
    now = int(time.time())
    body = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": aud, "sub": "42",
            "exp": now + exp_in, "nbf": now - 5, "iat": now - 5, "jti": str(uuid.uuid4()), "sid": "s", **claims}
    signing_input = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(body).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def seed(store: FakeStore) -> None:
    for shop in (SHOP, OTHER_SHOP):
        store.add_location(shop, 301, "Workshop")
        store.add_location(shop, 302, "Shop front")
        store.add_location(shop, 303, "Closed store", active=False)
        store.add_variant(shop, 101, "Candle - Large", inventory_item_id=201, available={LOCATION: 10})
        store.add_variant(shop, 102, "Wax - 1 kg", inventory_item_id=202, available={LOCATION: 50})
        store.add_variant(shop, 103, "Gift bundle", inventory_item_id=203, mutable=False)


@pytest.fixture
def make_fake():
    """Start fakes with custom settings; all are stopped at the end of the test."""
    started = []

    def start(store=None, **settings):
        settings.setdefault("timeout_delay", 0.3)
        store = store if store is not None else FakeStore()
        seed(store)
        fake = FakeShopify(FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, **settings), store).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def fake(make_fake):
    return make_fake()


def access_token(fake, shop=SHOP) -> str:
    return fake.store.tokens.issue(shop, "read_products", expiring=True)["access_token"]


def token_request(fake, shop=SHOP, **fields):
    body = {"client_id": API_KEY, "client_secret": API_SECRET, **fields}
    return requests.post(fake.token_url(shop), json=body, timeout=5)


def exchange(fake, shop=SHOP, *, expiring="1", **fields):
    fields = {"grant_type": TOKEN_EXCHANGE, "subject_token": session_token(shop),
              "subject_token_type": ID_TOKEN_TYPE, "requested_token_type": OFFLINE_TYPE,
              "expiring": expiring, **fields}
    return token_request(fake, shop, **fields)


def gql(fake, token, query, variables=None, shop=SHOP, timeout=5):
    return requests.post(fake.graphql_url(shop), json={"query": query, "variables": variables or {}},
                         headers={"X-Shopify-Access-Token": token}, timeout=timeout)


def adjust_vars(key=None, *changes, **input_fields):
    changes = changes or ({"inventoryItemId": ITEM, "locationId": LOCATION, "delta": 5, "changeFromQuantity": None},)
    data = {"name": "available", "reason": "correction", "referenceDocumentUri": "gid://prod-orders/ProductionOrder/7",
            "changes": list(changes), **input_fields}
    return {"idempotencyKey": key or str(uuid.uuid4()), "input": data}


def adjust(fake, token, variables, **kwargs):
    return gql(fake, token, ALL_DOCUMENTS["AdjustInventory"], variables, **kwargs)


def payload_of(response):
    assert response.status_code == 200, response.text
    return response.json()["data"]["inventoryAdjustQuantities"]


def user_error_codes(response):
    return [error["code"] for error in payload_of(response)["userErrors"]]


# --- OAuth ----------------------------------------------------------------------------------------

def test_token_exchange_issues_an_expiring_pair_that_opens_graphql(fake):
    response = exchange(fake)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "scope", "expires_in", "refresh_token", "refresh_token_expires_in"}
    assert body["access_token"].startswith("shpat_") and body["refresh_token"].startswith("shprt_")
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (3600, 90 * 24 * 3600)
    assert gql(fake, body["access_token"], "{ __typename }").status_code == 200

    legacy = exchange(fake, expiring="0").json()
    assert set(legacy) == {"access_token", "scope"}


@pytest.mark.parametrize("token", [
    session_token(secret="not-the-app-secret-0123456789abcdef0123"),
    session_token(aud="some-other-app"),
    session_token(OTHER_SHOP),
    session_token(exp_in=-60),
    "not.a.jwt", "",
])
def test_token_exchange_rejects_an_unverifiable_session_token(fake, token):
    response = exchange(fake, subject_token=token)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_subject_token")


def test_token_endpoint_checks_client_credentials(fake):
    response = exchange(fake, client_secret="wrong")
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_refresh_rotates_the_pair_and_retires_the_old_one(fake):
    first = exchange(fake).json()
    second = token_request(fake, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"].startswith("shprt_")
    assert gql(fake, first["access_token"], "{ __typename }").status_code == 401
    assert gql(fake, second["access_token"], "{ __typename }").status_code == 200
    reused = token_request(fake, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    foreign = token_request(fake, OTHER_SHOP, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert foreign.json()["error"] == "invalid_grant"


def test_a_new_expiring_exchange_revokes_the_previous_pair(fake):
    first = exchange(fake).json()
    exchange(fake)
    assert gql(fake, first["access_token"], "{ __typename }").status_code == 401
    stale = token_request(fake, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert stale.json()["error"] == "invalid_grant"


def test_tokens_expire_on_the_store_clock(make_fake):
    now = [1_000_000.0]
    fake = make_fake(FakeStore(clock=lambda: now[0]), access_token_ttl=60, refresh_token_ttl=600)
    pair = fake.store.tokens.issue(SHOP, "s", expiring=True, access_ttl=60, refresh_ttl=600)
    now[0] += 61
    assert gql(fake, pair["access_token"], "{ __typename }").status_code == 401
    now[0] += 600
    assert token_request(fake, grant_type="refresh_token", refresh_token=pair["refresh_token"]).status_code == 400


def test_code_grant_accepts_a_registered_code_once(fake):
    fake.store.tokens.add_code(SHOP, "code-123")
    form = {"client_id": API_KEY, "client_secret": API_SECRET, "code": "code-123", "expiring": "1"}
    response = requests.post(fake.token_url(SHOP), data=form, timeout=5)  # old ShopifyAPI sends a form
    assert response.status_code == 200 and "refresh_token" in response.json()
    again = token_request(fake, code="code-123")
    assert (again.status_code, again.json()["error"]) == (400, "invalid_request")


def test_migration_trades_a_non_expiring_token_for_a_pair(fake):
    legacy = exchange(fake, expiring="0").json()["access_token"]
    migrated = exchange(fake, subject_token=legacy, subject_token_type=OFFLINE_TYPE)
    assert "refresh_token" in migrated.json()
    assert gql(fake, legacy, "{ __typename }").status_code == 401


# --- GraphQL auth, queries, cost -------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "shpat_unknown", "other-shop"])
def test_graphql_needs_a_live_token_of_that_shop(fake, token):
    token = access_token(fake, OTHER_SHOP) if token == "other-shop" else token
    headers = {"X-Shopify-Access-Token": token} if token else {}
    response = requests.post(fake.graphql_url(SHOP), json={"query": "{ __typename }"}, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_nodes_resolves_variants_and_nulls_unknown_ids(fake):
    fake.store.set_tracked(SHOP, VARIANT_2, False)
    fake.store.add_variant(SHOP, 104, "Gone")
    fake.store.delete_variant(SHOP, 104)
    ids = [VARIANT, VARIANT_2, "gid://shopify/ProductVariant/999", "gid://shopify/ProductVariant/104"]
    response = gql(fake, access_token(fake), ALL_DOCUMENTS["VariantInventoryItems"], {"ids": ids})
    body = response.json()
    history = "https://admin.shopify.com/store/{}/products/inventory/{}/inventory_history"
    assert body["data"]["nodes"] == [
        {"__typename": "ProductVariant", "id": VARIANT, "displayName": "Candle - Large",
         "inventoryItem": {"id": ITEM, "tracked": True,
                           "inventoryHistoryUrl": history.format(SHOP.split(".")[0], ITEM.rsplit("/", 1)[1]),
                           "unitCost": None}},
        {"__typename": "ProductVariant", "id": VARIANT_2, "displayName": "Wax - 1 kg",
         "inventoryItem": {"id": ITEM_2, "tracked": False,
                           "inventoryHistoryUrl": history.format(SHOP.split(".")[0], ITEM_2.rsplit("/", 1)[1]),
                           "unitCost": None}},
        None, None]
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 4
    assert cost["throttleStatus"] == {"maximumAvailable": 2000.0, "currentlyAvailable": 1996, "restoreRate": 100.0}


def test_locations_pages_active_locations_and_respects_aliases(fake):
    token = access_token(fake)
    body = gql(fake, token, ALL_DOCUMENTS["ActiveLocations"]).json()
    assert [n["name"] for n in body["data"]["locations"]["nodes"]] == ["Shop front", "Workshop"]
    assert body["data"]["locations"]["pageInfo"]["hasNextPage"] is False
    assert body["extensions"]["cost"]["requestedQueryCost"] == 25
    query = ("query($after: String) { page: locations(first: 2, after: $after, includeInactive: true) "
             "{ nodes { id isActive } pageInfo { hasNextPage endCursor } } }")
    first = gql(fake, token, query).json()["data"]["page"]
    second = gql(fake, token, query, {"after": first["pageInfo"]["endCursor"]}).json()["data"]["page"]
    assert first["pageInfo"]["hasNextPage"] and not second["pageInfo"]["hasNextPage"]
    assert second["nodes"] == [{"id": LOCATION, "isActive": True}]
    assert {n["id"] for n in first["nodes"]} == {CLOSED, LOCATION_2}


# --- inventoryAdjustQuantities rules ----------------------------------------------------------------

def test_success_applies_every_delta_and_returns_the_group(fake):
    token = access_token(fake)
    variables = adjust_vars(None, {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": 3, "changeFromQuantity": None},
                            {"inventoryItemId": ITEM_2, "locationId": LOCATION, "delta": -7, "changeFromQuantity": 50},
                            {"inventoryItemId": ITEM, "locationId": LOCATION_2, "delta": 2, "changeFromQuantity": None})
    result = payload_of(adjust(fake, token, variables))
    assert result["userErrors"] == [] and set(result["inventoryAdjustmentGroup"]) == {"id", "createdAt", "changes"}
    assert result["inventoryAdjustmentGroup"]["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    # Shopify's own receipt: each change with the quantity after it, as the app stores it.
    assert [(c["item"]["id"], c["location"]["id"], c["name"], c["delta"], c["quantityAfterChange"])
            for c in result["inventoryAdjustmentGroup"]["changes"]] == [
        (ITEM, LOCATION, "available", 3, 13), (ITEM_2, LOCATION, "available", -7, 43),
        (ITEM, LOCATION_2, "available", 2, 2)]
    # LOCATION_2 never stocked ITEM: since 2026-10 that is fine.
    assert fake.store.ledger(SHOP) == {(ITEM, LOCATION): 13, (ITEM_2, LOCATION): 43, (ITEM, LOCATION_2): 2}
    rows = requests.get(f"{fake.origin}/_fake/{SHOP}/ledger", timeout=5).json()["items"]
    # Rows also carry the variant's sku and unitCost (the demo inventory page shows them).
    row = next(r for r in rows if (r["variantId"], r["locationId"]) == (VARIANT, LOCATION))
    assert {k: v for k, v in row.items() if k not in ("sku", "unitCost")} == {
        "variantId": VARIANT, "inventoryItemId": ITEM, "displayName": "Candle - Large", "locationId": LOCATION,
        "locationName": "Workshop", "available": 13, "incoming": 0, "qualityControl": 0}
    assert set(row) >= {"sku", "unitCost"} and row["unitCost"] is None
    groups = requests.get(f"{fake.origin}/_fake/{SHOP}/adjustments", timeout=5).json()["items"]
    assert [g["id"] for g in groups] == [result["inventoryAdjustmentGroup"]["id"]]
    assert groups[0]["idempotencyKey"] == variables["idempotencyKey"] and len(groups[0]["changes"]) == 3
    assert requests.get(f"{fake.origin}/_fake/nowhere.myshopify.com/ledger", timeout=5).status_code == 404


def test_the_idempotent_directive_is_required(fake):
    query = (ALL_DOCUMENTS["AdjustInventory"].replace(" @idempotent(key: $idempotencyKey)", "")
             .replace(", $idempotencyKey: String!", ""))
    response = gql(fake, access_token(fake), query, {"input": adjust_vars()["input"]})
    assert response.status_code == 200 and "@idempotent" in response.json()["errors"][0]["message"]
    assert "data" not in response.json() and fake.store.available(SHOP, ITEM, LOCATION) == 10


def test_a_blank_idempotency_key_is_refused(fake):
    response = adjust(fake, access_token(fake), adjust_vars("   "))
    assert response.json()["errors"] and fake.store.available(SHOP, ITEM, LOCATION) == 10


def test_every_change_must_carry_change_from_quantity(fake):
    variables = adjust_vars(None, {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": 1})
    response = adjust(fake, access_token(fake), variables)
    assert "changeFromQuantity" in response.json()["errors"][0]["message"]
    assert fake.store.available(SHOP, ITEM, LOCATION) == 10
    assert fake.store.shop(SHOP).idempotency == {}  # a request-level error records nothing


@pytest.mark.parametrize("change, input_fields, code, field", [
    ({"changeFromQuantity": 9}, {}, "CHANGE_FROM_QUANTITY_STALE", ["input", "changes", "1", "changeFromQuantity"]),
    ({"inventoryItemId": "gid://shopify/InventoryItem/999"}, {}, "INVALID_INVENTORY_ITEM",
     ["input", "changes", "1", "inventoryItemId"]),
    ({"locationId": "gid://shopify/Location/999"}, {}, "INVALID_LOCATION", ["input", "changes", "1", "locationId"]),
    ({"locationId": CLOSED}, {}, "INVALID_LOCATION", ["input", "changes", "1", "locationId"]),
    ({"inventoryItemId": BUNDLE_ITEM}, {}, "NON_MUTABLE_INVENTORY_ITEM", ["input", "changes", "1", "inventoryItemId"]),
    ({}, {"name": "on_hand"}, "INVALID_QUANTITY_NAME", ["input", "name"]),
    ({}, {"reason": "because"}, "INVALID_REASON", ["input", "reason"]),
    ({}, {"referenceDocumentUri": "not a uri"}, "INVALID_REFERENCE_DOCUMENT", ["input", "referenceDocumentUri"]),
])
def test_a_user_error_applies_nothing_and_burns_the_key(fake, change, input_fields, code, field):
    token = access_token(fake)
    good = {"inventoryItemId": ITEM_2, "locationId": LOCATION, "delta": 4, "changeFromQuantity": None}
    bad = {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": 1, "changeFromQuantity": None, **change}
    variables = adjust_vars(None, good, bad, **input_fields)
    result = payload_of(adjust(fake, token, variables))
    assert result["inventoryAdjustmentGroup"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert fake.store.ledger(SHOP) == {(ITEM, LOCATION): 10, (ITEM_2, LOCATION): 50}
    assert user_error_codes(adjust(fake, token, variables)) == ["IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"]
    assert fake.store.adjustments(SHOP) == []


def test_a_matching_change_from_quantity_is_accepted(fake):
    variables = adjust_vars(None, {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": -4, "changeFromQuantity": 10})
    assert user_error_codes(adjust(fake, access_token(fake), variables)) == []
    assert fake.store.available(SHOP, VARIANT, LOCATION) == 6


# --- idempotency ------------------------------------------------------------------------------------

def test_a_replayed_key_returns_the_stored_group_and_applies_once(fake):
    token, variables = access_token(fake), adjust_vars("key-1")
    first = payload_of(adjust(fake, token, variables))
    second = payload_of(adjust(fake, token, variables))
    assert second == first
    assert fake.store.available(SHOP, ITEM, LOCATION) == 15
    assert fake.store.applied(SHOP)["key-1"] == 1 and fake.store.calls(SHOP)["AdjustInventory"] == 2


def test_the_same_key_with_other_variables_is_a_mismatch(fake):
    token = access_token(fake)
    adjust(fake, token, adjust_vars("key-2"))
    other = adjust_vars("key-2", {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": 6, "changeFromQuantity": None})
    assert user_error_codes(adjust(fake, token, other)) == ["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    assert fake.store.available(SHOP, ITEM, LOCATION) == 15


def test_idempotency_keys_are_per_shop(fake):
    variables = adjust_vars("shared-key")
    adjust(fake, access_token(fake), variables)
    assert user_error_codes(adjust(fake, access_token(fake, OTHER_SHOP), variables, shop=OTHER_SHOP)) == []
    assert fake.store.available(OTHER_SHOP, ITEM, LOCATION) == 15


def test_a_key_in_flight_answers_concurrent_request(make_fake):
    fake = make_fake(fault_rate=1.0, fault_kinds={"timeout": 1}, timeout_delay=0.5)
    token, variables = access_token(fake), adjust_vars("slow-key")
    results = {}
    worker = threading.Thread(target=lambda: results.update(first=adjust(fake, token, variables)))
    worker.start()
    deadline = time.monotonic() + 3
    while "slow-key" not in fake.store.shop(SHOP).idempotency and time.monotonic() < deadline:
        time.sleep(0.01)
    assert user_error_codes(adjust(fake, token, variables)) == ["IDEMPOTENCY_CONCURRENT_REQUEST"]
    worker.join()
    assert user_error_codes(results["first"]) == [] and fake.store.applied(SHOP)["slow-key"] == 1


def _seed_where(kinds: dict, wanted: list) -> int:
    """A fault seed whose plan starts with `wanted` (found by previewing, not by trial requests)."""
    return next(seed for seed in range(10_000) if FaultPlan.preview(0.5, seed, kinds, len(wanted)) == wanted)


def test_a_timed_out_request_is_applied_and_the_retry_replays_it(make_fake):
    kinds = {"timeout": 1}
    fake = make_fake(fault_rate=0.5, fault_seed=_seed_where(kinds, ["timeout", None]), fault_kinds=kinds)
    token, variables = access_token(fake), adjust_vars("timeout-key")
    with pytest.raises(requests.Timeout):
        adjust(fake, token, variables, timeout=0.05)
    deadline = time.monotonic() + 3
    while not fake.store.applied(SHOP)["timeout-key"] and time.monotonic() < deadline:
        time.sleep(0.01)
    retry = payload_of(adjust(fake, token, variables))
    assert retry["userErrors"] == [] and fake.store.applied(SHOP)["timeout-key"] == 1
    assert retry["inventoryAdjustmentGroup"]["id"] == fake.store.adjustments(SHOP)[0]["id"]
    assert fake.store.available(SHOP, ITEM, LOCATION) == 15


def test_a_lost_response_is_applied_behind_a_502(make_fake):
    kinds = {"lost_response": 1}
    fake = make_fake(fault_rate=0.5, fault_seed=_seed_where(kinds, ["lost_response", None]), fault_kinds=kinds)
    token, variables = access_token(fake), adjust_vars("lost-key")
    lost = adjust(fake, token, variables)
    assert lost.status_code == 502 and lost.headers["Content-Type"].startswith("text/html")
    assert fake.store.available(SHOP, ITEM, LOCATION) == 15
    retry = payload_of(adjust(fake, token, variables))
    assert retry["inventoryAdjustmentGroup"]["id"] == fake.store.adjustments(SHOP)[0]["id"]
    assert fake.store.applied(SHOP)["lost-key"] == 1


@pytest.mark.parametrize("kind, status", [("http_500", 500), ("http_503", 503), ("http_429", 429), ("throttled", 200)])
def test_early_faults_apply_nothing(make_fake, kind, status):
    fake = make_fake(fault_rate=1.0, fault_kinds={kind: 1})
    response = adjust(fake, access_token(fake), adjust_vars())
    assert response.status_code == status
    if kind == "http_429":
        assert response.headers["Retry-After"] == "1"
    if kind == "throttled":
        assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert fake.store.available(SHOP, ITEM, LOCATION) == 10 and fake.store.adjustments(SHOP) == []


def test_the_seeded_fault_plan_is_reproducible(make_fake):
    kinds = {"http_500": 1, "http_503": 1, "http_429": 1, "throttled": 1}
    statuses = {}
    for run, seed in (("a", 7), ("b", 7), ("c", 8)):
        fake = make_fake(fault_rate=0.5, fault_seed=seed, fault_kinds=kinds)
        token = access_token(fake)
        answers = [gql(fake, token, ALL_DOCUMENTS["ActiveLocations"]) for _ in range(16)]
        statuses[run] = [(r.status_code, "errors" in r.json()) for r in answers]
        assert fake.runtime.faults.history == FaultPlan.preview(0.5, seed, kinds, 16)
    assert statuses["a"] == statuses["b"] != statuses["c"]
    assert any(failed for _, failed in statuses["a"]) and not all(failed for _, failed in statuses["a"])


# --- throttling -------------------------------------------------------------------------------------

def test_an_empty_bucket_throttles_without_executing_then_recovers(make_fake):
    fake = make_fake(bucket_max=100, restore_rate=200, mutation_cost=10)
    token, variables = access_token(fake), adjust_vars("throttle-key")
    fake.runtime.buckets.set_level(SHOP, 5)
    throttled = adjust(fake, token, variables)
    assert throttled.status_code == 200
    body = throttled.json()
    assert body["errors"] == [{"message": "Throttled", "extensions": {
        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}]
    cost = body["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (10, None)
    assert cost["throttleStatus"]["maximumAvailable"] == 100.0 and cost["throttleStatus"]["currentlyAvailable"] < 10
    assert fake.store.available(SHOP, ITEM, LOCATION) == 10 and fake.store.shop(SHOP).idempotency == {}
    time.sleep(0.05)  # 200 points/s refills the 10 points needed
    recovered = adjust(fake, token, variables)
    assert user_error_codes(recovered) == [] and recovered.json()["extensions"]["cost"]["actualQueryCost"] == 10
    assert fake.store.available(SHOP, ITEM, LOCATION) == 15


# --- schema validation --------------------------------------------------------------------------------

def test_schema_validation_rejects_invalid_documents_and_accepts_ours(make_fake):
    path = schema_path()
    if path is None:
        pytest.skip("no Admin 2026-10 schema: set SHOPIFY_SCHEMA_PATH, or fetch it into .cache/shopify "
                    "(npm pack @shopify/dev-mcp@1.16.0), or provide ../shared/shopify")
    fake = make_fake(schema_path=path)
    token = access_token(fake)
    invalid = gql(fake, token, "{ nodes(ids: []) { ... on ProductVariant { noSuchField } } }")
    assert invalid.status_code == 200 and "noSuchField" in invalid.json()["errors"][0]["message"]
    wrong_type = adjust_vars(None, {"inventoryItemId": ITEM, "locationId": LOCATION, "delta": "5", "changeFromQuantity": None})
    assert adjust(fake, token, wrong_type).json()["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert fake.store.available(SHOP, ITEM, LOCATION) == 10
    assert "errors" not in gql(fake, token, ALL_DOCUMENTS["VariantInventoryItems"], {"ids": [VARIANT]}).json()
    assert "errors" not in gql(fake, token, ALL_DOCUMENTS["ActiveLocations"]).json()
    assert user_error_codes(adjust(fake, token, adjust_vars())) == []


# --- hostile numbers (issue #11: the fake is a sibling entry point for numbers) --------------------

HOSTILE_DELTAS = ["1e999999", "-1e1000000", "9" * 5000, "9" * 4000, "2147483648", "1.5", "0." + "0" * 3000 + "1"]


@pytest.mark.parametrize("delta", HOSTILE_DELTAS, ids=lambda d: d if len(d) < 20 else f"{len(d)} characters")
@pytest.mark.parametrize("with_schema", [False, True], ids=["shape checks", "schema"])
def test_an_absurd_delta_is_refused_like_shopify_refuses_it_and_applies_nothing(make_fake, delta, with_schema):
    if with_schema and schema_path() is None:
        pytest.skip("Shopify's schema is not fetched (make schema)")
    fake = make_fake(schema_path=schema_path() if with_schema else None)
    token = access_token(fake)
    body = json.dumps({"query": ALL_DOCUMENTS["AdjustInventory"], "variables": adjust_vars()}).replace(
        '"delta": 5', f'"delta": {delta}')
    response = requests.post(fake.graphql_url(SHOP), data=body, timeout=5,
                             headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"})
    assert response.status_code in (200, 400), response.text[:300]
    assert "data" not in response.json() or payload_of(response)["inventoryAdjustmentGroup"] is None
    assert fake.store.available(SHOP, ITEM, LOCATION) == 10
