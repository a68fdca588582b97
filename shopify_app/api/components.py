"""Component rows of an order: add, edit, remove. Each answers with the whole order."""

from ..production import queries, service
from ..production.representations import OrderOut
from ..production.schemas import ComponentCreate, ComponentPatch
from ..shops.scoping import current_identity
from .http import expected_version, json_body, order_response
from .orders import ETAG, ORDER, WRITE_ERRORS
from .registry import operation

COMPONENT = ORDER + "/components/<id:component_id>"


@operation("POST", ORDER + "/components", summary="Add a component row (a variant, or a BOM's output)",
           body=ComponentCreate,
           response=OrderOut, status=201, errors=WRITE_ERRORS, headers=ETAG, conditional=True)
def add_component(order_id: int):
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    data = json_body()
    order = service.add_component(order, identity.shop, data, actor=identity.actor,
                                  expected_version=expected_version())
    return order_response(order, 201)


@operation("PATCH", COMPONENT, summary="Edit a component row", body=ComponentPatch, response=OrderOut,
           errors=WRITE_ERRORS, headers=ETAG, conditional=True)
def update_component(order_id: int, component_id: int):
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    component = queries.get_component(order, component_id)
    data = json_body()
    order = service.update_component(order, component, identity.shop, data, actor=identity.actor,
                                     expected_version=expected_version())
    return order_response(order)


@operation("DELETE", COMPONENT, summary="Remove a component row", response=OrderOut,
           errors=(404, 409, 412), headers=ETAG, conditional=True)
def remove_component(order_id: int, component_id: int):
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    component = queries.get_component(order, component_id)
    order = service.remove_component(order, component, identity.shop, actor=identity.actor,
                                     expected_version=expected_version())
    return order_response(order)
