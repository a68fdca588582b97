"""Every page, measured in the browser (SPEC §7; issue #14 items 4 and 5), in demo mode.

For each page of tests/app_pages.py: no console error or uncaught exception (the `page` fixture fails
the test at teardown), no serious or critical axe-core violation, no horizontal scrolling at 390 px,
and Web Vitals that can be collected (an LCP entry, a numeric CLS, an event-timing entry for an
interaction). The figures themselves are printed by bench/page_vitals.py; nothing here is timed.
Pages whose content comes from the database are checked again on PostgreSQL, and every page again in
an embedded simulation (tests/embedded_simulation.py: the app outside demo mode, App Bridge's URL
routed to a stand-in). The main flow is driven with the keyboard alone, and a reference holding
U+202E must be isolated wherever it is shown.
"""

import re

import pytest

from .app_pages import DATA_PAGES, DEMO_ONLY, PAGE_NAMES, PageCatalogue, interact, open_page
from .browser_support import JAR, require_browser
from .embedded_simulation import EmbeddedSite, route_app_bridge, served_embedded
from .page_metrics import (
    axe_violations, blocking, describe, install_collectors, interaction_durations, phone_overflow, read_vitals,
    require_axe, screenshot_widths, wait_for_interaction_entry,
)

require_browser()

from playwright.sync_api import expect  # noqa: E402  (only once the browser is known to be there)

EMBEDDED = [pytest.param("embedded", name, id=f"embedded-{name}") for name in PAGE_NAMES if name not in DEMO_ONLY]
SITES = [pytest.param("sqlite", name, id=f"sqlite-{name}") for name in PAGE_NAMES] + [
    pytest.param("postgresql", name, id=f"postgresql-{name}", marks=pytest.mark.postgres)
    for name in PAGE_NAMES if name in DATA_PAGES
] + EMBEDDED
RTL_OVERRIDE = "\u202e"
ISOLATING = {"isolate", "isolate-override", "plaintext"}


@pytest.fixture(scope="module")
def catalogues():
    return {}


@pytest.fixture(scope="module")
def embedded_site(tmp_path_factory):
    with served_embedded(tmp_path_factory.mktemp("embedded")) as site:
        yield site


@pytest.fixture
def site(request, demo_site):
    """The site a parametrized test names: the demo on SQLite (the session's) or PostgreSQL, or embedded."""
    if request.param == "sqlite":
        return demo_site
    return request.getfixturevalue("pg_demo_site" if request.param == "postgresql" else "embedded_site")


@pytest.fixture(autouse=True)
def fresh_variant_cache():
    """Both demo stores serve the same shop domain; what one said about a variant must not answer for
    the other (see browser_support.each_database)."""
    from shopify_app.sync import inventory_items

    inventory_items._cache.clear()
    yield
    inventory_items._cache.clear()


def catalogue_for(catalogues, site) -> PageCatalogue:
    if site.url not in catalogues:
        catalogues[site.url] = PageCatalogue(site)
    return catalogues[site.url]


def load(page, site, catalogues, page_watch, name: str):
    """Open the named page of `site` with its data, checking the document's HTTP status."""
    app_page = catalogue_for(catalogues, site).prepare(name)
    if app_page.status != 200:
        page_watch.allow_http_errors(app_page.status)  # the browser logs the document's own 404
    query = ""
    if isinstance(site, EmbeddedSite):
        route_app_bridge(page, site)
        query = site.page_query()
    response = open_page(page, site.url, app_page, query)
    assert response.status == app_page.status
    return app_page


# ------------------------------------------------------------------ every page


@pytest.mark.parametrize(("site", "name"), SITES, indirect=["site"])
def test_a_page_has_no_serious_accessibility_violation_and_fits_390_px(page, site, catalogues, page_watch, name):
    require_axe()
    load(page, site, catalogues, page_watch, name)
    violations = blocking(axe_violations(page))
    assert not violations, f"{name}: serious or critical axe-core violations:\n{describe(violations)}"

    overflow = phone_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], (
        f"{name} scrolls sideways at 390 px ({overflow['scrollWidth']} > {overflow['innerWidth']}): {overflow['wide']}")
    violations = blocking(axe_violations(page))  # the narrow layout hides and wraps things of its own
    assert not violations, f"{name} at 390 px: serious or critical axe-core violations:\n{describe(violations)}"


@pytest.mark.parametrize(("site", "name"), [pytest.param("sqlite", name, id=f"sqlite-{name}") for name in PAGE_NAMES]
                         + EMBEDDED, indirect=["site"])
def test_a_pages_web_vitals_can_be_collected(page, site, catalogues, page_watch, name):
    install_collectors(page)
    load(page, site, catalogues, page_watch, name)
    vitals = read_vitals(page)
    assert vitals.unsupported == []
    assert vitals.lcp_entries, f"{name}: no largest-contentful-paint entry"
    assert vitals.lcp_ms > 0
    assert isinstance(vitals.cls, float) and vitals.cls >= 0

    interact(page)
    assert wait_for_interaction_entry(page), f"{name}: the interaction left no event-timing entry"
    durations = interaction_durations(read_vitals(page).events)
    assert durations, f"{name}: the interaction left no event-timing entry"
    assert all(duration >= 0 for duration in durations)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_screenshots_of_every_page_at_1280_and_390_px(page, demo_site, catalogues, page_watch, name):
    load(page, demo_site, catalogues, page_watch, name)
    for path in screenshot_widths(page, f"page-{name}"):  # page-*: the flows' own screenshots keep their names
        assert path.stat().st_size > 0


