"""Shopify's cost per item written after the completion push (SPEC §9), through the loopback fake:
one final value per completed order however the answers get lost or time out, on both databases."""

import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from shopify_app.costing.models import CostUpdate
from shopify_app.devshop.faults import FaultPlan
from shopify_app.extensions import db
from shopify_app.production.models import OrderEvent
from shopify_app.sync.worker import run_once

from .builders import SHOP
from .test_sync_exactly_once import Api, database_url, harness  # noqa: F401  (fixtures: both databases)

WORKSHOP = "gid://shopify/Location/7001"
CANDLE, WAX, WICK = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8003))
CANDLE_ITEM = "gid://shopify/InventoryItem/9001"
MATERIALS = [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.5},
             {"variantId": WICK, "title": "Wick", "quantityPerUnit": 1}]


def workshop(harness, **fake_config):  # noqa: F811
    fake = harness.fake(**fake_config)
    store = fake.store
    store.add_location(SHOP, 7001, "Workshop")
    for number, title, stock, cost in ((8001, "Candle", 10, "5.00"), (8002, "Wax", 100, "10.00"),
                                       (8003, "Wick", 100, "1.00")):
        store.add_variant(SHOP, number, title, inventory_item_id=number + 1000, available={WORKSHOP: stock},
                          unit_cost=cost)
    app = harness.app(fake)
    api = Api(app, SHOP)
    api.install()
    return fake, app, api


def make_candles(api, reference: str, produced: int, **fields) -> dict:
    order = api("POST", "/api/production-orders", 201, {
        "reference": reference, "locationId": WORKSHOP, "syncProductionOrderToShopify": True, **fields,
        "components": [{"variantId": CANDLE, "quantityPlanned": produced, "materials": MATERIALS}]})
    order = api("POST", f"/api/production-orders/{order['id']}/start")
    row = order["components"][0]["id"]
    api("PATCH", f"/api/production-orders/{order['id']}/components/{row}", json={"quantityProduced": produced})
    return api("POST", f"/api/production-orders/{order['id']}/complete")


def drain(app, rounds: int = 200) -> None:
    """Run the worker until no push and no cost write is left to do."""
    with app.app_context():
        for _ in range(rounds):
            run_once("cost-test")
            open_work = db.session.execute(db.text(
                "SELECT (SELECT count(*) FROM sync_pushes WHERE status IN ('pending', 'sending')) + "
                "(SELECT count(*) FROM cost_updates WHERE status = 'pending')")).scalar()
            db.session.remove()
            if not open_work:
                return
            time.sleep(0.05)
    raise AssertionError("work still open after draining the worker")


def cost_rows(app) -> list:
    with app.app_context():
        rows = db.session.scalars(select(CostUpdate).order_by(CostUpdate.id)).all()
        result = [(r.order_id, r.mode, r.old_cost, r.new_cost, r.status) for r in rows]
        db.session.remove()
        return result


def test_weighted_average_survives_lost_answers_and_timeouts_with_one_value_per_order(harness):  # noqa: F811
    fake, app, api = workshop(harness, timeout_delay=0.8)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete", "costUpdate": "weighted_average"})
    orders = []
    for number in range(3):
        orders.append(make_candles(api, f"PO-{number}", 2, labourCost=2))
        # Half of Shopify's answers lost (applied, then a 502), timed out (applied late) or failed.
        fake.runtime.faults = FaultPlan(0.5, 1000 + number, {"lost_response": 2.0, "timeout": 1.0, "http_503": 1.0})
        drain(app)
        fake.runtime.faults = FaultPlan(0.0, 0, {})
        time.sleep(1.0)  # a write stalled by a `timeout` fault lands meanwhile (the same value)
    # Each candle: 0.5 × 10 + 1 × 1 + labour 2 ÷ 2 = 7.00. Stock 10 at 5.00, then + 2 per order:
    # (10 × 5 + 2 × 7) / 12 = 5.33; (12 × 5.33 + 14) / 14 = 5.5686 → 5.57; (14 × 5.57 + 14) / 16 = 5.75
    rows = cost_rows(app)
    assert [(r[2], r[3], r[4]) for r in rows] == [(Decimal("5.00"), Decimal("5.33"), "applied"),
                                                 (Decimal("5.33"), Decimal("5.57"), "applied"),
                                                 (Decimal("5.57"), Decimal("5.75"), "applied")]
    assert [r[0] for r in rows] == [o["id"] for o in orders]
    writes = fake.store.cost_writes(SHOP)
    # Resends repeat the frozen value; never another one, and in the orders' order.
    assert {item for item, _ in writes} == {CANDLE_ITEM}
    assert list(dict.fromkeys(value for _, value in writes)) == ["5.33", "5.57", "5.75"]
    assert fake.store.unit_cost(SHOP, CANDLE) == "5.75"
    assert fake.store.available(SHOP, CANDLE, WORKSHOP) == 16
    with app.app_context():
        events = db.session.scalars(select(OrderEvent).where(OrderEvent.type == "cost_updated")
                                    .order_by(OrderEvent.id)).all()
        assert [(e.order_id, e.changes) for e in events] == [
            (orders[0]["id"], {CANDLE: ["5", "5.33"]}), (orders[1]["id"], {CANDLE: ["5.33", "5.57"]}),
            (orders[2]["id"], {CANDLE: ["5.57", "5.75"]})]
        db.session.remove()
    # The faults really hit the cost write: Shopify applied some values more than once (a lost
    # answer, then the resend of the same value).
    assert len(writes) > 3 and fake.store.calls(SHOP)["UpdateItemCost"] > 3


