"""A minimal embedded simulation for the page-quality tests and bench/page_vitals.py --embedded.

The app runs as inside the Shopify admin (not demo mode: App Bridge's script and meta tag in every
page, session tokens from `window.shopify.idToken()`), beside the same loopback fake Shopify and
sync worker as the demo, whose shop it installs by token exchange on the first page load. The
browser never reaches cdn.shopify.com: App Bridge's URL is routed to the test double of
tests/app_bridge_double.js (title bar, save bar, modals, toasts, `idToken`, and the session-token
bounce page's reload with a fresh `id_token`, as App Bridge does).
"""

import base64
import json
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlencode

from .browser_support import DemoApi, DemoSite, migrated_demo_app, served_demo
from .builders import session_token

from .embedded_support import APP_BRIDGE_URL, DOUBLE, INTER_URL, TOKEN_URL


def _shop() -> str:
    from shopify_app.devshop import DEMO_SHOP

    return DEMO_SHOP


class EmbeddedApi(DemoApi):
    """The JSON API with session tokens signed as App Bridge's would be (no /demo/session-token here)."""

    def __init__(self, base_url: str, api_key: str, api_secret: str):
        super().__init__(base_url)
        self.api_key, self.api_secret = api_key, api_secret

    def token(self) -> str:
        return session_token(_shop(), secret=self.api_secret, aud=self.api_key, sub="embedded-merchant")


class EmbeddedSite(DemoSite):
    """The app as the admin frames it: pages load with `embedded`, `shop`, `host` and `id_token`."""

    def __init__(self, app, services, url: str):
        super().__init__(app, services, url)
        self.api = EmbeddedApi(url, app.config["SHOPIFY_API_KEY"], app.config["SHOPIFY_API_SECRET"])
        store = _shop().removesuffix(".myshopify.com")
        self.host = base64.b64encode(f"admin.shopify.com/store/{store}".encode()).decode().rstrip("=")

    def page_query(self) -> str:
        """What the admin adds to the app's URL when it loads a page in its iframe."""
        return urlencode({"embedded": "1", "shop": _shop(), "host": self.host, "id_token": self.api.token()})


def route_app_bridge(target, site: EmbeddedSite) -> None:
    """Answer App Bridge's CDN URL on a playwright Page or BrowserContext with the test double
    (tests/app_bridge_double.js, the one the embedded browser tests use) and its token URL with a
    fresh session token for the site's shop."""
    target.route(APP_BRIDGE_URL, lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=DOUBLE.read_text(), headers={"Cache-Control": "no-store"}))
    target.route(INTER_URL, lambda route: route.fulfill(
        status=200, content_type="text/css", body="/* Inter: the test serves no font files */"))
    target.route(TOKEN_URL, lambda route: route.fulfill(
        status=200, content_type="application/json", headers={"Access-Control-Allow-Origin": "*"},
        body=json.dumps({"token": site.api.token()})))


@contextmanager
def served_embedded(tmp_path):
    """The app outside demo mode on 127.0.0.1 with the loopback fake Shopify; its shop installed."""
    app = migrated_demo_app(tmp_path, DEMO_MODE=False)
    with served_demo(app) as demo:
        site = EmbeddedSite(app, demo.services, demo.url)
        # The first page load with a session token installs the shop (token exchange with the fake).
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{site.url}/?{site.page_query()}", timeout=15) as response:
            assert response.status == 200, response.status
        yield site
