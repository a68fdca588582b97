"""Merchant text is isolated on the pages (SPEC §7, issue #14): a reference or BOM name holding U+202E
(right-to-left override) shows as itself without reordering the words around it. And the Polaris
patterns behave: index table rows open their record, the order list fits a phone, skeletons stand in
while the first API call runs. In demo mode, on SQLite and PostgreSQL."""

import re

import pytest

from .browser_support import BOTH_DATABASES, CANDLE, WAX, each_database, require_browser, screenshot

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses what follows it, up to the end of its paragraph
PHONE = {"width": 390, "height": 844}

# Where the text right after the element's first <bdi> is drawn, against the <bdi> itself.
GEOMETRY = """(element) => {
  const bdi = element.querySelector("bdi");
  const box = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return range.getBoundingClientRect();
  };
  const before = bdi.previousSibling, after = bdi.nextSibling;
  return {
    isolated: getComputedStyle(bdi).unicodeBidi,
    bdi: bdi.getBoundingClientRect().toJSON(),
    before: before && before.nodeType === Node.TEXT_NODE ? box(before, 0, before.length).toJSON() : null,
    after: after && after.nodeType === Node.TEXT_NODE ? box(after, 0, Math.min(3, after.length)).toJSON() : null,
  };
}"""


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def demo_site(request, demo_site):
    """The demo on SQLite (conftest's `demo_site`), then on PostgreSQL."""
    yield from each_database(request, demo_site)


def assert_reads_in_order(locator, merchant_text):
    """The <bdi> holds the merchant's text; the label before it stays left, the words after stay right."""
    expect(locator.locator("bdi").first).to_have_text(merchant_text)
    shape = locator.evaluate(GEOMETRY)
    assert shape["isolated"] == "isolate"
    if shape["before"]:
        assert shape["before"]["right"] <= shape["bdi"]["left"] + 1, shape
    if shape["after"]:
        assert shape["after"]["left"] >= shape["bdi"]["right"] - 1, shape


def test_a_reference_with_a_direction_override_does_not_reorder_the_page(page, demo_site):
    api = demo_site.api
    reference = f"{RLO}RTL-{demo_site.url[-5:]}"
    title = f"{RLO}Candle RTL"
    order = api.create_order(reference, [{"variantId": CANDLE, "title": title, "quantityPlanned": 2,
                                          "materials": [{"variantId": WAX, "title": f"{RLO}Wax RTL", "quantityPerUnit": 1}]}])

    page.goto(f"/orders/{order['id']}")
    expect(page.locator("#order-status")).to_have_text("Draft")
    assert_reads_in_order(page.locator("#order-title"), reference)
    materials = page.locator("#components-body li").first
    assert_reads_in_order(materials, f"{RLO}Wax RTL")  # "1 × " stays left of the material's title
    expect(page.locator("#history")).to_contain_text(title)
    screenshot(page, "merchant-text-isolated")

    cancelled = api.transition(order, "cancel")
    page.goto(f"/orders/{cancelled['id']}/edit")
    # "<reference> is cancelled: …": without isolation the override would draw " is cancelled" reversed,
    # left of the reference.
    notice = page.locator("#read-only-text")
    expect(notice).to_contain_text("is cancelled")
    assert_reads_in_order(notice, reference)

    page.goto(f"/?q={reference[1:]}")
    link = page.get_by_role("link", name=reference)
    expect(link).to_be_visible()
    assert link.locator("bdi").count() == 1


def test_a_server_message_quoting_such_a_reference_isolates_it(page, demo_site, page_watch):
    page_watch.allow_http_errors(422)  # the duplicate reference, refused on purpose
    reference = f"{RLO}DUP-{demo_site.url[-5:]}"
    demo_site.api.create_order(reference)
    page.goto("/orders/new")
    page.get_by_label("Reference").fill(reference)
    page.get_by_role("button", name="Save as draft").click()
    title = page.locator(".banner__title")
    expect(title).to_have_text(f"Another production order already uses the reference “{reference}”.")
    assert_reads_in_order(title, reference)  # the closing quote and full stop stay right of it


def test_a_bom_name_with_a_direction_override_stays_isolated(page, demo_site):
    name = f"{RLO}BOM RTL {demo_site.url[-5:]}"
    bom = demo_site.api.call("POST", "/boms", {"name": name, "outputVariantId": CANDLE,
                                               "lines": [{"variantId": WAX, "quantityPerUnit": 1}]})
    page.goto("/boms")
    expect(page.get_by_role("link", name=name).locator("bdi")).to_have_text(name)

    page.goto(f"/boms/{bom['id']}")
    title = page.locator("#form-title")
    expect(title).to_have_text(f"Edit {name}")
    assert_reads_in_order(title, name)  # "Edit " stays left of the name
    page.get_by_role("button", name="Delete", exact=True).click()
    question = page.get_by_role("dialog").get_by_role("heading")
    expect(question).to_have_text(f"Delete {name}?")
    assert_reads_in_order(question, name)  # the "?" stays right of the name


def test_an_order_row_opens_the_order_from_anywhere_on_it(page, demo_site):
    order = demo_site.api.create_order(f"PO-ROW-{demo_site.url[-5:]}")
    page.goto(f"/?q={order['reference']}")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=order["reference"]))
    row.get_by_role("cell").first.click()  # the status cell, not the link
    expect(page).to_have_url(re.compile(rf"/orders/{order['id']}\b"))
    expect(page.locator("#order-title")).to_have_text(order["reference"])


def test_the_order_list_fits_a_phone_on_identifying_columns(page, demo_site):
    order = demo_site.api.create_order(f"PO-PHONE-{demo_site.url[-5:]}", [{"variantId": CANDLE, "quantityPlanned": 1}])
    page.set_viewport_size(PHONE)
    page.goto(f"/?q={order['reference']}")
    expect(page.get_by_role("link", name=order["reference"])).to_be_visible()
    headers = page.locator("#orders-table thead th:visible")
    expect(headers).to_have_text(["Reference", "Status", "Products"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator(".table-wrap").first.evaluate("(wrap) => wrap.scrollWidth <= wrap.clientWidth")
    screenshot(page, "order-list-phone")


def test_a_skeleton_holds_the_place_of_the_list_until_the_api_answers(page, demo_site):
    held, released = [], []

    def hold(route):
        (route.continue_() if released else held.append(route))

    page.route("**/api/production-orders?*", hold)
    page.goto("/")
    skeleton = page.locator("#orders-loading")
    expect(skeleton).to_be_visible()
    expect(skeleton).to_have_attribute("role", "status")
    expect(skeleton).to_contain_text("Loading orders…")
    assert skeleton.locator(".skeleton__row").count() >= 3
    expect(page.locator("#orders-table:visible, #empty-all:visible")).to_have_count(0)
    released.append(True)
    for route in held:
        route.continue_()
    expect(skeleton).to_be_hidden()
