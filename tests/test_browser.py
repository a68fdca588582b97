"""The embedded pages in a real browser (SPEC §7, §8; issue #5), in demo mode on loopback.

Debian's Chromium, headless, driven by playwright: a merchant creates an order (one component from
the demo product picker, one by variant GID), starts it, records what was produced, completes it and
sees the fake store's inventory change by exactly that; read-only orders show no edit controls;
cancelling from draft deletes the components and from in progress keeps them; API errors appear next
to their fields; a double-click sends one request; the settings screen saves and the next started
order picks up the default; the create form works with the keyboard alone; no page logs a console
error. Every non-loopback request is aborted (see browser_support). Screenshots of each page go to
build/screenshots/ (`make screenshots` refreshes the README's, in docs/screenshots/).
"""

import re
from pathlib import Path

import pytest

from .browser_support import (
    CANDLE, JAR, SYNC_TIMEOUT_MS, WAX, WICK, WORKSHOP, require_browser, screenshot,
)

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)


@pytest.fixture(autouse=True)
def default_settings(demo_site):
    """Every test starts from the shop's default settings: no sync by default, no default location."""
    demo_site.api.put_settings()
    yield
    demo_site.api.put_settings()


# ------------------------------------------------------------------ helpers


def components_table(page):
    return page.get_by_role("table", name="Components of this order")


def component_rows(page):
    """The rows of the order form's component list (one <li> per component)."""
    return page.locator("#components > li")


def open_order(page, order_id: int, status: str):
    page.goto(f"/orders/{order_id}")
    expect(page.locator("#order-status")).to_have_text(status)
    page.wait_for_load_state("networkidle")


def detail_screenshot(page, name: str, status: str):
    """A full-page screenshot of an order without the passing toast (a reload shows no flash message)."""
    page.reload()
    expect(page.locator("#order-status")).to_have_text(status)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#history-loading")).to_be_hidden()
    screenshot(page, name)


def inventory_row(page, title: str, location: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(re.escape(title)))) \
        .filter(has=page.get_by_role("cell", name=location, exact=True))


def available_on_inventory_page(page, title: str, location: str) -> int:
    expect(page.get_by_role("heading", name="Demo store inventory")).to_be_visible()
    row = inventory_row(page, title, location)
    expect(row).to_have_count(1)
    return int(row.get_by_role("cell").nth(2).inner_text())  # location, unit cost, available


def assert_no_edit_controls(page):
    """A read-only order: no form fields, no Edit link, no Start / Mark complete / Cancel buttons."""
    main = page.get_by_role("main")
    for role in ("textbox", "combobox", "checkbox", "radio", "spinbutton"):
        expect(main.get_by_role(role)).to_have_count(0)
    for name in ("Start order", "Mark complete", "Cancel", "Retry sync", "Save", "Remove"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    for name in ("Edit", "Edit order", "Record produced quantities"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)


# ------------------------------------------------------------------ the empty list (first: a fresh shop)


def test_empty_order_list_invites_the_first_order(page, demo_site):
    demo_site.delete_all_orders()
    page.goto("/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Plan your first production order")).to_be_visible()
    expect(page.get_by_role("table", name="Production orders")).to_be_hidden()
    expect(page.get_by_role("link", name="Create production order")).to_have_count(2)  # header and empty state
    screenshot(page, "order-list-empty")


# ------------------------------------------------------------------ the whole flow


