"""SPEC §12 for the sync: shops take turns, and workers share each shop's Shopify budget.

Against the loopback fake Shopify, on SQLite and PostgreSQL: a shop's single push is sent right
after the push in flight, not behind another shop's backlog; several workers (each with its own
app, as separate processes would have) on one shop never get a THROTTLED answer, with the budget
in the database or in Redis.
"""

import threading
import uuid

import pytest
from sqlalchemy import text

from shopify_app.extensions import db
from shopify_app.sync.worker import run_once

from .builders import auth_headers
from .conftest import base_config
from .sync_fixtures import app_for, install, start_fake

ORDERS = "/api/production-orders"
CANDLE = "gid://shopify/ProductVariant/8001"
WORKSHOP = "gid://shopify/Location/7001"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request):
    app = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture
def make_app(fake):
    """Apps on the fake (one per simulated process), their connections closed at teardown (ask for
    it after the database fixture, so this runs before the database is emptied)."""
    apps = []

    def make(database_url: str, **overrides):
        app = app_for(fake, database_url, base_config, RATE_LIMIT_PER_SHOP="", **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class ThrottledCounter:
    """WSGI middleware in front of the fake: counts THROTTLED answers, changes nothing."""

    def __init__(self, fake):
        self.inner, fake.app.wsgi_app = fake.app.wsgi_app, self
        self.throttled = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = b"".join(self.inner(environ, start_response))
        if b'"THROTTLED"' in body:
            with self.lock:
                self.throttled += 1
        return [body]


@pytest.fixture
def fake(admin_schema_path, request):
    marker = request.node.get_closest_marker("bucket")
    fake = start_fake(admin_schema_path, **(marker.kwargs if marker else {}))
    yield fake
    fake.stop()


def new_shop(fake, client) -> str:
    """A shop with one location and one variant in the fake, the app installed on it."""
    shop = f"shop-{uuid.uuid4().hex[:8]}.myshopify.com"
    fake.store.add_location(shop, 7001, "Workshop")
    fake.store.add_variant(shop, 8001, "Candle", inventory_item_id=9001)
    install(client, shop)
    return shop


def complete_orders(client, shop: str, count: int) -> list[int]:
    """`count` orders that sync, completed with 1 candle produced each: one push each."""
    ids = []
    for n in range(count):
        headers = auth_headers(shop)
        order = client.post(ORDERS, headers=headers, json={
            "reference": f"PO-{n}", "locationId": WORKSHOP, "syncProductionOrderToShopify": True,
            "components": [{"variantId": CANDLE, "title": "Candle", "quantityPlanned": 1}]}).get_json()
        client.post(f"{ORDERS}/{order['id']}/start", headers=headers)
        row = order["components"][0]["id"]
        client.patch(f"{ORDERS}/{order['id']}/components/{row}", headers=headers, json={"quantityProduced": 1})
        assert client.post(f"{ORDERS}/{order['id']}/complete", headers=headers).status_code == 200
        ids.append(order["id"])
    return ids


def finishing_order(app) -> list[int]:
    """Order ids in the order their pushes finished."""
    with app.app_context():
        try:
            return [row[0] for row in db.session.execute(text(
                "SELECT order_id FROM sync_pushes WHERE status = 'succeeded' ORDER BY finished_at, id"))]
        finally:
            db.session.remove()


def freezing_order(app) -> list[int]:
    """Order ids in the order their pushes were frozen: right after each claim, so with several
    workers this is the order the shops were served in (finishing depends on each worker's pace)."""
    with app.app_context():
        try:
            return [row[0] for row in db.session.execute(text(
                "SELECT order_id FROM sync_pushes WHERE status = 'succeeded' ORDER BY frozen_at, id"))]
        finally:
            db.session.remove()


def run_workers(apps: list, ids: list[str]) -> dict:
    processed, errors = {}, []
    barrier = threading.Barrier(len(ids), timeout=30)

    def work(app, worker_id):
        try:
            with app.app_context():
                barrier.wait()
                processed[worker_id] = run_once(worker_id)
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(app, worker_id), daemon=True) for app, worker_id in zip(apps, ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and not any(t.is_alive() for t in threads), errors
    return processed


def test_a_small_shop_is_served_right_after_the_push_in_flight_not_behind_a_backlog(fake, database_url, make_app):
    app = make_app(database_url)
    client = app.test_client()
    big, small = new_shop(fake, client), new_shop(fake, client)
    backlog = complete_orders(client, big, 8)
    single, = complete_orders(client, small, 1)  # queued last
    with app.app_context():
        assert run_once("worker-1") == 9
        db.session.remove()
    finished = finishing_order(app)
    assert sorted(finished) == sorted(backlog + [single])
    assert finished.index(single) == 1  # after the one push of the big shop it was behind, no more


@pytest.mark.postgres
def test_with_several_workers_on_postgresql_shops_still_take_turns(fake, pg_app, make_app):
    apps = [make_app(pg_app.config["SQLALCHEMY_DATABASE_URI"]) for _ in range(3)]
    client = apps[0].test_client()
    big, small, other = new_shop(fake, client), new_shop(fake, client), new_shop(fake, client)
    backlog = complete_orders(client, big, 12)
    singles = complete_orders(client, small, 1) + complete_orders(client, other, 1)
    processed = run_workers(apps, ["w1", "w2", "w3"])
    assert sum(processed.values()) == 14
    served = freezing_order(apps[0])
    assert sorted(served) == sorted(backlog + singles)
    # Three workers: at most three pushes were claimed before the small shops' turn came (index 4 at
    # most, in claim order). A worker freezes right after its claim, but a busy machine can let the
    # other two freeze first: up to two places of slack, still far ahead of the 12-push backlog.
    assert max(served.index(order) for order in singles) <= 4 + 2, served


@pytest.mark.bucket(bucket_max=40, restore_rate=200, mutation_cost=10)
@pytest.mark.parametrize("shared", ["database", "redis"])
def test_workers_on_one_shop_share_its_budget_and_are_never_throttled(fake, database_url, make_app, shared,
                                                                       request):
    """Three workers with separate apps (separate budget stores and connections) push 24 orders into
    a bucket of 40 points: each mutation costs 10, so three workers each keeping their own estimate
    would be refused; sharing one estimate, none is."""
    # Timeouts and leases are not this test's subject: on a loaded machine a 0.5 s read timeout or a
    # 5 s lease running out would send a push again (a replay for Shopify, but one more call than
    # the counts below expect).
    extra = {"SHOPIFY_HTTP_TIMEOUT_SECONDS": 10, "SYNC_LEASE_SECONDS": 120}
    if shared == "redis":
        url, prefix = request.getfixturevalue("redis_prefix")
        extra.update(REDIS_URL=url, REDIS_KEY_PREFIX=prefix)
    apps = [make_app(database_url, **extra) for _ in range(3)]
    counter = ThrottledCounter(fake)
    shop = new_shop(fake, apps[0].test_client())
    complete_orders(apps[0].test_client(), shop, 24)
    processed = run_workers(apps, ["w1", "w2", "w3"])
    assert sum(processed.values()) == 24
    assert fake.store.calls(shop)["AdjustInventory"] == 24  # one call per push: nothing was refused
    assert counter.throttled == 0
    assert sum(1 for n in processed.values() if n) >= 2, f"the workers did not overlap: {processed}"