def test_batch_mode_sets_the_batch_cost_and_an_incomplete_cost_writes_nothing(harness):  # noqa: F811
    fake, app, api = workshop(harness)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete", "costUpdate": "batch"})
    make_candles(api, "PO-BATCH", 4, labourCost=4, overheadCost=2)
    drain(app)
    # 6.00 of materials + (4 + 2) ÷ 4 = 7.50
    assert fake.store.unit_cost(SHOP, CANDLE) == "7.50"
    with fake.store.lock:
        fake.store.shop(SHOP).variants[WICK]["unitCost"] = None  # the merchant cleared the wick's cost
    api("POST", "/api/production-orders", 201, {"reference": "PO-LOOK", "components": [
        {"variantId": CANDLE, "quantityPlanned": 1, "materials": MATERIALS}]})  # the check reads it
    incomplete = make_candles(api, "PO-INCOMPLETE", 1)
    assert incomplete["cost"]["state"] == "incomplete"
    drain(app)
    assert fake.store.cost_writes(SHOP) == [(CANDLE_ITEM, "7.50")]
    assert len(cost_rows(app)) == 1  # nothing frozen for the incomplete order


def test_off_writes_nothing(harness):  # noqa: F811
    fake, app, api = workshop(harness)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete"})
    make_candles(api, "PO-OFF", 2)
    drain(app)
    assert fake.store.cost_writes(SHOP) == [] and cost_rows(app) == []
    assert fake.store.available(SHOP, CANDLE, WORKSHOP) == 12


class ScriptedFaults:
    """Fault plan by operation: `rule(operation, nth)` is the fault of the nth request of that
    operation. The fake draws a fault right after counting the request, so the operation whose
    count grew is the request at hand (the worker sends one request at a time)."""

    def __init__(self, store, rule):
        self.store, self.rule, self.seen, self.history = store, rule, Counter(), []

    def next(self):
        calls = self.store.calls(SHOP)
        grown = [operation for operation in calls if calls[operation] > self.seen[operation]]
        self.seen = Counter(calls)
        fault = self.rule(grown[0], calls[grown[0]]) if grown else None
        self.history.append(fault)
        return fault


def cost_writes_unavailable(store, until):
    """Shopify answers 503 (applying nothing) to every cost write until `until()`."""
    return ScriptedFaults(store, lambda operation, _: "http_503" if operation == "UpdateItemCost" and not until()
                          else None)


def test_a_second_completion_averages_with_the_first_ones_cost_still_on_its_way(harness):  # noqa: F811
    fake, app, api = workshop(harness)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete", "costUpdate": "weighted_average"})
    # A's cost write is refused with a 503 until B's completion push has read the candle's cost:
    # B reads 5.00 while A's 5.33 is still on its way.
    fake.runtime.faults = cost_writes_unavailable(fake.store, lambda: fake.store.calls(SHOP)["AdjustInventory"] >= 2)
    first = make_candles(api, "PO-A", 2, labourCost=2)
    with app.app_context():
        run_once("cost-test")
        db.session.remove()
    assert fake.store.cost_writes(SHOP) == [] and "http_503" in fake.runtime.faults.history
    second = make_candles(api, "PO-B", 2, labourCost=2)
    drain(app)
    # (10 × 5 + 2 × 7) / 12 = 5.33, then (12 × 5.33 + 2 × 7) / 14 = 5.5686 → 5.57: B builds on A's value.
    assert cost_rows(app) == [(first["id"], "weighted_average", Decimal("5.00"), Decimal("5.33"), "applied"),
                              (second["id"], "weighted_average", Decimal("5.33"), Decimal("5.57"), "applied")]
    assert fake.store.cost_writes(SHOP) == [(CANDLE_ITEM, "5.33"), (CANDLE_ITEM, "5.57")]
    assert fake.store.unit_cost(SHOP, CANDLE) == "5.57"


