"""GET /api/locations: where production can happen (settings screen and order form)."""

from flask import jsonify
from pydantic import BaseModel

from ..shops.locations import active_locations
from ..shops.scoping import current_shop
from .registry import operation


class LocationOut(BaseModel):
    id: str
    name: str


class LocationListOut(BaseModel):
    items: list[LocationOut]


@operation("GET", "/locations", summary="The shop's active Shopify locations", response=LocationListOut,
           errors=(401, 503))
def list_locations():
    # A slow or failing Shopify becomes 503 + Retry-After in error_handlers (one place for every route).
    return jsonify(LocationListOut(items=active_locations(current_shop())).model_dump(mode="json"))
