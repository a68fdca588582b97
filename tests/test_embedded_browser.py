"""Inside the admin (issue #14): App Bridge's chrome and one document load per navigation.

The app runs in embedded mode against the loopback fake store, with tests/app_bridge_double.js in
place of App Bridge (tests/embedded_support.py). The double records what the page asked of the admin
and clicks what the merchant would click there: title bar actions, modal buttons, save bar buttons.
"""

import re

import pytest

from .browser_support import BOTH_DATABASES, WICK, require_browser
from .embedded_support import (  # noqa: F401  (fixtures)
    app_bridge_calls, each_embedded_database, embedded_page, open_in_admin, pg_embedded_site, sqlite_embedded_site,
)

require_browser()
from playwright.sync_api import expect  # noqa: E402


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def embedded_site(request):
    """The embedded app on SQLite, then on PostgreSQL; each has its own fake store."""
    yield from each_embedded_database(request)


def title_bar(page) -> dict:
    return page.evaluate("window.__appBridge.titleBar()")


def labels(bar: dict) -> list[str]:
    return [action["label"] for action in bar["actions"]]


def wait_for_call(page, name: str, **match):
    """Wait until the page made an App Bridge call `name` whose fields include `match`."""
    page.wait_for_function("([name, match]) => window.__appBridge.calls.some((call) => call.name === name"
                           " && Object.entries(match).every(([k, v]) => call[k] === v))", arg=[name, match])


def test_an_in_app_link_is_one_document_load_and_the_api_uses_app_bridges_tokens(embedded_page, embedded_site):
    page, site = embedded_page, embedded_site
    order = site.api.create_order("PO-EMB-LINK")
    open_in_admin(page, site, "/")  # the admin's first load: id_token, token exchange on first use
    link = page.get_by_role("link", name="PO-EMB-LINK")
    expect(link).to_be_visible()
    assert app_bridge_calls(page, "idToken")  # the list came from the API with App Bridge's token

    documents = []
    page.on("request", lambda request: documents.append(request) if request.resource_type == "document" else None)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PO-EMB-LINK")
    page.wait_for_load_state("networkidle")
    assert len(documents) == 1, [d.url for d in documents]  # no bounce through a session-token page
    [document] = documents
    assert document.redirected_from is None and document.response().status == 200
    assert re.search(rf"/orders/{order['id']}\?", document.url) and "id_token" not in document.url
    assert "embedded=1" in document.url and f"shop={site.shop}" in document.url
    assert app_bridge_calls(page, "idToken")


