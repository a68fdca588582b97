"""Issue #16, costing, in Chromium against the demo (see browser_support): a costed order's page at
1280 and 390 px, the BOM list's estimate, the settings' worked example, and the demo store's cost
per item after a completion."""

import re
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest

from shopify_app.devshop import DEMO_SHOP

from .browser_support import JAR, SYNC_TIMEOUT_MS, VIEWPORT, WAX, WICK, WORKSHOP, require_browser, screenshot

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)

JAR_CANDLE = "gid://shopify/ProductVariant/8005"
MATERIALS = [{"variantId": WAX, "title": "Beeswax pellets - 1 kg", "quantityPerUnit": 0.25},
             {"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPerUnit": 0.1},
             {"variantId": JAR, "title": "Amber glass jar", "quantityPerUnit": 1}]


@pytest.fixture(autouse=True)
def weighted_average(demo_site):
    api = demo_site.api
    api.call("PUT", "/settings", {"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP,
                                  "syncMode": "on_complete", "costUpdate": "weighted_average"})
    yield
    api.put_settings()


def per_candle(store) -> Decimal:
    """One candle's materials at the demo store's costs now (other tests' completions move them)."""
    return sum(Decimal(str(m["quantityPerUnit"])) * Decimal(store.unit_cost(DEMO_SHOP, m["variantId"]))
               for m in MATERIALS)


def euros(value: Decimal, places: str = "0.01") -> str:
    return f"€{value.quantize(Decimal(places), rounding=ROUND_HALF_UP)}"


def completed_costed_order(demo_site, reference: str) -> dict:
    api = demo_site.api
    order = api.create_order(reference, [{"variantId": JAR_CANDLE, "title": "Beeswax candle in a jar",
                                          "quantityPlanned": 4, "materials": MATERIALS}],
                             labourCost=10, overheadCost=2.5, locationId=WORKSHOP)
    order = api.record_produced(api.transition(order, "start"), {JAR_CANDLE: 4})
    order = api.transition(order, "complete")
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        events = [e for e in api.events(order["id"]) if e["type"] == "cost_updated"]
        if events:
            return {**api.order(order["id"]), "costEvent": events[0]}
        time.sleep(0.2)
    raise AssertionError("the cost per item was not written")


def test_a_completed_order_shows_its_cost_and_shopify_takes_the_average(page, demo_site):
    store = demo_site.services.store
    materials = 4 * per_candle(store)
    order = completed_costed_order(demo_site, "PO-COSTED")
    total = materials + Decimal("12.5")
    assert order["cost"]["state"] == "final"
    assert Decimal(str(order["cost"]["total"])) == total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(str(order["cost"]["outputs"][0]["unitCost"])) == (total / 4).quantize(Decimal("0.0001"),
                                                                                         rounding=ROUND_HALF_UP)
    old, new = order["costEvent"]["changes"][JAR_CANDLE]
    assert store.unit_cost(DEMO_SHOP, JAR_CANDLE) == new != old

    page.goto(f"/orders/{order['id']}")
    card = page.locator("#cost-card")
    expect(card).to_contain_text("Final")
    expect(page.locator("#cost-materials")).to_contain_text(euros(total))
    expect(page.locator("#cost-outputs")).to_contain_text(euros(total / 4, "0.0001"))
    expect(page.locator("#cost-shopify")).to_contain_text(f"in Shopify to {euros(Decimal(new))}")
    page.wait_for_load_state("networkidle")
    screenshot(page, "order-cost")
    page.set_viewport_size({"width": 390, "height": 800})
    expect(card).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.querySelector('#cost-card').scrollWidth <= document.querySelector('#cost-card').clientWidth")
    card.scroll_into_view_if_needed()
    screenshot(page, "order-cost-390", full_page=False)
    page.set_viewport_size(VIEWPORT)

    # The demo store's inventory shows the candle's new cost per item.
    page.goto("/demo-inventory")
    expect(page.locator("main")).to_contain_text(euros(Decimal(new)))


def test_the_bom_list_estimates_and_the_settings_explain_the_options(page, demo_site):
    completed_costed_order(demo_site, "PO-COSTED-2")  # the save read the materials' costs
    page.goto("/boms")
    expect(page.get_by_role("row", name="Beeswax candle in a jar")).to_contain_text(
        euros(per_candle(demo_site.services.store)))
    page.goto("/settings")
    example = page.locator("#cost-update-example")
    expect(example).to_contain_text("€7.01")
    expect(page.get_by_label("A weighted average of stock and batch")).to_be_checked()
    example.scroll_into_view_if_needed()
    screenshot(page, "settings-cost", full_page=False)


def test_labour_and_overhead_are_typed_in_the_form_cents_at_most(page, demo_site):
    api = demo_site.api
    order = api.create_order("PO-LABOUR", [{"variantId": JAR_CANDLE, "title": "Beeswax candle in a jar",
                                           "quantityPlanned": 2, "materials": MATERIALS}], locationId=WORKSHOP)
    page.goto(f"/orders/{order['id']}/edit")
    page.get_by_label("Labour cost").fill("12.5")
    page.get_by_label("Overhead cost").fill("1.255")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Overhead cost")).to_have_accessible_description(re.compile("at most 2 decimal places"))
    assert api.order(order["id"])["version"] == order["version"]  # nothing was sent
    page.get_by_label("Overhead cost").fill("1.25")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    saved = api.order(order["id"])
    assert (saved["labourCost"], saved["overheadCost"]) == (12.5, 1.25)
    expect(page.locator("#cost-materials")).to_contain_text("Labour")