def test_create_start_record_complete_changes_the_demo_store_inventory(page, demo_site):
    # What the fake store holds before: the demo inventory page, as a merchant would look at it.
    page.goto("/")
    page.get_by_role("navigation", name="App").get_by_role("link", name="Demo inventory").click()
    candles_before = available_on_inventory_page(page, "Beeswax candle - Large", "Workshop")
    jars_before = available_on_inventory_page(page, "Amber glass jar", "Workshop")

    # Create: the list's button, the order's details, one component from the picker, one by GID.
    page.get_by_role("navigation", name="App").get_by_role("link", name="Production orders").click()
    page.get_by_role("link", name="Create production order").first.click()
    expect(page.get_by_role("heading", name="New production order")).to_be_visible()
    expect(page.get_by_label("Reference")).to_be_focused()
    page.get_by_label("Reference").fill("PO-FLOW-1")
    page.get_by_label("Location").select_option(label="Workshop")
    page.get_by_label("Update Shopify inventory").select_option(label="Yes")
    page.get_by_label("Planned start date").fill("2026-12-01")
    page.get_by_label("Notes").fill("Autumn batch for the market stall.")

    page.get_by_role("button", name="Choose products").click()
    picker = page.get_by_role("dialog", name="Choose products")
    expect(picker).to_be_visible()
    picker.get_by_label("Beeswax candle - Large").check()
    picker.get_by_role("button", name="Add", exact=True).click()
    expect(picker).to_be_hidden()
    first = component_rows(page).nth(0)
    expect(first.get_by_label("Variant ID")).to_have_value(CANDLE)
    expect(first.get_by_label("Product title")).to_have_value("Beeswax candle - Large")
    expect(first.get_by_label("Planned quantity")).to_be_focused()
    first.get_by_label("Planned quantity").fill("10")

    page.get_by_role("button", name="Add by variant ID").click()
    second = component_rows(page).nth(1)
    expect(second.get_by_label("Variant ID")).to_be_focused()
    second.get_by_label("Variant ID").fill(JAR)
    second.get_by_label("Product title").fill("Amber glass jar")
    second.get_by_label("Planned quantity").fill("6")
    expect(component_rows(page)).to_have_count(2)
    screenshot(page, "order-new")

    page.get_by_role("button", name="Save as draft").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    order_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_have_text("PO-FLOW-1")
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.get_by_role("status")).to_have_text("Production order PO-FLOW-1 created as a draft.")
    table = components_table(page)
    expect(table.get_by_role("row")).to_have_count(3)  # header + two components
    expect(table.get_by_role("rowheader", name=re.compile("Beeswax candle - Large"))).to_be_visible()
    expect(table.get_by_role("rowheader", name=re.compile("Amber glass jar"))).to_be_visible()
    expect(page.locator("#fact-location")).to_have_text("Workshop")
    expect(page.locator("#fact-sync")).to_have_text("Yes")
    expect(page.locator("#fact-planned")).to_have_text("Dec 1, 2026")
    expect(page.get_by_role("button", name="Start order")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Mark complete")).to_be_hidden()
    expect(page.locator("#history > li")).not_to_have_count(0)
    detail_screenshot(page, "order-draft", "Draft")

    # Start.
    page.get_by_role("button", name="Start order").click()
    expect(page.locator("#order-status")).to_have_text("In progress")
    expect(page.get_by_role("button", name="Mark complete")).to_be_visible()
    expect(page.get_by_role("button", name="Start order")).to_be_hidden()
    expect(page.locator("#fact-started-row")).to_be_visible()

    # Record produced quantities on the edit form.
    page.get_by_role("link", name="Record produced quantities").click()
    expect(page.get_by_role("heading", name="Edit PO-FLOW-1")).to_be_visible()
    expect(component_rows(page)).to_have_count(2)
    candle_row = component_rows(page).filter(has=page.get_by_role("heading", name="Beeswax candle - Large"))
    jar_row = component_rows(page).filter(has=page.get_by_role("heading", name="Amber glass jar"))
    expect(candle_row.get_by_label("Produced quantity")).to_have_value("0")
    candle_row.get_by_label("Produced quantity").fill("7")
    jar_row.get_by_label("Produced quantity").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.locator("#order-status")).to_have_text("In progress")
    candle_line = table.get_by_role("row").filter(has_text="Beeswax candle - Large")
    expect(candle_line.get_by_role("cell").nth(0)).to_have_text("10 pcs")  # planned
    expect(candle_line.get_by_role("cell").nth(1)).to_have_text("7 pcs")  # produced
    detail_screenshot(page, "order-in-progress", "In progress")

    # Complete (after confirming): planned becomes produced, and the worker pushes the produced quantities.
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_role("dialog", name="Mark PO-FLOW-1 complete?").get_by_role("button", name="Mark complete").click()
    expect(page.locator("#order-status")).to_have_text("Completed")
    expect(candle_line.get_by_role("cell").nth(0)).to_have_text("7 pcs")
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    expect(page.get_by_text("Shopify inventory has everything this order produced.")).to_be_visible()
    adjustments = page.locator("#adjustments-table")
    expect(adjustments.get_by_role("row").filter(has_text="Beeswax candle - Large")).to_contain_text("+7")
    expect(adjustments.get_by_role("row").filter(has_text="Amber glass jar")).to_contain_text("+5")
    expect(page.get_by_role("button", name="Retry sync")).to_be_hidden()
    detail_screenshot(page, "order-completed-synced", "Completed")

    # The demo store's inventory: exactly the produced amounts more, and the page says what changed.
    page.get_by_role("link", name="See the demo store's inventory").first.click()
    assert available_on_inventory_page(page, "Beeswax candle - Large", "Workshop") == candles_before + 7
    assert available_on_inventory_page(page, "Amber glass jar", "Workshop") == jars_before + 5
    # The change column comes after location, unit cost, available, incoming and quality control.
    expect(inventory_row(page, "Beeswax candle - Large", "Workshop").get_by_role("cell").nth(5)).to_have_text("+7")
    expect(inventory_row(page, "Beeswax candle - Large", "Shop front").get_by_role("cell").nth(5)).to_have_text("—")
    assert demo_site.api.inventory()[(CANDLE, WORKSHOP)] == candles_before + 7
    screenshot(page, "demo-inventory")


