"""A reversal's push is exactly the negation of the reversed part, through the same accounts (SPEC §11).

Against the loopback fake Shopify, on SQLite and PostgreSQL, with the sync's calls meeting lost
answers, timeouts, throttles and 5xx: after originals and their (partial) reversals have synced,
Shopify's net change per account equals floor of the exact sum of what remains — fractions carry
(reversing 2 of 4 candles that used 0.25 kg of wax each leaves wax at floor(−0.5) = −1).
"""

import shutil
from collections import Counter
from decimal import ROUND_FLOOR, Decimal

import pytest
from sqlalchemy import create_engine, text

from shopify_app.devshop import FAULT_KINDS, FaultPlan
from shopify_app.extensions import db

from .builders import SHOP, auth_headers
from .conftest import base_config
from .sync_fixtures import app_for, drain, install, start_fake

ORDERS = "/api/production-orders"
CANDLE, WAX, WICK = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8003))
WORKSHOP = "gid://shopify/Location/7001"
MATERIALS = [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25},
             {"variantId": WICK, "title": "Wick", "quantityPerUnit": 0.1}]


def _truncate(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in db.metadata.sorted_tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, sqlite_template, tmp_path):
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "reversals.sqlite3")
        return f"sqlite:///{tmp_path / 'reversals.sqlite3'}"
    url = request.getfixturevalue("postgres_migrated")
    _truncate(url)
    request.addfinalizer(lambda: _truncate(url))
    return url


@pytest.fixture
def workshop(database_url, admin_schema_path):
    fake = start_fake(admin_schema_path, timeout_delay=0.3)
    store = fake.store
    store.add_location(SHOP, 7001, "Workshop")
    for number, title in ((8001, "Candle"), (8002, "Wax"), (8003, "Wick")):
        store.add_variant(SHOP, number, title, inventory_item_id=number + 1000,
                          available={WORKSHOP: 100})
    # The client gives up after 0.15 s; a `timeout` fault answers after 0.3 s, applied meanwhile.
    app = app_for(fake, database_url, base_config, SHOPIFY_HTTP_TIMEOUT_SECONDS=0.15, RATE_LIMIT_PER_SHOP="")
    client = app.test_client()
    install(client, SHOP)
    yield app, client, fake
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    fake.stop()


def call(client, method, path, expect=200, **kw):
    response = client.open(path, method=method, headers=auth_headers(SHOP), **kw)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def produce(client, order, produced):
    """Start `order`, record `produced` on its only row, complete it."""
    order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    row = order["components"][0]
    call(client, "PATCH", f"{ORDERS}/{order['id']}", json={"components": [{"id": row["id"], "quantityProduced": produced}]})
    return call(client, "POST", f"{ORDERS}/{order['id']}/complete")


def assembled(client, reference, candles):
    order = call(client, "POST", ORDERS, 201, json={
        "reference": reference, "locationId": WORKSHOP, "syncProductionOrderToShopify": True,
        "components": [{"variantId": CANDLE, "title": "Candle", "quantityPlanned": candles, "materials": MATERIALS}]})
    return produce(client, order, candles)


def reversed_part(client, original, candles):
    """Reverse `candles` of `original`'s candles (a partial reversal when fewer than what is left)."""
    reversal = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    row = reversal["components"][0]
    reversal = call(client, "PATCH", f"{ORDERS}/{reversal['id']}", json={"components": [
        {"id": row["id"], "quantityPlanned": candles}]})
    return produce(client, reversal, candles)


def sync_through_faults(app, fake, seed):
    """Drain the worker while the fake misbehaves on a third of the sync's calls."""
    fake.runtime.faults = FaultPlan(0.33, seed, {kind: 1.0 for kind in FAULT_KINDS})
    try:
        drain(app, rounds=400)
    finally:
        faults = [kind for kind in fake.runtime.faults.history if kind]
        fake.runtime.faults = FaultPlan(0.0, 0, {})
    return faults


def shopify_net(store) -> Counter:
    """The net change the fake applied per variant at the workshop."""
    items = {record["inventoryItemId"]: variant for variant, record in store.shop(SHOP).variants.items()}
    net = Counter()
    for group in store.adjustments(SHOP):
        for change in group["changes"]:
            net[items[change["inventoryItemId"]]] += change["delta"]
    return net


def floor_of_remaining(candles: Decimal) -> Counter:
    """floor of the exact sum per account when `candles` candles remain made."""
    exact = {CANDLE: candles, WAX: -candles * Decimal("0.25"), WICK: -candles * Decimal("0.1")}
    return Counter({variant: int(value.to_integral_value(rounding=ROUND_FLOOR)) for variant, value in exact.items()})


def test_reversals_undo_exactly_the_reversed_part_through_faults(workshop):
    app, client, fake = workshop
    store = fake.store
    first = assembled(client, "PO-1", 4)
    faults = sync_through_faults(app, fake, seed=11)
    assert shopify_net(store) == floor_of_remaining(Decimal(4))  # +4 candles, −1 wax, −1 wick (0.4 used)

    # The example: reverse 2 of the 4 candles; wax's exact use is −0.5, so Shopify stays at −1.
    reversed_part(client, first, 2)
    faults += sync_through_faults(app, fake, seed=12)
    assert shopify_net(store) == floor_of_remaining(Decimal(2))
    assert shopify_net(store)[WAX] == -1

    # Another order and more reversals, partial and whole, of both; fractions carry across them.
    second = assembled(client, "PO-2", 3)
    reversed_part(client, first, 1)
    reversed_part(client, second, 3)
    faults += sync_through_faults(app, fake, seed=13)
    assert shopify_net(store) == floor_of_remaining(Decimal(1))

    reversed_part(client, first, 1)
    faults += sync_through_faults(app, fake, seed=14)
    assert shopify_net(store) == floor_of_remaining(Decimal(0))  # everything undone: back where it started
    assert call(client, "GET", f"{ORDERS}/{first['id']}")["reversible"] is False
    call(client, "POST", f"{ORDERS}/{first['id']}/reverse", 409)

    assert all(count == 1 for count in store.applied(SHOP).values())  # no key applied twice
    assert {"lost_response", "timeout"} & set(faults), faults  # the hard kinds were drawn
    with app.app_context():
        accounts = {v: (Decimal(e), w) for v, e, w in db.session.execute(text(
            "SELECT variant_id, exact, whole FROM sync_accounts"))}
    assert accounts == {CANDLE: (Decimal(0), 0), WAX: (Decimal(0), 0), WICK: (Decimal(0), 0)}