def test_the_title_bar_follows_the_status_and_confirmations_are_app_bridge_modals(embedded_page, embedded_site):
    page, site = embedded_page, embedded_site
    order = site.api.create_order("PO-EMB-1", [{"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPlanned": 2}],
                                  syncProductionOrderToShopify=False)
    page.goto(site.in_app(f"/orders/{order['id']}"))
    expect(page.locator("#order-status")).to_have_text("Draft")
    bar = title_bar(page)
    # Titles are plain text in the admin: merchant text sits between Unicode's isolate marks (FSI … PDI).
    assert bar["title"] == "\u2068PO-EMB-1\u2069"
    assert labels(bar) == ["Production orders", "Edit", "Cancel", "Start order"]
    assert [a["variant"] for a in bar["actions"]] == ["breadcrumb", "secondary", "secondary", "primary"]
    assert bar["actions"][2]["tone"] == "critical"

    page.evaluate("window.__appBridge.clickTitleBar('Start order')")
    expect(page.locator("#order-status")).to_have_text("In progress")
    wait_for_call(page, "toast.show", message="Order started.", isError=False)
    bar = title_bar(page)
    assert labels(bar) == ["Production orders", "Edit order", "Cancel", "Mark complete"]

    # Cancel asks in an App Bridge modal; keeping the order, or closing the modal, changes nothing.
    page.evaluate("window.__appBridge.clickTitleBar('Cancel')")
    wait_for_call(page, "modal.show", id="cancel-dialog", title="Cancel \u2068PO-EMB-1\u2069?")
    page.evaluate("window.__appBridge.clickModal('cancel-dialog', 'Keep order')")
    page.wait_for_function("window.__appBridge.openModals().length === 0")
    page.evaluate("window.__appBridge.clickTitleBar('Cancel')")
    page.wait_for_function("window.__appBridge.openModals().includes('cancel-dialog')")
    page.evaluate("window.__appBridge.closeModal('cancel-dialog')")
    page.wait_for_function("window.__appBridge.openModals().length === 0")
    expect(page.locator("#order-status")).to_have_text("In progress")
    assert site.api.order(order["id"])["status"] == "in_progress"

    # Mark complete: the modal's primary action completes it, and a toast says so.
    page.evaluate("window.__appBridge.clickTitleBar('Mark complete')")
    wait_for_call(page, "modal.show", id="complete-dialog", title="Mark \u2068PO-EMB-1\u2069 complete?")
    [shown] = [c for c in app_bridge_calls(page, "modal.show") if c["id"] == "complete-dialog"]
    assert [(a["label"], a["variant"]) for a in shown["actions"]] == [("Not yet", "secondary"), ("Mark complete", "primary")]
    page.evaluate("window.__appBridge.clickModal('complete-dialog', 'Mark complete')")
    expect(page.locator("#order-status")).to_have_text("Completed")
    wait_for_call(page, "toast.show", message="Order completed.")
    assert labels(title_bar(page)) == ["Production orders"]  # read-only: no actions left


def test_the_order_form_adds_products_from_app_bridges_resource_picker(embedded_page, embedded_site):
    page, site = embedded_page, embedded_site
    page.goto(site.in_app("/orders/new"))
    expect(page.get_by_label("Reference")).to_be_focused()
    page.get_by_label("Reference").fill("PO-EMB-PICK")
    page.evaluate("window.__appBridge.pickNext([{id: 'gid://shopify/ProductVariant/8003',"
                  " displayName: 'Cotton wick - 10 pack', sku: 'DEMO-8003'}])")
    page.get_by_role("button", name="Choose products").click()
    row = page.locator("#components > li").nth(0)
    expect(row.get_by_label("Planned quantity")).to_be_focused()
    assert app_bridge_calls(page, "resourcePicker") == [{"name": "resourcePicker", "type": "variant", "multiple": True}]
    row.get_by_label("Planned quantity").fill("3")
    page.evaluate("window.__appBridge.clickSaveBar('order-save-bar', 'save')")
    expect(page.get_by_role("heading", level=1)).to_have_text("PO-EMB-PICK")
    wait_for_call(page, "toast.show", message="Production order PO-EMB-PICK created as a draft.")
    [item] = [o for o in site.api.call("GET", "/production-orders?q=PO-EMB-PICK")["items"]]
    [component] = site.api.order(item["id"])["components"]
    assert (component["variantId"], component["title"], component["quantityPlanned"]) == (WICK, "Cotton wick - 10 pack", 3)


def test_the_settings_save_bar_shows_on_edit_discards_and_saves(embedded_page, embedded_site):
    page, site = embedded_page, embedded_site
    before = site.api.put_settings(False, None)
    page.goto(site.in_app("/settings"))
    sync_default = page.get_by_label("Update Shopify inventory from production orders by default")
    expect(sync_default).not_to_be_checked()
    assert app_bridge_calls(page, "saveBar.show") == []  # loading the form is not an edit

    sync_default.check()
    wait_for_call(page, "saveBar.show", id="settings-save-bar")
    page.evaluate("window.__appBridge.clickSaveBar('settings-save-bar', 'discard')")
    expect(sync_default).not_to_be_checked()
    assert page.evaluate("window.__appBridge.shownSaveBars()") == []

    sync_default.check()
    page.evaluate("window.__appBridge.clickSaveBar('settings-save-bar', 'save')")
    wait_for_call(page, "toast.show", isError=False)
    assert "Settings saved." in app_bridge_calls(page, "toast.show")[-1]["message"]
    assert page.evaluate("window.__appBridge.shownSaveBars()") == []
    assert site.api.call("GET", "/settings")["syncProductionOrdersToShopifyByDefault"] is True
    site.api.put_settings(before["syncProductionOrdersToShopifyByDefault"], before["defaultLocationId"])


