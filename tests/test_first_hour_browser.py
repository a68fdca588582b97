"""Issue #13, a new merchant's first hour, in Chromium against the demo (see browser_support).

Each test does what the merchant does: the ready demo and its checklist, the confirmation before
completing (and focus that never lands on an action), why an order will not reach Shopify, honest
cancel text, the settings warning, mistyped variant ids refused at save and at start, quantities in
the browser's locale, the all-or-nothing save with the unsaved-changes prompt, the list's columns and
search, friendly pages for unknown orders, Retry sync only where it helps, and settling an order
whose variant was deleted in Shopify. Every test runs on SQLite, then on PostgreSQL: `demo_site` is
overridden here by a module-scoped parameter over the two demos of browser_support.
"""

import math
import re

import pytest

from shopify_app.devshop import DEMO_SHOP

from .browser_support import (
    BOTH_DATABASES, JAR, SYNC_TIMEOUT_MS, TIMEOUT_MS, VIEWPORT, WAX, WICK, WORKSHOP, each_database,
    require_browser, screenshot,
)

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)

JAR_CANDLE = "gid://shopify/ProductVariant/8005"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def demo_site(request, demo_site):
    """The demo on SQLite (conftest's `demo_site`), then on PostgreSQL; each has its own fake store."""
    yield from each_database(request, demo_site)


@pytest.fixture(autouse=True)
def demo_settings(demo_site):
    """Every test starts where a fresh demo starts: sync on by default, Workshop as the default location."""
    demo_site.api.demo_settings()
    yield
    demo_site.api.put_settings()


def rows(page):
    return page.locator("#components > li")


def open_order(page, order_id: int, status: str):
    page.goto(f"/orders/{order_id}")
    expect(page.locator("#order-status")).to_have_text(status)
    page.wait_for_load_state("networkidle")


def form_ready(page):
    """The order form's module has run (it focuses Reference once the locations are in): a click
    on "Add from BOM" before that would do nothing."""
    expect(page.get_by_label("Reference")).to_be_focused()


def bom_id(demo_site) -> int:
    [bom] = [b for b in demo_site.api.call("GET", "/boms")["items"] if b["name"] == "Beeswax candle in a jar"]
    return bom["id"]


# ------------------------------------------------------------------ 1, 2: the ready demo and the confirmation


