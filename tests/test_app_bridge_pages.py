"""App Bridge on every HTML document shown inside the admin, and never outside it (SPEC §7, issue #14).

Inside the admin (a verified `id_token`, or an in-app link carrying the admin's parameters) every
page, the 404 page and error pages start their <head> with the API-key meta and app-bridge.js (after
only the charset), with no async/defer. Demo mode and top-level pages load neither: outside the admin
App Bridge redirects to Shopify's login.
"""

import pytest
import responses

from .both_databases import backend  # noqa: F401
from .builders import SHOP, installed_shop, session_token
from .test_demo_mode import demo_app  # noqa: F401
from .test_page_load import APP_BRIDGE, EMBEDDED_QUERY, HeadParser, assert_loads_app_bridge, csp_for, send

INTER = "https://cdn.shopify.com/static/fonts/inter/v4/styles.css"  # the admin's typeface, Polaris' first font
PAGES = ["/", "/orders/new", "/orders/1", "/orders/1/edit", "/boms", "/boms/new", "/boms/import", "/boms/1",
         "/remainders", "/settings"]


def assert_app_bridge_opens_the_head(response):
    """Only the charset before them: the API-key meta, then app-bridge.js, blocking."""
    parser = HeadParser()
    parser.feed(response.get_data(as_text=True))
    assert parser.head_tags[0] == ("meta", {"charset": "utf-8"}), parser.head_tags[:3]
    assert [tag for tag, _ in parser.head_tags[1:3]] == ["meta", "script"], parser.head_tags[:3]
    assert_loads_app_bridge(response)
    assert ("link", {"rel": "stylesheet", "href": INTER}) in parser.head_tags  # Inter, as the admin shows text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_opened_from_the_admin_loads_app_bridge_first(backend, path):
    installed_shop(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        response = send(backend, path, EMBEDDED_QUERY + [("id_token", session_token(SHOP))])
    assert response.status_code == 200
    assert_app_bridge_opens_the_head(response)
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_reached_by_an_in_app_link_is_one_document_with_app_bridge(backend, path):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(backend, path, EMBEDDED_QUERY)
        assert len(rsps.calls) == 0  # no token, no exchange, no Shopify call: a shell
    assert response.status_code == 200, response.headers.get("Location")
    assert_app_bridge_opens_the_head(response)
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)
    text = response.get_data(as_text=True)
    assert "shopify.idToken" not in text and "Bearer" not in text  # nothing of the shop's rendered in


def test_a_missing_page_inside_the_admin_is_framed_with_app_bridge_not_blank(backend):
    response = send(backend, "/no-such-page", EMBEDDED_QUERY)
    assert response.status_code == 404
    assert_app_bridge_opens_the_head(response)
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)


@pytest.mark.parametrize("query", [None, [("shop", SHOP)], [("embedded", "1"), ("shop", "evil.example.com")]],
                         ids=["no-params", "top-level-shop", "bad-shop"])
def test_outside_the_admin_no_page_loads_app_bridge(backend, query):
    for path in ["/no-such-page", "/auth/install"]:
        response = send(backend, path, query)
        assert APP_BRIDGE not in response.get_data(as_text=True), (path, query)


@pytest.mark.parametrize("path", PAGES + ["/demo-inventory", "/no-such-page"])
def test_demo_mode_never_loads_app_bridge_even_with_the_admins_parameters(demo_app, path):
    for query in (None, EMBEDDED_QUERY):
        response = send(demo_app, path, query)
        assert response.status_code in (200, 404)
        text = response.get_data(as_text=True)
        assert APP_BRIDGE not in text and "shopify-api-key" not in text, (path, query)
        assert "cdn.shopify.com" not in text, (path, query)  # demo mode needs no CDN, fonts included
