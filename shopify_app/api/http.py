"""Request and response helpers shared by the API routes."""

import json
import re

from flask import current_app, jsonify, request

from ..errors import MalformedJSON, VersionMismatch
from ..numbers import json_integer, json_number
from ..production.detail_cache import order_json_bytes

IF_MATCH_PATTERN = r'^(\*|(W/)?"[0-9]{1,9}")$'  # "*", "3" or W/"3"
_IF_MATCH = re.compile(r'^(?:W/)?"([0-9]{1,9})"$')


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def json_body() -> dict:
    """The request body as a JSON object, every number an exact Decimal (or OutOfRange, see numbers.py)."""
    raw = request.get_data(cache=True)
    try:
        # An absurd number is kept as OutOfRange rather than failing the parse: its field then
        # refuses it with a 422 naming its path, like any other value out of range.
        data = json.loads(raw, parse_float=json_number, parse_int=json_integer, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedJSON("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise MalformedJSON("The request body must be a JSON object.")
    return data


def expected_version() -> int | None:
    """The version named by `If-Match: "<version>"`, None when absent or `*`; malformed -> 412."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _IF_MATCH.match(header.strip())
    if not match:
        raise VersionMismatch(
            'If-Match must be the order\'s ETag, for example "3".', {"ifMatch": header[:100]}
        )
    return int(match.group(1))


def order_response(order, status: int = 200, latest_pushes: dict | None = None):
    """The whole order as JSON, with its version as the ETag."""
    response = current_app.response_class(order_json_bytes(order, latest_pushes), status=status,
                                          mimetype="application/json")
    response.headers["ETag"] = f'"{order.version}"'
    return response
