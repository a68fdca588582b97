"""The JSON shapes the API answers with, and the one place that builds them from models.

The same pydantic models feed the OpenAPI document, so the documented shape is the served one.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ..costing.blocks import order_cost
from ..costing.writes import cost_updates_of
from ..fields import CostUpdate, MoneyOut, OrderType, Quantity, ShortagePolicy, SignedQuantity, SyncMode, Unit
from ..sync.status import summaries
from . import lifecycle
from .holds import hold_json
from .models import Component, OrderEvent, ProductionOrder
from .reversals import links


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True)


class MaterialOut(ResponseModel):
    variant_id: str
    title: str
    sku: str = ""
    quantity_per_unit: SignedQuantity


class ComponentOut(ResponseModel):
    id: int
    variant_id: str
    title: str
    sku: str
    unit: Unit
    quantity_planned: Quantity
    quantity_produced: Quantity
    materials: list[MaterialOut]


class AdjustmentOut(ResponseModel):
    """A receipt entry: one account change of a push (quantity 0: the fraction was carried)."""

    variant_id: str
    location_id: str
    name: str
    exact: SignedQuantity
    quantity: int
    adjustment_group_id: str | None
    quantity_after_change: int | None
    inventory_history_url: str | None
    at: datetime


class ReviewChangeOut(ResponseModel):
    variant_id: str
    location_id: str
    name: str
    exact: SignedQuantity
    quantity: int
    inventory_history_url: str | None


class ReviewBatchOut(ResponseModel):
    """A batch sent longer ago than Shopify keeps keys, outcome unknown: the merchant decides."""

    batch_id: int
    first_sent_at: datetime | None
    changes: list[ReviewChangeOut]


class SyncOut(ResponseModel):
    state: Literal["off", "pending", "failed", "needs_review", "synced"]
    last_synced_at: datetime | None
    last_error: str | None
    attempts: int
    adjustments: list[AdjustmentOut]
    review: list[ReviewBatchOut]
    # Variants of a failed push that POST …/sync/skip may leave out of this order's sync.
    failed_variant_ids: list[str]
    # Whether POST …/sync can help: false when the push failed in a way a retry repeats (settle instead).
    retry_helps: bool
    # Variants the merchant left out of this order's sync (POST …/sync/skip): never sent for it.
    skipped_variant_ids: list[str]


class CostMaterialOut(ResponseModel):
    variant_id: str
    quantity: SignedQuantity
    unit_cost: MoneyOut | None
    total: MoneyOut | None


class CostOutputOut(ResponseModel):
    component_id: int
    variant_id: str
    quantity: SignedQuantity
    unit_cost: MoneyOut | None = Field(description="4 places; null when the quantity is 0 or a cost is unknown.")


class ShopifyCostUpdateOut(ResponseModel):
    variant_id: str
    state: Literal["pending", "applied", "failed"]
    old_cost: MoneyOut | None
    new_cost: MoneyOut
    error: str | None


class CostOut(ResponseModel):
    """SPEC §9: what the batch costs (estimated) or cost (final), rounded once at the end."""

    currency: str | None
    state: Literal["estimated", "final", "incomplete", "not_applicable"]
    materials: list[CostMaterialOut]
    materials_total: MoneyOut | None
    labour_cost: MoneyOut | None
    overhead_cost: MoneyOut | None
    total: MoneyOut | None
    outputs: list[CostOutputOut]
    shopify_cost_updates: list[ShopifyCostUpdateOut] = Field(description=(
        "The cost per item this order writes to Shopify once completed (shop setting costUpdate): "
        "`pending` until Shopify confirms it (sent again with the same value), `applied`, or `failed` "
        "when Shopify refused it for good (`error` says why; nothing is retried)."))


class HoldOut(ResponseModel):
    until: datetime = Field(description="When the worker releases the held output to `available`.")
    released_at: datetime | None = Field(description="When it was released (by the worker or POST …/release).")


class OrderSummaryOut(ResponseModel):
    id: int
    reference: str
    type: OrderType
    status: Literal["draft", "in_progress", "completed", "cancelled"]
    location_id: str | None
    planned_start_date: date | None
    notes: str | None
    sync_production_order_to_shopify: bool | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    editable: bool
    available_actions: list[Literal["start", "complete", "cancel"]]
    labour_cost: MoneyOut | None
    overhead_cost: MoneyOut | None
    hold_days: int = Field(description="Days the output cures in Shopify's `quality_control` after completion.")
    hold: HoldOut | None = Field(description="The curing hold, from completion; null when nothing was held.")
    planned_output_as_incoming: bool = Field(description=(
        "The planned output is booked as Shopify's `incoming` while in progress (decided at start)."))
    sync: SyncOut  # last: the cached detail appends it (detail_cache)


class ReversalLinkOut(ResponseModel):
    id: int
    reference: str
    status: Literal["draft", "in_progress", "completed", "cancelled"]


class LeftToReverseOut(ResponseModel):
    component_id: int
    quantity: Quantity


class ReversalFieldsOut(ResponseModel):
    """The links between an order and its reversals (SPEC §11), read fresh on every request."""

    reversal_of: int | None = Field(description="The completed order this one reverses, or null.")
    reversal_of_reference: str | None = Field(description="That order's reference, or null.")
    reversed_by: list[ReversalLinkOut] = Field(description="Reversals of this order, oldest first.")
    reversible: bool = Field(description="Completed, with something no reversal covers yet: "
                                         "POST …/reverse would create a reversal.")
    left_to_reverse: list[LeftToReverseOut] = Field(description=(
        "Per row of a completed order, what no reversal covers yet (what a new reversal would plan); "
        "rows with nothing left are omitted."))


class OrderOut(ReversalFieldsOut, OrderSummaryOut):  # this base order keeps the summary fields first
    components: list[ComponentOut]
    cost: CostOut


class OutputOut(ResponseModel):
    variant_id: str
    title: str
    unit: Unit
    quantity_planned: Quantity
    quantity_produced: Quantity


class OrderListItemOut(OrderSummaryOut):
    """A list row: the order and what it makes (its first rows; `componentCount` counts them all)."""

    outputs: list[OutputOut]
    component_count: int


class OrderListOut(ResponseModel):
    items: list[OrderListItemOut]
    page: int
    per_page: int
    total: int = Field(description="Orders matching the filters; with `q`, at most 10,000 are counted "
                                   "(see totalExact).")
    total_exact: bool = Field(description="false when `total` is a lower bound (a search matching more "
                                          "than 10,000 orders).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class EventOut(ResponseModel):
    id: int
    type: str
    actor: str
    changes: dict[str, Any]
    created_at: datetime


class EventListOut(ResponseModel):
    items: list[EventOut]


class SettingsOut(ResponseModel):
    sync_production_orders_to_shopify_by_default: bool
    default_location_id: str | None
    sync_mode: SyncMode
    cost_update: CostUpdate
    shortage_policy: ShortagePolicy
    planned_output_as_incoming: bool


def _order_fields(order: ProductionOrder, sync: dict) -> dict:
    return {
        "id": order.id,
        "reference": order.reference,
        "type": order.type,
        "status": order.status,
        "location_id": order.location_id,
        "planned_start_date": order.planned_start_date,
        "notes": order.notes,
        "sync_production_order_to_shopify": order.sync_to_shopify,
        "started_at": order.started_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "version": order.version,
        "editable": lifecycle.is_editable(order.status),
        "available_actions": lifecycle.available_actions(order.status),
        "sync": sync,
        "labour_cost": order.labour_cost,
        "overhead_cost": order.overhead_cost,
        "hold_days": order.hold_days,
        "hold": hold_json(order),
        "planned_output_as_incoming": order.incoming_planned,
    }


def component_fields(component: Component) -> dict:
    """A component row as plain values (used by the representation and by history entries)."""
    return {
        "id": component.id,
        "variant_id": component.variant_id,
        "title": component.title,
        "sku": component.sku,
        "unit": component.unit,
        "quantity_planned": component.quantity_planned,
        "quantity_produced": component.quantity_produced,
        "materials": [
            {"variant_id": m["variantId"], "title": m["title"], "sku": m.get("sku", ""),
             "quantity_per_unit": m["quantityPerUnit"]}
            for m in component.materials
        ],
    }


def order_json(order: ProductionOrder) -> dict:
    """The full representation of one order, components included."""
    fields = _order_fields(order, summaries([order])[order.id].as_fields())
    fields.update(links(order))
    fields["components"] = [component_fields(c) for c in order.components]
    fields["cost"] = cost_json(order)
    return OrderOut.model_validate(fields).model_dump(mode="json")


def order_json_parts(order: ProductionOrder) -> tuple[dict, list]:
    """The parts of `order_json` that only change with the order's version: its own fields
    (`sync` left out) and its components."""
    # A placeholder, dropped below: the real sync block is read on every request.
    fields = _order_fields(order, SyncOut(state="off", last_synced_at=None, last_error=None, attempts=0,
                                          adjustments=[], review=[], failed_variant_ids=[], retry_helps=False,
                                          skipped_variant_ids=[]))
    fields.update(reversal_of=None, reversal_of_reference=None, reversed_by=[], reversible=False,
                  left_to_reverse=[])  # read fresh too
    fields["components"] = [component_fields(c) for c in order.components]
    fields["cost"] = CostOut(currency=None, state="not_applicable", materials=[], materials_total=None,
                             labour_cost=None, overhead_cost=None, total=None, outputs=[],
                             shopify_cost_updates=[])
    out = OrderOut.model_validate(fields).model_dump(mode="json")
    out.pop("sync")
    for name in ReversalFieldsOut.model_fields:
        out.pop(to_camel(name))
    out.pop("cost")  # read on every request: unit costs change without a version bump
    return out, out.pop("components")


def cost_json(order: ProductionOrder, rows=None) -> dict:
    """The `cost` block of one order (`rows` as costing.blocks.order_rows gives them, if at hand)."""
    block = order_cost(order, rows)
    fields = {name: getattr(block, name) for name in CostOut.model_fields if hasattr(block, name)}
    fields["shopify_cost_updates"] = [
        ShopifyCostUpdateOut(variant_id=u.variant_id, state=u.status, old_cost=u.old_cost, new_cost=u.new_cost,
                             error=u.last_error if u.status == "failed" else None)
        for u in cost_updates_of(order)]
    return CostOut.model_validate(fields).model_dump(mode="json")


def sync_json(order: ProductionOrder, latest_pushes: dict | None = None) -> dict:
    """The `sync` block of one order (it changes without a version bump: read it every time)."""
    summary = summaries([order], latest_pushes)[order.id]
    return SyncOut.model_validate(summary.as_fields()).model_dump(mode="json")


def reversal_json(order: ProductionOrder) -> dict:
    """The reversal links of one order (another order's writes change them: read them every time)."""
    return ReversalFieldsOut.model_validate(links(order)).model_dump(mode="json")


def order_list_json(orders: list[ProductionOrder], page: int, per_page: int, total: int,
                    total_exact: bool = True, next_cursor: str | None = None,
                    outputs: dict | None = None) -> dict:
    """A page of orders with their first rows (`outputs`: order id -> (rows, row count), from
    listing.list_outputs)."""
    sync = summaries(orders)
    outputs = outputs or {}
    items = []
    for order in orders:
        rows, count = outputs.get(order.id, ([], 0))
        items.append({**_order_fields(order, sync[order.id].as_fields()), "component_count": count,
                      "outputs": [{"variant_id": r.variant_id, "title": r.title, "unit": r.unit,
                                   "quantity_planned": r.quantity_planned, "quantity_produced": r.quantity_produced}
                                  for r in rows]})
    return OrderListOut(items=items, page=page, per_page=per_page, total=total, total_exact=total_exact,
                        next_cursor=next_cursor).model_dump(mode="json")


def events_json(events: list[OrderEvent]) -> dict:
    """An order's history, oldest first."""
    items = [
        {"id": e.id, "type": e.type, "actor": e.actor, "changes": e.changes, "created_at": e.created_at}
        for e in events
    ]
    return EventListOut(items=items).model_dump(mode="json")


def settings_json(settings) -> dict:
    """The shop's settings as the settings screen reads them."""
    return SettingsOut(
        sync_production_orders_to_shopify_by_default=settings.sync_by_default,
        default_location_id=settings.default_location_id,
        sync_mode=settings.sync_mode,
        cost_update=settings.cost_update,
        shortage_policy=settings.shortage_policy,
        planned_output_as_incoming=settings.planned_output_as_incoming,
    ).model_dump(mode="json")
