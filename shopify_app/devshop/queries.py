"""Resolvers for the read side the app uses: `nodes(ids:)` and `locations(...)`."""

import base64
from dataclasses import dataclass

MAX_NODES = 250
MAX_PAGE = 250


@dataclass
class ExecContext:
    """What a resolver needs: the store, the shop, the settings and the request's parsed pieces."""

    store: object
    shop: str
    config: object
    variables: dict
    fragments: dict
    delay: float = 0.0  # a `timeout` fault: stall this long before applying


def top_error(message: str, code: str, path=None) -> dict:
    """A top-level GraphQL error with Shopify's `extensions.code`."""
    error = {"message": message, "extensions": {"code": code}}
    if path:
        error["path"] = list(path)
    return error


def location_object(location: str, record: dict) -> dict:
    return {"__typename": "Location", "id": location, "name": record["name"], "isActive": record["isActive"],
            "legacyResourceId": location.rsplit("/", 1)[-1]}


def history_url(shop: str, item: str) -> str:
    """Where Shopify's admin shows the item's inventory history (the shape Shopify answers with)."""
    return (f"https://admin.shopify.com/store/{shop.split('.', 1)[0]}/products/inventory/"
            f"{item.rsplit('/', 1)[-1]}/inventory_history")


def level_object(state, item: str, location) -> dict | None:
    """`inventoryLevel(locationId:)`: the item's quantities there; null where it was never stocked."""
    # One dict read (atomic): projection runs after the resolver released the store's lock.
    available = state.ledger.get((item, location))
    if available is None:
        return None

    def quantities(args: dict) -> list:
        names = args.get("names") or []
        # The fake keeps `available` only; asked for other names it answers 0 rather than guess.
        return [{"__typename": "InventoryQuantity", "name": name, "quantity": available if name == "available" else 0}
                for name in names]

    return {"__typename": "InventoryLevel", "id": f"{item}?inventory_level_location={location}",
            "quantities": quantities}


def item_object(state, item: str) -> dict:
    variant = state.items[item]
    record = state.variants[variant]
    cost = record.get("unitCost")
    return {"__typename": "InventoryItem", "id": item, "tracked": record["tracked"], "sku": record["sku"],
            "inventoryHistoryUrl": history_url(state.domain, item),
            "unitCost": {"amount": cost, "currencyCode": "EUR"} if cost is not None else None,
            "variant": {"__typename": "ProductVariant", "id": variant},
            "inventoryLevel": lambda args: level_object(state, item, args.get("locationId"))}


def variant_object(state, variant: str) -> dict:
    record = state.variants[variant]
    return {"__typename": "ProductVariant", "id": variant, "displayName": record["displayName"],
            "title": record["displayName"], "sku": record["sku"],
            "inventoryItem": item_object(state, record["inventoryItemId"])}


def _node(state, node_id) -> dict | None:
    # Unknown, deleted or foreign ids resolve to null, exactly as Shopify's `nodes` does.
    if not isinstance(node_id, str):
        return None
    if node_id in state.variants:
        return variant_object(state, node_id)
    if node_id in state.items:
        return item_object(state, node_id)
    if node_id in state.locations:
        return location_object(node_id, state.locations[node_id])
    return None


def resolve_nodes(ctx: ExecContext, field, args: dict):
    """`nodes(ids:)`: one object (or null) per id, in order."""
    ids = args.get("ids")
    if not isinstance(ids, list):
        return None, [top_error("Argument 'ids' on Field 'nodes' is required and must be a list.",
                                "argumentLiteralsIncompatible")]
    if len(ids) > MAX_NODES:
        return None, [top_error(f"The input array size of {len(ids)} is greater than the maximum allowed "
                                f"of {MAX_NODES}.", "MAX_INPUT_SIZE_EXCEEDED", ["nodes", "ids"])]
    with ctx.store.lock:
        state = ctx.store.add_shop(ctx.shop)
        return [_node(state, node_id) for node_id in ids], []


def _cursor(location: str) -> str:
    return base64.urlsafe_b64encode(location.encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def resolve_locations(ctx: ExecContext, field, args: dict):
    """`locations(first:, after:, includeInactive:)`, sorted by name like Shopify's default sortKey."""
    first = args.get("first")
    if args.get("last") is not None or args.get("before") is not None:
        return None, [top_error("The fake supports only forward pagination (first/after).", "BAD_REQUEST")]
    if not isinstance(first, int) or first < 0:
        return None, [top_error("you must provide one of first or last", "BAD_REQUEST", ["locations"])]
    if first > MAX_PAGE:
        return None, [top_error(f"The maximum page size is {MAX_PAGE}.", "BAD_REQUEST", ["locations"])]
    with ctx.store.lock:
        state = ctx.store.add_shop(ctx.shop)
        rows = sorted(((loc, rec) for loc, rec in state.locations.items()
                       if rec["isActive"] or args.get("includeInactive")),
                      key=lambda row: (row[1]["name"], row[0]), reverse=bool(args.get("reverse")))
        ids = [loc for loc, _ in rows]
        start = 0
        if args.get("after"):
            after = _uncursor(args["after"])
            if after not in ids:
                return None, [top_error("Invalid cursor for current pagination sort.", "BAD_REQUEST",
                                        ["locations"])]
            start = ids.index(after) + 1
        page = rows[start:start + first]
        nodes = [location_object(loc, rec) for loc, rec in page]
    edges = [{"__typename": "LocationEdge", "cursor": _cursor(node["id"]), "node": node} for node in nodes]
    return {"__typename": "LocationConnection", "nodes": nodes, "edges": edges,
            "pageInfo": {"__typename": "PageInfo", "hasNextPage": start + first < len(rows),
                         "hasPreviousPage": start > 0,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None}}, []
