"""Moving an order between statuses (start, complete, cancel) and reversing a completed one.

Each function is called with the order row-locked (`queries.lock_order`), checks `If-Match`, asks
`lifecycle` what is allowed, applies the change, and ends in `commits.commit_change`.
"""

from sqlalchemy import delete, update
from sqlalchemy.orm.attributes import set_committed_value

from ..costing.blocks import freeze_order_costs
from ..db_types import utcnow
from ..extensions import db
from ..shops.models import Shop
from . import availability, lifecycle, reversal_rules, reversals
from .commits import check_version, commit_change, reference_taken
from .history import Changes, component_snapshot
from .holds import hold_until
from .lifecycle import Action, OrderStatus, SyncSettings
from .models import Component, OrderEvent, ProductionOrder
from .service import ORDER_FIELDS
from .shopify_ids import check_ids, order_refs


def start_order(order: ProductionOrder, shop: Shop, *, actor: str, expected_version=None) -> ProductionOrder:
    """draft -> in_progress; the sync flag and location take the shop defaults now if unset."""
    check_version(order, expected_version)
    new_status = lifecycle.next_status(order.status, Action.START)
    settings = shop.settings
    resolved = lifecycle.resolve_at_start(
        SyncSettings(order.sync_to_shopify, order.location_id),
        settings.sync_by_default, settings.default_location_id,
    )
    if settings.shortage_policy == "block":  # SPEC §10: refused (422) while short; never started blind (503)
        availability.refuse_shortages(shop, order, resolved.location_id)
    # Checked again at start: a product deleted in Shopify since the order was saved is named now,
    # while the order can still be fixed, not after completion when it is read-only.
    check_ids(shop, order_refs(resolved.location_id, [
        (index, c.variant_id, c.title, c.materials) for index, c in enumerate(order.components)]))
    now = utcnow()
    changes = Changes()
    changes.record("status", order.status, new_status.value)
    changes.record("startedAt", None, now)
    changes.record("syncProductionOrderToShopify", order.sync_to_shopify, resolved.sync)
    changes.record("locationId", order.location_id, resolved.location_id)
    order.status, order.started_at = new_status.value, now
    order.sync_to_shopify, order.location_id = resolved.sync, resolved.location_id
    # Decided now, like the sync flag: the planned output is booked as Shopify's `incoming`.
    changes.record("plannedOutputAsIncoming", order.incoming_planned, settings.planned_output_as_incoming)
    order.incoming_planned = settings.planned_output_as_incoming
    return commit_change(order, shop, lifecycle.TRANSITION_EVENTS[Action.START], actor, changes)


def complete_order(order: ProductionOrder, shop: Shop, *, actor: str, expected_version=None) -> ProductionOrder:
    """in_progress -> completed; every row's planned quantity becomes what was produced."""
    check_version(order, expected_version)
    new_status = lifecycle.next_status(order.status, Action.COMPLETE)
    now = utcnow()
    changes = Changes()
    changes.record("status", order.status, new_status.value)
    changes.record("completedAt", None, now)
    for component in order.components:
        changes.record(f"components.{component.id}.quantityPlanned",
                       component.quantity_planned, component.quantity_produced)
    # One statement for all rows, however many there are; the loaded rows are told the result.
    db.session.execute(
        update(Component).where(Component.order_id == order.id)
        .values(quantity_planned=Component.quantity_produced)
        .execution_options(synchronize_session=False)
    )
    for component in order.components:
        set_committed_value(component, "quantity_planned", component.quantity_produced)
    order.status, order.completed_at = new_status.value, now
    if order.hold_days > 0:
        order.hold_until = hold_until(now, order.hold_days)
        changes.record("hold", None, {"until": order.hold_until, "releasedAt": None})
    freeze_order_costs(order)  # the final cost keeps the unit costs known at this moment
    return commit_change(order, shop, lifecycle.TRANSITION_EVENTS[Action.COMPLETE], actor, changes)


def cancel_order(order: ProductionOrder, shop: Shop, *, actor: str, expected_version=None) -> ProductionOrder:
    """draft|in_progress -> cancelled; a draft loses its rows, an order in progress keeps them."""
    check_version(order, expected_version)
    new_status = lifecycle.next_status(order.status, Action.CANCEL)
    now = utcnow()
    changes = Changes()
    changes.record("status", order.status, new_status.value)
    changes.record("cancelledAt", None, now)
    if order.status == OrderStatus.DRAFT and order.components:
        changes.record("components", [component_snapshot(c) for c in order.components], [])
        db.session.execute(
            delete(Component).where(Component.order_id == order.id)
            .execution_options(synchronize_session=False)
        )
        for component in order.components:
            db.session.expunge(component)
        set_committed_value(order, "components", [])
    order.status, order.cancelled_at = new_status.value, now
    return commit_change(order, shop, lifecycle.TRANSITION_EVENTS[Action.CANCEL], actor, changes)



# ---------------------------------------------------------------- reversal


def reverse_order(original: ProductionOrder, shop: Shop, *, actor: str, expected_version=None) -> ProductionOrder:
    """A completed order -> a linked draft that takes back what no earlier reversal covers (SPEC §11).

    The draft is the original's type flipped, at its location with its sync flag, one row per
    original row with something left, the same materials. The original (row-locked by the caller,
    read-only otherwise) gets a `reversed` event and a new version, so two racing reversals of
    one order cannot both be created from the same remainder."""
    check_version(original, expected_version)
    reversals.lock_original(original.id)
    left = reversals.ensure_reversible(original)
    n = reversals.reversal_count(original.id) + 1
    while reference_taken(shop, reference := reversal_rules.reversal_reference(original.reference, n)):
        n += 1
    now = utcnow()
    reversal = ProductionOrder(
        shop_id=shop.id, reference=reference, reference_key=reference.lower(),
        type=reversal_rules.FLIPPED_TYPE[original.type], status=OrderStatus.DRAFT.value,
        location_id=original.location_id, sync_to_shopify=original.sync_to_shopify, reversal_of=original.id,
        created_at=now, updated_at=now,
        components=[Component(shop_id=shop.id, variant_id=c.variant_id, title=c.title, sku=c.sku, unit=c.unit,
                              quantity_planned=left[c.id], quantity_produced=0,
                              materials=[dict(m) for m in c.materials], reverses_component_id=c.id)
                    for c in original.components if left.get(c.id)],
    )
    db.session.add(reversal)
    db.session.flush()  # assigns the ids the events name
    created = Changes()
    for api_name, attr in ORDER_FIELDS.values():
        created.record(api_name, None, getattr(reversal, attr))
    created.record("status", None, reversal.status)
    created.record("reversalOf", None, original.id)
    created.record("components", None, [component_snapshot(c) for c in reversal.components])
    db.session.add(OrderEvent(shop_id=shop.id, order_id=reversal.id, type="created", actor=actor, changes=created))
    reversed_by = Changes()
    reversed_by.record("reversedBy", None, {"id": reversal.id, "reference": reversal.reference})
    commit_change(original, shop, "reversed", actor, reversed_by)
    return reversal
