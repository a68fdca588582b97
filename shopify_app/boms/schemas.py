"""Request and response bodies of /api/boms."""

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from ..fields import (MoneyOut, SET_BY_SERVER, TRIMMED_PATTERN, HoldDays, NoNul, PositiveQuantity, ShortText, SignedQuantity,
                      StrictBool, VariantGID)
from ..production.representations import ResponseModel
from ..validation import RequestModel

MAX_LINES = 250
BomName = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128, pattern=TRIMMED_PATTERN), NoNul]


class BomLineIn(RequestModel):
    variant_id: VariantGID
    title: ShortText = ""
    # Not sent: a line of the same variant keeps the SKU it had (the editor does not show SKUs).
    sku: ShortText = None
    quantity_per_unit: PositiveQuantity


Lines = Annotated[list[BomLineIn], Field(min_length=1, max_length=MAX_LINES)]


class BomIn(RequestModel):
    """A new bill of materials."""

    not_writable: ClassVar[dict[str, str]] = {n: SET_BY_SERVER for n in ("id", "createdAt", "updatedAt")}

    name: BomName
    output_variant_id: VariantGID
    output_title: ShortText = ""
    output_sku: ShortText = ""
    active: StrictBool = True
    hold_days: HoldDays = 0
    lines: Lines


class BomPatch(RequestModel):
    """Changes to a BOM; `lines`, when sent, replaces every line."""

    not_writable: ClassVar[dict[str, str]] = BomIn.not_writable

    name: BomName = None
    output_variant_id: VariantGID = None
    output_title: ShortText = None
    output_sku: ShortText = None
    active: StrictBool = None
    hold_days: HoldDays = None
    lines: Lines = None


class BomLineOut(ResponseModel):
    variant_id: str
    title: str
    sku: str
    quantity_per_unit: SignedQuantity


class BomOut(ResponseModel):
    id: int
    name: str
    output_variant_id: str
    output_title: str
    output_sku: str
    active: bool
    hold_days: int
    lines: list[BomLineOut]
    created_at: datetime
    updated_at: datetime
    estimated_unit_cost: MoneyOut | None = Field(
        description="Materials of one output unit at the unit costs last read from Shopify (4 places); "
                    "null while a line's cost is unknown.")
    cost_currency: str | None


class BomListOut(ResponseModel):
    items: list[BomOut]
