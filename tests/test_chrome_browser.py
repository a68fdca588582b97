"""Demo mode's in-page chrome (issue #14): the same templates as inside the admin, no App Bridge.

Outside the admin App Bridge must not load (it would send the page to Shopify's login), so
static/js/chrome-in-page.js turns the templates' <ui-title-bar>, <ui-save-bar> and <ui-modal> into a
header of buttons, a save bar that announces unsaved changes, and modals that keep the keyboard in.
The `page` fixture aborts and reports any request off loopback, so a CDN load would fail these tests.
"""

import re

import pytest

from .browser_support import BOTH_DATABASES, WICK, each_database, require_browser, screenshot

require_browser()
from playwright.sync_api import expect  # noqa: E402


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def demo_site(request, demo_site):
    """The demo on SQLite (conftest's `demo_site`), then on PostgreSQL; each has its own fake store."""
    yield from each_database(request, demo_site)


def test_the_title_bar_is_the_pages_header_and_app_bridge_is_not_loaded(page, demo_site):
    order = demo_site.api.create_order("PO-CHROME-TB", [{"variantId": WICK, "quantityPlanned": 1}])
    page.goto(f"/orders/{order['id']}")
    expect(page.locator("#order-status")).to_have_text("Draft")
    header = page.locator(".page-header")
    expect(header.get_by_role("heading", level=1)).to_have_text("PO-CHROME-TB")
    expect(header.get_by_role("button")).to_have_text(["Cancel", "Start order"])
    expect(header.get_by_role("link", name="Edit", exact=True)).to_be_visible()
    assert page.evaluate("typeof window.shopify") == "undefined"
    assert page.locator('meta[name="shopify-api-key"]').count() == 0


def test_a_confirmation_is_an_in_page_modal_that_keeps_focus_inside(page, demo_site):
    order = demo_site.api.create_order("PO-CHROME-MODAL", [{"variantId": WICK, "quantityPlanned": 1}])
    page.goto(f"/orders/{order['id']}")
    expect(page.locator("#order-status")).to_have_text("Draft")
    page.get_by_role("button", name="Cancel", exact=True).click()

    dialog = page.get_by_role("dialog", name="Cancel PO-CHROME-MODAL?")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    keep, cancel = dialog.get_by_role("button", name="Keep order"), dialog.get_by_role("button", name="Cancel order")
    expect(keep).to_be_focused()  # the safe choice, never the destructive one
    screenshot(page, "chrome-modal", full_page=False)
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(keep).to_be_focused()  # trapped: Tab does not leave the dialog
    page.keyboard.press("Shift+Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.locator("#order-status")).to_have_text("Draft")
    assert demo_site.api.order(order["id"])["status"] == "draft"


def test_the_settings_save_bar_announces_changes_discards_and_saves(page, demo_site):
    before = demo_site.api.put_settings(False, None)
    page.goto("/settings")
    sync_default = page.get_by_label("Update Shopify inventory from production orders by default")
    expect(sync_default).not_to_be_checked()
    bar = page.get_by_role("region", name="Unsaved changes")
    expect(bar).to_be_hidden()

    sync_default.check()
    expect(bar).to_be_visible()
    expect(page.locator("[data-save-bar-status]")).to_have_text("Unsaved changes")  # aria-live
    expect(bar.get_by_role("button")).to_have_text(["Discard", "Save"])
    bar.get_by_role("button", name="Discard").click()
    expect(sync_default).not_to_be_checked()
    expect(bar).to_be_hidden()

    sync_default.check()
    bar.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
    expect(bar).to_be_hidden()
    assert demo_site.api.call("GET", "/settings")["syncProductionOrdersToShopifyByDefault"] is True
    demo_site.api.put_settings(before["syncProductionOrdersToShopifyByDefault"], before["defaultLocationId"])


def test_discarding_the_order_form_puts_its_rows_back(page, demo_site):
    order = demo_site.api.create_order("PO-CHROME-FORM", [{"variantId": WICK, "quantityPlanned": 2}])
    page.goto(f"/orders/{order['id']}/edit")
    rows = page.locator("#components > li")
    expect(rows).to_have_count(1)
    bar = page.get_by_role("region", name="Unsaved changes")
    expect(bar).to_be_hidden()

    page.get_by_role("button", name="Add by variant ID").click()
    expect(rows).to_have_count(2)
    expect(bar).to_be_visible()
    rows.nth(0).get_by_label("Planned quantity").fill("7")
    screenshot(page, "chrome-save-bar", full_page=False)
    bar.get_by_role("button", name="Discard").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).get_by_label("Planned quantity")).to_have_value("2")
    expect(bar).to_be_hidden()


def test_a_new_bom_form_shows_the_save_bar_once_typed_in_and_discard_empties_it(page, demo_site):
    page.goto("/boms/new")
    name = page.get_by_label("Name")
    expect(name).to_be_focused()
    bar = page.get_by_role("region", name="Unsaved changes")
    expect(bar).to_be_hidden()
    name.fill("Draft BOM")
    expect(bar.get_by_role("button", name="Create bill of materials")).to_be_visible()
    bar.get_by_role("button", name="Discard").click()
    expect(name).to_have_value("")
    expect(bar).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/boms/new$"))

