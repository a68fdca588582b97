"""Request bodies of the production order API (validated with pydantic)."""

from typing import Annotated, ClassVar

from pydantic import Field, RootModel, StringConstraints

from ..fields import HoldDays, MoneyIn, SET_BY_SERVER, StrictBool, NO_NUL_PATTERN, TRIMMED_PATTERN, Id, IsoDate, LocationGID, NoNul, OrderType, PositiveQuantity, Quantity, ShortText, Unit, VariantGID
from ..validation import RequestModel

MAX_COMPONENTS_PER_ORDER = 1000
MAX_MATERIALS_PER_COMPONENT = 250

Reference = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=TRIMMED_PATTERN),
                      NoNul]
Notes = Annotated[str, StringConstraints(strict=True, max_length=5000, pattern=NO_NUL_PATTERN), NoNul]

ORDER_SERVER_FIELDS = {
    name: SET_BY_SERVER
    for name in ("id", "status", "startedAt", "completedAt", "cancelledAt", "createdAt",
                 "updatedAt", "version", "editable", "availableActions", "sync", "cost")
}
ORDER_SERVER_FIELDS["hold"] = "is set at completion from holdDays, and by releasing the hold (POST …/release)."
ORDER_SERVER_FIELDS["status"] = "changes only through the start, complete and cancel actions."
ORDER_SERVER_FIELDS.update({name: "is set by the server when an order is reversed (POST …/reverse)."
                            for name in ("reversalOf", "reversalOfReference", "reversedBy", "reversible", "leftToReverse")})


class MaterialIn(RequestModel):
    """One line of a component's bill of materials: consumed per produced unit."""

    variant_id: VariantGID
    title: ShortText = ""
    sku: ShortText = ""
    quantity_per_unit: PositiveQuantity


Materials = Annotated[list[MaterialIn], Field(max_length=MAX_MATERIALS_PER_COMPONENT)]


class ComponentIn(RequestModel):
    """A new component row."""

    not_writable: ClassVar[dict[str, str]] = {"id": SET_BY_SERVER}

    variant_id: VariantGID
    title: ShortText = ""
    sku: ShortText = ""
    unit: Unit = "pcs"
    quantity_planned: Quantity
    quantity_produced: Quantity | None = None
    materials: Materials = []


class DraftComponentIn(RequestModel):
    """A component row sent with a new order: a draft, so nothing has been produced yet."""

    not_writable: ClassVar[dict[str, str]] = {
        "id": SET_BY_SERVER,
        "quantityProduced": "can be recorded only once the order has started.",
    }

    variant_id: VariantGID
    title: ShortText = ""
    sku: ShortText = ""
    unit: Unit = "pcs"
    quantity_planned: Quantity
    materials: Materials = []


class ComponentFromBom(RequestModel):
    """A new component row for a BOM's output, its lines snapshotted as the row's materials."""

    not_writable: ClassVar[dict[str, str]] = {
        "id": SET_BY_SERVER,
        **{name: "comes from the bill of materials; leave it out when sending bomId."
           for name in ("variantId", "title", "sku", "materials")},
    }

    bom_id: Id
    unit: Unit = "pcs"
    quantity_planned: Quantity
    quantity_produced: Quantity | None = None


class ComponentCreate(RootModel[ComponentIn | ComponentFromBom]):
    """A new component row: given variant by variant, or from a bill of materials (`bomId`)."""


class ComponentPatch(RequestModel):
    """Changes to a component row; only the fields sent are changed."""

    not_writable: ClassVar[dict[str, str]] = {"id": SET_BY_SERVER}

    variant_id: VariantGID = None
    title: ShortText = None
    sku: ShortText = None
    unit: Unit = None
    quantity_planned: Quantity = None
    quantity_produced: Quantity = None
    materials: Materials = None


class ComponentReplace(RequestModel):
    """A row of a whole-form save: with `id`, an existing row (fields left out keep their value);
    without, a new row (then `variantId` and `quantityPlanned` are required)."""

    id: Id | None = None
    variant_id: VariantGID = None
    title: ShortText = None
    sku: ShortText = None
    unit: Unit = None
    quantity_planned: Quantity = None
    quantity_produced: Quantity = None
    materials: Materials = None


class OrderCreate(RequestModel):
    """A new draft order, optionally with its component rows."""

    not_writable: ClassVar[dict[str, str]] = ORDER_SERVER_FIELDS

    reference: Reference
    type: OrderType = "assembly"
    location_id: LocationGID | None = None
    planned_start_date: IsoDate | None = None
    notes: Notes | None = None
    sync_production_order_to_shopify: StrictBool | None = None
    labour_cost: MoneyIn | None = None
    overhead_cost: MoneyIn | None = None
    hold_days: HoldDays = 0
    components: Annotated[list[DraftComponentIn], Field(max_length=MAX_COMPONENTS_PER_ORDER)] = []


class OrderPatch(RequestModel):
    """Changes to an order's fields; only the fields sent are changed (null clears).

    `components`, when sent, is the order's whole list of rows: rows not in it are removed, all in
    one step that is validated as a whole and saved all or nothing (one history event).
    """

    not_writable: ClassVar[dict[str, str]] = ORDER_SERVER_FIELDS

    reference: Reference = None
    type: OrderType = None
    location_id: LocationGID | None = None
    planned_start_date: IsoDate | None = None
    notes: Notes | None = None
    sync_production_order_to_shopify: StrictBool | None = None
    labour_cost: MoneyIn | None = None
    overhead_cost: MoneyIn | None = None
    hold_days: HoldDays = None
    components: Annotated[list[ComponentReplace], Field(max_length=MAX_COMPONENTS_PER_ORDER)] = None


class SyncSkip(RequestModel):
    """Variants of a failed push the merchant gives up on for this order (e.g. deleted in Shopify)."""

    variant_ids: Annotated[list[VariantGID], Field(min_length=1, max_length=250)]


class SyncResolve(RequestModel):
    """The merchant's answer about a batch Shopify may have forgotten."""

    batch_id: Id
    applied: StrictBool
