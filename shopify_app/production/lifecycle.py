"""The rules of a production order's life (SPEC §2), as pure functions over plain values.

Nothing here touches Flask or the database: the service asks these functions what is allowed
and applies the answer, so every entry point (API, pages, CLI, workers) obeys the same rules.
"""

from dataclasses import dataclass
from enum import StrEnum

from ..errors import InvalidTransition, ReadOnly, ValidationFailed


class OrderStatus(StrEnum):
    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


# (from, action) -> to. Anything not listed is refused.
TRANSITIONS: dict[tuple[OrderStatus, Action], OrderStatus] = {
    (OrderStatus.DRAFT, Action.START): OrderStatus.IN_PROGRESS,
    (OrderStatus.DRAFT, Action.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.IN_PROGRESS, Action.COMPLETE): OrderStatus.COMPLETED,
    (OrderStatus.IN_PROGRESS, Action.CANCEL): OrderStatus.CANCELLED,
}

EDITABLE_STATUSES = frozenset({OrderStatus.DRAFT, OrderStatus.IN_PROGRESS})

# Which event type each transition writes.
TRANSITION_EVENTS = {Action.START: "started", Action.COMPLETE: "completed", Action.CANCEL: "cancelled"}

_REQUIRED_STATUS_TEXT = {
    Action.START: "Only a draft order can be started",
    Action.COMPLETE: "Only an order in progress can be completed",
    Action.CANCEL: "Only a draft or in-progress order can be cancelled",
}


def available_actions(status: str) -> list[str]:
    """The actions the detail page offers for an order in `status`, in display order."""
    return [action.value for action in Action if (OrderStatus(status), action) in TRANSITIONS]


def is_editable(status: str) -> bool:
    """Draft and in-progress orders are editable in every field; the rest are read-only."""
    return OrderStatus(status) in EDITABLE_STATUSES


def next_status(status: str, action: Action) -> OrderStatus:
    """The status `action` leads to from `status`, or InvalidTransition."""
    try:
        return TRANSITIONS[(OrderStatus(status), action)]
    except KeyError:
        raise InvalidTransition(
            f"{_REQUIRED_STATUS_TEXT[action]}; this order is {OrderStatus(status).value}.",
            {"status": status, "action": action.value},
        ) from None


def ensure_editable(status: str) -> None:
    """Raise ReadOnly for any write to a completed or cancelled order or its components."""
    if not is_editable(status):
        raise ReadOnly(
            f"This order is {status} and can no longer be changed.", {"status": status}
        )


def ensure_can_record_produced(status: str, path: str) -> None:
    """Produced quantities are recorded only while the order is in progress."""
    if OrderStatus(status) is not OrderStatus.IN_PROGRESS:
        raise ValidationFailed(
            "Produced quantities can be recorded only while the order is in progress.",
            {path: "Start the order before recording what was produced."},
        )


@dataclass(frozen=True)
class SyncSettings:
    """The order's own sync flag and location, before or after resolving the shop defaults."""

    sync: bool | None
    location_id: str | None


def resolve_at_start(order: SyncSettings, shop_default_sync: bool, shop_default_location: str | None) -> SyncSettings:
    """Apply the shop defaults the moment an order starts (not at creation).

    An unset flag takes the shop's current default; an unset location takes the shop's
    default location. An order that will sync must have somewhere to push the stock.
    """
    sync = shop_default_sync if order.sync is None else order.sync
    location = order.location_id if order.location_id is not None else shop_default_location
    if sync and location is None:
        raise ValidationFailed(
            "This order syncs to Shopify but has no location. Choose a location on the order "
            "or set a default location in Settings, then start it again.",
            {"locationId": "A location is required for an order that syncs to Shopify."},
        )
    return SyncSettings(sync=sync, location_id=location)


def check_sync_fields(status: str, sync: bool | None, location_id: str | None) -> None:
    """The sync flag and location must stay consistent once an order is in progress."""
    if OrderStatus(status) is not OrderStatus.IN_PROGRESS:
        return
    if sync is None:
        raise ValidationFailed(
            "syncProductionOrderToShopify must be true or false once the order has started.",
            {"syncProductionOrderToShopify": "May be null only while the order is a draft."},
        )
    if sync and location_id is None:
        raise ValidationFailed(
            "An order that syncs to Shopify needs a location.",
            {"locationId": "A location is required while syncProductionOrderToShopify is true."},
        )


def ensure_sync_retry_allowed(status: str, started_at) -> None:
    """Retrying a push is not an edit: allowed for completed orders and those cancelled mid-production."""
    if OrderStatus(status) is OrderStatus.DRAFT or (
        OrderStatus(status) is OrderStatus.CANCELLED and started_at is None
    ):
        raise InvalidTransition(
            "Nothing is pushed to Shopify for drafts or for orders cancelled before they started.",
            {"status": status},
        )


def is_curing(status: str, hold_until, released_at) -> bool:
    """The output is held in Shopify's `quality_control` (SPEC §10): completed, hold not yet released."""
    return OrderStatus(status) is OrderStatus.COMPLETED and hold_until is not None and released_at is None


def ensure_can_release(status: str, hold_until, released_at) -> None:
    """Releasing needs a hold still in place (409 otherwise, saying which case it is)."""
    if is_curing(status, hold_until, released_at):
        return
    if released_at is not None:
        raise InvalidTransition("This order's output was already released.", {"hold": "released"})
    raise InvalidTransition("Nothing is held for this order: only a completed order with hold days has a hold.",
                            {"hold": "none"})


def can_be_reversed(status: str, curing: bool = False) -> bool:
    """Only a completed order is reversed (SPEC §11): the reversal is a new order, the original
    stays read-only. Not while its output cures: a reversal takes its units from `available`, where
    curing output is not yet."""
    return OrderStatus(status) is OrderStatus.COMPLETED and not curing


def ensure_can_reverse(status: str, curing: bool = False) -> None:
    if OrderStatus(status) is not OrderStatus.COMPLETED:
        raise InvalidTransition(f"Only a completed order can be reversed; this order is {status}.",
                                {"status": status})
    if curing:
        raise InvalidTransition("This order's output is still curing in quality control. Release it for sale "
                                "first, then reverse the order.", {"hold": "curing"})
