"""Demo mode (SPEC §8) without a browser: where its URLs exist, who may call them, and a restart.

- With real credentials (SHOPIFY_API_KEY set, not demo mode) the /demo/* URLs and the demo inventory
  page do not exist.
- In demo mode they answer only to loopback: a session token is a key to the demo shop.
- `flask serve` in demo mode starts a fresh fake store each time; what the app already pushed into the
  previous one is replayed into it from the sync legs, and the demo shop's tokens (issued by the old
  fake) are forgotten so the next call exchanges anew.
"""

import re
import time

import jwt
import pytest

from shopify_app.demo import DEMO_API_KEY, DemoServices
from shopify_app.devshop import DEMO_SHOP
from shopify_app.extensions import db
from shopify_app.shops.models import Shop
from shopify_app.sync.models import SyncLeg

from .browser_support import CANDLE, JAR, WAX, WICK, WORKSHOP, migrated_demo_app

DEMO_URLS = ["/demo/session-token", "/demo/products.json", "/demo/inventory.json"]
JWT = re.compile(rb"eyJ[\w-]+\.[\w-]+\.")


# ------------------------------------------------------------------ outside demo mode


@pytest.mark.parametrize("path", DEMO_URLS + ["/demo-inventory"])
def test_demo_urls_do_not_exist_with_real_credentials(app, client, path):
    assert app.config["SHOPIFY_API_KEY"] and not app.config.get("DEMO_MODE")
    assert client.get(path).status_code == 404  # from loopback too: they are not registered at all
    assert client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404


# ------------------------------------------------------------------ demo mode: loopback only


@pytest.fixture
def demo_app(tmp_path):
    app = migrated_demo_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", DEMO_URLS)