def test_a_first_cost_landing_after_the_second_push_read_the_cost_is_its_old_cost(harness):  # noqa: F811
    fake, app, api = workshop(harness)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete", "costUpdate": "weighted_average"})
    store = fake.store

    def rule(operation, nth):
        # A's cost write waits (503) until B's push has read the cost; B's adjustment then waits
        # until A's write landed: B's read (5.00) is stale by the time B's cost is frozen.
        if operation == "UpdateItemCost" and store.calls(SHOP)["AdjustInventory"] < 2:
            return "http_503"
        if operation == "AdjustInventory" and nth >= 2 and not store.cost_writes(SHOP):
            return "http_503"
        return None

    fake.runtime.faults = ScriptedFaults(store, rule)
    first = make_candles(api, "PO-A", 2, labourCost=2)
    second = make_candles(api, "PO-B", 2, labourCost=2)
    drain(app)
    assert cost_rows(app) == [(first["id"], "weighted_average", Decimal("5.00"), Decimal("5.33"), "applied"),
                              (second["id"], "weighted_average", Decimal("5.33"), Decimal("5.57"), "applied")]
    assert store.cost_writes(SHOP) == [(CANDLE_ITEM, "5.33"), (CANDLE_ITEM, "5.57")]
    assert fake.runtime.faults.history.count("http_503") >= 2


@pytest.mark.parametrize("mode", ["batch", "weighted_average"])
def test_an_output_whose_fraction_is_carried_gets_its_batch_cost_but_keeps_its_average(harness, mode):  # noqa: F811
    fake, app, api = workshop(harness)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete", "costUpdate": mode})
    order = api("POST", "/api/production-orders", 201, {
        "reference": "PO-HALF", "locationId": WORKSHOP, "syncProductionOrderToShopify": True, "labourCost": 1,
        "components": [{"variantId": CANDLE, "quantityPlanned": 0.5, "unit": "kg", "materials": MATERIALS}]})
    api("POST", f"/api/production-orders/{order['id']}/start")
    api("PATCH", f"/api/production-orders/{order['id']}/components/{order['components'][0]['id']}",
        json={"quantityProduced": 0.5})
    api("POST", f"/api/production-orders/{order['id']}/complete")
    drain(app)
    # 0.5 × (0.5 × 10 + 1 × 1) + 1 = 4.00 for 0.5 kg: 8.00 per kg. No whole kg reached Shopify:
    # batch mode still sets the batch's cost; the average of the 10 on hand at 5.00 did not move.
    assert fake.store.available(SHOP, CANDLE, WORKSHOP) == 10
    if mode == "batch":
        assert cost_rows(app) == [(order["id"], "batch", Decimal("5.00"), Decimal("8.00"), "applied")]
        assert fake.store.cost_writes(SHOP) == [(CANDLE_ITEM, "8.00")]
    else:
        assert cost_rows(app) == [] and fake.store.cost_writes(SHOP) == []
        assert fake.store.unit_cost(SHOP, CANDLE) == "5.00"
    after = api("GET", f"/api/production-orders/{order['id']}")
    candle = [entry for entry in after["sync"]["adjustments"] if entry["variantId"] == CANDLE]
    assert [(e["quantity"], e["adjustmentGroupId"], e["quantityAfterChange"], e["inventoryHistoryUrl"])
            for e in candle] == [(0, None, None, None)]


def test_a_cost_write_shopify_refused_is_on_the_orders_cost_block(harness):  # noqa: F811
    fake, app, api = workshop(harness)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                      "syncMode": "on_complete", "costUpdate": "batch"})
    deleted = []
    fake.runtime.faults = cost_writes_unavailable(fake.store, lambda: bool(deleted))
    order = make_candles(api, "PO-GONE", 2, labourCost=2)
    with app.app_context():
        run_once("cost-test")
        db.session.remove()
    pending = api("GET", f"/api/production-orders/{order['id']}")["cost"]["shopifyCostUpdates"]
    assert pending == [{"variantId": CANDLE, "state": "pending", "oldCost": 5, "newCost": 7, "error": None}]
    fake.store.delete_variant(SHOP, 8001)  # the merchant deleted the candle in Shopify meanwhile
    deleted.append(True)
    drain(app)
    cost = api("GET", f"/api/production-orders/{order['id']}")["cost"]
    assert cost["shopifyCostUpdates"] == [{
        "variantId": CANDLE, "state": "failed", "oldCost": 5, "newCost": 7,
        "error": "Shopify refused the cost per item: The product couldn't be found."}]
