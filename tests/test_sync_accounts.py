"""Accounts end to end (SPEC §5), on SQLite and PostgreSQL, against the loopback fake Shopify:
fractions carry across orders, a failed push can be settled by leaving variants out, and a batch
Shopify may have forgotten waits for the merchant instead of being resent blindly."""

import random
import time
import uuid
from collections import Counter
from decimal import Decimal

from .test_sync_exactly_once import (  # noqa: F401  (fixtures: database_url, harness)
    L1, L2, MATERIALS, ORDERS, OUTPUTS, Api, Row, Scenario, database_url, drain, harness, item_of,
    seed_catalogue, seed_whose_plan_starts, sql, work)

WAX = MATERIALS[0]
CANDLE = OUTPUTS[0]


def shop_and_api(harness, **app_config):
    store_fake = harness.fake()
    shop = f"acct-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store_fake.store, shop)
    app = harness.app(store_fake, **app_config)
    api = Api(app, shop)
    api.install()
    api.settings(by_default=True, location=L1, mode="on_complete")
    return store_fake, app, api, Scenario(random.Random(1), api, {"by_default": True, "location": L1})


def candle_order(scenario, reference, wax_per_candle="0.25", produced="1", after_start=None):
    order = scenario.create(reference, kind="assembly",
                            rows=[Row(CANDLE, Decimal(produced), ((WAX, Decimal(wax_per_candle)),))])
    scenario.start(order)
    if after_start:
        after_start()
    scenario.record_all(order)
    scenario.complete(order)
    return order


def test_four_orders_using_a_quarter_kilo_of_wax_move_wax_by_one_kilo(harness):
    fake, app, api, scenario = shop_and_api(harness)
    orders = [candle_order(scenario, f"WAX-{i}") for i in range(4)]
    drain(app)
    assert fake.store.available(api.shop, WAX, L1) == -1
    assert fake.store.available(api.shop, CANDLE, L1) == 4
    wax_sent = []
    for order in orders:
        receipt = api("GET", f"{ORDERS}/{order.id}")["sync"]["adjustments"]
        (wax,) = [a for a in receipt if a["variantId"] == WAX]
        assert wax["exact"] == -0.25
        wax_sent.append(wax["quantity"])
        if wax["quantity"] == 0:  # carried: listed, nothing sent
            assert wax["adjustmentGroupId"] is None and wax["quantityAfterChange"] is None
        else:
            assert wax["quantityAfterChange"] == -1
    assert wax_sent == [-1, 0, 0, 0]
    (account,) = api("GET", f"/api/accounts?variantId={WAX}")["items"]
    assert (account["exact"], account["whole"], account["remainder"]) == (-1, -1, 0)
    assert account["meaning"] is None

    # A fifth quarter opens a new bag: -1 more, and 0.75 of it is carried.
    candle_order(scenario, "WAX-4")
    drain(app)
    assert fake.store.available(api.shop, WAX, L1) == -2
    (account,) = api("GET", f"/api/accounts?variantId={WAX}&locationId={L1}")["items"]
    assert (account["exact"], account["whole"], account["remainder"]) == (-1.25, -2, 0.75)
    assert "0.75" in account["meaning"]


def test_an_edit_in_progress_converges_and_a_move_carries_into_the_new_location(harness):
    fake, app, api, scenario = shop_and_api(harness)
    api.settings(by_default=True, location=L1, mode="live")
    order = scenario.create("LIVE-A", kind="assembly", rows=[Row(CANDLE, Decimal("2.5"), ((WAX, Decimal("0.5")),))])
    scenario.start(order)
    scenario.record_all(order)
    drain(app)
    assert (fake.store.available(api.shop, CANDLE, L1), fake.store.available(api.shop, WAX, L1)) == (2, -2)
    scenario.patch(order, locationId=L2)
    scenario.record(order, order.rows[0], Decimal("3.5"))
    drain(app)
    assert (fake.store.available(api.shop, CANDLE, L1), fake.store.available(api.shop, WAX, L1)) == (0, 0)
    assert (fake.store.available(api.shop, CANDLE, L2), fake.store.available(api.shop, WAX, L2)) == (3, -2)
    items = {(a["variantId"], a["locationId"]): a for a in api("GET", "/api/accounts")["items"]}
    assert items[(CANDLE, L1)]["exact"] == 0 and items[(CANDLE, L2)]["exact"] == 3.5
    assert items[(WAX, L2)]["exact"] == -1.75 and items[(WAX, L2)]["whole"] == -2