def test_demo_urls_refuse_a_client_that_is_not_loopback(demo_app, path):
    client = demo_app.test_client()
    response = client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 404
    assert not JWT.search(response.data)  # no session token (a JWT: base64url of '{"…' first)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_demo_session_token_is_given_to_loopback(demo_app, address):
    response = demo_app.test_client().get("/demo/session-token", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(response.json["token"], demo_app.config["SHOPIFY_API_SECRET"], algorithms=["HS256"],
                        audience=DEMO_API_KEY)
    assert claims["dest"] == f"https://{DEMO_SHOP}"
    assert response.json["shop"] == DEMO_SHOP


# ------------------------------------------------------------------ a restart replays pushed stock


class Api:
    """The JSON API through the Flask test client, with the demo page's own session tokens."""

    def __init__(self, app):
        self.client = app.test_client()

    def __call__(self, method, path, body=None, version=None, expect=200):
        token = self.client.get("/demo/session-token").json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        response = self.client.open(f"/api{path}", method=method, json=body, headers=headers)
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.json


def wait_until_synced(api, order_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        order = api("GET", f"/production-orders/{order_id}")
        if order["sync"]["state"] == "synced" and order["sync"]["adjustments"]:
            return order
        assert order["sync"]["state"] != "failed", order["sync"]
        assert time.monotonic() < deadline, f"not synced after {timeout} s: {order['sync']}"
        time.sleep(0.1)  # polling the worker thread


def demo_shop_row():
    db.session.expire_all()
    return db.session.query(Shop).filter_by(domain=DEMO_SHOP).one()


def test_demo_restart_restores_pushed_stock_into_the_fresh_fake_and_forgets_its_tokens(tmp_path):
    # First run: complete an order that pushes the candles it made and the wax and wicks they used.
    first_app = migrated_demo_app(tmp_path)
    first = DemoServices(first_app).start()
    try:
        seeded = first.store.ledger(DEMO_SHOP)
        api = Api(first_app)
        order = api("POST", "/production-orders", {
            "reference": "PO-RESTART", "locationId": WORKSHOP, "syncProductionOrderToShopify": True,
            "components": [
                {"variantId": CANDLE, "title": "Beeswax candle - Large", "quantityPlanned": 5, "materials": [
                    {"variantId": WAX, "title": "Beeswax pellets - 1 kg", "quantityPerUnit": 0.5},
                    {"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPerUnit": 0.1},
                ]},
                {"variantId": JAR, "title": "Amber glass jar", "quantityPlanned": 2},
            ]}, expect=201)
        order = api("POST", f"/production-orders/{order['id']}/start", version=order["version"])
        for component in order["components"]:
            order = api("PATCH", f"/production-orders/{order['id']}/components/{component['id']}",
                        {"quantityProduced": component["quantityPlanned"]}, version=order["version"])
        order = api("POST", f"/production-orders/{order['id']}/complete", version=order["version"])
        wait_until_synced(api, order["id"])
        pushed = first.store.ledger(DEMO_SHOP)
        assert pushed != seeded
        assert first.store.available(DEMO_SHOP, CANDLE, WORKSHOP) == 12 + 5
        assert first.store.available(DEMO_SHOP, WAX, WORKSHOP) == 40 - 3  # 2.5 rounds half away from zero
        assert first.store.available(DEMO_SHOP, WICK, WORKSHOP) == 25 - 1  # 0.5 rounds to 1
        assert first.store.available(DEMO_SHOP, JAR, WORKSHOP) == 60 + 2
        with first_app.app_context():
            assert db.session.query(SyncLeg).count() > 0
            assert demo_shop_row().access_token_encrypted is not None
    finally:
        first.stop()
    with first_app.app_context():
        db.engine.dispose()

    # Second run, as `flask serve` starts it again: a new app and a new fake on the same database.
    second_app = migrated_demo_app(tmp_path)
    second = DemoServices(second_app).start()
    try:
        # A fresh fake is seeded like the first; the restore adds exactly what was pushed before.
        assert second.store.ledger(DEMO_SHOP) == pushed
        with second_app.app_context():
            shop = demo_shop_row()
            assert shop.access_token_encrypted is None and shop.refresh_token_encrypted is None
            assert shop.access_token_expires_at is None and shop.refresh_token_expires_at is None
        # The next call exchanges a token with the new fake, and the order still reads as synced.
        api = Api(second_app)
        locations = api("GET", "/locations")
        assert {location["name"] for location in locations["items"]} == {"Workshop", "Shop front"}
        assert api("GET", f"/production-orders/{order['id']}")["sync"]["state"] == "synced"
        with second_app.app_context():
            assert demo_shop_row().access_token_encrypted is not None
    finally:
        second.stop()
        with second_app.app_context():
            db.engine.dispose()


# ------------------------------------------------------------------ a fresh demo is ready to show the point


def test_a_fresh_demo_syncs_to_workshop_by_default_and_keeps_the_merchants_later_choice(tmp_path):
    app = migrated_demo_app(tmp_path)
    services = DemoServices(app).start()
    try:
        api = Api(app)
        assert api("GET", "/settings") == {"syncProductionOrdersToShopifyByDefault": True,
                                           "defaultLocationId": WORKSHOP, "syncMode": "on_complete",
                                           "costUpdate": "weighted_average", "shortagePolicy": "warn", "plannedOutputAsIncoming": False}
        [bom] = api("GET", "/boms")["items"]
        assert bom["name"] == "Beeswax candle in a jar" and len(bom["lines"]) == 3
        # An order with no setting of its own, completed: the demo store's inventory changes.
        order = api("POST", "/production-orders", {"reference": "PO-FIRST", "components": []}, expect=201)
        order = api("POST", f"/production-orders/{order['id']}/components", {"bomId": bom["id"], "quantityPlanned": 4},
                    version=order["version"], expect=201)
        order = api("POST", f"/production-orders/{order['id']}/start", version=order["version"])
        row = order["components"][0]
        order = api("PATCH", f"/production-orders/{order['id']}/components/{row['id']}", {"quantityProduced": 4},
                    version=order["version"])
        jars_before = services.store.available(DEMO_SHOP, "gid://shopify/ProductVariant/8005", WORKSHOP)
        api("POST", f"/production-orders/{order['id']}/complete", version=order["version"])
        wait_until_synced(api, order["id"])
        assert services.store.available(DEMO_SHOP, "gid://shopify/ProductVariant/8005", WORKSHOP) == jars_before + 4
        api("PUT", "/settings", {"syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": None,
                                 "syncMode": "on_complete"})
    finally:
        services.stop()
        with app.app_context():
            db.engine.dispose()

    again = migrated_demo_app(tmp_path)
    services = DemoServices(again).start()
    try:
        assert Api(again)("GET", "/settings")["syncProductionOrdersToShopifyByDefault"] is False
        assert len(Api(again)("GET", "/boms")["items"]) == 1
    finally:
        services.stop()
        with again.app_context():
            db.engine.dispose()
