"""Browser tests inside a simulated Shopify admin: the app in embedded (non-demo) mode.

The app runs with real-mode settings (no demo routes, App Bridge in every page) against the loopback
fake Shopify, which installs the shop by token exchange on the first session token. Playwright serves
tests/app_bridge_double.js in place of https://cdn.shopify.com/shopifycloud/app-bridge.js, and
answers its token requests with session tokens signed with the app's secret, as the admin would.
Every other non-loopback request is aborted and reported.

Use: `embedded_page` (a page in such a browser context) on `embedded_site`, which a test module
defines from `sqlite_embedded_site` / `pg_embedded_site` (see `each_embedded_database`), and
`open_in_admin(page, site, path)` for the admin's first load (with `id_token`).
"""

import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest

from .browser_support import DemoApi, fresh_postgres_database, migrated_demo_app, served_demo, watched_page

APP_BRIDGE_URL = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
INTER_URL = "https://cdn.shopify.com/static/fonts/inter/v4/styles.css"  # the admin's font (no font files here)
TOKEN_URL = "https://app-bridge.test/id-token"
DOUBLE = Path(__file__).with_name("app_bridge_double.js")
HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZGVtby1jYW5kbGVz"  # base64 of admin.shopify.com/store/demo-candles


def mint_session_token(app, shop: str, *, lifetime: int = 60) -> str:
    """A session token as the admin's App Bridge hands out: HS256 with the app's secret, for `shop`."""
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": app.config["SHOPIFY_API_KEY"],
              "sub": "embedded-merchant", "exp": now + lifetime, "nbf": now - 1, "iat": now,
              "jti": str(uuid.uuid4()), "sid": "embedded-session"}
    return jwt.encode(claims, app.config["SHOPIFY_API_SECRET"], algorithm="HS256")


class EmbeddedApi(DemoApi):
    """The JSON API with tokens minted here (embedded mode has no /demo/session-token), for test setup."""

    def __init__(self, base_url: str, app, shop: str):
        super().__init__(base_url)
        self.app, self.shop = app, shop

    def token(self) -> str:
        return mint_session_token(self.app, self.shop)

    def inventory(self) -> dict:
        raise NotImplementedError("embedded mode has no /demo/inventory.json: read the fake store instead")


class EmbeddedSite:
    """The running app in embedded mode: app, fake store, URL, the shop and an API client."""

    def __init__(self, demo_site):
        from shopify_app.devshop import DEMO_SHOP

        self.app, self.services, self.url, self.shop = demo_site.app, demo_site.services, demo_site.url, DEMO_SHOP
        self.api = EmbeddedApi(self.url, self.app, self.shop)

    def admin_query(self, **extra) -> str:
        """The query the admin puts on an embedded load (and in-app links keep, minus id_token)."""
        return urlencode({"embedded": "1", "host": HOST, "shop": self.shop, **extra})

    def in_app(self, path: str) -> str:
        """`path` as an in-app link reaches it: the admin's parameters, no id_token (the data-free shell)."""
        return f"{path}?{self.admin_query()}"


def embedded_app(tmp_path: Path, database_url: str | None = None):
    """The app with real-mode pages (DEMO_MODE off), on a freshly migrated database."""
    return migrated_demo_app(tmp_path, database_url, DEMO_MODE=False)


@pytest.fixture(scope="session")
def sqlite_embedded_site(tmp_path_factory):
    with served_demo(embedded_app(tmp_path_factory.mktemp("browser-embedded"))) as site:
        yield EmbeddedSite(site)


@pytest.fixture(scope="session")
def pg_embedded_site(tmp_path_factory):
    with fresh_postgres_database() as url:
        with served_demo(embedded_app(tmp_path_factory.mktemp("browser-embedded-pg"), url)) as site:
            yield EmbeddedSite(site)


@pytest.fixture
def embedded_site(sqlite_embedded_site):
    """The embedded app on SQLite; a module overrides it to run on both databases (each_embedded_database)."""
    return sqlite_embedded_site


def each_embedded_database(request):
    """For a module-scoped `embedded_site` parametrized with BOTH_DATABASES (see each_database)."""
    from shopify_app.sync import inventory_items

    inventory_items._cache.clear()
    yield request.getfixturevalue("sqlite_embedded_site" if request.param == "sqlite" else "pg_embedded_site")
    inventory_items._cache.clear()


@pytest.fixture
def embedded_page(chromium, embedded_site, page_watch):
    """A page as if inside the admin: App Bridge is the double, its tokens are signed for the site's shop."""

    def as_the_admin(route) -> bool:
        url = route.request.url.split("?")[0]
        if url == APP_BRIDGE_URL:
            route.fulfill(status=200, content_type="text/javascript", body=DOUBLE.read_text())
        elif url == INTER_URL:
            route.fulfill(status=200, content_type="text/css", body="/* Inter: the test serves no font files */")
        elif url == TOKEN_URL:
            route.fulfill(status=200, content_type="application/json", headers={"Access-Control-Allow-Origin": "*"},
                          body=json.dumps({"token": mint_session_token(embedded_site.app, embedded_site.shop)}))
        else:
            return False
        return True

    with watched_page(chromium, embedded_site.url, page_watch, as_the_admin) as page:
        yield page


def open_in_admin(page, site: EmbeddedSite, path: str):
    """The admin's first load of `path`: its parameters and a fresh `id_token`."""
    page.goto(f"{path}?{site.admin_query(id_token=mint_session_token(site.app, site.shop))}")


def app_bridge_calls(page, name: str | None = None) -> list[dict]:
    """What the page asked of App Bridge (the double's record), optionally only calls named `name`."""
    calls = page.evaluate("window.__appBridge.calls")
    return [call for call in calls if name is None or call["name"] == name]
