"""Completing an order that syncs changes the fake store's inventory, once."""

import pytest

from shopify_app.sync.models import SyncPush

from .builders import SHOP, auth_headers
from .conftest import base_config
from .sync_fixtures import candle_workshop, drain, fake_shopify  # noqa: F401

ORDERS = "/api/production-orders"
CANDLE, WAX, WICK = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8003))
WORKSHOP, FRONT = "gid://shopify/Location/7001", "gid://shopify/Location/7002"


@pytest.fixture
def synced(fake_shopify, tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "sync.sqlite3"
    shutil.copy(sqlite_template, path)
    return candle_workshop(fake_shopify, path, base_config)


def call(client, method, path, expect=200, **kw):
    response = client.open(path, method=method, headers=auth_headers(SHOP), **kw)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def make_order(client, produced, *, kind="assembly", location=WORKSHOP, sync=True, materials=None, after_start=None):
    order = call(client, "POST", ORDERS, 201, json={
        "reference": f"PO-{produced}-{kind}", "type": kind, "locationId": location,
        "syncProductionOrderToShopify": sync,
        "components": [{"variantId": CANDLE, "title": "Candle", "quantityPlanned": 10,
                        "materials": materials or []}]})
    order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    if after_start:
        after_start()
    component = order["components"][0]["id"]
    call(client, "PATCH", f"{ORDERS}/{order['id']}/components/{component}", json={"quantityProduced": produced})
    return call(client, "POST", f"{ORDERS}/{order['id']}/complete")


def test_completion_pushes_output_and_materials_once(synced):
    app, client, store = synced
    order = make_order(client, 10, materials=[{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25},
                                              {"variantId": WICK, "title": "Wick", "quantityPerUnit": 1}])
    assert order["sync"]["state"] == "pending"
    drain(app)
    assert store.available(SHOP, CANDLE, WORKSHOP) == 10
    assert store.available(SHOP, WAX, WORKSHOP) == -3  # floor(-2.5): an opened bag is gone
    assert store.available(SHOP, WICK, WORKSHOP) == -10
    after = call(client, "GET", f"{ORDERS}/{order['id']}")
    assert after["sync"]["state"] == "synced" and after["version"] == order["version"]
    assert {(a["variantId"], a["quantity"]) for a in after["sync"]["adjustments"]} == \
        {(CANDLE, 10), (WAX, -3), (WICK, -10)}
    assert all(a["adjustmentGroupId"].startswith("gid://shopify/InventoryAdjustmentGroup/")
               for a in after["sync"]["adjustments"])
    drain(app)  # nothing left to do: a second run must not push again
    assert store.available(SHOP, CANDLE, WORKSHOP) == 10
    assert [e["type"] for e in call(client, "GET", f"{ORDERS}/{order['id']}/events")["items"]][-1] == "sync_succeeded"


def test_an_order_that_does_not_sync_pushes_nothing(synced):
    app, client, store = synced
    order = make_order(client, 4, sync=False)
    assert order["sync"]["state"] == "off"
    with app.app_context():
        assert SyncPush.query.count() == 0
    assert store.available(SHOP, CANDLE, WORKSHOP) == 0


def test_a_deleted_variant_fails_the_push_with_its_name_and_a_retry_uses_a_new_key(synced):
    app, client, store = synced
    # Deleted in Shopify after the order started (saving and starting check that it exists).
    order = make_order(client, 3, after_start=lambda: store.delete_variant(SHOP, CANDLE))
    drain(app)
    failed = call(client, "GET", f"{ORDERS}/{order['id']}")
    assert failed["sync"]["state"] == "failed"
    # Named by its title, never by a raw GID; a retry would meet the same refusal (settle instead).
    assert "“Candle”" in failed["sync"]["lastError"]
    assert CANDLE not in failed["sync"]["lastError"] and failed["sync"]["retryHelps"] is False
    # Only the fake can bring a deleted variant back; the API still takes the retry.
    store.add_variant(SHOP, 8001, "Candle", inventory_item_id=9001)
    retried = call(client, "POST", f"{ORDERS}/{order['id']}/sync", 202)
    assert retried["sync"]["state"] == "pending" and retried["version"] == failed["version"]
    drain(app)
    assert call(client, "GET", f"{ORDERS}/{order['id']}")["sync"]["state"] == "synced"
    assert store.available(SHOP, CANDLE, WORKSHOP) == 3
    call(client, "POST", f"{ORDERS}/{order['id']}/sync", 409)  # already synced


def test_live_mode_pushes_while_in_progress_and_converges_after_a_move(synced):
    app, client, store = synced
    call(client, "PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True,
                                               "defaultLocationId": WORKSHOP, "syncMode": "live"})
    order = call(client, "POST", ORDERS, 201, json={"reference": "LIVE-1", "components": [
        {"variantId": CANDLE, "quantityPlanned": 10}]})
    order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    component = order["components"][0]["id"]
    call(client, "PATCH", f"{ORDERS}/{order['id']}/components/{component}", json={"quantityProduced": 4})
    drain(app)
    assert store.available(SHOP, CANDLE, WORKSHOP) == 4
    call(client, "PATCH", f"{ORDERS}/{order['id']}", json={"locationId": FRONT})
    call(client, "PATCH", f"{ORDERS}/{order['id']}/components/{component}", json={"quantityProduced": 6})
    drain(app)
    assert store.available(SHOP, CANDLE, WORKSHOP) == 0
    assert store.available(SHOP, CANDLE, FRONT) == 6


def test_locations_are_listed_through_the_admin_api(synced):
    _, client, store = synced
    store.add_location(SHOP, 7003, "Closed store", active=False)
    assert call(client, "GET", "/api/locations") == {"items": [
        {"id": FRONT, "name": "Shop front"}, {"id": WORKSHOP, "name": "Workshop"}]}
