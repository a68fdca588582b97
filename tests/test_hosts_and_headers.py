"""Requests refused before any route runs (issue #11, point 5), on SQLite and on PostgreSQL.

- Demo mode answers only to a loopback Host: a page on the internet that points its own name at
  127.0.0.1 (DNS rebinding) must not mint demo session tokens or write orders. 400, JSON under /api.
- Oversized request headers get 431 in the JSON error shape under /api, from the app
  (header_limits.py) and from `flask serve`'s development server (cli.py), whose own refusal
  comes before the app sees the request.
"""

import http.client
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from shopify_app.cli import JSONErrorRequestHandler
from shopify_app.extensions import db
from shopify_app.header_limits import MAX_HEADER_LINE_BYTES, MAX_HEADERS
from shopify_app.production.models import ProductionOrder

from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .browser_support import migrated_demo_app
from .conftest import AuthedClient

ORDER = {"reference": "PO-REBIND", "components": [{"variantId": "gid://shopify/ProductVariant/1", "quantityPlanned": 1}]}


@pytest.fixture
def demo_app(backend, tmp_path):
    """The demo app's configuration on the test's database (the backend's SQLite file or PostgreSQL)."""
    app = migrated_demo_app(tmp_path, SQLALCHEMY_DATABASE_URI=backend.config["SQLALCHEMY_DATABASE_URI"])
    yield app
    with app.app_context():
        db.engine.dispose()  # before the backend's teardown empties the tables


def orders_stored(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ProductionOrder))
        db.session.remove()
        return count


# ------------------------------------------------------------------ demo mode: loopback Host only

FOREIGN_HOSTS = ["attacker.example", "attacker.example:8000", "127.0.0.1.attacker.example:8000",
                 "localhost.attacker.example", "192.168.1.20:8000", "0.0.0.0:8000", "[::ffff:7f00:1]:8000"]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_demo_mode_refuses_a_host_that_is_not_loopback_on_every_surface(demo_app, host):
    web = demo_app.test_client()
    token = web.get("/demo/session-token", headers={"Host": "127.0.0.1:8000"}).json["token"]
    api = web.post("/api/production-orders", json=ORDER, headers={"Host": host, "Authorization": f"Bearer {token}"})
    assert api.status_code == 400 and api.is_json
    assert api.get_json()["error"]["code"] == "untrusted_host"
    assert "127.0.0.1" in api.get_json()["error"]["message"]
    assert orders_stored(demo_app) == 0
    minted = web.get("/demo/session-token", headers={"Host": host})
    assert minted.status_code == 400 and b"token" not in minted.data
    page = web.get("/", headers={"Host": host})
    assert page.status_code == 400 and page.mimetype == "text/plain"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "127.0.0.1", "localhost:9000"])
def test_demo_mode_answers_to_loopback_names(demo_app, host):
    web = demo_app.test_client()
    assert web.get("/", headers={"Host": host}).status_code == 200
    assert web.get("/demo/session-token", headers={"Host": host}).status_code == 200


def test_with_real_credentials_any_host_is_served(backend, client):
    # Behind Shopify's admin the app is reached under its own public name: no Host list there.
    assert not backend.config.get("TRUSTED_HOSTS")
    assert client.get("/healthz", headers={"Host": "orders.example.com"}).status_code == 200


# ------------------------------------------------------------------ oversized headers, in the app

OVERSIZED = {
    "one header line over the limit": {"X-Padding": "x" * (MAX_HEADER_LINE_BYTES - len("X-Padding: ") + 1)},
    "a referrer of 20 KiB": {"Referer": "https://admin.shopify.com/?" + "b" * 20_000},
    "a session token of 9 KiB": {"Authorization": "Bearer " + "e" * 9000},
    "more headers than the limit": {f"X-Extra-{i}": "1" for i in range(MAX_HEADERS + 1)},
}


@pytest.mark.parametrize("headers", OVERSIZED.values(), ids=OVERSIZED.keys())
@pytest.mark.parametrize("path", ["/api/production-orders", "/api/production-orders/1", "/api/nowhere", "/healthz"])
def test_oversized_headers_get_a_json_431_under_the_api(backend, client, shop, headers, path):
    response = AuthedClient(client, shop.domain).post(path, json=ORDER, headers=headers)
    assert response.status_code == 431 and response.is_json, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["code"] == "headers_too_large"
    assert orders_stored(backend) == 0


def test_headers_at_the_limit_are_served(backend, client, shop):
    padding = {"X-Padding": "x" * (MAX_HEADER_LINE_BYTES - len("X-Padding: "))}
    response = AuthedClient(client, shop.domain).post("/api/production-orders", json=ORDER, headers=padding)
    assert response.status_code == 201, response.get_json()


def test_oversized_headers_on_a_page_get_an_error_page_not_json(backend, client):
    response = client.get("/", headers={"Referer": "https://admin.shopify.com/?" + "b" * 20_000})
    assert response.status_code == 431 and response.mimetype == "text/html"


# ------------------------------------------------------------------ oversized headers, in `flask serve`


@pytest.fixture
def dev_server(backend):
    server = make_server("127.0.0.1", 0, backend, threaded=True, request_handler=JSONErrorRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def raw_request(port: int, path: str, headers: dict) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


SERVER_REFUSALS = {  # what Python's http.server refuses itself: over 100 headers, a line over 64 KiB
    "201 headers": {f"X-Extra-{i}": "1" for i in range(201)},
    "a header line of 70 KiB": {"Cookie": "a=" + "b" * 70_000},
}


@pytest.mark.parametrize("headers", SERVER_REFUSALS.values(), ids=SERVER_REFUSALS.keys())
def test_the_development_servers_own_431_is_json_under_the_api(dev_server, headers):
    status, content_type, body = raw_request(dev_server, "/api/production-orders", headers)
    assert status == 431 and content_type == "application/json", body[:200]
    assert b'"headers_too_large"' in body
    status, content_type, _ = raw_request(dev_server, "/", headers)
    assert status == 431 and content_type.startswith("text/html")


def test_the_development_server_serves_normal_requests(dev_server):
    status, content_type, body = raw_request(dev_server, "/healthz", {"X-Request-Id": "abc"})
    assert status == 200 and content_type == "application/json", body
