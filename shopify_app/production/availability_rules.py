"""What an order still needs from stock and what it is short of (SPEC §10). Pure: no Flask, no database.

Rules, exact decimals throughout:
- A row still needs its remaining quantity, `max(0, planned − produced)`: a row produced in full
  (or beyond) needs nothing more.
- Assembly consumes the materials (remaining × quantityPerUnit) and makes the row's variant;
  disassembly consumes the row's variant (the remaining quantity itself) and makes the materials.
- A variant the order both consumes and makes (an intermediate made in one row and used in
  another) is required net of what the order still makes of it: `max(0, consumed − made)`. It
  stays listed even at 0, so the merchant sees the order uses it.
- `shortage = max(0, required − available)`. An item Shopify does not count (untracked) is never
  short (`available` None, shortage 0); where no location is known, neither is (both None).
"""

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Material:
    variant_id: str
    title: str
    quantity_per_unit: Decimal


@dataclass(frozen=True)
class Row:
    """One component row as the rules need it."""

    variant_id: str
    title: str
    planned: Decimal
    produced: Decimal
    materials: tuple[Material, ...] = ()


@dataclass(frozen=True)
class Need:
    """A variant the order consumes: how much it still requires, and where the order names it first."""

    variant_id: str
    title: str
    required: Decimal
    path: str  # JSON path in the order (`components[0].materials[1].variantId`), for the 422's details


@dataclass(frozen=True)
class Line:
    """One line of the availability answer."""

    variant_id: str
    title: str
    required: Decimal
    available: int | None
    shortage: Decimal | None
    path: str


def remaining(planned: Decimal, produced: Decimal) -> Decimal:
    """What a row still has to make: never negative."""
    return max(ZERO, Decimal(planned) - Decimal(produced))


def needs(order_type: str, rows: list[Row]) -> list[Need]:
    """Every variant the order consumes, in the order it first appears, with its net requirement."""
    consumed: dict[str, Decimal] = {}
    made: dict[str, Decimal] = {}
    titles: dict[str, str] = {}
    paths: dict[str, str] = {}

    def use(variant: str, title: str, quantity: Decimal, path: str) -> None:
        consumed[variant] = consumed.get(variant, ZERO) + quantity
        paths.setdefault(variant, path)
        if title and not titles.get(variant):
            titles[variant] = title

    def make(variant: str, quantity: Decimal) -> None:
        made[variant] = made.get(variant, ZERO) + quantity

    for index, row in enumerate(rows):
        left = remaining(row.planned, row.produced)
        row_path = f"components[{index}]"
        if order_type == "disassembly":
            use(row.variant_id, row.title, left, f"{row_path}.variantId")
            for material in row.materials:
                make(material.variant_id, left * Decimal(material.quantity_per_unit))
        else:
            make(row.variant_id, left)
            for number, material in enumerate(row.materials):
                use(material.variant_id, material.title, left * Decimal(material.quantity_per_unit),
                    f"{row_path}.materials[{number}].variantId")
    return [Need(variant, titles.get(variant, ""), _plain(max(ZERO, quantity - made.get(variant, ZERO))),
                 paths[variant])
            for variant, quantity in consumed.items()]


def shortage(required: Decimal, available: int) -> Decimal:
    """How much is missing: `max(0, required − available)` (a negative stock counts as negative)."""
    return _plain(max(ZERO, required - available))


def lines(order_needs: list[Need], stock: dict[str, int | None] | None) -> list[Line]:
    """The needs with Shopify's stock: `stock` maps variant -> available (None: untracked);
    `stock` None means no location is known, so nothing is said about availability."""
    result = []
    for need in order_needs:
        if stock is None:
            available, short = None, None
        else:
            available = stock.get(need.variant_id, 0)  # a variant Shopify no longer has: nothing in stock
            short = ZERO if available is None else shortage(need.required, available)
        result.append(Line(need.variant_id, need.title, need.required, available, short, need.path))
    return result


def shortages(order_lines: list[Line]) -> list[Line]:
    """The lines that are short."""
    return [line for line in order_lines if line.shortage]


def _plain(value: Decimal) -> Decimal:
    # 2.500 and 2.5 are the same quantity everywhere else in the app (fields._three_places).
    return value.normalize() if value != 0 else ZERO
