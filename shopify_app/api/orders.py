"""Production orders: list, create, read, edit, transitions and history."""

from typing import Annotated, Literal

from flask import jsonify, request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ..fields import NO_NUL_PATTERN, NoNul, QueryDigits
from ..production import availability, holds, listing, queries, service, sync_actions, transitions
from ..production.representations import EventListOut, OrderListOut, OrderOut, events_json, order_list_json
from ..production.schemas import OrderCreate, OrderPatch, SyncResolve, SyncSkip
from ..shops.scoping import current_identity, current_shop
from ..validation import parse
from .http import expected_version, json_body, order_response
from .registry import operation

ORDER = "/production-orders/<id:order_id>"
# 503: writes that name variants or locations ask Shopify whether they exist (nothing is saved when it cannot answer).
WRITE_ERRORS = (400, 404, 409, 412, 422, 503)
TRANSITION_ERRORS = (404, 409, 412, 422, 503)
ETAG = {"ETag": "The order's version, for If-Match"}


class ListQuery(BaseModel):
    """Query string of the order list."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: Literal["draft", "in_progress", "completed", "cancelled"] | None = None
    hold: Literal["curing"] | None = Field(default=None, description=(
        "`curing`: completed orders whose output is still held in Shopify's quality_control."))
    q: Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL_PATTERN), NoNul] | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000, description=(
        "Page number. Without `cursor` it skips (page − 1) × perPage orders, which costs more the "
        "deeper the page; with `cursor` it is only echoed back (the caller's page label).")), QueryDigits] = 1
    per_page: Annotated[int, Field(alias="perPage", ge=1, le=250), QueryDigits] = 50
    cursor: Annotated[str, StringConstraints(pattern=listing.CURSOR_PATTERN), AfterValidator(listing.decode_cursor),
                      Field(
        description="`nextCursor` of the previous page: the page starts right after it, at the same "
                    "cost however deep it is.")] | None = None
    shortage: Literal["true", "false"] | None = Field(default=None, description=(
        "`true`: only drafts that cannot start because they are short of materials at their location "
        "(their own, or the shop's default), read from Shopify's available stock in one batched query per "
        "location and 100 variants for all such drafts (503 when Shopify cannot answer). Combines with "
        "`status` and `q`; the total is exact. `false` or absent: no such filter."))


@operation("GET", "/production-orders", summary="List orders, newest first",
           query=ListQuery, response=OrderListOut, errors=(422, 503))
def list_orders():
    query = parse(ListQuery, request.args.to_dict())
    shop = current_shop()
    among = availability.short_draft_ids(shop, query.q) if query.shortage == "true" else None
    orders, total, exact, next_cursor = listing.list_orders(
        shop, status=query.status, q=query.q, page=query.page, per_page=query.per_page,
        after=query.cursor, among=among, hold=query.hold)
    outputs = listing.list_outputs([order.id for order in orders])
    return jsonify(order_list_json(orders, query.page, query.per_page, total, exact, next_cursor, outputs))


@operation("POST", "/production-orders", summary="Create a draft order",
           body=OrderCreate, response=OrderOut, status=201, errors=(400, 422, 503), headers=ETAG)
def create_order():
    identity = current_identity()
    order = service.create_order(identity.shop, json_body(), actor=identity.actor)
    return order_response(order, 201)


@operation("GET", ORDER, summary="One order with its components", response=OrderOut, errors=(404,),
           headers=ETAG)
def get_order(order_id: int):
    # One statement reads the order and its latest push; the components are read only when this
    # version of the order is not cached yet.
    order, push = queries.find_order_and_latest_push(current_shop(), order_id)
    return order_response(order, latest_pushes={order.id: push} if push else {})


@operation("PATCH", ORDER, summary="Edit an order's fields", body=OrderPatch, response=OrderOut,
           errors=WRITE_ERRORS, headers=ETAG, conditional=True)
def update_order(order_id: int):
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    data = json_body()
    order = service.update_order(order, identity.shop, data, actor=identity.actor,
                                 expected_version=expected_version())
    return order_response(order)


def _transition(order_id: int, apply):
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    order = apply(order, identity.shop, actor=identity.actor, expected_version=expected_version())
    return order_response(order)


@operation("POST", ORDER + "/start", summary="Start a draft order", response=OrderOut,
           errors=TRANSITION_ERRORS, headers=ETAG, conditional=True)
def start_order(order_id: int):
    return _transition(order_id, transitions.start_order)


@operation("POST", ORDER + "/complete", summary="Complete an order in progress", response=OrderOut,
           errors=TRANSITION_ERRORS, headers=ETAG, conditional=True)
def complete_order(order_id: int):
    return _transition(order_id, transitions.complete_order)


@operation("POST", ORDER + "/cancel", summary="Cancel a draft or in-progress order", response=OrderOut,
           errors=TRANSITION_ERRORS, headers=ETAG, conditional=True)
def cancel_order(order_id: int):
    return _transition(order_id, transitions.cancel_order)


@operation("POST", ORDER + "/release", summary="Release held (curing) output to available now",
           response=OrderOut, errors=(404, 409, 412), headers=ETAG, conditional=True)
def release_order(order_id: int):
    # The move to `available` is queued in the same transaction; the worker sends it.
    return _transition(order_id, holds.release_order)


@operation("POST", ORDER + "/reverse", summary="Reverse a completed order: a linked draft taking back what is left",
           response=OrderOut, status=201, errors=(404, 409, 412), headers=ETAG, conditional=True)
def reverse_order(order_id: int):
    # Answers with the new reversal (a draft); the original gains it in `reversedBy`.
    identity = current_identity()
    original = queries.lock_order(identity.shop, order_id)
    reversal = transitions.reverse_order(original, identity.shop, actor=identity.actor,
                                     expected_version=expected_version())
    return order_response(reversal, 201)


@operation("GET", ORDER + "/events", summary="The order's history, oldest first",
           response=EventListOut, errors=(404,))
def list_events(order_id: int):
    return jsonify(events_json(queries.list_events(current_shop(), order_id)))


@operation("POST", ORDER + "/sync", summary="Queue a retry of a failed or pending push to Shopify",
           response=OrderOut, status=202, errors=(404, 409), headers=ETAG)
def retry_sync(order_id: int):
    # Never pushes inside the request: the worker does, under the push's idempotency keys.
    order = sync_actions.retry_sync(queries.lock_order(current_shop(), order_id))
    return order_response(order, 202)


@operation("POST", ORDER + "/sync/skip", summary="Settle a failed push: leave variants out of this order's sync",
           body=SyncSkip, response=OrderOut, status=202, errors=(404, 409, 422), headers=ETAG)
def skip_sync_variants(order_id: int):
    # Their frozen deltas go back to the accounts; the rest of the order is pushed again by the worker.
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    order = sync_actions.skip_sync_variants(order, json_body(), actor=identity.actor)
    return order_response(order, 202)


@operation("POST", ORDER + "/sync/resolve", summary="Settle a batch in review: applied in Shopify or not",
           body=SyncResolve, response=OrderOut, errors=(404, 409, 422), headers=ETAG)
def resolve_sync(order_id: int):
    identity = current_identity()
    order = queries.lock_order(identity.shop, order_id)
    order = sync_actions.resolve_sync(order, json_body(), actor=identity.actor)
    return order_response(order)
