"""What to push (pure): per leg (variant, location) the target and the change from what is pushed.

Assembly of P units adds P of the output variant and consumes P × quantityPerUnit of each
material; disassembly reverses both. A leg's target is the exact decimal sum over the order's
rows at its current location, rounded half away from zero (Shopify counts whole units); legs at
any other location target 0. Pushing `target - pushed` per leg means rounding never drifts and
edits in progress (location, type, removed rows) converge by themselves.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Leg = tuple[str, str]  # (variant GID, location GID)


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
    variant_id: str
    location_id: str
    delta: int


def round_half_away_from_zero(value: Decimal) -> int:
    """2.5 -> 3, -2.5 -> -3 (Decimal's ROUND_HALF_UP rounds away from zero)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def targets(rows: list[Row], order_type: str, location_id: str | None) -> dict[Leg, int]:
    """The whole units each leg at the order's location should have received."""
    if location_id is None:
        return {}
    sign = 1 if order_type == "assembly" else -1
    exact: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        exact[row.variant_id] += sign * row.produced
        for material in row.materials:
            exact[material.variant_id] -= sign * row.produced * material.quantity_per_unit
    return {(variant, location_id): round_half_away_from_zero(total) for variant, total in exact.items()}


def plan_changes(rows: list[Row], order_type: str, location_id: str | None,
                 pushed: dict[Leg, int]) -> list[Change]:
    """The deltas that bring Shopify from `pushed` to the targets, in a stable order."""
    wanted = targets(rows, order_type, location_id)
    changes = []
    for leg in sorted(set(wanted) | set(pushed)):
        delta = wanted.get(leg, 0) - pushed.get(leg, 0)
        if delta:
            changes.append(Change(variant_id=leg[0], location_id=leg[1], delta=delta))
    return changes


def batches(changes: list[Change], size: int = 250) -> list[list[Change]]:
    """Split changes into mutation-sized batches (Shopify takes at most 250 changes per call)."""
    return [changes[i:i + size] for i in range(0, len(changes), size)]
