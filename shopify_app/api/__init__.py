"""The JSON API under /api: every route is authenticated by the blueprint, not by each view."""

from flask import Blueprint, request

from ..auth.session_token import authenticate

bp = Blueprint("api", __name__, url_prefix="/api")

# Endpoints reachable without a session token (SPEC §3: the OpenAPI document).
PUBLIC_ENDPOINTS = {"api.openapi_document"}


@bp.before_request
def _require_session_token():
    # Runs before every /api view, so a new route cannot forget authentication.
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()


from . import accounts, availability, boms, components, locations, openapi_route, orders, settings, spreadsheets  # noqa: E402,F401  (routes register on bp)
