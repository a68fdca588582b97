"""`inventoryAdjustQuantities` with Shopify's 2026-10 runtime rules and `@idempotent(key:)` semantics.

Quantity names: `available` lives in the store's `ledger`; every other adjustable name (`incoming`,
`quality_control`, …) in its `states`. Shopify's rule for ledger documents is kept: required for
every name but `available`, refused for `available`, never a Shopify GID.
"""

import copy
import hashlib
import json
import re
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .queries import ExecContext, top_error
from .selection import arguments, directive
from .store import FAILED, IN_FLIGHT, SUCCEEDED, IdempotencyRecord, gid

MAX_QUANTITY = 2_000_000_000
VALID_REASONS = frozenset({
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
    "movement_received", "movement_canceled", "other", "promotion", "quality_control", "received",
    "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock",
    "shrinkage"})
# The names this fake lets an app adjust. `incoming` is included because SPEC §10 builds on it;
# see README "Shopify's inventory states" for what Shopify's stored docs confirm about it.
ADJUSTABLE_NAMES = frozenset({"available", "incoming", "quality_control", "damaged", "safety_stock", "reserved"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
IDEMPOTENCY_MESSAGES = {
    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": "The same idempotency key cannot be used with different operation parameters.",
    "IDEMPOTENCY_CONCURRENT_REQUEST": "This request is currently in progress, please try again.",
    "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED": "A previous request with this idempotency key failed. Retry with a new idempotency key.",
}


def user_error(field, message: str, code: str, typename: str = "InventoryAdjustQuantitiesUserError") -> dict:
    return {"__typename": typename, "field": field, "message": message, "code": code}


def payload(group, errors, typename: str = "InventoryAdjustQuantitiesPayload") -> dict:
    return {"__typename": typename, "inventoryAdjustmentGroup": group, "userErrors": errors}


def quantity_of(state, item: str, location: str, name: str) -> int:
    """The current quantity of `name` for an item at a location."""
    return state.ledger.get((item, location), 0) if name == "available" else state.states.get((item, location, name), 0)


def add_quantity(state, item: str, location: str, name: str, delta: int) -> int:
    """Apply a delta to one quantity; returns the quantity after the change."""
    if name == "available":
        after = state.ledger[(item, location)] = state.ledger.get((item, location), 0) + delta
    else:
        after = state.states[(item, location, name)] = state.states.get((item, location, name), 0) + delta
    return after


def ledger_document_error(name: str, uri) -> tuple[str, str] | None:
    """Shopify's ledger document rule for one change: (message, code) when it is broken."""
    if name == "available":
        if uri is not None:
            return "A ledger document URI is not allowed when adjusting available.", "INVALID_AVAILABLE_DOCUMENT"
        return None
    if uri is None:
        return "A ledger document URI is required except when adjusting available.", "INVALID_QUANTITY_DOCUMENT"
    if isinstance(uri, str) and uri.lower().startswith("gid://shopify/"):
        return ("Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                "INTERNAL_LEDGER_DOCUMENT")
    if not valid_uri(uri):
        return "The specified ledger document is invalid.", "INVALID_LEDGER_DOCUMENT"
    return None


def valid_uri(value) -> bool:
    """A URI with a scheme and something after it, no whitespace (e.g. gid://my-app/ProductionOrder/1)."""
    if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(_SCHEME.match(parts.scheme or "")) and bool(parts.netloc or parts.path)


def _shape_errors(data) -> list:
    """Request-level errors: what Shopify refuses before looking at any item (nothing is recorded)."""
    def bad(message, path=()):
        return [top_error(message, "INVALID_VARIABLE", ["inventoryAdjustQuantities", "input", *path])]

    if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
        return bad("input must be an object with name, reason and a list of changes.")
    if not isinstance(data.get("name"), str) or not isinstance(data.get("reason"), str):
        return bad("input.name and input.reason are required strings.")
    for index, change in enumerate(data["changes"]):
        path = ("changes", str(index))
        if not isinstance(change, dict):
            return bad("Each change must be an InventoryChangeInput object.", path)
        if not all(isinstance(change.get(k), str) for k in ("inventoryItemId", "locationId")):
            return bad("inventoryItemId and locationId are required IDs.", path)
        if not isinstance(change.get("delta"), int) or isinstance(change.get("delta"), bool):
            return bad("delta is a required Int.", path)
        # Since 2026-04 the key must be present on every change; an explicit null opts out of CAS.
        if "changeFromQuantity" not in change:
            return bad("changeFromQuantity is required on every change since API version 2026-04 "
                       "(pass the expected quantity, or null to opt out of the compare-and-swap check).", path)
        cfq = change["changeFromQuantity"]
        if cfq is not None and (not isinstance(cfq, int) or isinstance(cfq, bool)):
            return bad("changeFromQuantity must be an Int or null.", path)
    return []


def _rule_errors(state, data) -> list:
    """User errors of a well-shaped input against the current state (any error applies nothing)."""
    errors = []
    if data["name"] not in ADJUSTABLE_NAMES:
        errors.append(user_error(["input", "name"], "The specified quantity name is invalid.", "INVALID_QUANTITY_NAME"))
    if data["reason"] not in VALID_REASONS:
        errors.append(user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
    uri = data.get("referenceDocumentUri")
    if uri is not None and not valid_uri(uri):
        errors.append(user_error(["input", "referenceDocumentUri"], "The specified reference document is invalid.",
                                 "INVALID_REFERENCE_DOCUMENT"))
    running = {}
    for index, change in enumerate(data["changes"]):
        path = ["input", "changes", str(index)]
        item, location = change["inventoryItemId"], change["locationId"]
        document = (ledger_document_error(data["name"], change.get("ledgerDocumentUri"))
                    if data["name"] in ADJUSTABLE_NAMES else None)
        if document is not None:
            errors.append(user_error(path + ["ledgerDocumentUri"], *document))
        if item not in state.items:
            errors.append(user_error(path + ["inventoryItemId"], "The specified inventory item could not be found.",
                                     "INVALID_INVENTORY_ITEM"))
            continue
        if not state.variants[state.items[item]]["mutable"]:
            errors.append(user_error(path + ["inventoryItemId"], "The specified inventory item is not allowed to "
                                     "be adjusted via API.", "NON_MUTABLE_INVENTORY_ITEM"))
        if not state.locations.get(location, {}).get("isActive"):
            errors.append(user_error(path + ["locationId"], "The specified location could not be found.",
                                     "INVALID_LOCATION"))
            continue
        # No "not stocked at location" check: since 2026-10 any location accepts any item.
        current = quantity_of(state, item, location, data["name"])
        cfq = change["changeFromQuantity"]
        if cfq is not None and cfq != current:
            errors.append(user_error(path + ["changeFromQuantity"], "The changeFromQuantity argument no longer "
                                     "matches the persisted quantity.", "CHANGE_FROM_QUANTITY_STALE"))
        after = running.get((item, location), current) + change["delta"]
        running[(item, location)] = after
        if after > MAX_QUANTITY or after < -MAX_QUANTITY:
            code = "INVALID_QUANTITY_TOO_HIGH" if after > 0 else "INVALID_QUANTITY_TOO_LOW"
            errors.append(user_error(path + ["delta"], "The quantity is out of range.", code))
    return errors


def group_object(group: dict) -> dict:
    """The InventoryAdjustmentGroup as a resolvable object."""
    changes = [{"__typename": "InventoryChange", "name": c["name"], "delta": c["delta"],
                "quantityAfterChange": c["quantityAfterChange"], "ledgerDocumentUri": c.get("ledgerDocumentUri"),
                "item": {"__typename": "InventoryItem", "id": c["inventoryItemId"]},
                "location": {"__typename": "Location", "id": c["locationId"]}} for c in group["changes"]]
    return {"__typename": "InventoryAdjustmentGroup", "id": group["id"], "createdAt": group["createdAt"],
            "reason": group["reason"], "referenceDocumentUri": group["referenceDocumentUri"],
            "changes": changes, "app": None, "staffMember": None}


def _apply(store, state, data, key: str) -> dict:
    """Validate and, if clean, apply every delta at once. Caller holds the store lock."""
    errors = _rule_errors(state, data)
    if errors:
        return payload(None, errors)
    changes = []
    for change in data["changes"]:
        item, location = change["inventoryItemId"], change["locationId"]
        after = add_quantity(state, item, location, data["name"], change["delta"])
        changes.append({"name": data["name"], "inventoryItemId": item, "locationId": location,
                        "delta": change["delta"], "quantityAfterChange": after,
                        "ledgerDocumentUri": change.get("ledgerDocumentUri")})
    return payload(group_object(record_group(store, state, data, key, changes)), [])


def record_group(store, state, data: dict, key: str, changes: list) -> dict:
    """Keep an applied adjustment group and count its key as applied. Caller holds the store lock."""
    created = datetime.fromtimestamp(store.clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    group = {"id": gid("InventoryAdjustmentGroup", store.next_id()), "createdAt": created,
             "reason": data["reason"], "referenceDocumentUri": data.get("referenceDocumentUri"),
             "idempotencyKey": key, "changes": changes}
    state.groups.append(group)
    state.applied[key] += 1
    return group


def resolve_adjust(ctx: ExecContext, field, args: dict):
    """Resolve the mutation field: (payload, top-level errors)."""
    return resolve_idempotent(ctx, field, args, "inventoryAdjustQuantities", _shape_errors, _apply,
                              lambda code: payload(None, [user_error(None, IDEMPOTENCY_MESSAGES[code], code)]))


def resolve_idempotent(ctx: ExecContext, field, args: dict, mutation: str, shape_errors, apply, refusal):
    """An `@idempotent(key:)` inventory mutation: shape check, then apply once per key, replaying
    the stored answer (or Shopify's idempotency error, built by `refusal(code)`) for a reused key."""
    marker = directive(field, "idempotent")
    key = arguments(marker, ctx.variables).get("key") if marker is not None else None
    if marker is None:
        return None, [top_error(f"The @idempotent directive is required for {mutation} "
                                "since API version 2026-04.", "BAD_REQUEST", [mutation])]
    if not isinstance(key, str) or not key.strip():
        return None, [top_error("The idempotency key cannot be an empty string or whitespace only.",
                                "BAD_REQUEST", [mutation])]
    data = args.get("input")
    errors = shape_errors(data)
    if errors:
        return None, errors
    fingerprint = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    store = ctx.store
    with store.lock:
        state = store.add_shop(ctx.shop)
        record = state.idempotency.get(key)
        if record is not None:
            return _replay(record, fingerprint, refusal), []
        record = state.idempotency[key] = IdempotencyRecord(IN_FLIGHT, fingerprint)
    try:
        if ctx.delay:
            time.sleep(ctx.delay)  # a `timeout` fault: the key stays in flight meanwhile
        with store.lock:
            result = apply(store, state, data, key)
            record.response = result
            record.state = FAILED if result["userErrors"] else SUCCEEDED
    finally:
        with store.lock:
            if record.state == IN_FLIGHT:  # crashed before deciding: nothing was applied
                record.state = FAILED
    return copy.deepcopy(result), []


def _replay(record: IdempotencyRecord, fingerprint: str, refusal) -> dict:
    """The answer to a key Shopify has seen before. Caller holds the store lock."""
    if record.fingerprint != fingerprint:
        code = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    elif record.state == IN_FLIGHT:
        code = "IDEMPOTENCY_CONCURRENT_REQUEST"
    elif record.state == FAILED:
        code = "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
    else:
        return copy.deepcopy(record.response)  # the stored success, same group id, nothing re-applied
    return refusal(code)
