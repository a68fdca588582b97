"""Routes that exist only in demo mode: a session token for the demo shop, and the fake store's stock.

Outside demo mode this blueprint is never registered, so these URLs do not exist. Even in demo
mode they answer only to this machine: a session token is a key to the shop.
"""

import time
import uuid

import jwt
from flask import Blueprint, abort, current_app, jsonify, request

from ..devshop import DEMO_SHOP

bp = Blueprint("demo", __name__, url_prefix="/demo")

LOOPBACK = {"127.0.0.1", "::1"}
TOKEN_SECONDS = 60  # as long as App Bridge's own tokens


@bp.before_request
def _loopback_only():
    if request.remote_addr not in LOOPBACK:
        abort(404)


@bp.get("/session-token")
def session_token():
    """A session token for the demo shop, signed like App Bridge's, for pages outside the admin."""
    now = int(time.time())
    config = current_app.config
    claims = {
        "iss": f"https://{DEMO_SHOP}/admin", "dest": f"https://{DEMO_SHOP}", "aud": config["SHOPIFY_API_KEY"],
        "sub": "demo-merchant", "exp": now + TOKEN_SECONDS, "nbf": now - 1, "iat": now,
        "jti": str(uuid.uuid4()), "sid": "demo-session",
    }
    token = jwt.encode(claims, config["SHOPIFY_API_SECRET"], algorithm="HS256")
    response = jsonify({"token": token, "expiresIn": TOKEN_SECONDS, "shop": DEMO_SHOP})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/inventory.json")
def inventory():
    """The fake store's stock per variant and location, to see what completed orders changed."""
    services = current_app.extensions["demo"]
    return jsonify({"shop": DEMO_SHOP, "items": services.store.ledger_rows(DEMO_SHOP)})


@bp.get("/products.json")
def products():
    """The demo catalogue, standing in for App Bridge's resource picker outside the admin."""
    services = current_app.extensions["demo"]
    with services.store.lock:
        variants = services.store.shop(DEMO_SHOP).variants
        items = [{"variantId": variant, "title": data["displayName"], "sku": data.get("sku") or ""}
                 for variant, data in sorted(variants.items())]
    return jsonify({"items": items})