def test_a_draft_that_will_update_inventory_does_not_say_nothing_needs_sending(page, demo_site):
    """A draft set to update Shopify inventory has not pushed yet: it must not read as done.

    The API reports such a draft's sync as `synced` with nothing sent (nothing is due yet); the
    pages word that like a finished order ("Nothing to send", "Nothing needed to be sent to Shopify"),
    which tells the merchant the order will not change inventory, the opposite of what it will do.
    """
    order = demo_site.api.create_order("PO-DRAFT-SYNC", [{"variantId": WICK, "quantityPlanned": 1}],
                                       locationId=WORKSHOP, syncProductionOrderToShopify=True)
    open_order(page, order["id"], "Draft")
    expect(page.locator("#fact-sync")).to_have_text("Yes")
    # The page has settled (open_order waits for the network): no need to wait long for a negative.
    expect(page.locator("#sync-card")).not_to_contain_text("Nothing needed to be sent to Shopify", timeout=2_000)
    expect(page.locator("#sync-badge")).not_to_have_text("Nothing to send", timeout=2_000)
    page.goto("/?q=PO-DRAFT-SYNC")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="PO-DRAFT-SYNC"))
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("Nothing to send", timeout=2_000)


# ------------------------------------------------------------------ read-only orders


def test_completed_and_cancelled_orders_have_no_edit_controls(page, demo_site):
    api = demo_site.api
    component = {"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPlanned": 3}
    running = api.transition(api.create_order("PO-RO-DONE", [component]), "start")
    completed = api.transition(api.record_produced(running, {WICK: 2}), "complete")
    stopped = api.transition(api.create_order("PO-RO-STOPPED", [component]), "start")
    cancelled_running = api.transition(stopped, "cancel")
    cancelled_draft = api.transition(api.create_order("PO-RO-DROPPED", [component]), "cancel")

    for order, status in ((completed, "Completed"), (cancelled_running, "Cancelled"), (cancelled_draft, "Cancelled")):
        open_order(page, order["id"], status)
        expect(page.get_by_role("heading", level=1)).to_have_text(order["reference"])
        assert_no_edit_controls(page)
        # The edit URL itself says the order is a record, with nothing to fill in.
        page.goto(f"/orders/{order['id']}/edit")
        expect(page.get_by_role("heading", name="This order can no longer be changed")).to_be_visible()
        expect(page.get_by_text(f"{order['reference']} is {status.lower()}")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert_no_edit_controls(page)
        expect(page.get_by_role("button", name=re.compile("Choose products|Add by variant ID|Save"))).to_have_count(0)

    open_order(page, completed["id"], "Completed")
    wick_line = components_table(page).get_by_role("row").filter(has_text="Cotton wick")
    expect(wick_line.get_by_role("cell").nth(0)).to_have_text("2 pcs")  # planned became produced
    expect(wick_line.get_by_role("cell").nth(1)).to_have_text("2 pcs")
    screenshot(page, "order-completed-read-only")


# ------------------------------------------------------------------ cancelling


def _two_component_order(api, reference):
    return api.create_order(reference, [
        {"variantId": CANDLE, "title": "Beeswax candle - Large", "quantityPlanned": 4},
        {"variantId": JAR, "title": "Amber glass jar", "quantityPlanned": 4},
    ])


def test_cancel_from_draft_deletes_the_components(page, demo_site):
    api = demo_site.api
    order = _two_component_order(api, "PO-CANCEL-DRAFT")
    open_order(page, order["id"], "Draft")
    cancels = []
    page.on("request", lambda request: cancels.append(request.url) if request.url.endswith("/cancel") else None)

    # Keep order: nothing happens.
    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_role("dialog", name="Cancel PO-CANCEL-DRAFT?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This draft's 2 components will be deleted.")
    dialog.get_by_role("button", name="Keep order").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_focused()  # never back onto a destructive button
    assert cancels == []
    expect(page.locator("#order-status")).to_have_text("Draft")

    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(dialog).to_be_visible()
    screenshot(page, "cancel-dialog-draft", full_page=False)
    dialog.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.get_by_text("This order was cancelled as a draft, so its components were deleted.")).to_be_visible()
    expect(components_table(page)).to_be_hidden()
    assert len(cancels) == 1
    assert api.order(order["id"])["components"] == []
    assert_no_edit_controls(page)