def test_the_ready_demo_completes_into_shopify_after_a_confirmation(page, demo_site):
    demo_site.delete_all_orders()  # a shop that has not completed an order yet
    store = demo_site.services.store
    before = {v: store.available(DEMO_SHOP, v, WORKSHOP) for v in (JAR_CANDLE, WAX, WICK, JAR)}
    # 0.4 pack of wick: Shopify holds floor(exact total), so what is sent depends on earlier orders.
    wick = demo_site.api.call("GET", f"/accounts?variantId={WICK}&locationId={WORKSHOP}")["items"]
    wick_exact, wick_whole = (wick[0]["exact"], wick[0]["whole"]) if wick else (0, 0)
    wick_sent = math.floor(round(wick_exact - 0.4, 6)) - wick_whole

    # The checklist says the demo is ready: a default location and sync on, only the first order to go.
    page.goto("/")
    checklist = page.get_by_role("region", name="Get ready to make things")
    expect(checklist).to_contain_text("Default location: Workshop")
    expect(checklist).to_contain_text("Completed orders update Shopify inventory by default")
    screenshot(page, "ready-demo")

    # A new order from the demo's bill of materials, with no setting touched.
    page.get_by_role("link", name="Create production order").first.click()
    form_ready(page)
    page.get_by_label("Reference").fill("PO-READY")
    page.get_by_role("button", name="Add from BOM").click()
    picker = page.get_by_role("dialog")
    picker.get_by_label(re.compile("Beeswax candle in a jar")).check()
    picker.get_by_role("button", name="Add", exact=True).click()
    rows(page).nth(0).get_by_label("Planned quantity").fill("4")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.locator("#sync-notice")).to_be_hidden()
    expect(page.locator("#fact-location")).to_contain_text("Workshop")

    # Start: focus goes to the title, so a second Enter does nothing.
    page.get_by_role("button", name="Start order").click()
    expect(page.locator("#order-status")).to_have_text("In progress")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_have_count(0)
    order_id = int(page.url.rsplit("/", 1)[1])
    demo_site.api.record_produced(demo_site.api.order(order_id), {JAR_CANDLE: 4})

    # Mark complete asks first and says exactly what Shopify will see.
    page.reload()
    page.get_by_role("button", name="Mark complete").click()
    dialog = page.get_by_role("dialog", name="Mark PO-READY complete?")
    expect(dialog).to_contain_text("Shopify inventory at Workshop will change by:")
    expect(dialog.get_by_role("listitem")).to_have_text([
        "+4 Beeswax candle in a jar", "−1 Beeswax pellets - 1 kg",
        re.compile(rf"{'±' if wick_sent == 0 else '−'}{abs(wick_sent)} Cotton wick - 10 pack "
                   r"\(exactly −0\.4: Shopify counts whole units; the fraction is carried"), "−4 Amber glass jar"])
    expect(dialog.get_by_role("button", name="Not yet")).to_be_focused()  # never the destructive one
    screenshot(page, "confirm-complete", full_page=False)
    page.keyboard.press("Enter")  # "Not yet"
    expect(dialog).to_be_hidden()
    expect(page.locator("#order-status")).to_have_text("In progress")

    page.get_by_role("button", name="Mark complete").click()
    dialog.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    assert store.available(DEMO_SHOP, JAR_CANDLE, WORKSHOP) == before[JAR_CANDLE] + 4
    assert store.available(DEMO_SHOP, WAX, WORKSHOP) == before[WAX] - 1
    assert store.available(DEMO_SHOP, JAR, WORKSHOP) == before[JAR] - 4
    assert store.available(DEMO_SHOP, WICK, WORKSHOP) == before[WICK] + wick_sent  # as the dialog said
    expect(page.get_by_role("button", name="Retry sync")).to_be_hidden()  # nothing a retry could help

    # The demo inventory shows titles and SKUs, never a raw id.
    page.get_by_role("link", name="See the demo store's inventory").first.click()
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name=re.compile("Beeswax candle in a jar")).first).to_be_visible()
    expect(table).not_to_contain_text("gid://")


# ------------------------------------------------------------------ 1, 5, 6: saying what will (not) reach Shopify


