"""A running fake Shopify and an app pointed at it, for the sync integration tests."""

import pytest

from shopify_app import create_app
from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore
from shopify_app.extensions import db
from shopify_app.sync.worker import run_once

from .builders import API_KEY, API_SECRET, SHOP, auth_headers

FAST_SYNC = {
    # Backoff, lease and timeouts are settings so fault tests run in seconds, not minutes.
    "SYNC_BACKOFF_BASE_SECONDS": 0.01,
    "SYNC_BACKOFF_MAX_SECONDS": 0.05,
    "SYNC_LEASE_SECONDS": 5,
    "SYNC_HTTP_RETRIES": 3,
    "SHOPIFY_HTTP_TIMEOUT_SECONDS": 0.5,
}


def start_fake(schema_path, **config) -> FakeShopify:
    fake = FakeShopify(FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, schema_path=schema_path,
                                         **config), FakeStore())
    return fake.start()


def app_for(fake: FakeShopify, database_url: str, base_config, **overrides):
    return create_app({**base_config(database_url), **FAST_SYNC,
                       "SHOPIFY_ADMIN_ORIGIN": fake.origin_template, **overrides})


def install(client, shop: str) -> None:
    """Install the app on `shop` the way Shopify does: the first API call exchanges the token."""
    response = client.get("/api/settings", headers=auth_headers(shop))
    assert response.status_code == 200, response.get_json()


def drain(app, worker_id: str = "test-worker", rounds: int = 50) -> int:
    """Run the worker until nothing is due (pushes waiting for a backoff become due quickly)."""
    import time

    processed = 0
    with app.app_context():
        for _ in range(rounds):
            done = run_once(worker_id)
            processed += done
            open_pushes = db.session.execute(db.text(
                "SELECT count(*) FROM sync_pushes WHERE status IN ('pending', 'sending')")).scalar()
            db.session.remove()
            if not open_pushes:
                return processed
            time.sleep(0.02)
    raise AssertionError("pushes still open after draining the worker")


@pytest.fixture
def fake_shopify(admin_schema_path):
    fake = start_fake(admin_schema_path)
    yield fake
    fake.stop()


def candle_workshop(fake: FakeShopify, database_path, base_config, stock: dict | None = None):
    """The fake store with two locations and candle, wax and wick; an app on `database_path`
    installed on SHOP through token exchange. `stock` maps a variant GID to its Workshop quantity."""
    store = fake.store
    store.add_location(SHOP, 7001, "Workshop")
    store.add_location(SHOP, 7002, "Shop front")
    for number, title in ((8001, "Candle"), (8002, "Wax"), (8003, "Wick")):
        quantity = (stock or {}).get(f"gid://shopify/ProductVariant/{number}")
        store.add_variant(SHOP, number, title, inventory_item_id=number + 1000,
                          available={"gid://shopify/Location/7001": quantity} if quantity is not None else None)
    app = app_for(fake, f"sqlite:///{database_path}", base_config)
    client = app.test_client()
    install(client, SHOP)
    return app, client, store
