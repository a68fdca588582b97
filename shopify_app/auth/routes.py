"""/auth: code-grant install and callback, and the session-token bounce page."""

from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, url_for

from ..errors import BadRequest
from ..shops.domains import valid_shop_domain
from .oauth import STATE_COOKIE, STATE_MAX_AGE, admin_app_url, begin, complete
from .page_load import reload_target_is_safe
from .query_hmac import query_is_authentic

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _secrets() -> list[str]:
    return [current_app.config["SHOPIFY_API_SECRET"], current_app.config["SHOPIFY_API_SECRET_PREVIOUS"]]


def _redirect_uri() -> str:
    return current_app.config["SHOPIFY_APP_URL"].rstrip("/") + url_for("auth.callback")


@bp.get("/install")
def install():
    """Start the code grant. Inside the admin iframe, first leave it: the authorize page cannot be framed."""
    shop = valid_shop_domain(request.args.get("shop"))
    if request.args.get("embedded") == "1":
        params = list(request.args.items(multi=True))
        if query_is_authentic(params, _secrets()):
            g.csp_shop = shop
        top_level = current_app.config["SHOPIFY_APP_URL"].rstrip("/") + url_for("auth.install", shop=shop)
        return render_template("auth/exit_iframe.html", target=top_level,
                               api_key=current_app.config["SHOPIFY_API_KEY"])
    authorize_url, state = begin(shop, _redirect_uri())
    response = redirect(authorize_url)
    secure = current_app.config["SHOPIFY_APP_URL"].startswith("https://")
    response.set_cookie(STATE_COOKIE, state, max_age=STATE_MAX_AGE, httponly=True, secure=secure,
                        samesite="Lax", path=url_for("auth.callback"))
    return response


@bp.get("/callback")
def callback():
    """Shopify's redirect back after the merchant approved: verify, store tokens, enter the admin."""
    shop = complete(list(request.args.items(multi=True)), request.cookies.get(STATE_COOKIE))
    response = redirect(admin_app_url(request.args.get("host"), shop.domain))
    response.delete_cookie(STATE_COOKIE, path=url_for("auth.callback"))  # the state is single-use
    return response


@bp.get("/session-token")
def session_token_bounce():
    """A page with only App Bridge: it fetches a fresh session token and reloads `shopify-reload`."""
    shop = (request.args.get("shop") or "").lower()
    target = request.args.get("shopify-reload", "")
    valid_shop_domain(shop)
    if not reload_target_is_safe(target):
        raise BadRequest("shopify-reload must be a path of this app.")
    g.csp_shop = shop
    response = make_response(render_template("auth/bounce.html", api_key=current_app.config["SHOPIFY_API_KEY"]))
    return response
