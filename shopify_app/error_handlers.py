"""Every failure becomes SPEC §3's JSON error shape; nothing internal leaks out."""

import logging
import math

from flask import current_app, g, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from .admin_api.errors import ReauthRequired, ShopifyError
from .auth.page_load import admin_shop_of_query
from .errors import AppError, ServiceUnavailable, Unauthorized
from .extensions import db

log = logging.getLogger(__name__)

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 400: "bad_request",
               414: "uri_too_long", 431: "headers_too_large"}
UNTRUSTED_HOST = "This server answers only to its own host name (in demo mode: 127.0.0.1 or localhost)."
JSON_PREFIXES = ("/api", "/webhooks", "/healthz")


def _render(error: AppError):
    if request.path.startswith(JSON_PREFIXES):
        response = jsonify(error.to_dict())
    else:  # a person in a browser (install, callback, pages): a page, not JSON
        # With a verified shop, or the admin's parameters (an in-app link to a page that failed or
        # does not exist), the page is shown inside the admin: App Bridge, like every page there,
        # and framed by that shop's admin rather than a blank frame. Demo mode never loads it.
        if not g.get("csp_shop") and not current_app.config.get("DEMO_MODE"):
            g.csp_shop = admin_shop_of_query()
        in_admin = bool(g.get("csp_shop")) and not current_app.config.get("DEMO_MODE")
        response = render_template("error.html", error=error,
                                   api_key=current_app.config["SHOPIFY_API_KEY"] if in_admin else None)
        response = current_app.make_response(response)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _rollback():
    try:
        db.session.rollback()
    except Exception:  # the connection may be the thing that failed
        log.warning("rollback after an error failed", exc_info=True)


def register_error_handlers(app) -> None:
    """Map AppError, HTTP errors, database outages and anything unexpected to JSON errors."""

    @app.errorhandler(AppError)
    def app_error(error: AppError):
        _rollback()
        return _render(error)

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # TRUSTED_HOSTS refused the Host header (demo mode, against DNS rebinding). No URL can be
        # built for such a request, so the HTML error page cannot render: JSON or plain text.
        wrapped = AppError(UNTRUSTED_HOST)
        wrapped.status, wrapped.code = 400, "untrusted_host"
        if request.path.startswith(JSON_PREFIXES):
            return _render(wrapped)
        return current_app.response_class(UNTRUSTED_HOST + "\n", status=400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = HTTP_CODES.get(error.code, "http_error")
        wrapped = AppError(error.description or error.name)
        wrapped.status, wrapped.code = error.code, code
        # Keep what the HTTP error says about itself (a 405's Allow header, RFC 9110).
        wrapped.headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return _render(wrapped)

    @app.errorhandler(ShopifyError)
    def shopify_failed(error: ShopifyError):
        # Shopify slow or down past the request's deadline (admin_api/deadline.py), or refusing:
        # the client may try again later; never a 500, and the reason stays in the log.
        _rollback()
        if isinstance(error, ReauthRequired):
            return _render(Unauthorized("Shopify needs the app to be opened again to reconnect."))
        log.warning("Shopify call failed during %s %s: %s", request.method, request.path, error)
        wait = getattr(error, "retry_after", None) or 5
        return _render(ServiceUnavailable("Shopify did not answer in time; try again in a moment.",
                                          headers={"Retry-After": str(max(1, math.ceil(wait)))}))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        _rollback()
        # Only the exception class is logged: the message can contain the connection string.
        log.error("database unavailable: %s", type(error.orig).__name__ if error.orig else "unknown")
        return _render(ServiceUnavailable(
            "The service cannot reach its database right now. Try again in a moment.",
            headers={"Retry-After": "5"},
        ))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        _rollback()
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return database_unavailable(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(AppError("Something went wrong on our side. It has been logged."))
