"""The Admin GraphQL endpoint of the fake: auth, validation, cost, throttling, faults, execution."""

import json
import time

from flask import Response, request
from graphql import FragmentDefinitionNode, GraphQLError, get_operation_ast, parse

from .bucket import THROTTLED_ERROR, cost_extension
from .inventory import resolve_adjust
from .item_costs import resolve_item_update
from .moves import resolve_move
from .queries import ExecContext, resolve_locations, resolve_nodes, top_error
from .schema import document_errors, format_error, variable_errors
from .selection import arguments, collect_fields, effective_variables, project
from .variant_search import resolve_product_variants

UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
BAD_BODY = {"errors": {"query": "Required parameter missing or invalid"}}
ROOT_TYPES = {"query": "QueryRoot", "mutation": "Mutation"}
RESOLVERS = {"query": {"nodes": resolve_nodes, "locations": resolve_locations,
                       "productVariants": resolve_product_variants},
             "mutation": {"inventoryAdjustQuantities": resolve_adjust, "inventoryItemUpdate": resolve_item_update,
                          "inventoryMoveQuantities": resolve_move}}
LOST_RESPONSE_HTML = ("<html><head><title>502 Bad Gateway</title></head>"
                      "<body><h1>502 Bad Gateway</h1><p>The server returned an invalid response.</p></body></html>")


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON answer with keys in insertion order (as Shopify sends them)."""
    return Response(json.dumps(body), status, headers=headers, mimetype="application/json")


def requested_cost(rt, operation, variables: dict, fragments: dict) -> int:
    """The calculated cost Shopify would request for the operation's root fields."""
    if operation is None:
        return 0
    total = 0
    for field in collect_fields(operation.selection_set, fragments, ROOT_TYPES.get(operation.operation.value)):
        name = field.name.value
        if name in ("inventoryAdjustQuantities", "inventoryItemUpdate", "inventoryMoveQuantities"):
            total += rt.config.mutation_cost
        elif name in ("locations", "productVariants"):
            total += 25
        elif name == "nodes":
            ids = arguments(field, variables).get("ids")
            total += max(1, len(ids) if isinstance(ids, list) else 1)
        elif name != "__typename":
            total += 1
    return total


def _fault_response(rt, shop: str, fault: str | None, requested: int) -> Response | None:
    """The answer for a fault that replaces normal handling; None for no fault or a late one."""
    if fault == "http_500":
        return json_response({"errors": "Internal Server Error"}, 500)
    if fault == "http_503":
        return json_response({"errors": "Service Unavailable"}, 503)
    if fault == "http_429":
        return json_response({"errors": "Too Many Requests"}, 429, {"Retry-After": "1"})
    if fault == "throttled":
        return json_response({"errors": [THROTTLED_ERROR],
                              "extensions": cost_extension(requested, None, rt.buckets.status(shop))})
    return None


def execute(rt, shop: str, document, operation, variables: dict, delay: float):
    """Run the operation's root fields through the fake's resolvers: (data, errors)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    kind = operation.operation.value
    ctx = ExecContext(rt.store, shop, rt.config, variables, fragments, delay)
    if kind == "query" and delay:
        time.sleep(delay)  # a mutation stalls in its resolver (after claiming its idempotency key)
    data, errors = {}, []
    for field in collect_fields(operation.selection_set, fragments, ROOT_TYPES[kind]):
        name = field.name.value
        key = field.alias.value if field.alias else name
        if name == "__typename":
            data[key] = ROOT_TYPES[kind]
            continue
        resolver = RESOLVERS[kind].get(name)
        if resolver is None:
            errors.append(top_error(f"Field '{name}' is not supported by the fake Shopify.", "NOT_SUPPORTED", [key]))
            continue
        value, field_errors = resolver(ctx, field, arguments(field, variables))
        errors.extend(field_errors)
        data[key] = None if field_errors else project(value, field.selection_set, fragments, variables)
    return data, errors


def handle_graphql(rt, shop: str) -> Response:
    """POST /<shop>/admin/api/<version>/graphql.json."""
    if rt.store.tokens.live_access(request.headers.get("X-Shopify-Access-Token"), shop) is None:
        return json_response(UNAUTHORIZED, 401)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return json_response(BAD_BODY, 400)
    raw_variables = body.get("variables") or {}
    if not isinstance(raw_variables, dict):
        return json_response(BAD_BODY, 400)
    try:
        document = parse(body["query"])
    except GraphQLError as error:
        return json_response({"errors": [format_error(error)],
                              "extensions": cost_extension(0, 0, rt.buckets.status(shop))})
    operation = get_operation_ast(document, body.get("operationName"))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    variables = effective_variables(operation, raw_variables) if operation else raw_variables
    name = (operation.name.value if operation and operation.name else None) or body.get("operationName") or "anonymous"
    with rt.store.lock:
        rt.store.add_shop(shop).calls[name] += 1
    requested = requested_cost(rt, operation, variables, fragments)
    fault = rt.faults.next()  # drawn once per authenticated request, in arrival order
    early = _fault_response(rt, shop, fault, requested)
    if early is not None:
        return early
    errors = _request_errors(rt, document, operation, raw_variables, requested)
    if errors:
        return json_response({"errors": errors, "extensions": cost_extension(requested, 0, rt.buckets.status(shop))})
    charged, status = rt.buckets.take(shop, requested)
    if not charged:
        return json_response({"errors": [THROTTLED_ERROR], "extensions": cost_extension(requested, None, status)})
    data, errors = execute(rt, shop, document, operation, variables,
                           rt.config.timeout_delay if fault == "timeout" else 0.0)
    if fault == "lost_response":
        # Applied, but the client never learns it: the retry must reuse the idempotency key.
        return Response(LOST_RESPONSE_HTML, 502, mimetype="text/html")
    answer = {"errors": errors} if errors else {"data": data}
    answer["extensions"] = cost_extension(requested, requested, status)
    return json_response(answer)


def _request_errors(rt, document, operation, raw_variables: dict, requested: int) -> list:
    """Errors that reject the whole document before anything runs (schema, operation choice, size)."""
    if rt.schema is not None:
        errors = document_errors(rt.schema, document)
        if errors:
            return errors
    if operation is None:
        return [top_error("An operation name is required, or the operation named was not found.", "BAD_REQUEST")]
    if operation.operation.value not in ROOT_TYPES:
        return [top_error("Subscriptions are not supported by the fake Shopify.", "NOT_SUPPORTED")]
    if rt.schema is not None:
        errors = variable_errors(rt.schema, operation, raw_variables)
        if errors:
            return errors
    if requested > rt.buckets.maximum:
        return [top_error(f"Query cost is {requested}, which exceeds the bucket size of "
                          f"{int(rt.buckets.maximum)}.", "MAX_COST_EXCEEDED")]
    return []
