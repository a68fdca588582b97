"""Browser test support: the demo app on loopback, driven by Debian's Chromium through playwright.

One demo site per test session: a freshly migrated SQLite file, the demo app (`demo_overrides`) with
fast sync settings, `DemoServices` (the loopback fake Shopify seeded with the candle workshop and the
sync worker thread) and a threaded werkzeug server on an ephemeral port. One Chromium per session,
one browser context per test. Every request whose host is not loopback is aborted, so nothing
depends on a CDN (demo pages load no App Bridge) and a page that tried to reach out is reported.

Playwright's own browser download cannot work here: the tests use /usr/bin/chromium (Debian's
`chromium` package, which `.ci/run` installs). Without it or without the playwright package the
browser tests are skipped with the reason, unless REQUIRE_BROWSER=1 (set by `.ci/run`), which turns
the skip into a failure.
"""

import json
import os
import re
import secrets
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Test runs write here (ignored by git); `make screenshots` points SCREENSHOTS_DIR at docs/screenshots.
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or PROJECT_ROOT / "build" / "screenshots")
VIEWPORT = {"width": 1280, "height": 800}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT_MS = 10_000
SYNC_TIMEOUT_MS = 20_000  # completion -> worker push -> the page's 2 s poll shows it

# The demo store's catalogue and locations (shopify_app/devshop/demo.py: fixed ids).
CANDLE = "gid://shopify/ProductVariant/8001"
WAX = "gid://shopify/ProductVariant/8002"
WICK = "gid://shopify/ProductVariant/8003"
JAR = "gid://shopify/ProductVariant/8004"
WORKSHOP = "gid://shopify/Location/7001"
SHOP_FRONT = "gid://shopify/Location/7002"


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} is missing (install Debian's chromium package: apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package is not installed (pip install -e '.[dev]')")
    return "; ".join(missing) or None


def require_browser() -> None:
    """Skip the calling test module when the browser is unavailable; fail instead with REQUIRE_BROWSER=1."""
    reason = browser_unavailable()
    if reason is None:
        return
    message = f"browser tests need Chromium and playwright: {reason}"
    if REQUIRE_BROWSER:
        pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


# ------------------------------------------------------------------ the demo site


class DemoApi:
    """The app's JSON API as the demo pages call it (a /demo/session-token bearer), for test setup."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy

    def _open(self, request):
        try:
            with self._opener.open(request, timeout=15) as response:
                body = response.read()
                return response.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            body = error.read()
            error.close()
            return error.code, json.loads(body) if body else None

    def token(self) -> str:
        status, data = self._open(urllib.request.Request(f"{self.base_url}/demo/session-token"))
        assert status == 200, data
        return data["token"]

    def call(self, method: str, path: str, body=None, *, version=None, expect=(200, 201, 202)):
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        request = urllib.request.Request(f"{self.base_url}/api{path}", data=data, method=method, headers=headers)
        status, answer = self._open(request)
        if expect is not None:
            assert status in expect, f"{method} {path} -> {status}: {answer}"
        return answer

    # Shortcuts for setting up orders in a given state.
    def create_order(self, reference: str, components=(), **fields) -> dict:
        body = {"reference": reference, "components": list(components), **fields}
        return self.call("POST", "/production-orders", body)

    def order(self, order_id: int) -> dict:
        return self.call("GET", f"/production-orders/{order_id}")

    def transition(self, order: dict, name: str) -> dict:
        return self.call("POST", f"/production-orders/{order['id']}/{name}", version=order["version"])

    def record_produced(self, order: dict, quantities: dict) -> dict:
        """quantities: variantId -> produced."""
        for component in order["components"]:
            if component["variantId"] in quantities:
                order = self.call("PATCH", f"/production-orders/{order['id']}/components/{component['id']}",
                                  {"quantityProduced": quantities[component["variantId"]]}, version=order["version"])
        return order

    def events(self, order_id: int) -> list:
        return self.call("GET", f"/production-orders/{order_id}/events")["items"]

    def put_settings(self, sync_by_default=False, location=None, mode="on_complete") -> dict:
        """Replace the shop's settings (the defaults here: sync off, no location; the demo starts with
        sync on and Workshop, see `demo_settings`)."""
        return self.call("PUT", "/settings", {"syncProductionOrdersToShopifyByDefault": sync_by_default,
                                              "defaultLocationId": location, "syncMode": mode})

    def demo_settings(self) -> dict:
        """The settings a fresh demo shop starts with: sync on by default, Workshop."""
        return self.put_settings(True, WORKSHOP)

    def inventory(self) -> dict:
        """{(variantId, locationId): available} of the fake store."""
        status, data = self._open(urllib.request.Request(f"{self.base_url}/demo/inventory.json"))
        assert status == 200, data
        return {(row["variantId"], row["locationId"]): row["available"] for row in data["items"]}


class DemoSite:
    """The running demo: its app, the fake store and worker, the URL and an API client."""

    def __init__(self, app, services, url: str):
        self.app, self.services, self.url = app, services, url
        self.api = DemoApi(url)

    def delete_all_orders(self) -> None:
        """Empty the demo shop's order list (its components, events and sync rows go with it)."""
        from sqlalchemy import delete, select

        from shopify_app.devshop import DEMO_SHOP
        from shopify_app.extensions import db
        from shopify_app.production import counts
        from shopify_app.production.models import ProductionOrder
        from shopify_app.shops.models import Shop

        with self.app.app_context():
            shop = db.session.scalars(select(Shop).where(Shop.domain == DEMO_SHOP)).one_or_none()
            if shop is not None:
                db.session.execute(delete(ProductionOrder).where(ProductionOrder.shop_id == shop.id))
                counts.recount(db.session.connection(), shop.id)  # the list's totals are maintained counts
                db.session.commit()
            db.session.remove()


