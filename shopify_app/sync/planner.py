"""What an order contributes to each account (pure): exact decimals, never rounded per order.

Assembly of P units adds P of the output variant and consumes P × quantityPerUnit of each
material; disassembly reverses both. An order's contribution to (variant, location, name) is the
exact decimal sum over its rows at its current location (zero at every other location); variants
the merchant chose not to sync (a settled failure) contribute nothing. The whole units sent to
Shopify come from the accounts (`accounts.freeze`), so fractions carry across orders.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from .accounts import AVAILABLE

Key = tuple[str, str, str]  # (variant GID, location GID, quantity name)


@dataclass(frozen=True)
class Material:
    variant_id: str
    quantity_per_unit: Decimal


@dataclass(frozen=True)
class Row:
    """What the planner needs of a component row."""

    variant_id: str
    produced: Decimal
    materials: tuple[Material, ...] = ()


@dataclass(frozen=True)
class Change:
    """One account change of a push: the order's exact change and the integer sent for it."""

    variant_id: str
    location_id: str
    name: str
    exact: Decimal
    delta: int

    def as_json(self) -> dict:
        return {"variantId": self.variant_id, "locationId": self.location_id, "name": self.name,
                "exact": str(self.exact), "delta": self.delta}


def contribution(rows: list[Row], order_type: str, location_id: str | None,
                 skipped: frozenset[str] = frozenset()) -> dict[Key, Decimal]:
    """The exact amount the order puts into each `available` account (nonzero ones only)."""
    if location_id is None:
        return {}
    sign = 1 if order_type == "assembly" else -1
    exact: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        exact[row.variant_id] += sign * row.produced
        for material in row.materials:
            exact[material.variant_id] -= sign * row.produced * material.quantity_per_unit
    return {(variant, location_id, AVAILABLE): total for variant, total in sorted(exact.items())
            if total and variant not in skipped}


def batches(changes: list[Change], size: int = 250) -> list[list[Change]]:
    """Split changes into mutation-sized batches: at most `size` nonzero deltas each (Shopify's
    limit per call). A change whose integer is 0 rides along: it is recorded, never sent."""
    result: list[list[Change]] = [[]]
    sent = 0
    for change in changes:
        if change.delta and sent == size:
            result.append([])
            sent = 0
        result[-1].append(change)
        sent += bool(change.delta)
    return result if result[0] else []
