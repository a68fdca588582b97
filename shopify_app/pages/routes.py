"""The embedded app's pages. Every HTML response says who may frame it."""

from flask import Blueprint, current_app, g, render_template

from ..auth.page_load import authenticate_page_load
from ..shops.models import Shop

bp = Blueprint("pages", __name__)


@bp.after_app_request
def frame_ancestors(response):
    """Only the shop's admin may frame our HTML; with no verified shop, nobody may."""
    if response.mimetype == "text/html":
        shop = g.get("csp_shop")
        ancestors = f"https://{shop} https://admin.shopify.com" if shop else "'none'"
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors};"
    return response


@bp.get("/")
def home():
    """App home: inside the admin, the shop's page; elsewhere, what this service is."""
    result = authenticate_page_load()
    if result is not None and not isinstance(result, Shop):
        return result  # a redirect (bounce for a fresh token, or the code-grant install)
    return render_template("home.html", shop=result, api_key=current_app.config["SHOPIFY_API_KEY"])
