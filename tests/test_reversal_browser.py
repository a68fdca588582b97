"""Reversing a completed order as a merchant, in Chromium against the demo (SPEC §11), on SQLite
and on PostgreSQL: "Reverse…" explains what will be sent, the reversal's form refuses more than is
left next to the row and takes less, and once completed the demo store holds what remains.
Screenshots at 1280 and 390 px go to build/screenshots/ (see browser_support)."""

import re
import time
from decimal import ROUND_FLOOR, Decimal

import pytest

from .browser_support import (
    BOTH_DATABASES, CANDLE, SYNC_TIMEOUT_MS, VIEWPORT, WAX, WICK, WORKSHOP, each_database, require_browser,
    screenshot,
)

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def demo_site(request, demo_site):
    """The demo on SQLite (conftest's `demo_site`), then on PostgreSQL; each has its own fake store."""
    yield from each_database(request, demo_site)


def synced_order(api, reference: str, candles: int) -> dict:
    """A completed, synced order: `candles` candles using 0.25 bag of wax and 0.1 pack of wicks each."""
    order = api.create_order(reference, [{
        "variantId": CANDLE, "title": "Beeswax candle - Large", "quantityPlanned": candles,
        "materials": [{"variantId": WAX, "title": "Beeswax pellets", "quantityPerUnit": 0.25},
                      {"variantId": WICK, "title": "Cotton wick", "quantityPerUnit": 0.1}]}],
        locationId=WORKSHOP, syncProductionOrderToShopify=True)
    order = api.transition(order, "start")
    order = api.record_produced(order, {CANDLE: candles})
    order = api.transition(order, "complete")
    deadline = time.monotonic() + SYNC_TIMEOUT_MS / 1000
    while api.order(order["id"])["sync"]["state"] != "synced":
        assert time.monotonic() < deadline, "the original never synced"
        time.sleep(0.1)
    return api.order(order["id"])


def account(api, variant: str) -> tuple[Decimal, int]:
    """The account's (exact, whole) at the workshop: other tests on the shared demo may have left a fraction."""
    items = api.call("GET", f"/accounts?variantId={variant}&locationId={WORKSHOP}")["items"]
    return (Decimal(str(items[0]["exact"])), items[0]["whole"]) if items else (Decimal(0), 0)


def shopify_moves(start: tuple[Decimal, int], change: str) -> int:
    """What Shopify moves by when `change` is added to an account: floor(exact after) − whole before."""
    exact, whole = start
    return int((exact + Decimal(change)).to_integral_value(rounding=ROUND_FLOOR)) - whole


def both_widths(page, name: str, *, full_page: bool = True) -> None:
    screenshot(page, name, full_page=full_page)
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-390", full_page=full_page)
    page.set_viewport_size(VIEWPORT)


def test_a_merchant_reverses_part_of_a_completed_order(page, demo_site, page_watch):
    api = demo_site.api
    page_watch.allow_http_errors(422)
    reference = f"PO-REV-{int(time.time() * 1000) % 100000}"
    before, wax, wick = api.inventory(), account(api, WAX), account(api, WICK)
    original = synced_order(api, reference, 4)
    after_original = api.inventory()
    assert after_original[(CANDLE, WORKSHOP)] == before[(CANDLE, WORKSHOP)] + 4
    assert after_original[(WAX, WORKSHOP)] == before[(WAX, WORKSHOP)] + shopify_moves(wax, "-1")

    # "Reverse…" on the completed order explains what the reversal holds and will send.
    page.goto(f"/orders/{original['id']}")
    expect(page.locator("#order-status")).to_have_text("Completed")
    page.get_by_role("button", name="Reverse…").click()
    dialog = page.get_by_role("dialog", name=f"Reverse {reference}?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("4 pcs Beeswax candle - Large")
    expect(dialog).to_contain_text("Shopify inventory at Workshop changes by the exact opposite")
    changes = dialog.locator("#reverse-changes > li")
    expect(changes).to_have_text(["−4 pcs Beeswax candle - Large", "+1 Beeswax pellets", "+0.4 Cotton wick"])
    both_widths(page, "order-reverse-dialog", full_page=False)  # a modal covers the viewport only
    dialog.get_by_role("button", name="Create reversal").click()

    # The reversal: a draft linked to the original.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{reference}-R1")
    reversal_id = int(page.url.rsplit("/", 1)[1])
    assert reversal_id != original["id"]
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.locator("#fact-type")).to_have_text("Disassembly")
    expect(page.locator("#reversal-card").get_by_role("link", name=reference)).to_be_visible()

    # Edit: more than the original produced is refused next to the row; less is saved.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name=f"Edit {reference}-R1")).to_be_visible()
    expect(page.locator("#reversal-note")).to_contain_text(f"This order reverses {reference}")
    expect(page.get_by_label("Type")).to_be_disabled()
    expect(page.get_by_role("button", name="Add by variant ID")).to_be_hidden()
    row = page.locator("#components > li").nth(0)
    expect(row.get_by_label("Variant ID")).to_be_disabled()
    row.get_by_label("Planned quantity").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    error = row.locator('[data-error="quantityPlanned"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("At most 4 pcs of “Beeswax candle - Large” is left to reverse")
    both_widths(page, "order-reversal-form-refused")
    row.get_by_label("Planned quantity").fill("2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{reversal_id}$"))
    candle_line = page.get_by_role("table", name="Components of this order").get_by_role("row").filter(
        has_text="Beeswax candle - Large")
    expect(candle_line.get_by_role("cell").nth(0)).to_have_text("2 pcs")

    # Start, record, complete: Shopify takes back exactly the reversed part, through the accounts.
    page.get_by_role("button", name="Start order").click()
    expect(page.locator("#order-status")).to_have_text("In progress")
    page.get_by_role("link", name="Record produced quantities").click()
    page.locator("#components > li").nth(0).get_by_label("Produced quantity").fill("2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{reversal_id}$"))
    page.get_by_role("button", name="Mark complete").click()
    page.get_by_role("dialog", name=f"Mark {reference}-R1 complete?").get_by_role("button", name="Mark complete").click()
    expect(page.locator("#sync-badge")).to_have_text("Synced", timeout=SYNC_TIMEOUT_MS)
    now = api.inventory()
    assert now[(CANDLE, WORKSHOP)] == before[(CANDLE, WORKSHOP)] + 2
    # floor of the remaining exact use: from a fresh account, wax −0.5 → −1 (nothing came back), wicks −0.2 → −1.
    assert now[(WAX, WORKSHOP)] == before[(WAX, WORKSHOP)] + shopify_moves(wax, "-0.5")
    assert now[(WICK, WORKSHOP)] == before[(WICK, WORKSHOP)] + shopify_moves(wick, "-0.2")

    # The original lists its reversal and still offers to reverse the 2 candles left.
    page.locator("#reversal-card").get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    card = page.locator("#reversal-card")
    expect(card.get_by_role("link", name=f"{reference}-R1")).to_be_visible()
    expect(card).to_contain_text("completed")
    expect(page.get_by_role("button", name="Reverse…")).to_be_visible()
    expect(page.locator("#history")).to_contain_text(f"Reversed by {reference}-R1")
    page.reload()
    expect(page.locator("#order-status")).to_have_text("Completed")
    expect(page.locator("#history-loading")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    both_widths(page, "order-reversed-by")
