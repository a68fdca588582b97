"""GET /api/openapi.json: the API described from its own code (no authentication)."""

from flask import jsonify

from . import bp
from .openapi import build_document

_document = None


@bp.get("/openapi.json")
def openapi_document():
    # Built once per process: the routes and models cannot change while it runs.
    global _document
    if _document is None:
        _document = build_document("Production orders for Shopify", "1")
    return jsonify(_document)
