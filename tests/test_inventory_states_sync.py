"""Shopify's inventory states end to end (SPEC §10), against the loopback fake Shopify, on SQLite
and PostgreSQL: planned output booked as `incoming`, curing output held in `quality_control` and
released to `available` with inventoryMoveQuantities — through the same outbox and idempotency
keys as every push, under injected faults, exactly once.

The expected quantities are computed here from what the orders say, independently of the app.
"""

import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import text

from shopify_app.devshop import FAULT_KINDS, FakeStore
from shopify_app.extensions import db

from .test_sync_exactly_once import (ORDERS, Api, database_url, drain, harness, pg_harness, pg_url,  # noqa: F401
                                     work)

APP_HANDLE = "production-orders"
L1, L2 = "gid://shopify/Location/7301", "gid://shopify/Location/7302"
O1, O2, M1 = (f"gid://shopify/ProductVariant/{n}" for n in (8301, 8302, 8303))
NAMES = ("available", "incoming", "quality_control")


def catalogue(store: FakeStore, shop: str) -> None:
    store.add_location(shop, 7301, "Workshop")
    store.add_location(shop, 7302, "Studio")
    for number, title in ((8301, "Candle"), (8302, "Soap"), (8303, "Wax")):
        store.add_variant(shop, number, title, inventory_item_id=number + 1000,
                          available={L1: 100, L2: 100})


def quantities(store: FakeStore, shop: str) -> Counter:
    """Every nonzero (variant, location, name) quantity, relative to the starting stock."""
    result = Counter()
    for variant in (O1, O2, M1):
        for location in (L1, L2):
            for name in NAMES:
                start = 100 if name == "available" else 0
                value = store.quantity(shop, variant, location, name) - start
                if value:
                    result[(variant, location, name)] = value
    return result


def setup_shop(harness, *, fault_rate: float, seed: int = 7):
    store = FakeStore()
    fake = harness.fake(store, fault_rate=fault_rate, fault_seed=seed,
                        fault_kinds={kind: 1.0 for kind in FAULT_KINDS}, timeout_delay=0.3)
    app = harness.app(fake, SHOPIFY_HTTP_TIMEOUT_SECONDS=0.15)
    shop = f"states-{uuid.uuid4().hex[:6]}.myshopify.com"
    catalogue(store, shop)
    api = Api(app, shop)
    api.install()
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": L1,
                                      "syncMode": "on_complete", "plannedOutputAsIncoming": True})
    return store, app, api, shop


def create(api, reference: str, rows: list[tuple[str, str]], hold_days: int = 0, materials=()) -> dict:
    # Fractions need a unit that has them ("pcs" are whole).
    components = [{"variantId": variant, "unit": "kg" if "." in planned else "pcs",
                   "quantityPlanned": float(planned) if "." in planned else int(planned),
                   "materials": [{"variantId": m, "quantityPerUnit": q} for m, q in materials]}
                  for variant, planned in rows]
    return api("POST", ORDERS, 201, json={"reference": reference, "holdDays": hold_days, "components": components})


def act(api, order: dict, action: str) -> dict:
    return api("POST", f"{ORDERS}/{order['id']}/{action}")


def produce(api, order: dict, quantity) -> dict:
    component = order["components"][0]["id"]
    return api("PATCH", f"{ORDERS}/{order['id']}/components/{component}", json={"quantityProduced": quantity})


def test_incoming_and_curing_reach_shopify_exactly_once_under_faults(harness):
    store, app, api, shop = setup_shop(harness, fault_rate=0.25)

    # A: incoming 5 at L1; planned edited to 7, then moved to L2; completes with 6 made.
    a = create(api, "A", [(O1, "5")], materials=[(M1, 0.5)])
    a = act(api, a, "start")
    # C: 3.5 planned: whole units only, so 3 show as incoming; then cancelled.
    c = act(api, create(api, "C", [(O1, "3.5")]), "start")
    # B and D cure for some days: their output goes to quality_control at completion.
    b = act(api, create(api, "B", [(O2, "4")], hold_days=3), "start")
    d = act(api, create(api, "D", [(O2, "2")], hold_days=2), "start")
    drain(app)
    assert quantities(store, shop) == {(O1, L1, "incoming"): 5 + 3, (O2, L1, "incoming"): 4 + 2}

    a = api("PATCH", f"{ORDERS}/{a['id']}/components/{a['components'][0]['id']}", json={"quantityPlanned": 7})
    drain(app)
    assert quantities(store, shop)[(O1, L1, "incoming")] == 7 + 3
    a = api("PATCH", f"{ORDERS}/{a['id']}", json={"locationId": L2})
    work(app, "mid-edit")  # a worker pass between edits: a push may go out half way
    c = act(api, c, "cancel")
    drain(app)
    assert quantities(store, shop) == {(O1, L2, "incoming"): 7, (O2, L1, "incoming"): 6}

    a = act(api, produce(api, a, 6), "complete")
    b = act(api, produce(api, b, 4), "complete")
    d = act(api, produce(api, d, 2), "complete")
    assert b["hold"]["releasedAt"] is None and b["hold"]["until"] > b["completedAt"]
    drain(app)
    assert quantities(store, shop) == {(O1, L2, "available"): 6, (M1, L2, "available"): -3,
                                       (O2, L1, "quality_control"): 4 + 2}

    b = act(api, b, "release")
    assert b["hold"]["releasedAt"] is not None
    drain(app)
    # What the orders say: A made 6 at L2 from 3 wax; B's 4 are released; D's 2 still cure; nothing incoming.
    assert quantities(store, shop) == {(O1, L2, "available"): 6, (M1, L2, "available"): -3,
                                       (O2, L1, "available"): 4, (O2, L1, "quality_control"): 2}
    assert set(store.applied(shop).values()) == {1}  # no idempotency key applied twice

    # Every change of a name but `available` names its order as the ledger document; none on `available`.
    for group in store.adjustments(shop):
        order_id = group["referenceDocumentUri"].rsplit("/", 1)[-1]
        for change in group["changes"]:
            expected = None if change["name"] == "available" else f"gid://{APP_HANDLE}/ProductionOrder/{order_id}"
            assert change["ledgerDocumentUri"] == expected, change
    moves = [g for g in store.adjustments(shop) if {c["name"] for c in g["changes"]} == {"quality_control", "available"}]
    assert [sorted((c["name"], c["delta"]) for c in g["changes"]) for g in moves] == [
        [("available", 4), ("quality_control", -4)]]

    receipt = api("GET", f"{ORDERS}/{b['id']}")["sync"]["adjustments"]
    assert {(e["name"], e["quantity"]) for e in receipt} >= {("quality_control", 4), ("quality_control", -4),
                                                             ("available", 4), ("incoming", -4)}
    events = [e["type"] for e in api("GET", f"{ORDERS}/{b['id']}/events")["items"]]
    assert events.count("released") == 1


