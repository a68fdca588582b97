"""What an order contributes to each account (pure): exact decimals, never rounded per order.

Assembly of P units adds P of the output variant and consumes P × quantityPerUnit of each
material; disassembly reverses both. An order's contribution to (variant, location, name) is the
exact decimal sum over its rows at its current location (zero at every other location); variants
the merchant chose not to sync (a settled failure) contribute nothing. The whole units sent to
Shopify come from the accounts (`accounts.freeze`), so fractions carry across orders.

Inventory states (SPEC §10): while an order books its planned output as `incoming`, that output
is also contributed to `incoming` accounts; while its output cures, the output goes to
`quality_control` instead of `available` (materials still leave `available`). Completion,
cancellation and release change the states, and the next push freezes the difference.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from .accounts import AVAILABLE, INCOMING, QUALITY_CONTROL

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
    planned: Decimal = Decimal(0)


@dataclass(frozen=True)
class States:
    """Which of Shopify's inventory states the order's amounts are in right now."""

    incoming: bool = False  # planned output is booked as `incoming` (in progress, option on)
    held: bool = False  # produced output cures in `quality_control` (completed, not released)


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


def _output_and_use(rows: list[Row], order_type: str, quantity) -> tuple[dict, dict]:
    """Per variant, what the order makes and (negative) what it uses, for `quantity(row)` units."""
    output: dict[str, Decimal] = defaultdict(Decimal)
    used: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        units = quantity(row)
        made, taken = (output, used) if order_type == "assembly" else (used, output)
        sign = 1 if order_type == "assembly" else -1
        made[row.variant_id] += sign * units
        for material in row.materials:
            taken[material.variant_id] -= sign * units * material.quantity_per_unit
    return output, used


def contribution(rows: list[Row], order_type: str, location_id: str | None,
                 skipped: frozenset[str] = frozenset(), states: States = States()) -> dict[Key, Decimal]:
    """The exact amount the order puts into each account (nonzero ones only)."""
    if location_id is None:
        return {}
    output, used = _output_and_use(rows, order_type, lambda row: row.produced)
    exact: dict[Key, Decimal] = defaultdict(Decimal)
    output_name = QUALITY_CONTROL if states.held else AVAILABLE
    for variant, amount in output.items():
        exact[(variant, location_id, output_name)] += amount
    for variant, amount in used.items():
        exact[(variant, location_id, AVAILABLE)] += amount
    if states.incoming:
        planned, _ = _output_and_use(rows, order_type, lambda row: row.planned)
        for variant, amount in planned.items():
            exact[(variant, location_id, INCOMING)] += amount
    return {key: total for key, total in sorted(exact.items()) if total and key[0] not in skipped}


def plan_batches(changes: list[Change], size: int = 250) -> list[tuple[str, list[Change]]]:
    """Split a push's changes into calls: (`adjust`, changes of one quantity name) — Shopify's
    inventoryAdjustQuantities takes one name per call — and (`move`, pairs: from, to) for output
    moving between `quality_control` and `available`, sent with inventoryMoveQuantities."""
    pairs, rest = pair_moves(changes)
    result = []
    for name in sorted({c.name for c in rest}):
        result += [("adjust", batch) for batch in batches([c for c in rest if c.name == name], size)]
    result += [("move", [c for pair in pairs[i:i + size] for c in pair]) for i in range(0, len(pairs), size)]
    return result


def pair_moves(changes: list[Change]) -> tuple[list[tuple[Change, Change]], list[Change]]:
    """Pair an item's `quality_control` and `available` changes of opposite signs at one location
    into a move (from the decreasing name to the increasing one) of the smaller amount: a released
    hold, or live-mode output that starts curing at completion. What is left of either is an
    ordinary adjustment (possible when fractions carried by other orders make the two accounts'
    whole units differ). The exact changes stay with the pair, so the receipt adds up as before."""
    index = {(c.variant_id, c.location_id, c.name): c for c in changes}
    pairs, replaced = [], {}
    for held in changes:
        other = index.get((held.variant_id, held.location_id, AVAILABLE))
        if held.name != QUALITY_CONTROL or other is None or held.delta * other.delta >= 0:
            continue
        source, target = (held, other) if held.delta < 0 else (other, held)
        moved = min(-source.delta, target.delta)
        pairs.append((Change(source.variant_id, source.location_id, source.name, source.exact, -moved),
                      Change(target.variant_id, target.location_id, target.name, target.exact, moved)))
        for original, left in ((source, source.delta + moved), (target, target.delta - moved)):
            replaced[id(original)] = (
                [Change(original.variant_id, original.location_id, original.name, Decimal(0), left)] if left else [])
    rest = [part for c in changes for part in replaced.get(id(c), [c])]
    return pairs, rest


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