def test_the_order_page_says_why_an_order_will_not_reach_shopify(page, demo_site):
    api = demo_site.api
    api.put_settings(False, WORKSHOP)
    follows_default = api.create_order("PO-DEFAULT-OFF", [{"variantId": WICK, "quantityPlanned": 1}])
    open_order(page, follows_default["id"], "Draft")
    notice = page.locator("#sync-notice")
    expect(notice).to_contain_text("When started, this order will not update Shopify inventory")
    expect(notice).to_contain_text("inventory sync is off by default in Settings")
    notice.get_by_role("link", name="Open Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()

    switched_off = api.create_order("PO-NO", [{"variantId": WICK, "quantityPlanned": 2}],
                                    syncProductionOrderToShopify=False)
    running = api.record_produced(api.transition(switched_off, "start"), {WICK: 2})
    open_order(page, running["id"], "In progress")
    expect(notice).to_contain_text("Completing this order will not change Shopify inventory")
    expect(notice.get_by_role("link", name="Edit order")).to_be_visible()
    page.get_by_role("button", name="Mark complete").click()
    dialog = page.get_by_role("dialog", name="Mark PO-NO complete?")
    expect(dialog).to_contain_text("Nothing is sent to Shopify: this order does not update Shopify inventory.")
    expect(dialog.get_by_role("listitem")).to_have_count(0)
    dialog.get_by_role("button", name="Not yet").click()

    # Cancelling says what really happened: nothing was sent, nothing will be.
    page.get_by_role("button", name="Cancel", exact=True).click()
    cancel = page.get_by_role("dialog", name="Cancel PO-NO?")
    expect(cancel).to_contain_text("This order does not update Shopify inventory: nothing was sent, and nothing will be.")
    expect(cancel).not_to_contain_text("already sent")
    cancel.get_by_role("button", name="Keep order").click()

    api.put_settings(True, None)
    nowhere = api.create_order("PO-NOWHERE", [{"variantId": WICK, "quantityPlanned": 1}])
    open_order(page, nowhere["id"], "Draft")
    expect(notice).to_contain_text("This order has no location, so it cannot update Shopify inventory")
    expect(notice.get_by_role("link", name="Set a default location")).to_be_visible()


def test_cancelling_a_syncing_order_in_progress_says_nothing_was_sent_yet(page, demo_site):
    api = demo_site.api
    order = api.transition(api.create_order("PO-CANCEL-SYNC", [{"variantId": WICK, "quantityPlanned": 3}]), "start")
    open_order(page, order["id"], "In progress")
    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_role("dialog", name="Cancel PO-CANCEL-SYNC?")
    expect(dialog).to_contain_text("Nothing has been sent to Shopify for this order yet, and after cancelling nothing will be.")
    expect(dialog.get_by_role("button", name="Keep order")).to_be_focused()


def test_cancelling_a_live_order_in_progress_says_what_was_already_sent(page, demo_site):
    api = demo_site.api
    api.put_settings(True, WORKSHOP, mode="live")  # every recorded quantity is sent as it is recorded
    order = api.transition(api.create_order("PO-CANCEL-LIVE", [{"variantId": WICK, "quantityPlanned": 3}]), "start")
    api.record_produced(order, {WICK: 2})
    open_order(page, order["id"], "In progress")
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_role("dialog", name="Cancel PO-CANCEL-LIVE?")
    expect(dialog).to_contain_text("Already sent to Shopify: +2 Cotton wick - 10 pack. That stays in Shopify")
    dialog.get_by_role("button", name="Keep order").click()
    expect(page.locator("#order-status")).to_have_text("In progress")


def test_settings_warn_when_sync_is_on_without_a_default_location(page, demo_site):
    page.goto("/settings")
    warning = page.get_by_text("Orders without a location of their own will not start")
    expect(warning).to_be_hidden()
    page.get_by_label("Default location").select_option("")
    expect(warning).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Orders without a location will not start until you choose one")
    page.get_by_label("Update Shopify inventory from production orders by default").uncheck()
    expect(warning).to_be_hidden()


# ------------------------------------------------------------------ 3: ids checked against Shopify


def test_a_mistyped_variant_is_refused_at_save_and_a_deleted_one_at_start(page, demo_site, page_watch):
    page_watch.allow_http_errors(422)
    page.goto("/orders/new")
    form_ready(page)
    page.get_by_label("Reference").fill("PO-TYPO")
    page.get_by_role("button", name="Add by variant ID").click()
    row = rows(page).nth(0)
    row.get_by_label("Variant ID").fill("80030")  # a typo of 8003
    row.get_by_label("Planned quantity").fill("2")
    page.get_by_role("button", name="Save as draft").click()
    variant = row.get_by_label("Variant ID")
    expect(variant).to_have_attribute("aria-invalid", "true")
    expect(variant).to_have_accessible_description(re.compile("No such product variant in this shop"))
    expect(page.get_by_role("alert")).to_contain_text("Component 1")
    expect(page).to_have_url(re.compile(r"/orders/new$"))
    assert demo_site.api.call("GET", "/production-orders?q=PO-TYPO")["items"] == []

    # Fixed, it saves, with the product's title from Shopify.
    variant.fill("8003")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.locator("#components-table").get_by_role("rowheader", name=re.compile("Cotton wick - 10 pack"))) \
        .to_be_visible()  # the components table (the cost table names the materials too)

    # A product deleted in Shopify after the save is named when the order starts.
    store = demo_site.services.store
    store.add_variant(DEMO_SHOP, 8090, "Seasonal candle", sku="DEMO-8090")
    order = demo_site.api.create_order("PO-GONE", [{"variantId": "gid://shopify/ProductVariant/8090",
                                                     "quantityPlanned": 1}])
    store.delete_variant(DEMO_SHOP, 8090)
    open_order(page, order["id"], "Draft")
    page.get_by_role("button", name="Start order").click()
    expect(page.get_by_role("alert")).to_contain_text("Component 1 (Seasonal candle): no such product variant in this shop")
    expect(page.locator("#order-status")).to_have_text("Draft")


