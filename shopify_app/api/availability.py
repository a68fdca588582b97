"""GET /api/production-orders/{id}/availability: what the order still needs against Shopify's stock (SPEC §10)."""

from flask import jsonify
from pydantic import Field

from ..fields import SignedQuantity
from ..production import availability, queries
from ..production.representations import ResponseModel
from ..shops.scoping import current_shop
from .registry import operation


class AvailabilityItemOut(ResponseModel):
    variant_id: str
    title: str
    required: SignedQuantity = Field(description=(
        "What the order still consumes: (planned − produced, never below 0) × quantity per unit for an "
        "assembly's materials, the remaining quantity of the product taken apart for a disassembly; net "
        "of what the order itself still makes of the same variant."))
    available: int | None = Field(description=(
        "Shopify's `available` quantity at the location; null when Shopify does not track the item or "
        "the order has no location."))
    shortage: SignedQuantity | None = Field(description=(
        "max(0, required − available); 0 for an untracked item, null when the order has no location."))


class AvailabilityOut(ResponseModel):
    location_id: str | None = Field(description=(
        "The order's location; for a draft without one, the shop's default location (where it would start)."))
    items: list[AvailabilityItemOut] = Field(description=(
        "One item per variant the order consumes, in the order's own order. Empty for a completed or "
        "cancelled order: it needs nothing more, and Shopify is not asked."))


@operation("GET", "/production-orders/<id:order_id>/availability",
           summary="Materials the order still needs, against Shopify's available stock at its location",
           response=AvailabilityOut, errors=(404,))
def get_availability(order_id: int):
    shop = current_shop()
    location, lines = availability.order_availability(shop, queries.get_order(shop, order_id))
    items = [AvailabilityItemOut(variant_id=line.variant_id, title=line.title, required=line.required,
                                 available=line.available, shortage=line.shortage) for line in lines]
    return jsonify(AvailabilityOut(location_id=location, items=items).model_dump(mode="json"))
