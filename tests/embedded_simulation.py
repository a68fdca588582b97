"""A minimal embedded simulation for the page-quality tests and bench/page_vitals.py --embedded.

The app runs as inside the Shopify admin (not demo mode: App Bridge's script and meta tag in every
page, session tokens from `window.shopify.idToken()`), beside the same loopback fake Shopify and
sync worker as the demo, whose shop it installs by token exchange on the first page load. The
browser never reaches cdn.shopify.com: App Bridge's URL is routed to a small stand-in that defines
what the pages call (`idToken`, `toast`, `loading`) and, on the session-token bounce page, reloads the
target with a fresh `id_token` as App Bridge does. A fuller App Bridge test double can replace
`app_bridge_stub` without changing the tests that use `route_app_bridge`.
"""

import base64
import json
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlencode

from .browser_support import DemoApi, DemoSite, migrated_demo_app, served_demo
from .builders import session_token

APP_BRIDGE_URL = "https://cdn.shopify.com/shopifycloud/app-bridge.js"


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

    def app_bridge_stub(self) -> str:
        config = {"apiKey": self.api.api_key, "shop": _shop(), "host": self.host}
        return f"""(() => {{
  const token = {json.dumps(self.api.token())};
  window.shopify = {{
    config: {json.dumps(config)},
    idToken: () => Promise.resolve(token),
    toast: {{ show: () => {{}}, hide: () => {{}} }},
    loading: () => {{}},
  }};
  const reload = new URLSearchParams(location.search).get("shopify-reload");
  if (reload) {{
    const target = new URL(reload, location.origin);
    target.searchParams.set("id_token", token);
    location.replace(target.href);
  }}
}})();
"""


def route_app_bridge(target, site: EmbeddedSite) -> None:
    """Answer App Bridge's CDN URL on a playwright Page or BrowserContext with the stand-in (a fresh
    session token each time it is loaded)."""
    target.route(APP_BRIDGE_URL, lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=site.app_bridge_stub(),
        headers={"Cache-Control": "no-store"}))


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