# ------------------------------------------------------------------ keyboard only


FOCUS_RING_JS = """
(element) => {
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return outline || shadow;
}
"""


def is_focused(locator) -> bool:
    return locator.evaluate_all("(elements) => elements.includes(document.activeElement)")


def tab_to(page, locator, limit: int = 60) -> None:
    """Press Tab until one of `locator`'s elements has focus (Shift+Tab from there if Tab never got
    there), then check that it shows a focus ring."""
    for key in ("Tab", "Shift+Tab"):
        for _ in range(limit):
            if is_focused(locator):
                assert page.evaluate(f"({FOCUS_RING_JS})(document.activeElement)"), (
                    f"no visible focus ring on {page.evaluate('document.activeElement.outerHTML.slice(0, 200)')}")
                return
            page.keyboard.press(key)
    raise AssertionError(f"neither Tab nor Shift+Tab reached {locator}")


def press_on(page, locator, key: str = "Enter") -> None:
    tab_to(page, locator)
    page.keyboard.press(key)


def test_the_main_flow_works_with_the_keyboard_alone(page, demo_site):
    reference = "PO-KEYBOARD-FLOW"
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Production orders")
    page.wait_for_load_state("networkidle")

    # Create: the list's button, a reference, one component by variant ID, save as a draft.
    press_on(page, page.get_by_role("link", name="Create production order"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New production order")
    tab_to(page, page.get_by_label("Reference"))
    page.keyboard.type(reference)
    press_on(page, page.get_by_role("button", name="Add by variant ID"))
    tab_to(page, page.get_by_label("Variant ID"))
    page.keyboard.type(JAR)
    tab_to(page, page.get_by_label("Planned quantity"))
    page.keyboard.type("5")
    press_on(page, page.get_by_role("button", name="Save as draft"))
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))

    # Start it.
    press_on(page, page.get_by_role("button", name="Start order"))
    expect(page.get_by_role("button", name="Mark complete")).to_be_visible()

    # A confirmation opened by mistake closes with Escape and changes nothing.
    press_on(page, page.get_by_role("button", name="Cancel", exact=True))
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Mark complete")).to_be_visible()

    # Record what was produced.
    press_on(page, page.get_by_role("link", name="Record produced quantities"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {reference}")
    tab_to(page, page.get_by_label("Produced quantity"))
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("4")
    press_on(page, page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))

    # Complete, through the confirmation (Space on its button this time).
    press_on(page, page.get_by_role("button", name="Mark complete"))
    dialog = page.get_by_role("dialog", name=re.compile("complete", re.IGNORECASE))
    expect(dialog).to_be_visible()
    press_on(page, dialog.get_by_role("button", name="Mark complete"), key="Space")
    expect(page.get_by_role("main").get_by_text("Completed", exact=True).first).to_be_visible()
    for name in ("Start order", "Mark complete"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)

    order_id = int(page.url.rsplit("/", 1)[1])
    order = demo_site.api.order(order_id)
    assert order["status"] == "completed"
    assert [c["quantityProduced"] for c in order["components"]] == [4]


# ------------------------------------------------------------------ merchant text is isolated


# The closest element around the text that wraps nothing but it must be <bdi> or isolate: then the
# override ends at that element's edge instead of reordering what follows it.
ISOLATION_JS = """
([text, isolating]) => {
  const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.data.includes(text)) continue;
    let element = node.parentElement, isolated = false;
    while (element && element.textContent.trim() === text) {
      if (element.localName === "bdi" || isolating.includes(getComputedStyle(element).unicodeBidi)) { isolated = true; break; }
      element = element.parentElement;
    }
    found.push({ isolated, where: node.parentElement.outerHTML.slice(0, 160) });
  }
  return found;
}
"""


def assert_isolated_wherever_shown(page, text: str, where: str) -> None:
    places = page.evaluate(ISOLATION_JS, [text, sorted(ISOLATING)])
    assert places, f"{where}: {text!r} is not shown"
    loose = [place["where"] for place in places if not place["isolated"]]
    assert not loose, f"{where}: merchant text not isolated (no <bdi> or unicode-bidi: isolate around it) in:\n" + \
        "\n".join(map(ascii, loose))


def test_a_reference_holding_a_right_to_left_override_is_isolated_on_the_list_and_the_detail(page, demo_site):
    reference = f"PO-{RTL_OVERRIDE}BIDI-1"
    order = demo_site.api.create_order(reference, [{"variantId": JAR, "quantityPlanned": 1}])

    page.goto("/")
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    assert_isolated_wherever_shown(page, reference, "order list")

    page.goto(f"/orders/{order['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    page.wait_for_load_state("networkidle")
    assert_isolated_wherever_shown(page, reference, "order detail")