def test_cancel_from_in_progress_keeps_the_components(page, demo_site):
    api = demo_site.api
    order = api.transition(_two_component_order(api, "PO-CANCEL-RUNNING"), "start")
    open_order(page, order["id"], "In progress")

    page.get_by_role("button", name="Cancel", exact=True).click()
    dialog = page.get_by_role("dialog", name="Cancel PO-CANCEL-RUNNING?")
    expect(dialog).to_contain_text("Its 2 components will be kept for reference.")
    expect(dialog).not_to_contain_text("deleted")
    screenshot(page, "cancel-dialog-in-progress", full_page=False)
    dialog.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.get_by_text("Cancelled while in progress: the components are kept for reference.")).to_be_visible()
    expect(components_table(page).get_by_role("row")).to_have_count(3)
    assert len(api.order(order["id"])["components"]) == 2
    assert_no_edit_controls(page)


# ------------------------------------------------------------------ errors next to their fields


def test_api_errors_are_shown_next_to_their_fields(page, demo_site, page_watch):
    page_watch.allow_http_errors(422)  # provoked on purpose
    demo_site.api.create_order("PO-DUP-1")

    page.goto("/orders/new")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Reference").fill("po-dup-1")  # unique ignoring case
    page.get_by_role("button", name="Add by variant ID").click()
    row = component_rows(page).nth(0)
    row.get_by_label("Variant ID").fill("8003")  # just the number is accepted too
    row.get_by_label("Planned quantity").fill("2")
    page.get_by_role("button", name="Save as draft").click()

    reference = page.get_by_label("Reference")
    expect(reference).to_have_attribute("aria-invalid", "true")
    expect(reference).to_have_accessible_description(re.compile("Must be unique in this shop", re.I))
    field = page.locator(".field").filter(has=reference)
    expect(field.get_by_text("Must be unique in this shop (ignoring case).")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Another production order already uses the reference")
    expect(reference).to_be_focused()
    expect(page).to_have_url(re.compile(r"/orders/new$"))
    expect(row.get_by_label("Variant ID")).to_have_value("gid://shopify/ProductVariant/8003")
    screenshot(page, "error-duplicate-reference")

    # A quantity with 4 decimals: the error sits under that row's planned quantity.
    reference.fill("PO-DUP-2")
    quantity = row.get_by_label("Planned quantity")
    quantity.fill("2.5555")
    page.get_by_role("button", name="Save as draft").click()
    expect(quantity).to_have_attribute("aria-invalid", "true")
    expect(quantity).to_have_accessible_description(re.compile("at most 3 decimal places", re.I))
    quantity_field = row.locator(".field").filter(has=page.get_by_label("Planned quantity"))
    expect(quantity_field.get_by_text(re.compile("at most 3 decimal places", re.I))).to_be_visible()
    expect(reference).not_to_have_attribute("aria-invalid", "true")
    expect(field.get_by_text("Must be unique")).to_be_hidden()
    expect(quantity).to_be_focused()
    screenshot(page, "error-quantity-decimals")

    orders = demo_site.api.call("GET", "/production-orders?q=PO-DUP")
    assert [item["reference"] for item in orders["items"]] == ["PO-DUP-1"]


# ------------------------------------------------------------------ double-click protection


def test_double_clicking_start_and_complete_sends_one_request_each(page, demo_site):
    api = demo_site.api
    order = api.create_order("PO-DBL", [{"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPlanned": 2}])
    open_order(page, order["id"], "Draft")
    transitions = []
    page.on("request", lambda request: transitions.append(request.url.rsplit("/", 1)[1])
            if request.method == "POST" and "/api/production-orders/" in request.url else None)

    page.get_by_role("button", name="Start order").dblclick()
    expect(page.locator("#order-status")).to_have_text("In progress")
    page.wait_for_load_state("networkidle")
    assert transitions == ["start"]

    # A double click on Mark complete only opens the confirmation; completing takes a deliberate click.
    dialog = page.get_by_role("dialog", name="Mark PO-DBL complete?")
    if not dialog.is_visible():  # the second click of the start may already have opened it
        page.get_by_role("button", name="Mark complete").dblclick()
    expect(dialog).to_be_visible()
    assert transitions == ["start"]
    dialog.get_by_role("button", name="Mark complete").dblclick()
    expect(page.locator("#order-status")).to_have_text("Completed")
    page.wait_for_load_state("networkidle")
    assert transitions == ["start", "complete"]
    kinds = [event["type"] for event in api.events(order["id"])]
    assert kinds.count("started") == 1 and kinds.count("completed") == 1


# ------------------------------------------------------------------ settings


def test_settings_save_and_the_next_started_order_uses_them(page, demo_site):
    page.goto("/settings")
    sync_default = page.get_by_label("Update Shopify inventory from production orders by default")
    location = page.get_by_label("Default location")
    expect(sync_default).not_to_be_checked()
    expect(location).to_have_value("")
    expect(page.get_by_label("When the order is completed")).to_be_checked()

    sync_default.check()
    location.select_option(label="Workshop")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    page.wait_for_load_state("networkidle")
    screenshot(page, "settings")

    page.reload()
    expect(sync_default).to_be_checked()
    expect(location).to_have_value(WORKSHOP)
    settings = demo_site.api.call("GET", "/settings")
    assert settings["syncProductionOrdersToShopifyByDefault"] is True
    assert settings["defaultLocationId"] == WORKSHOP

    # An order left on "Shop default" with no location takes both when it starts.
    order = demo_site.api.create_order("PO-DEFAULTS", [{"variantId": WICK, "quantityPlanned": 1}])
    assert order["syncProductionOrderToShopify"] is None and order["locationId"] is None
    open_order(page, order["id"], "Draft")
    expect(page.locator("#fact-sync")).to_have_text("Shop default — now yes (decided when the order starts)")
    expect(page.locator("#fact-location")).to_have_text("Workshop (the shop's default, applied when started)")
    page.get_by_role("button", name="Start order").click()
    expect(page.locator("#order-status")).to_have_text("In progress")
    expect(page.locator("#fact-sync")).to_have_text("Yes")
    expect(page.locator("#fact-location")).to_have_text("Workshop")
    started = demo_site.api.order(order["id"])
    assert started["syncProductionOrderToShopify"] is True and started["locationId"] == WORKSHOP


# ------------------------------------------------------------------ keyboard only


def _tab_to(page, selector: str, *, backward: bool = False, limit: int = 30):
    """Press Tab (Shift+Tab) until the focused element matches `selector` (fails after `limit` presses)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if backward else "Tab")
    raise AssertionError(f"{'Shift+Tab' if backward else 'Tab'} never reached {selector}")


def test_the_create_form_works_with_the_keyboard_alone(page, demo_site):
    page.goto("/orders/new")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Reference")).to_be_focused()
    page.keyboard.type("PO-KEYS")

    # A product from the picker: open it, tick a product, add.
    _tab_to(page, "#pick-products")
    page.keyboard.press("Enter")
    picker = page.get_by_role("dialog", name="Choose products")
    expect(picker).to_be_visible()
    expect(picker.get_by_label("Cotton wick - 10 pack")).to_be_visible()
    _tab_to(page, "#picker-list input[value='gid://shopify/ProductVariant/8003']")
    page.keyboard.press("Space")
    expect(picker.get_by_label("Cotton wick - 10 pack")).to_be_checked()
    _tab_to(page, "#picker-add")
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    first = component_rows(page).nth(0)
    expect(first.get_by_label("Planned quantity")).to_be_focused()
    page.keyboard.type("12")

    # A row by variant ID (the buttons sit above the rows: back up to them).
    _tab_to(page, "#add-row", backward=True)
    page.keyboard.press("Enter")
    second = component_rows(page).nth(1)
    expect(second.get_by_label("Variant ID")).to_be_focused()
    page.keyboard.type("8004")
    _tab_to(page, f"#{second.get_by_label('Planned quantity').get_attribute('id')}")
    page.keyboard.type("3")

    # Submit from the Save button.
    _tab_to(page, "#save")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("PO-KEYS")
    table = components_table(page)
    expect(table.get_by_role("row").filter(has_text="Cotton wick - 10 pack")).to_contain_text("12 pcs")
    # Added by variant ID alone: the row shows Shopify's title, not the id.
    expect(table.get_by_role("row").filter(has_text="Amber glass jar")).to_contain_text("3 pcs")
    expect(table).not_to_contain_text("gid://")


# ------------------------------------------------------------------ every page, no console errors


def test_no_page_logs_a_console_error(page, demo_site, page_watch):
    api = demo_site.api
    candle = {"variantId": CANDLE, "title": "Beeswax candle - Large", "quantityPlanned": 2}
    draft = api.create_order("PO-PAGES-DRAFT", [candle])
    running = api.transition(api.create_order("PO-PAGES-RUNNING", [{"variantId": WICK, "quantityPlanned": 1}]), "start")
    pages = [
        ("/", "Production orders"),
        ("/?status=draft", "Production orders"),
        ("/orders/new", "New production order"),
        (f"/orders/{draft['id']}", "PO-PAGES-DRAFT"),
        (f"/orders/{draft['id']}/edit", "Edit PO-PAGES-DRAFT"),
        (f"/orders/{running['id']}", "PO-PAGES-RUNNING"),
        (f"/orders/{running['id']}/edit", "Edit PO-PAGES-RUNNING"),
        ("/settings", "Settings"),
        ("/remainders", "Remainders"),
        ("/demo-inventory", "Demo store inventory"),
    ]
    for path, heading in pages:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.wait_for_load_state("networkidle")
        expect(page.locator(".loading:visible")).to_have_count(0)
        assert not page_watch.problems(), (path, page_watch.problems())

    page.goto("/")
    expect(page.get_by_role("table", name="Production orders")).to_be_visible()
    expect(page.get_by_role("link", name="PO-PAGES-RUNNING")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "order-list")


# ------------------------------------------------------------------ receipts and remainders


def test_a_carried_fraction_shows_on_the_receipt_and_the_remainders_page(page, demo_site):
    api = demo_site.api
    wax_before = api.inventory()[(WAX, WORKSHOP)]
    for reference in ("PO-WAX-1", "PO-WAX-2"):  # 0.25 kg of wax each: -1 kg sent, then 0 (carried)
        order = api.create_order(reference, [{"variantId": CANDLE, "title": "Beeswax candle - Large",
                                              "quantityPlanned": 1, "materials": [
                                                  {"variantId": WAX, "title": "Beeswax pellets - 1 kg",
                                                   "quantityPerUnit": 0.25}]}],
                                 locationId=WORKSHOP, syncProductionOrderToShopify=True)
        order = api.transition(order, "start")
        order = api.record_produced(order, {CANDLE: 1})
        order = api.transition(order, "complete")
    open_order(page, order["id"], "Completed")
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    wax_row = page.locator("#adjustments-table").get_by_role("row").filter(has_text="Beeswax pellets")
    expect(wax_row).to_contain_text("-0.25")
    expect(wax_row).to_contain_text("0 (carried)")
    expect(page.locator("#adjustments-table").get_by_role("row").filter(has_text="Beeswax candle")
           .get_by_role("link", name="Inventory history")).to_be_visible()
    assert api.inventory()[(WAX, WORKSHOP)] == wax_before - 1
    detail_screenshot(page, "order-receipt-carried", "Completed")

    page.get_by_role("navigation", name="App").get_by_role("link", name="Remainders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remainders")
    row = page.locator("#remainders-table").get_by_role("row").filter(has_text="Beeswax pellets").filter(
        has_text="Workshop")
    expect(row).to_contain_text("0.5 of it is still unused")
    expect(row.get_by_role("cell").nth(4)).to_have_text(str(wax_before - 1))  # the demo store's stock beside it
    screenshot(page, "remainders")


# ------------------------------------------------------------------ CSV export and BOM import (issue #17)


def _download(page, button) -> str:
    with page.expect_download() as download:
        button.click()
    return Path(download.value.path()).read_text(encoding="utf-8-sig")


def test_the_export_buttons_download_the_filtered_list_and_the_boms(page, demo_site):
    api = demo_site.api
    api.create_order("PO-CSV-EXPORT", [{"variantId": CANDLE, "title": "Beeswax candle - Large", "sku": "=CMD",
                                         "quantityPlanned": 3}])
    api.create_order("PO-OTHER-EXPORT", [{"variantId": WICK, "quantityPlanned": 1}])
    api.call("POST", "/boms", {"name": "CSV export candle", "outputVariantId": CANDLE, "outputSku": "DEMO-8001",
                               "lines": [{"variantId": WICK, "sku": "DEMO-8003", "quantityPerUnit": 1}]})

    page.goto("/?q=PO-CSV-EXPORT")
    expect(page.get_by_role("link", name="PO-CSV-EXPORT")).to_be_visible()
    lines = _download(page, page.get_by_role("button", name="Export CSV")).splitlines()
    assert lines[0].startswith("reference,status,type,location_id,planned_start_date")
    assert lines[1:] == [f"PO-CSV-EXPORT,draft,assembly,,,,,{CANDLE},'=CMD,Beeswax candle - Large,pcs,3,0,off"]

    page.goto("/boms")
    expect(page.get_by_role("link", name="CSV export candle")).to_be_visible()
    boms = _download(page, page.get_by_role("button", name="Export CSV"))
    assert f"CSV export candle,{CANDLE},DEMO-8001,{WICK},DEMO-8003,1,0" in boms.splitlines()


def test_the_import_page_lists_problems_by_line_then_previews_and_imports(page, demo_site, page_watch):
    page_watch.allow_http_errors(422)  # the refused file's answer, shown as the report
    page.goto("/boms")
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import bills of materials")
    page.wait_for_load_state("networkidle")

    bad = "BOM,Output,Material,Qty\nImported candle,DEMO-8001,NO-SUCH-SKU,1\nImported candle,DEMO-8001,DEMO-8003,=2*3\n"
    page.get_by_label("File (CSV, UTF-8)").set_input_files(
        {"name": "boms.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    report = page.get_by_role("table", name="Problems found in the file, by line")
    expect(report).to_be_visible()
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tbody tr").first).to_contain_text("material SKU 'NO-SUCH-SKU' matches no variant")
    expect(page.get_by_text("2 lines have problems; nothing was imported.")).to_be_visible()
    screenshot(page, "bom-import-problems")

    good = ("BOM,Output,Material,Qty,Hold days\nImported candle,DEMO-8001,DEMO-8002,0.25,2\n"
            f"Imported candle,DEMO-8001,{WICK},1,2\n")
    page.get_by_label("File (CSV, UTF-8)").set_input_files(
        {"name": "boms.csv", "mimeType": "text/csv", "buffer": good.encode()})
    preview = page.get_by_role("table", name="Bills of materials the file will create")
    expect(preview).to_be_visible()
    expect(report).to_be_hidden()
    expect(preview.locator("tbody tr")).to_have_count(1)
    expect(preview).to_contain_text("Beeswax pellets - 1 kg")
    expect(preview).to_contain_text("Cotton wick - 10 pack")
    screenshot(page, "bom-import-preview")
    assert not [b for b in demo_site.api.call("GET", "/boms")["items"] if b["name"] == "Imported candle"]

    page.get_by_role("button", name="Import 1 bill of materials").click()
    page.wait_for_url(re.compile(r"/boms$"))
    expect(page.get_by_role("link", name="Imported candle")).to_be_visible()
    [bom] = [b for b in demo_site.api.call("GET", "/boms")["items"] if b["name"] == "Imported candle"]
    assert (bom["outputVariantId"], bom["holdDays"], [line["sku"] for line in bom["lines"]]) == (
        CANDLE, 2, ["DEMO-8002", "DEMO-8003"])
