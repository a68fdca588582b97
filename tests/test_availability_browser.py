"""Issue #15 item 1 as a merchant, in Chromium against the demo (its fake store's real stock), on SQLite
and on PostgreSQL: the order page's "Materials in stock" table with shortages highlighted, before and
after start; `block` refusing the start; the list's "Can't start" tab; the setting explained.
Screenshots go to build/screenshots/ (see browser_support)."""

import re

import pytest

from shopify_app.devshop import DEMO_SHOP

from .browser_support import (
    BOTH_DATABASES, JAR, VIEWPORT, WAX, WICK, WORKSHOP, each_database, require_browser, screenshot,
)

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)

JAR_CANDLE = "gid://shopify/ProductVariant/8005"
MATERIALS = [{"variantId": WAX, "title": "Beeswax pellets - 1 kg", "quantityPerUnit": 0.25},
             {"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPerUnit": 0.1},
             {"variantId": JAR, "title": "Amber glass jar", "quantityPerUnit": 1}]


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def demo_site(request, demo_site):
    """The demo on SQLite (conftest's `demo_site`), then on PostgreSQL; each has its own fake store."""
    yield from each_database(request, demo_site)


@pytest.fixture(autouse=True)
def warn_afterwards(demo_site):
    yield
    set_policy(demo_site.api, "warn")


def set_policy(api, policy):
    api.call("PUT", "/settings", {"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                  "syncMode": "on_complete", "shortagePolicy": policy})


def candles(api, reference, planned):
    return api.create_order(reference, [{"variantId": JAR_CANDLE, "title": "Beeswax candle in a jar",
                                         "quantityPlanned": planned, "materials": MATERIALS}], locationId=WORKSHOP)


def test_the_order_page_highlights_what_is_short_before_and_after_start(page, demo_site):
    store = demo_site.services.store
    jars = store.available(DEMO_SHOP, JAR, WORKSHOP)  # other tests' completions move the demo's stock
    order = candles(demo_site.api, "PO-TOO-MANY-JARS", jars + 20)
    page.goto(f"/orders/{order['id']}")
    card = page.locator("#availability-card")
    expect(card).to_be_visible()
    jar_row = page.locator("#availability-body tr", has_text="Amber glass jar")
    expect(jar_row).to_have_class(re.compile(r"\brow--short\b"))
    expect(jar_row.locator("td").nth(1)).to_have_text(str(jars))
    expect(jar_row).to_contain_text("Short 20")
    expect(page.locator("#availability-note")).to_contain_text("short at Workshop. You can still start the order.")
    page.wait_for_load_state("networkidle")
    screenshot(page, "order-availability")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    screenshot(page, "order-availability-390")
    page.set_viewport_size(VIEWPORT)

    page.locator("#action-start").click()  # warn: starting is not refused
    expect(page.locator("#order-status")).to_contain_text("In progress")
    expect(jar_row).to_contain_text("Short 20")
    expect(page.locator("#availability-note")).to_contain_text("once the stock arrives")


def test_block_refuses_the_start_and_names_each_shortage(page, demo_site, page_watch):
    page_watch.allow_http_errors(422)
    set_policy(demo_site.api, "block")
    jars = demo_site.services.store.available(DEMO_SHOP, JAR, WORKSHOP)
    order = candles(demo_site.api, "PO-BLOCKED", jars + 3)
    page.goto(f"/orders/{order['id']}")
    expect(page.locator("#availability-note")).to_contain_text("Starting is refused")
    page.locator("#action-start").click()
    banner = page.locator("#page-banner")
    expect(banner).to_contain_text("This order cannot start")
    expect(banner).to_contain_text("Amber glass jar (short by 3)")
    expect(banner).to_contain_text("Component 1 — material 3: Short by 3")
    expect(page.locator("#order-status")).to_contain_text("Draft")
    assert demo_site.api.order(order["id"])["status"] == "draft"


def test_the_list_tab_shows_only_drafts_that_cannot_start(page, demo_site):
    jars = demo_site.services.store.available(DEMO_SHOP, JAR, WORKSHOP)
    candles(demo_site.api, "PO-LIST-SHORT", jars + 1)
    candles(demo_site.api, "PO-LIST-FINE", 1)
    page.goto("/")
    page.get_by_role("button", name="Can't start: short of materials").click()
    expect(page.locator("#orders-body")).to_contain_text("PO-LIST-SHORT")
    expect(page.locator("#orders-body")).not_to_contain_text("PO-LIST-FINE")
    assert "status=short" in page.url


def test_the_settings_screen_explains_each_policy_and_saves_it(page, demo_site):
    page.goto("/settings")
    expect(page.get_by_label("Warn, and let them start")).to_be_checked()
    expect(page.locator("#shortage-warn-help")).to_contain_text("starting is never refused")
    expect(page.locator("#shortage-block-help")).to_contain_text("Starting an order is refused")
    page.get_by_label("Don't let them start").check()
    page.locator("#save-settings").click()
    expect(page.get_by_text("Settings saved.").first).to_be_attached()
    assert demo_site.api.call("GET", "/settings")["shortagePolicy"] == "block"