def demo_config(tmp_path: Path, database_url: str | None = None) -> dict:
    """`flask serve`'s demo configuration on a database of the test's own (a SQLite file in
    `tmp_path` unless `database_url` is given), with fast sync settings."""
    from cryptography.fernet import Fernet

    from shopify_app.demo import demo_overrides

    return {
        **demo_overrides(str(tmp_path)),
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        # One demo shop serves a whole session of tests, far faster than a merchant clicks: the
        # production default (600/minute) would answer 429 midway. The limit has tests of its own.
        "RATE_LIMIT_PER_SHOP": "1000/second",
        # Kept out of the project's instance/ folder.
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SYNC_POLL_SECONDS": 0.1,
        "SYNC_BACKOFF_BASE_SECONDS": 0.05,
        "SYNC_BACKOFF_MAX_SECONDS": 0.5,
        "SYNC_LEASE_SECONDS": 10,
        "SHOPIFY_HTTP_TIMEOUT_SECONDS": 5,
    }


def migrated_demo_app(tmp_path: Path, database_url: str | None = None, **extra):
    """The demo app on a freshly migrated database (a SQLite file in `tmp_path` by default)."""
    from flask_migrate import upgrade

    from shopify_app import create_app
    from shopify_app.extensions import db

    app = create_app({**demo_config(tmp_path, database_url), **extra})
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def _closed_before_sending(app):
    """A browser that navigates away drops connections mid-response; werkzeug's server can then
    leave a static file's wrapper open until the garbage collector finds it, a ResourceWarning that
    `-W error` turns into a failure of whichever test runs at that moment. The test server therefore
    reads each response whole and closes it before sending (production runs under gunicorn)."""

    def buffered(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return buffered


@contextmanager
def served_demo(app):
    """`app` served on 127.0.0.1 beside its own fake Shopify and sync worker, until the block ends."""
    from werkzeug.serving import make_server

    from shopify_app.demo import DemoServices
    from shopify_app.extensions import db

    services = DemoServices(app).start()
    server = make_server("127.0.0.1", 0, _closed_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield DemoSite(app, services, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        services.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The demo on a SQLite file, for the whole session."""
    with served_demo(migrated_demo_app(tmp_path_factory.mktemp("browser-demo"))) as site:
        yield site


@contextmanager
def fresh_postgres_database():
    """The URL of a PostgreSQL database of its own, dropped at the end; skipped when the server is
    unreachable unless REQUIRE_POSTGRES=1."""
    from sqlalchemy import text

    from .conftest import PG_ADMIN_URL, _postgres_or_skip

    admin = _postgres_or_skip()
    name = f"po_browser_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_demo_site(tmp_path_factory):
    """The demo on a PostgreSQL database of its own (created here, dropped at the end), for the whole session."""
    with fresh_postgres_database() as url:
        app = migrated_demo_app(tmp_path_factory.mktemp("browser-demo-pg"), url)
        with served_demo(app) as site:
            yield site


BOTH_DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def each_database(request, demo_site):
    """For a module-scoped `demo_site` override parametrized with BOTH_DATABASES: the session's
    SQLite demo, then the PostgreSQL one. Both fake stores serve DEMO_SHOP, and the sync caches
    Shopify's answers per shop domain for the process: what one store said about a variant must not
    answer for the other."""
    from shopify_app.sync import inventory_items

    inventory_items._cache.clear()
    yield demo_site if request.param == "sqlite" else request.getfixturevalue("pg_demo_site")
    inventory_items._cache.clear()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, launched once per session."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ------------------------------------------------------------------ a page per test


class PageWatch:
    """What a test's pages said on the console, threw, or tried to fetch from outside loopback."""

    HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")

    def __init__(self):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.blocked: list[str] = []
        self.allowed_statuses: set[int] = set()

    def allow_http_errors(self, *statuses: int) -> None:
        """The test provokes these API answers on purpose: the browser's 'Failed to load resource' is expected."""
        self.allowed_statuses.update(statuses)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        match = self.HTTP_ERROR.search(message.text)
        if match and int(match.group(1)) in self.allowed_statuses:
            return
        location = message.location or {}
        self.console_errors.append(f"{message.text} ({location.get('url', '?')}:{location.get('lineNumber', '?')})")

    def on_page_error(self, error) -> None:
        self.page_errors.append(str(error))

    def problems(self) -> list[str]:
        return ([f"console error: {text}" for text in self.console_errors]
                + [f"uncaught exception: {text}" for text in self.page_errors]
                + [f"request to a non-loopback host (aborted): {url}" for url in self.blocked])

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the pages reported problems:\n" + "\n".join(problems)


@pytest.fixture
def page_watch():
    return PageWatch()


@contextmanager
def watched_page(chromium, base_url: str, page_watch: PageWatch, answer=None):
    """A fresh browser context (1280×800) on `base_url`; non-loopback requests are aborted unless
    `answer(route)` fulfilled them (it returns True then). At the end, any console error, uncaught
    exception or attempted outside request fails the test."""
    context = chromium.new_context(viewport=VIEWPORT, base_url=base_url, locale="en-US",
                                   timezone_id="UTC", reduced_motion="reduce")

    def loopback_only(route):
        url = route.request.url
        if answer is not None and answer(route):
            return
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOOPBACK_HOSTS:
            route.continue_()
        else:
            page_watch.blocked.append(url)
            route.abort()

    context.route("**/*", loopback_only)
    context.set_default_timeout(TIMEOUT_MS)
    browser_page = context.new_page()
    browser_page.on("console", page_watch.on_console)
    browser_page.on("pageerror", page_watch.on_page_error)
    try:
        yield browser_page
    finally:
        context.close()
    page_watch.assert_clean()


@pytest.fixture
def page(chromium, demo_site, page_watch):
    """A fresh browser context on the demo site, watched (see `watched_page`)."""
    with watched_page(chromium, demo_site.url, page_watch) as browser_page:
        yield browser_page


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as <SCREENSHOTS>/<name>.png: build/screenshots by default, docs/screenshots
    (the README's) only through `make screenshots`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path
