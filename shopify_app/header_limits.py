"""Oversized request headers are refused by the app itself, so /api answers in its JSON error shape.

A server refuses headers past its own limits before the app sees the request, with its own HTML
(gunicorn: 431, werkzeug's development server: 431). gunicorn.conf.py sets gunicorn's limits above
these and `flask serve` answers its own refusals in JSON under /api (cli.py), so a client meets
these limits, and the servers' only guard memory against what no client sends.
"""

from flask import request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge

# gunicorn's defaults: what a client could send before still passes.
MAX_HEADER_LINE_BYTES = 8190  # "Name: value"
MAX_HEADERS = 100


def register_header_limits(app) -> None:
    """Refuse a request whose headers are too many or one too long: 431, JSON under /api."""

    @app.before_request
    def _limit_headers():
        # A dozen short headers on a normal request: this loop costs microseconds.
        count = 0
        for name, value in request.headers.items():
            count += 1
            if len(name) + len(value) + 2 > MAX_HEADER_LINE_BYTES:
                raise RequestHeaderFieldsTooLarge(
                    f"The {name[:40]} header is longer than {MAX_HEADER_LINE_BYTES} bytes.")
        if count > MAX_HEADERS:
            raise RequestHeaderFieldsTooLarge(f"The request has more than {MAX_HEADERS} headers.")
