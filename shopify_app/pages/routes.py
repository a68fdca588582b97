"""The embedded app's pages. Every HTML response says who may frame it.

The pages are data-free shells: the browser fills them from the JSON API with session tokens
(App Bridge's inside the admin, /demo/session-token in demo mode). Every page route goes through
`page`, which authenticates the load first, so the CSP names the verified shop.
"""

import functools
import re
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, render_template, request, url_for

from ..auth.page_load import AdminShell, authenticate_page_load
from ..shops.models import Shop

bp = Blueprint("pages", __name__)

# Admin's `host` parameter: base64 of the admin URL. Anything else is not passed on to links.
_HOST = re.compile(r"^[A-Za-z0-9+/=_-]{1,512}$")
BOMS_PATH = "/boms"


@bp.after_app_request
def frame_ancestors(response):
    """Only the shop's admin may frame our HTML; with no verified shop, nobody may."""
    if response.mimetype == "text/html":
        shop = g.get("csp_shop")
        ancestors = f"https://{shop} https://admin.shopify.com" if shop else "'none'"
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors};"
    return response


def page(view):
    """Authenticate the page load first; outside Shopify (and outside demo mode), say what this is."""

    @functools.wraps(view)
    def wrapper(**kwargs):
        result = authenticate_page_load()
        if isinstance(result, AdminShell):
            g.page_shop_domain = result.shop_domain  # validated only: the shell shows nothing of the shop
            return view(**kwargs)
        if result is not None and not isinstance(result, Shop):
            return result  # a redirect (bounce for a fresh token, or the code-grant install)
        if result is None and not current_app.config.get("DEMO_MODE"):
            return render_template("home.html")
        g.page_shop_domain = result.domain if result else None
        return view(**kwargs)

    return wrapper


def _embed_query(shop_domain: str | None, demo: bool) -> str:
    """What in-app links carry inside the admin: enough for App Bridge and for the shell's frame-ancestors."""
    if shop_domain is None or demo:
        return ""
    params = {"embedded": "1", "shop": shop_domain}  # verified, or validated as a myshopify.com domain
    host = request.args.get("host", "")
    if _HOST.match(host):
        params["host"] = host
    return urlencode(params)


def _boms_url() -> str | None:
    """The BOM page, once the app has one."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint == "pages.boms" or (rule.rule == BOMS_PATH and "GET" in rule.methods):
            return rule.rule
    return None


def render_page(template: str, active: str, **context):
    """A page of the app: App Bridge and its nav menu inside the admin, a demo banner in demo mode."""
    demo = bool(current_app.config.get("DEMO_MODE"))
    embed_query = _embed_query(g.page_shop_domain, demo)

    def page_url(endpoint: str, **values) -> str:
        url = url_for(endpoint, **values)
        return f"{url}?{embed_query}" if embed_query else url

    nav = [("orders", "Production orders", "/")]
    boms = _boms_url()
    if boms:
        nav.append(("boms", "BOMs", boms))
    nav.append(("remainders", "Remainders", url_for("pages.remainders")))
    nav.append(("settings", "Settings", url_for("pages.settings")))
    if demo:
        from ..devshop import DEMO_SHOP

        shop_domain = DEMO_SHOP
        nav.append(("inventory", "Demo inventory", url_for("pages.demo_inventory")))
    else:
        shop_domain = g.page_shop_domain
    return render_template(
        template, active=active, nav=nav, demo=demo, embedded=not demo, shop_domain=shop_domain,
        api_key=current_app.config["SHOPIFY_API_KEY"], embed_query=embed_query, page_url=page_url, **context,
    )


@bp.get("/")
@page
def home():
    """App home: the order list (in demo mode, the demo shop's, with no parameters needed)."""
    return render_page("orders/list.html", "orders")


@bp.get("/orders/new")
@page
def new_order():
    """The form for a new draft order."""
    return render_page("orders/form.html", "orders", order_id=None)


@bp.get("/orders/<id:order_id>")
@page
def order_detail(order_id: int):
    """One order: its actions, components, sync state and history (filled by the API)."""
    return render_page("orders/detail.html", "orders", order_id=order_id)


@bp.get("/orders/<id:order_id>/edit")
@page
def edit_order(order_id: int):
    """The form for an existing order (filled by the API; read-only orders say so)."""
    return render_page("orders/form.html", "orders", order_id=order_id)


@bp.get(BOMS_PATH)
@page
def boms():
    """The shop's bills of materials: active or not, what each makes, how many materials."""
    return render_page("boms/list.html", "boms")


@bp.get("/boms/new")
@page
def new_bom():
    """The editor for a new bill of materials."""
    return render_page("boms/form.html", "boms", bom_id=None)


@bp.get("/boms/import")
@page
def import_boms():
    """Import bills of materials from a CSV file: a preview first, then all of them or none."""
    return render_page("boms/import.html", "boms")


@bp.get("/boms/<id:bom_id>")
@page
def edit_bom(bom_id: int):
    """The editor for an existing bill of materials (filled by the API)."""
    return render_page("boms/form.html", "boms", bom_id=bom_id)


@bp.get("/remainders")
@page
def remainders():
    """Accounts with a carried fraction: what the app counts that Shopify's whole units do not yet."""
    return render_page("remainders.html", "remainders")


@bp.get("/settings")
@page
def settings():
    """The shop's settings: default sync, default location, sync mode."""
    return render_page("settings.html", "settings")


@page
def demo_inventory():
    """Demo mode only: the fake store's stock, to see what completed orders changed."""
    return render_page("demo_inventory.html", "inventory")


@bp.record_once
def _register_demo_pages(state):
    # The demo store's page exists only when the app runs in demo mode.
    if state.app.config.get("DEMO_MODE"):
        state.add_url_rule("/demo-inventory", "demo_inventory", demo_inventory, methods=["GET"])
