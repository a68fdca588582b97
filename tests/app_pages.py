"""Every page of the app, with the demo data each needs (issue #14 item 4): one list, shared by the
page-quality tests, the screenshots and bench/page_vitals.py.

`PageCatalogue(site)` works on anything with a `DemoApi`-like `api` and a `delete_all_orders()` (the
browser tests' DemoSite, or an embedded simulation's equivalent); it creates the orders and the BOM a
page needs the first time that page is asked for, and again after the empty list removed them.
"""

import re
from dataclasses import dataclass

from .browser_support import CANDLE, JAR, WAX, WICK

READY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class AppPage:
    name: str  # also the screenshot's file name and the bench's row
    path: str
    heading: str  # the page's h1 once its data has loaded
    status: int = 200
    ready_text: str | None = None  # text that shows only once the page's data has arrived


# Names in the order the tests and the bench visit them. The empty list comes first: it empties the
# shop, and the pages after it create their data again.
PAGE_NAMES = [
    "order-list-empty", "order-list", "order-new", "order-draft", "order-in-progress", "order-completed",
    "order-cancelled", "order-edit", "bom-list", "bom-new", "bom-edit", "bom-import", "remainders", "settings",
    "demo-inventory", "not-found",
]
# Pages that exist only in demo mode (not in an embedded simulation).
DEMO_ONLY = {"demo-inventory"}
# Pages whose content comes from the database (the ones worth visiting on PostgreSQL too).
DATA_PAGES = {"order-list", "order-draft", "order-in-progress", "order-completed", "order-cancelled",
              "order-edit", "bom-list", "bom-edit", "remainders"}

CANDLE_LINE = {"variantId": CANDLE, "title": "Beeswax candle - Large", "quantityPlanned": 10}
JAR_LINE = {"variantId": JAR, "title": "Amber glass jar", "quantityPlanned": 4}
CANDLE_BOM = {
    "name": "Large beeswax candle", "outputVariantId": CANDLE, "outputTitle": "Beeswax candle - Large",
    "lines": [{"variantId": WAX, "title": "Beeswax", "quantityPerUnit": 0.25},
              {"variantId": WICK, "title": "Cotton wick", "quantityPerUnit": 1}],
}


class PageCatalogue:
    """The app's pages on one site, each with the data it shows."""

    def __init__(self, site, prefix: str = "PO-PAGES"):
        self.site, self.api, self.prefix = site, site.api, prefix
        self._orders: dict[str, dict] = {}
        self._bom: dict | None = None
        self._serial = 0

    # -------------------------------------------------------------- data

    def _reference(self, status: str) -> str:
        self._serial += 1
        return f"{self.prefix}-{status.upper().replace('_', '-')}-{self._serial}"

    def order(self, status: str) -> dict:
        """An order of the demo shop in `status` (draft, in_progress, completed, cancelled)."""
        if status not in self._orders:
            api = self.api
            order = api.create_order(self._reference(status), [CANDLE_LINE, JAR_LINE])
            if status in ("in_progress", "completed"):
                order = api.transition(order, "start")
                order = api.record_produced(order, {CANDLE: 7, JAR: 4})
            if status == "completed":
                order = api.transition(order, "complete")
            if status == "cancelled":
                order = api.transition(order, "cancel")
            self._orders[status] = order
        return self._orders[status]

    def bom(self) -> dict:
        if self._bom is None:
            self._bom = self.api.call("POST", "/boms", CANDLE_BOM)
        return self._bom

    def empty_the_shop(self) -> None:
        self.site.delete_all_orders()
        self._orders.clear()

    # -------------------------------------------------------------- pages

    def prepare(self, name: str) -> AppPage:
        """The page called `name`, with its data in place."""
        if name == "order-list-empty":
            self.empty_the_shop()
            return AppPage(name, "/", "Production orders", ready_text="Plan your first production order")
        if name == "order-list":
            orders = [self.order(status) for status in ("draft", "in_progress", "completed", "cancelled")]
            return AppPage(name, "/", "Production orders", ready_text=orders[0]["reference"])
        if name == "order-new":
            return AppPage(name, "/orders/new", "New production order")
        if name.startswith("order-") and name != "order-edit":
            status = name.removeprefix("order-").replace("-", "_")
            order = self.order(status)
            return AppPage(name, f"/orders/{order['id']}", order["reference"], ready_text="Beeswax candle - Large")
        if name == "order-edit":
            order = self.order("draft")
            return AppPage(name, f"/orders/{order['id']}/edit", f"Edit {order['reference']}")
        if name == "bom-list":
            return AppPage(name, "/boms", "Bills of materials", ready_text=self.bom()["name"])
        if name == "bom-new":
            return AppPage(name, "/boms/new", "New bill of materials")
        if name == "bom-edit":
            bom = self.bom()
            return AppPage(name, f"/boms/{bom['id']}", f"Edit {bom['name']}")
        if name == "bom-import":
            return AppPage(name, "/boms/import", "Import bills of materials")
        if name == "remainders":
            return AppPage(name, "/remainders", "Remainders")
        if name == "settings":
            return AppPage(name, "/settings", "Settings")
        if name == "demo-inventory":
            return AppPage(name, "/demo-inventory", "Demo store inventory", ready_text="Beeswax candle - Large")
        if name == "not-found":
            return AppPage(name, "/no-such-page", "This page does not exist", status=404)
        raise KeyError(name)


# ------------------------------------------------------------------ in the browser


def open_page(page, base_url: str, app_page: AppPage, query: str = ""):
    """Load the page (with `query`, e.g. the admin's parameters when embedded) and wait until its data
    is shown and the network is quiet; returns the document's response."""
    from playwright.sync_api import expect

    url = base_url + app_page.path + (f"?{query}" if query else "")  # no page path carries a query
    response = page.goto(url)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(app_page.heading, timeout=READY_TIMEOUT_MS)
    if app_page.ready_text:
        expect(page.get_by_text(app_page.ready_text, exact=False).first).to_be_visible(timeout=READY_TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    return response


def _first_visible(candidates):
    for locator in candidates:
        if locator.count() and locator.first.is_visible():
            return locator.first
    return None


# A status filter on the list; otherwise a tap on the page's heading followed by Tab (moves focus and
# paints a focus ring, and changes nothing a later navigation would have to ask about).
def interact(page) -> None:
    """A representative interaction for INP that leaves the page's data and forms unchanged."""
    status_filter = _first_visible([page.get_by_role("button", name="Draft", exact=True),
                                    page.get_by_role("tab", name=re.compile(r"^Draft"))])
    if status_filter is not None:
        status_filter.click()
        page.wait_for_load_state("networkidle")
        return
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("Tab")

