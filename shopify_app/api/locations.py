"""GET /api/locations: where production can happen (settings screen and order form)."""

from flask import jsonify
from pydantic import BaseModel

from ..admin_api.errors import ReauthRequired, ShopifyError
from ..errors import ServiceUnavailable, Unauthorized
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
    try:
        items = active_locations(current_shop())
    except ReauthRequired:
        raise Unauthorized("Shopify needs the app to be opened again to reconnect.") from None
    except ShopifyError:
        raise ServiceUnavailable("Shopify did not answer; try again in a moment.",
                                 headers={"Retry-After": "5"}) from None
    return jsonify(LocationListOut(items=items).model_dump(mode="json"))