# ------------------------------------------------------------------ 4: quantities in the browser's locale


def test_quantities_follow_the_browsers_locale_and_never_guess(page, demo_site, chromium):
    page.goto("/orders/new")
    form_ready(page)
    page.get_by_label("Reference").fill("PO-LOCALE-EN")
    page.get_by_role("button", name="Add by variant ID").click()
    row = rows(page).nth(0)
    row.get_by_label("Variant ID").fill("8004")
    quantity = row.get_by_label("Planned quantity")
    quantity.fill("1,5")
    page.get_by_role("button", name="Save as draft").click()
    expect(quantity).to_have_accessible_description(re.compile("could be read more than one way"))
    quantity.fill("2.5")  # pieces: whole numbers only
    page.get_by_role("button", name="Save as draft").click()
    expect(quantity).to_have_accessible_description(re.compile("Pieces \\(pcs\\) are counted in whole numbers"))
    quantity.fill("1,500")  # English grouping: fifteen hundred
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.locator("#components-table").get_by_role("row").filter(has_text="Amber glass jar")) \
        .to_contain_text("1,500 pcs")

    # A German browser writes decimals with a comma: 1,5 kg is one and a half.
    context = chromium.new_context(viewport=VIEWPORT, base_url=demo_site.url, locale="de-DE", timezone_id="UTC")
    try:
        german = context.new_page()
        german.set_default_timeout(TIMEOUT_MS)
        german.goto("/orders/new")
        form_ready(german)
        german.get_by_label("Reference").fill("PO-LOCALE-DE")
        german.get_by_role("button", name="Add by variant ID").click()
        row = german.locator("#components > li").nth(0)
        row.get_by_label("Variant ID").fill("8002")
        row.get_by_label("Unit").select_option("kg")
        row.get_by_label("Planned quantity").fill("1,5")
        german.get_by_role("button", name="Save as draft").click()
        expect(german.locator("#order-status")).to_have_text("Draft")
        order_id = int(german.url.rsplit("/", 1)[1])
        assert demo_site.api.order(order_id)["components"][0]["quantityPlanned"] == 1.5
        german.goto(f"/orders/{order_id}/edit")
        expect(german.locator("#components > li").nth(0).get_by_label("Planned quantity")).to_have_value("1,5")
    finally:
        context.close()


# ------------------------------------------------------------------ 7: one save, all or nothing; leaving asks


def test_a_save_is_all_or_nothing_and_leaving_with_changes_asks_first(page, demo_site, page_watch):
    page_watch.allow_http_errors(422)
    store = demo_site.services.store
    store.add_variant(DEMO_SHOP, 8091, "Limited candle", sku="DEMO-8091")
    order = demo_site.api.create_order("PO-ATOMIC", [{"variantId": "gid://shopify/ProductVariant/8091",
                                                       "quantityPlanned": 2}], notes="before")
    store.delete_variant(DEMO_SHOP, 8091)
    page.goto(f"/orders/{order['id']}/edit")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Notes").fill("after")
    page.get_by_role("button", name="Add by variant ID").click()
    rows(page).nth(1).get_by_label("Variant ID").fill("8003")
    rows(page).nth(1).get_by_label("Planned quantity").fill("1")
    rows(page).nth(0).get_by_label("Variant ID").fill("gid://shopify/ProductVariant/80910")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(rows(page).nth(0).get_by_label("Variant ID")).to_have_accessible_description(
        re.compile("No such product variant in this shop"))
    expect(page.get_by_label("Notes")).to_have_value("after")  # the merchant's input is kept
    saved = demo_site.api.order(order["id"])
    assert (saved["notes"], saved["version"], len(saved["components"])) == ("before", order["version"], 1)

    # Leaving with unsaved changes asks: an in-app link with the app's own modal (App Bridge's leave
    # confirmation inside the admin), anything else through the browser; staying keeps the form.
    page.get_by_role("navigation", name="App").get_by_role("link", name="Settings").click()
    leave = page.get_by_role("dialog", name="Leave page with unsaved changes?")
    expect(leave.get_by_role("button", name="Stay")).to_be_focused()
    leave.get_by_role("button", name="Stay").click()
    expect(leave).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/orders/{order['id']}/edit$"))
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate("window.location.assign('/settings')")
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page).to_have_url(re.compile(rf"/orders/{order['id']}/edit$"))

    # Fixed, one Save applies every change at once: one history entry.
    rows(page).nth(0).get_by_label("Variant ID").fill("8001")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    saved = demo_site.api.order(order["id"])
    assert (saved["notes"], saved["version"], len(saved["components"])) == ("after", order["version"] + 1, 2)
    assert [e["type"] for e in demo_site.api.events(order["id"])] == ["created", "updated"]
    assert asked == ["beforeunload"]  # saving does not ask