def _make_due(app, order_id: int) -> None:
    """Time passes: the hold's end is now behind us (the clock is the database's, not patched)."""
    with app.app_context():
        db.session.execute(text("UPDATE production_orders SET hold_until = completed_at WHERE id = :id"),
                           {"id": order_id})
        db.session.commit()
        db.session.remove()


@pytest.mark.postgres
def test_two_racing_workers_release_a_due_hold_exactly_once_on_postgresql(pg_harness):
    _race_release(pg_harness)


def test_two_racing_workers_release_a_due_hold_exactly_once(harness):
    _race_release(harness)


def _race_release(harness):
    store, app, api, shop = setup_shop(harness, fault_rate=0.0)
    order = act(api, produce(api, act(api, create(api, "R", [(O2, "5")], hold_days=1), "start"), 5), "complete")
    drain(app)
    assert quantities(store, shop) == {(O2, L1, "quality_control"): 5}
    _make_due(app, order["id"])

    barrier = threading.Barrier(2)
    errors = []

    def worker(name):
        try:
            barrier.wait()
            work(app, name)
        except Exception as exc:  # surfaced below: a worker must never crash on a lost race
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"race-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    drain(app)
    assert quantities(store, shop) == {(O2, L1, "available"): 5}
    events = api("GET", f"{ORDERS}/{order['id']}/events")["items"]
    released = [e for e in events if e["type"] == "released"]
    assert len(released) == 1 and released[0]["actor"] == "system"
    assert store.calls(shop)["MoveInventory"] >= 1 and set(store.applied(shop).values()) == {1}
    # The merchant's early release now finds nothing held.
    api("POST", f"{ORDERS}/{order['id']}/release", 409)


def test_a_shop_without_the_option_books_nothing_as_incoming(harness):
    store, app, api, shop = setup_shop(harness, fault_rate=0.0)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": L1,
                                      "syncMode": "on_complete", "plannedOutputAsIncoming": False})
    order = act(api, create(api, "N", [(O1, "5")]), "start")
    assert order["plannedOutputAsIncoming"] is False
    drain(app)
    assert quantities(store, shop) == {}
    act(api, produce(api, order, 5), "complete")
    drain(app)
    assert quantities(store, shop) == {(O1, L1, "available"): 5}


def test_a_release_whose_answers_are_lost_is_applied_once(harness):
    """Shopify applies the move but its answers never arrive: the worker resends the same key
    (Shopify replays the stored group) until it learns the outcome; the units move once."""
    from shopify_app.devshop import FaultPlan

    store, app, api, shop = setup_shop(harness, fault_rate=0.0)
    order = act(api, produce(api, act(api, create(api, "L", [(O2, "3")], hold_days=5), "start"), 3), "complete")
    drain(app)
    kinds = {"lost_response": 1.0}
    wanted = ["lost_response", "lost_response", None, None, None, None]
    seed = next(s for s in range(10_000) if FaultPlan.preview(0.5, s, kinds, len(wanted)) == wanted)
    lossy = harness.fake(store, fault_rate=0.5, fault_seed=seed, fault_kinds=kinds)
    lossy_app = harness.app(lossy, SHOPIFY_HTTP_TIMEOUT_SECONDS=0.5)
    Api(lossy_app, shop)("POST", f"{ORDERS}/{order['id']}/release")
    drain(lossy_app)
    assert quantities(store, shop) == {(O2, L1, "available"): 3}
    assert store.calls(shop)["MoveInventory"] >= 2  # at least one resend under the same key
    assert set(store.applied(shop).values()) == {1}


def test_in_live_mode_output_made_in_progress_moves_to_quality_control_at_completion(harness):
    store, app, api, shop = setup_shop(harness, fault_rate=0.0)
    api("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": L1,
                                      "syncMode": "live", "plannedOutputAsIncoming": False})
    order = produce(api, act(api, create(api, "V", [(O1, "4")], hold_days=2), "start"), 4)
    drain(app)
    assert quantities(store, shop) == {(O1, L1, "available"): 4}
    act(api, order, "complete")
    drain(app)
    assert quantities(store, shop) == {(O1, L1, "quality_control"): 4}
    moves = [g for g in store.adjustments(shop) if len({c["name"] for c in g["changes"]}) == 2]
    assert [sorted((c["name"], c["delta"]) for c in g["changes"]) for g in moves] == [
        [("available", -4), ("quality_control", 4)]]
