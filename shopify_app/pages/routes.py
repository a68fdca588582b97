"""The embedded app's pages. Every HTML response says who may frame it."""

from flask import Blueprint, current_app, g, render_template

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
    return render_template("home.html", api_key=current_app.config["SHOPIFY_API_KEY"])
