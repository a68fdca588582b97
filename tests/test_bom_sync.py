"""Orders built from a BOM push their output and materials to the fake Shopify (SPEC §5, issue #6).

Each order's legs (order, variant, location) are rounded half away from zero on their own, so the
store's per-variant totals are the sums of the per-order rounded deltas.
"""

from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

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


def half_away_from_zero(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # Decimal's HALF_UP is away from zero


def expected_deltas(kind, produced_per_row, output, lines, location=WORKSHOP) -> dict:
    """The test's own arithmetic: exact sums per variant over the order's rows, then rounded once."""
    sign = 1 if kind == "assembly" else -1
    exact = defaultdict(Decimal)
    for produced in produced_per_row:
        exact[output] += sign * Decimal(str(produced))
        for line in lines:
            exact[line["variantId"]] -= sign * Decimal(str(produced)) * Decimal(str(line["quantityPerUnit"]))
    rounded = {(variant, location): half_away_from_zero(total) for variant, total in exact.items()}
    return {leg: delta for leg, delta in rounded.items() if delta}


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

    # Per order and leg, rounded half away from zero per order:
    #   assembly of 10:   candle +10, wax −2.5 → −3, wick −10
    #   disassembly of 2: candle −2,  wax +0.5 → +1, wick +2
    expected_assembly = {(CANDLE, WORKSHOP): 10, (WAX, WORKSHOP): -3, (WICK, WORKSHOP): -10}
    expected_disassembly = {(CANDLE, WORKSHOP): -2, (WAX, WORKSHOP): 1, (WICK, WORKSHOP): 2}
    assert expected_deltas("assembly", [10], CANDLE, CANDLE_BOM["lines"]) == expected_assembly
    assert expected_deltas("disassembly", [2], CANDLE, CANDLE_BOM["lines"]) == expected_disassembly

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


def test_each_orders_legs_are_rounded_once_over_all_its_bom_rows(synced):
    """Rounding is per order and leg: not per row, and not across orders."""
    app, client, store = synced
    bom = call(client, "POST", BOMS, 201, json=CANDLE_BOM)
    plans = {
        # two rows of 1: wax −0.25 −0.25 = −0.5 → −1 (rounding each row would give 0)
        "two-rows": ("assembly", [1, 1], WORKSHOP),
        # one row of 1: wax −0.25 → 0, so no wax change at all for this order
        "one-row": ("assembly", [1], WORKSHOP),
        # another one-row order elsewhere: wax −0.25 → 0 (summed with the one above it would be −0.5 → −1)
        "front": ("assembly", [1], FRONT),
        # disassembly of 3 + 2.5: wax +1.375 → +1
        "dis": ("disassembly", [3, 2.5], WORKSHOP),
    }
    orders = {}
    for reference, (kind, rows, location) in plans.items():
        orders[reference] = complete(client, bom_order(client, reference, kind, bom["id"], rows, location=location))
    drain(app)

    expected = {reference: expected_deltas(kind, rows, CANDLE, CANDLE_BOM["lines"], location)
                for reference, (kind, rows, location) in plans.items()}
    assert expected["two-rows"] == {(CANDLE, WORKSHOP): 2, (WAX, WORKSHOP): -1, (WICK, WORKSHOP): -2}
    assert expected["one-row"] == {(CANDLE, WORKSHOP): 1, (WICK, WORKSHOP): -1}
    assert expected["front"] == {(CANDLE, FRONT): 1, (WICK, FRONT): -1}
    # candle −5.5 → −6, wax +1.375 → +1, wick +5.5 → +6
    assert expected["dis"] == {(CANDLE, WORKSHOP): -6, (WAX, WORKSHOP): 1, (WICK, WORKSHOP): 6}
    for reference, order in orders.items():
        assert_synced_with(client, store, order, expected[reference])

    total = Counter()
    for deltas in expected.values():
        total.update(deltas)
    assert store_deltas(store) == Counter({leg: delta for leg, delta in total.items() if delta})
    # Per variant: candle +2 +1 +1 −6 = −2, wick −2 −1 −1 +6 = +2, wax −1 +1 = 0 (no leg left over).
    assert per_variant(store_deltas(store)) == {CANDLE: -2, WICK: 2}
    assert sorted(store_deltas(store, order["id"]).get((WAX, WORKSHOP), 0) for order in orders.values()) == \
        [-1, 0, 0, 1]
    assert store.available(SHOP, WAX, WORKSHOP) == STARTING_STOCK[WAX] + 0
    assert store.available(SHOP, WAX, FRONT) == 0
    assert store.available(SHOP, CANDLE, FRONT) == 1
    assert store.available(SHOP, CANDLE, WORKSHOP) == STARTING_STOCK[CANDLE] + 2 + 1 - 6
