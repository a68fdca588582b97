"""Structured logs: one JSON object per line, with the request id and shop, and no secrets."""

import logging
import re
import time
import uuid

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

# Tokens never belong in a log line; this mask is the safety net under that rule.
_SECRETS = re.compile(r"(shpat_|shprt_|shpca_|shpss_)[A-Za-z0-9_\-]+|eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class RequestContextFilter(logging.Filter):
    """Adds request_id and shop to every record logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None)
        record.shop = getattr(record, "shop", None)
        if has_request_context():
            record.request_id = g.get("request_id")
            record.shop = g.get("shop_domain") or g.get("csp_shop")
        return True


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return _SECRETS.sub("[redacted]", super().format(record))


class RedactingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _SECRETS.sub("[redacted]", super().format(record))


def configure_logging(level: str, fmt: str) -> None:
    """Send the root logger's records to stderr as JSON (or text with LOG_FORMAT=text)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestContextFilter())
    if fmt == "text":
        handler.setFormatter(RedactingTextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s %(shop)s] %(message)s"))
    else:
        handler.setFormatter(RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(shop)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_production_orders", False)]
    handler._production_orders = True
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # our access log below replaces it


def register_request_logging(app) -> None:
    """A request id per request (echoed as X-Request-Id) and one access log line per request."""
    access = logging.getLogger("shopify_app.access")

    @app.before_request
    def _start():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        # The path only: query strings can carry id_token.
        access.info("%s %s %s", request.method, request.path, response.status_code,
                    extra={"status": response.status_code, "duration_ms": round(elapsed, 1)})
        return response
