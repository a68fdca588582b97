"""Availability end to end through the loopback fake Shopify (the demo's store; every document
checked against the 2026-10 schema), on both databases: real stock, moved by completed orders, and
injected faults that may cost an answer but never give a wrong one or a 500."""

from shopify_app.devshop.faults import FaultPlan

from .builders import SHOP, auth_headers
from .test_costing_sync import drain
from .test_sync_exactly_once import Api, database_url, harness  # noqa: F401  (fixtures: both databases)

WORKSHOP = "gid://shopify/Location/7001"
CANDLE, WAX, JAR = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8004))
ORDERS = "/api/production-orders"
MATERIALS = [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25},
             {"variantId": JAR, "title": "Jar", "quantityPerUnit": 1}]


def workshop(harness, app_config=None, **fake_config):  # noqa: F811
    fake = harness.fake(**fake_config)
    fake.store.add_location(SHOP, 7001, "Workshop")
    for number, title, stock in ((8001, "Candle", 0), (8002, "Wax", 2), (8004, "Jar", 6)):
        fake.store.add_variant(SHOP, number, title, inventory_item_id=number + 1000, available={WORKSHOP: stock})
    app = harness.app(fake, **(app_config or {}))
    api = Api(app, SHOP)
    api.install()
    return fake, app, api


def candles(api, reference, planned, **fields):
    return api("POST", ORDERS, 201, {"reference": reference, "locationId": WORKSHOP, **fields, "components": [
        {"variantId": CANDLE, "title": "Candle", "quantityPlanned": planned, "materials": MATERIALS}]})


def test_the_fake_answers_from_its_stock_and_a_completed_order_moves_it(harness):  # noqa: F811
    fake, app, api = workshop(harness)
    first = candles(api, "PO-1", 4, syncProductionOrderToShopify=True)
    second = candles(api, "PO-2", 4)
    assert api("GET", f"{ORDERS}/{second['id']}/availability")["items"] == [
        {"variantId": WAX, "title": "Wax", "required": 1, "available": 2, "shortage": 0},
        {"variantId": JAR, "title": "Jar", "required": 4, "available": 6, "shortage": 0}]
    assert api("GET", f"{ORDERS}?shortage=true")["items"] == []
    order = api("POST", f"{ORDERS}/{first['id']}/start")
    api("PATCH", f"{ORDERS}/{first['id']}/components/{order['components'][0]['id']}", json={"quantityProduced": 4})
    api("POST", f"{ORDERS}/{first['id']}/complete")
    drain(app)
    assert fake.store.available(SHOP, JAR, WORKSHOP) == 2
    # The first order used 4 jars and 1 wax: the second is now short of 2 jars.
    assert api("GET", f"{ORDERS}/{second['id']}/availability")["items"] == [
        {"variantId": WAX, "title": "Wax", "required": 1, "available": 1, "shortage": 0},
        {"variantId": JAR, "title": "Jar", "required": 4, "available": 2, "shortage": 2}]
    assert [o["reference"] for o in api("GET", f"{ORDERS}?shortage=true")["items"]] == ["PO-2"]
    assert fake.store.calls(SHOP)["InventoryAvailability"] == 4


def test_under_injected_faults_answers_are_right_or_503_and_block_never_starts_a_short_order(harness):  # noqa: F811
    # A short deadline per request: a request the faults defeat answers 503 quickly.
    fake, app, api = workshop(harness, {"SHOPIFY_REQUEST_DEADLINE_SECONDS": 1.5}, timeout_delay=0.8)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": None,
                                      "syncMode": "on_complete", "shortagePolicy": "block"})
    short = candles(api, "PO-SHORT", 8)  # 8 jars needed, 6 in stock
    enough = candles(api, "PO-ENOUGH", 2)
    fake.runtime.faults = FaultPlan(0.6, 15, {"http_503": 1.0, "http_429": 1.0, "throttled": 1.0, "timeout": 1.0,
                                              "http_500": 1.0})
    answers = []
    for _ in range(4):
        response = api.client.get(f"{ORDERS}/{short['id']}/availability", headers=auth_headers(SHOP))
        answers.append(response.status_code)
        assert response.status_code in (200, 503), response.get_json()
        if response.status_code == 200:
            assert response.get_json()["items"][1] == {"variantId": JAR, "title": "Jar", "required": 8,
                                                       "available": 6, "shortage": 2}
        else:
            assert response.get_json()["error"]["code"] == "service_unavailable" and response.headers["Retry-After"]
        start = api.client.post(f"{ORDERS}/{short['id']}/start", headers=auth_headers(SHOP))
        assert start.status_code in (422, 503), start.get_json()
    assert 200 in answers and any(kind for kind in fake.runtime.faults.history)
    fake.runtime.faults = FaultPlan(0.0, 0, {})
    assert api("GET", f"{ORDERS}/{short['id']}")["status"] == "draft"
    assert api("POST", f"{ORDERS}/{enough['id']}/start")["status"] == "in_progress"