# ------------------------------------------------------------------ 8, 9: the list, unknown orders


def test_the_list_shows_products_and_quantities_and_search_finds_materials_and_notes(page, demo_site):
    api = demo_site.api
    order = api.create_order("PO-LIST-JARS", [{"variantId": JAR_CANDLE, "title": "Beeswax candle in a jar",
                                               "quantityPlanned": 6, "materials": [
                                                   {"variantId": WAX, "quantityPerUnit": 0.25}]}],
                             notes="For the winter fair")
    api.record_produced(api.transition(order, "start"), {JAR_CANDLE: 5})
    page.goto("/?q=DEMO-8002")  # the wax's SKU, filled in from Shopify
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="PO-LIST-JARS"))
    expect(row).to_have_count(1)
    headers = page.get_by_role("columnheader")
    expect(headers).to_have_text(["Reference", "Status", "Products", "Planned", "Produced", "Inventory sync", "Updated"])
    expect(row.get_by_role("cell")).to_have_text([
        "In progress", "Beeswax candle in a jar", "6 pcs", "5 pcs", re.compile("Nothing sent yet|Synced"), re.compile(".")])
    page.goto("/?q=winter fair")
    expect(page.get_by_role("link", name="PO-LIST-JARS")).to_be_visible()
    screenshot(page, "order-list-search")


def test_unknown_orders_get_a_friendly_page_with_a_way_back(page, page_watch):
    page_watch.allow_http_errors(404)
    page.goto("/orders/abc")
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    page.get_by_role("link", name="Back to production orders").click()
    expect(page.get_by_role("heading", name="Production orders", level=1)).to_be_visible()
    for path in ("/orders/987654", "/orders/987654/edit"):
        page.goto(path)
        expect(page.get_by_role("heading", name="This production order could not be found")).to_be_visible()
        expect(page.get_by_role("link", name="Back to production orders")).to_be_visible()
        expect(page.get_by_label("Reference")).to_have_count(0)


# ------------------------------------------------------------------ 3, 9: a failed sync is settled or retried


def completed_in_the_ui(page, demo_site, reference: str, variant: int, title: str) -> int:
    """An order making `variant` from jars, started while `variant` exists, completed by the merchant
    through the confirmation; returns its id."""
    api = demo_site.api
    gid = f"gid://shopify/ProductVariant/{variant}"
    order = api.create_order(reference, [{"variantId": gid, "quantityPlanned": 2, "materials": [
        {"variantId": JAR, "quantityPerUnit": 1}]}])
    api.record_produced(api.transition(order, "start"), {gid: 2})
    return order["id"]


def confirm_completion(page, order_id: int, reference: str):
    open_order(page, order_id, "In progress")
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_role("dialog", name=f"Mark {reference} complete?").get_by_role("button", name="Mark complete").click()
    expect(page.locator("#order-status")).to_have_text("Completed")


