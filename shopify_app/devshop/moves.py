"""`inventoryMoveQuantities`: move units between quantity names at one location (2026-10 rules).

Curing output is moved from `quality_control` to `available` with this mutation. Like Shopify's,
the fake takes `@idempotent(key:)` (required since 2026-04), requires a ledger document on every
side but `available`, refuses one on `available` and refuses `gid://shopify/…` documents; any user
error applies nothing.
"""

from .inventory import (ADJUSTABLE_NAMES, IDEMPOTENCY_MESSAGES, MAX_QUANTITY, VALID_REASONS, add_quantity,
                        group_object, ledger_document_error, payload, quantity_of, record_group, resolve_idempotent,
                        user_error, valid_uri)
from .queries import ExecContext, top_error

PAYLOAD = "InventoryMoveQuantitiesPayload"
USER_ERROR = "InventoryMoveQuantitiesUserError"
SIDES = ("from", "to")


def _error(field, message: str, code: str) -> dict:
    return user_error(field, message, code, USER_ERROR)


def _shape_errors(data) -> list:
    """Request-level errors (wrong types, missing fields): nothing is recorded for the key."""
    def bad(message, path=()):
        return [top_error(message, "INVALID_VARIABLE", ["inventoryMoveQuantities", "input", *path])]

    if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
        return bad("input must be an object with reason, referenceDocumentUri and a list of changes.")
    if not isinstance(data.get("reason"), str) or not isinstance(data.get("referenceDocumentUri"), str):
        return bad("input.reason and input.referenceDocumentUri are required strings.")
    for index, change in enumerate(data["changes"]):
        path = ("changes", str(index))
        if not isinstance(change, dict) or not isinstance(change.get("inventoryItemId"), str):
            return bad("Each change needs an inventoryItemId.", path)
        if not isinstance(change.get("quantity"), int) or isinstance(change.get("quantity"), bool):
            return bad("quantity is a required Int.", path)
        for side in SIDES:
            terminal = change.get(side)
            if not isinstance(terminal, dict) or not all(isinstance(terminal.get(k), str) for k in ("locationId", "name")):
                return bad(f"{side} needs a locationId and a name.", (*path, side))
            if "changeFromQuantity" not in terminal:
                return bad("changeFromQuantity is required on both sides since API version 2026-04 "
                           "(pass null to opt out of the compare-and-swap check).", (*path, side))
    return []


def _rule_errors(state, data) -> list:
    errors = []
    if data["reason"] not in VALID_REASONS:
        errors.append(_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
    if not valid_uri(data["referenceDocumentUri"]):
        errors.append(_error(["input", "referenceDocumentUri"], "The specified reference document is invalid.",
                             "INVALID_REFERENCE_DOCUMENT"))
    running = {}
    for index, change in enumerate(data["changes"]):
        path = ["input", "changes", str(index)]
        item, source, target = change["inventoryItemId"], change["from"], change["to"]
        if item not in state.items:
            errors.append(_error(path + ["inventoryItemId"], "The specified inventory item could not be found.",
                                 "INVALID_INVENTORY_ITEM"))
            continue
        if source["locationId"] != target["locationId"]:
            errors.append(_error(path, "The quantities can't be moved between different locations.",
                                 "DIFFERENT_LOCATIONS"))
            continue
        if source["name"] == target["name"]:
            errors.append(_error(path, "The quantity names of a move must differ.", "SAME_QUANTITY_NAME"))
        if change["quantity"] < 0:
            errors.append(_error(path + ["quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE"))
        if change["quantity"] > MAX_QUANTITY:
            errors.append(_error(path + ["quantity"], "The quantity is out of range.", "INVALID_QUANTITY_TOO_HIGH"))
        if not state.locations.get(source["locationId"], {}).get("isActive"):
            errors.append(_error(path + ["from", "locationId"], "The specified location could not be found.",
                                 "INVALID_LOCATION"))
            continue
        for side, terminal in ((s, change[s]) for s in SIDES):
            if terminal["name"] not in ADJUSTABLE_NAMES:
                errors.append(_error(path + [side, "name"], "The specified quantity name is invalid.",
                                     "INVALID_QUANTITY_NAME"))
                continue
            document = ledger_document_error(terminal["name"], terminal.get("ledgerDocumentUri"))
            if document is not None:
                errors.append(_error(path + [side, "ledgerDocumentUri"], *document))
            slot = (item, terminal["locationId"], terminal["name"])
            current = running.get(slot, quantity_of(state, *slot))
            cfq = terminal["changeFromQuantity"]
            if cfq is not None and cfq != current:
                errors.append(_error(path + [side, "changeFromQuantity"], "The changeFromQuantity argument no "
                                     "longer matches the persisted quantity.", "CHANGE_FROM_QUANTITY_STALE"))
            running[slot] = current + (-change["quantity"] if side == "from" else change["quantity"])
    return errors


def _apply(store, state, data, key: str) -> dict:
    """Validate and, if clean, move every quantity at once. Caller holds the store lock."""
    errors = _rule_errors(state, data)
    if errors:
        return payload(None, errors, PAYLOAD)
    changes = []
    for change in data["changes"]:
        item = change["inventoryItemId"]
        for side, sign in (("from", -1), ("to", 1)):
            terminal = change[side]
            delta = sign * change["quantity"]
            after = add_quantity(state, item, terminal["locationId"], terminal["name"], delta)
            changes.append({"name": terminal["name"], "inventoryItemId": item, "locationId": terminal["locationId"],
                            "delta": delta, "quantityAfterChange": after,
                            "ledgerDocumentUri": terminal.get("ledgerDocumentUri")})
    return payload(group_object(record_group(store, state, data, key, changes)), [], PAYLOAD)


def resolve_move(ctx: ExecContext, field, args: dict):
    """Resolve the mutation field: (payload, top-level errors)."""
    return resolve_idempotent(
        ctx, field, args, "inventoryMoveQuantities", _shape_errors, _apply,
        lambda code: payload(None, [_error(None, IDEMPOTENCY_MESSAGES[code], code)], PAYLOAD))