def test_a_failed_variant_can_be_left_out_and_the_rest_is_pushed_again(harness):
    fake, app, api, scenario = shop_and_api(harness)
    # Deleted in Shopify once the order is started (saving and starting check that it exists).
    order = candle_order(scenario, "GONE-WAX", produced="3",
                         after_start=lambda: fake.store.delete_variant(api.shop, WAX))
    drain(app)
    failed = api("GET", f"{ORDERS}/{order.id}")
    assert failed["sync"]["state"] == "failed" and "no longer exists in Shopify" in failed["sync"]["lastError"]
    assert WAX not in failed["sync"]["lastError"]  # named by its title
    assert failed["sync"]["retryHelps"] is False and WAX in failed["sync"]["failedVariantIds"]
    assert fake.store.available(api.shop, CANDLE, L1) == 0  # the batch applied nothing

    api("POST", f"{ORDERS}/{order.id}/sync/skip", 422, json={"variantIds": [OUTPUTS[5]]})  # not in the failure
    api("POST", f"{ORDERS}/{order.id}/sync/skip", 422, json={"variantIds": []})
    api("POST", f"{ORDERS}/{order.id}/sync/skip", 422, json={"variantIds": [WAX], "extra": 1})
    settled = api("POST", f"{ORDERS}/{order.id}/sync/skip", 202, json={"variantIds": [WAX]})
    assert settled["sync"]["state"] == "pending" and settled["version"] == failed["version"]
    # The failed push's deltas went back to the accounts.
    wax_account = sql(app, "SELECT exact, whole FROM sync_accounts WHERE variant_id = :v", v=WAX)
    assert [(Decimal(e), w) for e, w in wax_account] == [(Decimal(0), 0)]
    drain(app)
    done = api("GET", f"{ORDERS}/{order.id}")
    assert done["sync"]["state"] == "synced"
    assert fake.store.available(api.shop, CANDLE, L1) == 3
    assert {a["variantId"] for a in done["sync"]["adjustments"]} == {CANDLE}
    assert done["sync"]["skippedVariantIds"] == [WAX] and failed["sync"]["skippedVariantIds"] == []
    events = api("GET", f"{ORDERS}/{order.id}/events")["items"]
    resolved = [e for e in events if e["type"] == "sync_resolved"]
    assert resolved[0]["changes"] == {"skippedVariants": [None, [WAX]]} and resolved[0]["actor"] == "7001"
    api("POST", f"{ORDERS}/{order.id}/sync/skip", 409, json={"variantIds": [WAX]})  # nothing failed any more


def test_retry_is_offered_only_when_the_merchant_can_fix_the_refusal_in_shopify(harness):
    fake, app, api, scenario = shop_and_api(harness)
    # Not tracked: turning tracking on in Shopify lets the same change through.
    untracked = candle_order(scenario, "UNTRACKED", after_start=lambda: fake.store.set_tracked(api.shop, WAX, False))
    drain(app)
    sync = api("GET", f"{ORDERS}/{untracked.id}")["sync"]
    assert (sync["state"], sync["retryHelps"]) == ("failed", True)
    assert "Turn on inventory tracking" in sync["lastError"]
    fake.store.set_tracked(api.shop, WAX, True)
    api("POST", f"{ORDERS}/{untracked.id}/sync", 202)
    drain(app)
    sync = api("GET", f"{ORDERS}/{untracked.id}")["sync"]
    assert (sync["state"], sync["retryHelps"]) == ("synced", False)

    # A change Shopify refuses as such (not adjustable through the API) is refused again on retry.
    refused = candle_order(scenario, "REFUSED", after_start=lambda: fake.store.set_mutable(api.shop, CANDLE, False))
    drain(app)
    sync = api("GET", f"{ORDERS}/{refused.id}")["sync"]
    assert (sync["state"], sync["retryHelps"]) == ("failed", False)
    assert "Shopify refused the inventory change" in sync["lastError"] and CANDLE not in sync["lastError"]


def _sent_once_with_503(harness, store, shop, api, reference, window: float):
    """An app whose first mutation answer is a 503 and whose idempotency window is `window` s."""
    kinds = {"http_503": 1.0}
    seed = seed_whose_plan_starts(kinds, 0.5, [None, "http_503"])
    fake = harness.fake(store, fault_rate=0.5, fault_seed=seed, fault_kinds=kinds)
    app = harness.app(fake, SYNC_HTTP_RETRIES=0, SYNC_BACKOFF_BASE_SECONDS=0.05, SYNC_BACKOFF_MAX_SECONDS=0.05,
                      SYNC_IDEMPOTENCY_WINDOW_SECONDS=window)
    assert work(app, "meets-a-503") == 1
    return fake, app


