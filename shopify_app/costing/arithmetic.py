"""The arithmetic of costing as pure functions: no Flask, no database, only Decimal.

Every intermediate value is exact; money is rounded half away from zero (Decimal's ROUND_HALF_UP)
once, at the end: 2 places, an output's unit cost 4. Rounding each line first would make the
lines and the total disagree by a cent now and then.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT_COST_PLACES = Decimal("0.0001")

ESTIMATED, FINAL, INCOMPLETE, NOT_APPLICABLE = "estimated", "final", "incomplete", "not_applicable"


def money(value: Decimal | None, places: Decimal = CENT) -> Decimal | None:
    """Round half away from zero (the rounding of invoices, not of statistics)."""
    return None if value is None else value.quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Row:
    """An output row: its quantity (planned or produced) and what one unit consumes."""

    component_id: int
    variant_id: str
    quantity: Decimal
    materials: tuple[tuple[str, Decimal], ...]  # (variant id, quantity per unit)


@dataclass
class CostBlock:
    currency: str | None
    state: str
    materials: list[dict] = field(default_factory=list)
    materials_total: Decimal | None = None
    labour_cost: Decimal | None = None
    overhead_cost: Decimal | None = None
    total: Decimal | None = None
    outputs: list[dict] = field(default_factory=list)


def cost_block(rows: list[Row], unit_costs: dict[str, Decimal | None], *, final: bool, disassembly: bool,
               labour: Decimal | None, overhead: Decimal | None, currency: str | None) -> CostBlock:
    """SPEC §9's cost block. `unit_costs` maps a material's variant id to its cost (None: unknown).

    With a material of unknown cost the state is `incomplete`: the totals then count the known
    lines only and no output gets a unit cost (a partial unit cost would price goods too low)."""
    if disassembly:
        return CostBlock(currency, NOT_APPLICABLE, labour_cost=labour, overhead_cost=overhead)
    used: dict[str, Decimal] = {}
    row_materials: list[Decimal] = []
    missing = False
    for row in rows:
        own = Decimal(0)
        for variant, per_unit in row.materials:
            quantity = row.quantity * per_unit
            used[variant] = used.get(variant, Decimal(0)) + quantity
            cost = unit_costs.get(variant)
            if cost is None:
                missing = True
            else:
                own += quantity * cost
        row_materials.append(own)
    lines = []
    exact_total = Decimal(0)
    for variant, quantity in used.items():
        cost = unit_costs.get(variant)
        line = None if cost is None else quantity * cost
        exact_total += line or 0
        lines.append({"variant_id": variant, "quantity": quantity, "unit_cost": money(cost),
                      "total": money(line)})
    shared = (labour or 0) + (overhead or 0)
    outputs = [{"component_id": row.component_id, "variant_id": row.variant_id, "quantity": row.quantity,
                "unit_cost": None if missing else money(unit_cost, UNIT_COST_PLACES)}
               for row, unit_cost in zip(rows, output_unit_costs(rows, row_materials, shared))]
    state = INCOMPLETE if missing else FINAL if final else ESTIMATED
    return CostBlock(currency, state, lines, money(exact_total), labour, overhead,
                     money(exact_total + shared), outputs)


def output_unit_costs(rows: list[Row], materials: list[Decimal], shared: Decimal) -> list[Decimal | None]:
    """Each row's exact unit cost: its own materials plus a share of `shared` in proportion to
    its quantity, ÷ its quantity (None for a row of quantity 0, which takes no share)."""
    quantity = sum((row.quantity for row in rows), Decimal(0))
    result = []
    for row, own in zip(rows, materials):
        if row.quantity == 0:
            result.append(None)
            continue
        share = shared * row.quantity / quantity
        result.append((own + share) / row.quantity)
    return result


def exact_batch_unit_costs(rows: list[Row], unit_costs: dict[str, Decimal | None],
                           labour: Decimal | None, overhead: Decimal | None) -> dict[str, Decimal] | None:
    """Per output variant, the exact cost of one unit made by this batch (rows of the same
    variant pooled); None when a material's cost is unknown (nothing may be written then)."""
    shared = (labour or 0) + (overhead or 0)
    quantity = sum((row.quantity for row in rows), Decimal(0))
    totals: dict[str, Decimal] = {}
    made: dict[str, Decimal] = {}
    for row in rows:
        own = Decimal(0)
        for variant, per_unit in row.materials:
            cost = unit_costs.get(variant)
            if cost is None:
                return None
            own += row.quantity * per_unit * cost
        if row.quantity == 0:
            continue
        totals[row.variant_id] = totals.get(row.variant_id, Decimal(0)) + own + shared * row.quantity / quantity
        made[row.variant_id] = made.get(row.variant_id, Decimal(0)) + row.quantity
    return {variant: totals[variant] / made[variant] for variant in totals}


def weighted_average(on_hand: Decimal | int | None, old_cost: Decimal | None, produced: Decimal,
                     batch_unit_cost: Decimal) -> Decimal:
    """(onHand × oldCost + produced × batchUnitCost) ÷ (onHand + produced), exact.

    An unknown old cost or a stock of zero or less counts as 0 units: there is nothing to average
    with (a negative stock would even flip the sign of the weights)."""
    units = Decimal(on_hand or 0)
    if old_cost is None or units <= 0:
        return batch_unit_cost
    return (units * old_cost + produced * batch_unit_cost) / (units + produced)