def test_the_order_form_save_bar_discards_saves_and_asks_before_leaving(embedded_page, embedded_site):
    page, site = embedded_page, embedded_site
    order = site.api.create_order("PO-EMB-FORM", notes="before")
    page.goto(site.in_app(f"/orders/{order['id']}/edit"))
    notes = page.get_by_label("Notes")
    expect(notes).to_have_value("before")

    notes.fill("after")
    wait_for_call(page, "saveBar.show", id="order-save-bar")
    page.evaluate("window.__appBridge.clickSaveBar('order-save-bar', 'discard')")
    expect(notes).to_have_value("before")
    assert page.evaluate("window.__appBridge.shownSaveBars()") == []

    # An in-app link with unsaved changes waits for App Bridge's leave confirmation.
    notes.fill("after")
    wait_for_call(page, "saveBar.show", id="order-save-bar")
    page.get_by_role("link", name="Back to order").click()
    wait_for_call(page, "saveBar.leaveConfirmation")
    expect(page).to_have_url(re.compile(r"/edit\?"))

    page.evaluate("window.__appBridge.clickSaveBar('order-save-bar', 'save')")
    expect(page.locator("#order-status")).to_have_text("Draft")  # the detail page, after one save
    wait_for_call(page, "toast.show", message="Production order PO-EMB-FORM saved.")
    assert site.api.order(order["id"])["notes"] == "after"


def test_the_bom_form_save_bar_and_the_delete_confirmation(embedded_page, embedded_site):
    page, site = embedded_page, embedded_site
    bom = site.api.call("POST", "/boms", {
        "name": "Embedded BOM", "outputVariantId": "gid://shopify/ProductVariant/8001", "outputTitle": "Candle",
        "lines": [{"variantId": WICK, "title": "Cotton wick - 10 pack", "quantityPerUnit": 1}]}, expect=(201,))
    page.goto(site.in_app(f"/boms/{bom['id']}"))
    name = page.get_by_label("Name")
    expect(name).to_have_value("Embedded BOM")
    assert labels(title_bar(page)) == ["Bills of materials", "Delete"]

    name.fill("Embedded BOM, renamed")
    wait_for_call(page, "saveBar.show", id="bom-save-bar")
    page.evaluate("window.__appBridge.clickSaveBar('bom-save-bar', 'discard')")
    expect(name).to_have_value("Embedded BOM")

    name.fill("Embedded BOM, renamed")
    page.evaluate("window.__appBridge.clickSaveBar('bom-save-bar', 'save')")
    expect(page).to_have_url(re.compile(r"/boms\?"))
    wait_for_call(page, "toast.show", message="Bill of materials Embedded BOM, renamed saved.")

    page.goto(site.in_app(f"/boms/{bom['id']}"))
    expect(page.get_by_label("Name")).to_have_value("Embedded BOM, renamed")
    page.evaluate("window.__appBridge.clickTitleBar('Delete')")
    wait_for_call(page, "modal.show", id="delete-dialog", title="Delete \u2068Embedded BOM, renamed\u2069?")
    page.evaluate("window.__appBridge.clickModal('delete-dialog', 'Delete bill of materials')")
    expect(page).to_have_url(re.compile(r"/boms\?"))
    assert site.api.call("GET", f"/boms/{bom['id']}", expect=(404,))
