"""Shopify's inventory states as a merchant sees them, in Chromium against the demo (SPEC §10), on
SQLite and on PostgreSQL: the setting in Settings, planned output as incoming on the demo store's
inventory page, a curing order's hold with "Release for sale…", and the list's Curing tab.
Screenshots at 1280 px go to build/screenshots/ (see browser_support)."""

import json
import time
import urllib.request

import pytest

from .browser_support import BOTH_DATABASES, CANDLE, SYNC_TIMEOUT_MS, WORKSHOP, each_database, require_browser, screenshot

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def demo_site(request, demo_site):
    """The demo on SQLite (conftest's `demo_site`), then on PostgreSQL; each has its own fake store."""
    yield from each_database(request, demo_site)


def states(api, variant: str) -> dict:
    """The demo store's {name: quantity} of `variant` at the workshop."""
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"{api.base_url}/demo/inventory.json") as r:
        rows = json.load(r)["items"]
    row = next((r for r in rows if (r["variantId"], r["locationId"]) == (variant, WORKSHOP)), {})
    return {name: row.get(key, 0) for name, key in
            (("available", "available"), ("incoming", "incoming"), ("quality_control", "qualityControl"))}


def wait_synced(api, order_id: int) -> dict:
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    while (order := api.order(order_id))["sync"]["state"] != "synced":
        assert time.monotonic() < deadline, f"order {order_id} never synced: {order['sync']}"
        time.sleep(0.1)
    return order


def test_a_merchant_books_planned_output_as_incoming_and_releases_curing_output(page, demo_site, page_watch):
    api = demo_site.api
    settings = api.call("GET", "/settings")
    try:
        # Settings: one checkbox, explained in one sentence.
        page.goto("/settings")
        option = page.get_by_label("Show planned output as incoming in Shopify")
        expect(page.locator("#planned-incoming-help")).to_contain_text("counts as incoming stock")
        option.check()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("status").filter(has_text="Settings saved")).to_have_count(1)
        screenshot(page, "settings-incoming")
        assert api.call("GET", "/settings")["plannedOutputAsIncoming"] is True

        before = states(api, CANDLE)
        reference = f"PO-CURE-{int(time.time() * 1000) % 100000}"
        order = api.create_order(reference, [{"variantId": CANDLE, "title": "Beeswax candle - Large",
                                              "quantityPlanned": 6}],
                                 locationId=WORKSHOP, syncProductionOrderToShopify=True, holdDays=14)
        order = wait_synced(api, api.transition(order, "start")["id"])
        assert states(api, CANDLE)["incoming"] == before["incoming"] + 6

        page.goto("/demo-inventory")
        row = page.get_by_role("row").filter(has_text="Beeswax candle - Large").filter(has_text="Workshop")
        # Cells after the product: location, cost per item, available, incoming, quality control.
        expect(row.get_by_role("cell").nth(3)).to_have_text(str(before["incoming"] + 6))
        screenshot(page, "demo-inventory-states")

        order = api.record_produced(order, {CANDLE: 6})
        order = wait_synced(api, api.transition(order, "complete")["id"])
        now = states(api, CANDLE)
        assert (now["incoming"], now["quality_control"], now["available"]) == (
            before["incoming"], before["quality_control"] + 6, before["available"])

        # The order page: held until, and an early release after a confirmation.
        page.goto(f"/orders/{order['id']}")
        expect(page.locator("#fact-hold")).to_contain_text("In quality control until")
        page.get_by_role("button", name="Release for sale…").click()
        dialog = page.get_by_role("dialog", name="Release the curing output now?")
        expect(dialog).to_contain_text("moves it from quality control to available")
        screenshot(page, "order-release-dialog", full_page=False)
        dialog.get_by_role("button", name="Release for sale").click()
        expect(page.locator("#fact-hold")).to_contain_text("Released for sale")
        expect(page.get_by_role("button", name="Release for sale…")).to_be_hidden()
        expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
        expect(page.locator("#history")).to_contain_text("Curing output released for sale")
        screenshot(page, "order-released")
        now = states(api, CANDLE)
        assert (now["quality_control"], now["available"]) == (before["quality_control"], before["available"] + 6)

        # The list's Curing tab shows held orders only.
        held = api.create_order(f"{reference}-B", [{"variantId": CANDLE, "title": "Beeswax candle - Large",
                                                    "quantityPlanned": 1}],
                                locationId=WORKSHOP, syncProductionOrderToShopify=False, holdDays=3)
        held = api.transition(api.record_produced(api.transition(held, "start"), {CANDLE: 1}), "complete")
        page.goto("/")
        page.get_by_role("button", name="Curing").click()
        expect(page.get_by_role("link", name=f"{reference}-B")).to_be_visible()
        expect(page.get_by_role("link", name=reference, exact=True)).to_have_count(0)
    finally:
        api.call("PUT", "/settings", {**{k: settings[k] for k in (
            "syncProductionOrdersToShopifyByDefault", "defaultLocationId", "syncMode")},
            "plannedOutputAsIncoming": False})


def test_the_order_form_edits_curing_days(page, demo_site, page_watch):
    api = demo_site.api
    page_watch.allow_http_errors(422)  # the refused 400 days
    order = api.create_order(f"PO-DAYS-{int(time.time() * 1000) % 100000}", [
        {"variantId": CANDLE, "title": "Beeswax candle - Large", "quantityPlanned": 2}], holdDays=3)
    page.goto(f"/orders/{order['id']}/edit")
    days = page.get_by_label("Curing days")
    expect(days).to_have_value("3")
    days.fill("400")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#hold-days-error")).to_contain_text("365")
    days.fill("21")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#fact-hold")).to_contain_text("21 days in quality control after completion")
    assert api.order(order["id"])["holdDays"] == 21
