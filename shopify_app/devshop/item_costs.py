"""`inventoryItemUpdate` of the fake, for the cost per item only (what the app writes, SPEC §9).

Every applied write is kept (`ShopState.cost_writes`), so tests can count how many values an
item's cost took; a `timeout` fault applies the write after the client gave up, as Shopify may.
"""

import time
from decimal import Decimal, InvalidOperation

from .queries import ExecContext, item_object, top_error


def _user_error(field, message: str) -> dict:
    return {"__typename": "UserError", "field": field, "message": message}


def resolve_item_update(ctx: ExecContext, field, args: dict):
    """Resolve `inventoryItemUpdate(id:, input: {cost})`: (payload, top-level errors)."""
    item, data = args.get("id"), args.get("input")
    if not isinstance(data, dict) or set(data) - {"cost"}:
        return None, [top_error("The fake's inventoryItemUpdate supports only input.cost.", "NOT_SUPPORTED",
                                ["inventoryItemUpdate"])]
    try:
        cost = None if data.get("cost") is None else Decimal(str(data["cost"]))
    except InvalidOperation:
        cost = Decimal(-1)
    if ctx.delay:
        time.sleep(ctx.delay)
    with ctx.store.lock:
        state = ctx.store.add_shop(ctx.shop)
        if item not in state.items:
            return _payload(None, [_user_error(["id"], "The product couldn't be found.")]), []
        if cost is not None and (not cost.is_finite() or cost < 0):
            return _payload(None, [_user_error(["input", "cost"], "Cost must be greater than or equal to 0")]), []
        record = state.variants[state.items[item]]
        record["unitCost"] = None if cost is None else format(cost.quantize(Decimal("0.01")), "f")
        state.cost_writes.append((item, record["unitCost"]))
        return _payload(item_object(state, item), []), []


def _payload(item, errors) -> dict:
    return {"__typename": "InventoryItemUpdatePayload", "inventoryItem": item, "userErrors": errors}
