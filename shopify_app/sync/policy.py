"""When a change to an order needs a push (pure rules of SPEC §5 "When")."""

# Fields whose change can move a leg's target; others (planned quantity, notes, title) cannot.
TARGET_FIELDS = frozenset({"variantId", "quantityProduced", "materials", "locationId", "type"})
# What moves the `incoming` amounts of an order that books its planned output as incoming (SPEC §10).
INCOMING_FIELDS = frozenset({"variantId", "quantityPlanned", "materials", "locationId", "type"})
ROW_EVENTS = frozenset({"component_added", "component_removed"})


def _field_names(changes: dict) -> set[str]:
    # History keys look like "locationId", "components.12.quantityProduced" or "components.12";
    # the last is a row added or removed (a whole-form save), which moves that row's targets.
    return {"variantId" if key.startswith("components.") and key.count(".") == 1 else key.rsplit(".", 1)[-1]
            for key in changes}


def push_reason(event_type: str, status: str, sync_flag: bool | None, sync_mode: str,
                changes: dict, incoming: bool = False) -> str | None:
    """Why this committed change must be pushed, or None when it need not be.

    `incoming`: the order books its planned output as Shopify's `incoming` (SPEC §10), so its
    start, planned-quantity and location edits, and a cancel take it in or out in any sync mode."""
    if sync_flag is not True:
        return None
    if event_type in ("completed", "released"):
        return event_type
    reason = _live_reason(event_type, status, sync_mode, changes)
    if reason is None and incoming:
        reason = _incoming_reason(event_type, status, changes)
    return reason


def _live_reason(event_type: str, status: str, sync_mode: str, changes: dict) -> str | None:
    if status != "in_progress" or sync_mode != "live":
        return None  # on_complete mode waits for completion; drafts never push
    if event_type in ROW_EVENTS:
        return "live_edit"
    if event_type == "started":
        return "live_started"
    fields = _field_names(changes)
    if "syncProductionOrderToShopify" in fields:
        return "sync_turned_on"
    if fields & TARGET_FIELDS:
        return "live_edit"
    return None


def _incoming_reason(event_type: str, status: str, changes: dict) -> str | None:
    if event_type == "cancelled" and status == "cancelled":
        return "incoming_cancelled"
    if status != "in_progress":
        return None
    if event_type in ("started", *ROW_EVENTS):
        return "incoming_edit"
    fields = _field_names(changes)
    if "syncProductionOrderToShopify" in fields:
        return "sync_turned_on"
    return "incoming_edit" if fields & INCOMING_FIELDS else None


def turns_sync_off(changes: dict) -> bool:
    """The change switched the order's flag off: unsent pushes are cancelled."""
    flag = changes.get("syncProductionOrderToShopify")
    return bool(flag) and flag[1] is False
