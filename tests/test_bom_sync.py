"""Orders built from a BOM push their output and materials to the fake Shopify (SPEC §5, issue #6).

Nothing is rounded per order: per (variant, location) account, Shopify moves by the floor of the
exact sum over every order, and each order's receipt lists what it froze (a carried fraction as 0).
"""

from collections import Counter, defaultdict
from decimal import ROUND_FLOOR, Decimal

import pytest

from .builders import SHOP, auth_headers
from .conftest import base_config
from .sync_fixtures import candle_workshop, drain, fake_shopify  # noqa: F401

ORDERS = "/api/production-orders"
BOMS = "/api/boms"
CANDLE, WAX, WICK = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8003))
WORKSHOP, FRONT = "gid://shopify/Location/7001", "gid://shopify/Location/7002"
STARTING_STOCK = {CANDLE: 5, WAX: 100, WICK: 50}  # at WORKSHOP; the deltas add to it

CANDLE_BOM = {"name": "Candle", "outputVariantId": CANDLE, "outputTitle": "Candle", "outputSku": "CNDL-1",
              "lines": [{"variantId": WAX, "title": "Wax (kg)", "quantityPerUnit": 0.25},
                        {"variantId": WICK, "title": "Wick", "quantityPerUnit": 1}]}


@pytest.fixture
def synced(fake_shopify, tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "sync.sqlite3"
    shutil.copy(sqlite_template, path)
    return candle_workshop(fake_shopify, path, base_config, STARTING_STOCK)


def call(client, method, path, expect=200, **kw):
    response = client.open(path, method=method, headers=auth_headers(SHOP), **kw)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def bom_order(client, reference, kind, bom_id, produced_per_row, *, location=WORKSHOP):
    """A syncing order with one row per produced quantity, all from `bom_id`, started and recorded."""
    order = call(client, "POST", ORDERS, 201, json={"reference": reference, "type": kind, "locationId": location,
                                                    "syncProductionOrderToShopify": True})
    for produced in produced_per_row:
        order = call(client, "POST", f"{ORDERS}/{order['id']}/components", 201,
                     json={"bomId": bom_id, "quantityPlanned": produced, "unit": "kg"})
    order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    for row, produced in zip(order["components"], produced_per_row):
        order = call(client, "PATCH", f"{ORDERS}/{order['id']}/components/{row['id']}",
                     json={"quantityProduced": produced})
    return order


def complete(client, order):
    done = call(client, "POST", f"{ORDERS}/{order['id']}/complete")
    assert done["sync"]["state"] == "pending"
    return done


def store_deltas(store, order_id=None) -> Counter:
    """The deltas the fake applied, per (variant, location), for one order or for all."""
    items = {record["inventoryItemId"]: variant for variant, record in store.shop(SHOP).variants.items()}
    totals = Counter()
    for group in store.adjustments(SHOP):
        if order_id is not None and not group["referenceDocumentUri"].endswith(f"/ProductionOrder/{order_id}"):
            continue
        for change in group["changes"]:
            totals[(items[change["inventoryItemId"]], change["locationId"])] += change["delta"]
    return Counter({leg: delta for leg, delta in totals.items() if delta})


def per_variant(deltas) -> dict:
    totals = defaultdict(int)
    for (variant, _), delta in deltas.items():
        totals[variant] += delta
    return dict(totals)


def assert_synced_with(client, store, order, expected: dict):
    after = call(client, "GET", f"{ORDERS}/{order['id']}")
    assert after["sync"]["state"] == "synced" and after["sync"]["lastError"] is None
    assert after["version"] == order["version"]  # sync bookkeeping never bumps the version
    adjustments = after["sync"]["adjustments"]
    assert sorted((a["variantId"], a["locationId"], a["quantity"]) for a in adjustments) == \
        sorted((variant, location, delta) for (variant, location), delta in expected.items())
    groups = {g["id"] for g in store.adjustments(SHOP)
              if g["referenceDocumentUri"].endswith(f"/ProductionOrder/{order['id']}")}
    assert groups and {a["adjustmentGroupId"] for a in adjustments} <= groups
    assert all(a["at"].endswith("Z") for a in adjustments)
    assert store_deltas(store, order["id"]) == Counter(expected)
    return after


def test_assembly_and_disassembly_from_a_bom_end_with_the_expected_totals(synced):
    app, client, store = synced
    bom = call(client, "POST", BOMS, 201, json=CANDLE_BOM)
    assembly = bom_order(client, "ASM-10", "assembly", bom["id"], [10])
    disassembly = bom_order(client, "DIS-2", "disassembly", bom["id"], [2])
    # The fake store's variants have no SKU, so the snapshot's SKUs (filled from Shopify) are empty.
    assert assembly["components"][0]["materials"] == [
        {"variantId": WAX, "title": "Wax (kg)", "sku": "", "quantityPerUnit": 0.25},
        {"variantId": WICK, "title": "Wick", "sku": "", "quantityPerUnit": 1}]

    # Editing and deactivating the BOM now changes nothing that is pushed: the rows hold snapshots.
    call(client, "PATCH", f"{BOMS}/{bom['id']}", json={"active": False, "lines": [
        {"variantId": WAX, "quantityPerUnit": 9}, {"variantId": WICK, "quantityPerUnit": 3}]})

    assembly, disassembly = complete(client, assembly), complete(client, disassembly)
    drain(app)

    # Through the accounts, in completion order:
    #   assembly of 10:   candle +10, wax −2.5 → floor −3 (an opened bag is gone), wick −10
    #   disassembly of 2: candle −2,  wax −2.5 + 0.5 = −2 → −2 − (−3) = +1, wick +2
    expected_assembly = {(CANDLE, WORKSHOP): 10, (WAX, WORKSHOP): -3, (WICK, WORKSHOP): -10}
    expected_disassembly = {(CANDLE, WORKSHOP): -2, (WAX, WORKSHOP): 1, (WICK, WORKSHOP): 2}

    assert_synced_with(client, store, assembly, expected_assembly)
    assert_synced_with(client, store, disassembly, expected_disassembly)

    # The fake's per-variant totals: candle +10−2 = 8, wax −3+1 = −2, wick −10+2 = −8.
    assert per_variant(store_deltas(store)) == {CANDLE: 8, WAX: -2, WICK: -8}
    for variant, total in {CANDLE: 8, WAX: -2, WICK: -8}.items():
        assert store.available(SHOP, variant, WORKSHOP) == STARTING_STOCK[variant] + total
        assert store.available(SHOP, variant, FRONT) == 0
    assert set(store.applied(SHOP).values()) == {1}  # every idempotency key applied exactly once

    # A second drain pushes nothing more.
    groups = len(store.adjustments(SHOP))
    drain(app)
    assert len(store.adjustments(SHOP)) == groups
    assert store.available(SHOP, CANDLE, WORKSHOP) == STARTING_STOCK[CANDLE] + 8


def test_fractions_carry_across_orders_and_rows_through_the_accounts(synced):
    """Nothing is rounded per order or per row: per (variant, location) Shopify moves by the floor
    of the exact sum over every order, and each order's receipt lists the changes it froze."""
    app, client, store = synced
    bom = call(client, "POST", BOMS, 201, json=CANDLE_BOM)
    plans = {
        "two-rows": ("assembly", [1, 1], WORKSHOP),   # wax −0.5
        "one-row": ("assembly", [1], WORKSHOP),       # wax −0.25
        "front": ("assembly", [1], FRONT),            # wax −0.25 at the shop front
        "dis": ("disassembly", [3, 2.5], WORKSHOP),   # wax +1.375, candle −5.5, wick +5.5
    }
    orders = {}
    for reference, (kind, rows, location) in plans.items():
        orders[reference] = complete(client, bom_order(client, reference, kind, bom["id"], rows, location=location))
    drain(app)

    exact = defaultdict(Decimal)
    for kind, rows, location in plans.values():
        for produced in rows:
            sign = 1 if kind == "assembly" else -1
            exact[(CANDLE, location)] += sign * Decimal(str(produced))
            for line in CANDLE_BOM["lines"]:
                exact[(line["variantId"], location)] -= sign * Decimal(str(produced)) * Decimal(str(line["quantityPerUnit"]))
    # Σ exact: candle 2 + 1 − 5.5 = −2.5 → −3; wax −0.5 − 0.25 + 1.375 = 0.625 → 0; wick 2.5 → 2;
    # at the front: candle +1, wick −1, wax −0.25 → −1 (an opened bag no longer counts as whole).
    floors = {leg: int(total.to_integral_value(rounding=ROUND_FLOOR)) for leg, total in exact.items()}
    assert floors == {(CANDLE, WORKSHOP): -3, (WAX, WORKSHOP): 0, (WICK, WORKSHOP): 2,
                      (CANDLE, FRONT): 1, (WAX, FRONT): -1, (WICK, FRONT): -1}
    assert store_deltas(store) == Counter({leg: q for leg, q in floors.items() if q})
    for variant in (CANDLE, WAX, WICK):
        assert store.available(SHOP, variant, WORKSHOP) == STARTING_STOCK[variant] + floors[(variant, WORKSHOP)]

    for reference, order in orders.items():
        after = call(client, "GET", f"{ORDERS}/{order['id']}")
        assert after["sync"]["state"] == "synced" and after["version"] == order["version"]
        receipt = after["sync"]["adjustments"]
        # One entry per account the order touched, a carried fraction included (quantity 0, nulls).
        kind, rows, location = plans[reference]
        assert {(a["variantId"], a["locationId"]) for a in receipt} == \
            {(v, location) for v in (CANDLE, WAX, WICK)}
        for entry in receipt:
            assert entry["name"] == "available"
            if entry["quantity"] == 0:
                assert entry["adjustmentGroupId"] is None and entry["quantityAfterChange"] is None
            else:
                assert entry["adjustmentGroupId"].startswith("gid://shopify/InventoryAdjustmentGroup/")
                assert isinstance(entry["quantityAfterChange"], int)
                assert entry["inventoryHistoryUrl"].startswith("https://admin.shopify.com/store/")
        sent = Counter()
        for entry in receipt:
            sent[(entry["variantId"], entry["locationId"])] += entry["quantity"]
        assert Counter({k: v for k, v in sent.items() if v}) == store_deltas(store, order["id"])

    accounts = call(client, "GET", "/api/accounts")["items"]
    by_leg = {(a["variantId"], a["locationId"]): a for a in accounts}
    assert by_leg[(WAX, WORKSHOP)]["exact"] == 0.625 and by_leg[(WAX, WORKSHOP)]["whole"] == 0
    assert by_leg[(WAX, WORKSHOP)]["remainder"] == 0.625
    assert by_leg[(WAX, FRONT)] == {"variantId": WAX, "locationId": FRONT, "name": "available", "exact": -0.25,
                                    "whole": -1, "remainder": 0.75, "meaning": by_leg[(WAX, FRONT)]["meaning"]}
    assert call(client, "GET", f"/api/accounts?variantId={WAX}&locationId={FRONT}")["items"] == [by_leg[(WAX, FRONT)]]