def test_an_order_whose_variant_was_deleted_in_shopify_is_settled_by_leaving_it_out(page, demo_site):
    store, api = demo_site.services.store, demo_site.api
    store.add_variant(DEMO_SHOP, 8092, "Gift candle", sku="DEMO-8092")
    gift = "gid://shopify/ProductVariant/8092"
    order_id = completed_in_the_ui(page, demo_site, "PO-GIFT", 8092, "Gift candle")
    jars_before = store.available(DEMO_SHOP, JAR, WORKSHOP)
    store.delete_variant(DEMO_SHOP, 8092)  # deleted in Shopify while the order was in progress

    confirm_completion(page, order_id, "PO-GIFT")
    expect(page.locator("#sync-badge")).to_have_text("Sync failed", timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("#sync-error")).to_contain_text("“Gift candle” no longer exists in Shopify")
    expect(page.locator("#sync-error")).not_to_contain_text("gid://")  # the title, never a raw id
    # A retry would be refused the same way: no Retry, the page says what to do instead.
    expect(page.locator("#sync-text")).to_contain_text("a retry would be refused the same way")
    expect(page.get_by_role("button", name="Retry sync")).to_be_hidden()
    assert store.available(DEMO_SHOP, JAR, WORKSHOP) == jars_before  # nothing was applied
    page.goto("/?q=PO-GIFT")
    listed = page.get_by_role("row").filter(has=page.get_by_role("link", name="PO-GIFT"))
    expect(listed).to_contain_text("Sync failed")

    # Settle: leave the deleted product out; the jars are sent, the order stops being red.
    open_order(page, order_id, "Completed")
    expect(page.locator("#history-loading")).to_be_hidden()
    screenshot(page, "order-sync-failed")
    page.set_viewport_size(PHONE)  # the merchant on a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "order-sync-failed-phone")
    page.set_viewport_size(VIEWPORT)
    page.get_by_role("button", name="Leave products out…").click()
    dialog = page.get_by_role("dialog", name="Leave products out of this order's sync?")
    expect(dialog.get_by_role("checkbox", name="Gift candle")).to_be_checked()  # the one Shopify named
    expect(dialog.get_by_role("button", name="Keep them")).to_be_focused()
    screenshot(page, "settle-failed-variant", full_page=False)
    dialog.get_by_role("button", name="Leave out and resend").click()
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("#sync-error")).to_be_hidden()
    expect(page.locator("#sync-text")).to_have_text(
        "Shopify inventory has everything this order produced, except what was left out of its sync: Gift candle.")
    history = page.locator("#history")
    expect(history).to_contain_text("Shopify inventory update failed")
    expect(history).to_contain_text("Left out of this order's sync: Gift candle")
    assert store.available(DEMO_SHOP, JAR, WORKSHOP) == jars_before - 2
    assert [e["changes"] for e in api.events(order_id) if e["type"] == "sync_resolved"] == [
        {"skippedVariants": [None, [gift]]}]
    page.reload()  # without the passing toast
    expect(page.locator("#sync-badge")).to_have_text("Synced")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#history-loading")).to_be_hidden()
    screenshot(page, "order-settled")
    page.goto("/?q=PO-GIFT")
    expect(listed).to_contain_text("Synced")


def test_retry_is_offered_when_a_fix_in_shopify_lets_the_same_update_through(page, demo_site):
    store = demo_site.services.store
    store.add_variant(DEMO_SHOP, 8093, "Tea light", sku="DEMO-8093")
    order_id = completed_in_the_ui(page, demo_site, "PO-TEALIGHT", 8093, "Tea light")
    store.set_tracked(DEMO_SHOP, "gid://shopify/ProductVariant/8093", False)

    confirm_completion(page, order_id, "PO-TEALIGHT")
    expect(page.locator("#sync-badge")).to_have_text("Sync failed", timeout=SYNC_TIMEOUT_MS)
    expect(page.locator("#sync-error")).to_contain_text("Turn on inventory tracking for it, then retry the sync")
    expect(page.locator("#sync-text")).to_contain_text("Fix the problem below in Shopify, then retry")
    store.set_tracked(DEMO_SHOP, "gid://shopify/ProductVariant/8093", True)  # the merchant fixes it
    page.get_by_role("button", name="Retry sync").click()
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Retry sync")).to_be_hidden()
    assert store.available(DEMO_SHOP, "gid://shopify/ProductVariant/8093", WORKSHOP) == 2