def test_a_batch_older_than_shopifys_key_window_waits_for_the_merchant(harness):
    first, _, api, scenario = shop_and_api(harness)
    store, shop = first.store, api.shop
    order = candle_order(scenario, "REVIEW-1", produced="2")
    fake, app = _sent_once_with_503(harness, store, shop, api, "REVIEW-1", window=0.3)
    api = Api(app, shop)
    waiting = api("GET", f"{ORDERS}/{order.id}")["sync"]
    assert (waiting["state"], waiting["retryHelps"]) == ("pending", True)  # "now" cuts the backoff short
    time.sleep(0.4)
    calls = store.calls(shop)["AdjustInventory"]
    assert work(app, "after-the-window") == 1
    assert store.calls(shop)["AdjustInventory"] == calls  # not resent blindly
    shown = api("GET", f"{ORDERS}/{order.id}")
    assert shown["sync"]["state"] == "needs_review" and shown["sync"]["retryHelps"] is False
    (batch,) = shown["sync"]["review"]
    assert {c["variantId"]: c["quantity"] for c in batch["changes"]} == {CANDLE: 2, WAX: -1}
    assert all(c["inventoryHistoryUrl"].startswith("https://admin.shopify.com/store/") for c in batch["changes"])
    assert work(app, "idle") == 0  # the worker leaves it alone
    api("POST", f"{ORDERS}/{order.id}/sync", 409)  # a blind retry is exactly what must not happen

    api("POST", f"{ORDERS}/{order.id}/sync/resolve", 422, json={"batchId": batch["batchId"], "applied": "no"})
    api("POST", f"{ORDERS}/{order.id}/sync/resolve", 404, json={"batchId": batch["batchId"] + 999, "applied": False})
    resolved = api("POST", f"{ORDERS}/{order.id}/sync/resolve", json={"batchId": batch["batchId"], "applied": False})
    assert resolved["sync"]["state"] == "pending"
    drain(app)
    assert api("GET", f"{ORDERS}/{order.id}")["sync"]["state"] == "synced"
    assert store.available(shop, CANDLE, L1) == 2 and store.available(shop, WAX, L1) == -1
    assert set(store.applied(shop).values()) == {1}
    api("POST", f"{ORDERS}/{order.id}/sync/resolve", 409, json={"batchId": batch["batchId"], "applied": True})
    events = [e for e in api("GET", f"{ORDERS}/{order.id}/events")["items"] if e["type"] == "sync_resolved"]
    assert events[0]["changes"] == {"batchId": [None, batch["batchId"]], "applied": [None, False]}


def test_applied_in_shopify_records_the_batch_and_sends_nothing(harness):
    first, _, api, scenario = shop_and_api(harness)
    store, shop = first.store, api.shop
    kinds = {"lost_response": 1.0}
    seed = seed_whose_plan_starts(kinds, 0.5, [None, "lost_response"])
    order = candle_order(scenario, "REVIEW-2", produced="3")
    fake = harness.fake(store, fault_rate=0.5, fault_seed=seed, fault_kinds=kinds)
    # A loaded machine must not turn the lookup before the lost answer into a timeout (0.5 s by default).
    app = harness.app(fake, SYNC_HTTP_RETRIES=0, SYNC_BACKOFF_BASE_SECONDS=0.05, SYNC_BACKOFF_MAX_SECONDS=0.05,
                      SYNC_IDEMPOTENCY_WINDOW_SECONDS=0.3, SHOPIFY_HTTP_TIMEOUT_SECONDS=10)
    api = Api(app, shop)
    assert work(app, "answer-lost") == 1
    assert store.available(shop, CANDLE, L1) == 3  # applied, but we never heard
    time.sleep(0.4)
    work(app, "after-the-window")
    (batch,) = api("GET", f"{ORDERS}/{order.id}")["sync"]["review"]
    calls = store.calls(shop)["AdjustInventory"]
    done = api("POST", f"{ORDERS}/{order.id}/sync/resolve", json={"batchId": batch["batchId"], "applied": True})
    assert done["sync"]["state"] == "synced" and done["sync"]["review"] == []
    drain(app)
    assert store.calls(shop)["AdjustInventory"] == calls
    assert store.available(shop, CANDLE, L1) == 3 and store.available(shop, WAX, L1) == -1
    receipt = {a["variantId"]: a for a in done["sync"]["adjustments"]}
    assert receipt[CANDLE]["quantity"] == 3 and receipt[CANDLE]["adjustmentGroupId"] is None
    assert Counter(store.applied(shop).values()) == Counter({1: 1})
    assert item_of(CANDLE) in {c["inventoryItemId"] for g in store.adjustments(shop) for c in g["changes"]}
