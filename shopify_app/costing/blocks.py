"""An order's and a BOM's cost, from their rows and the unit costs on record (SPEC §9)."""

from decimal import Decimal

from ..extensions import db
from . import arithmetic, unit_costs


def order_rows(components, *, produced: bool) -> list[arithmetic.Row]:
    """The order's rows as the arithmetic takes them (produced quantities once completed)."""
    return [arithmetic.Row(c.id, c.variant_id, c.quantity_produced if produced else c.quantity_planned,
                           tuple((m["variantId"], Decimal(str(m["quantityPerUnit"]))) for m in c.materials))
            for c in components]


def material_ids(rows: list[arithmetic.Row]) -> list[str]:
    return list(dict.fromkeys(variant for row in rows for variant, _ in row.materials))


def costs_of(order, rows: list[arithmetic.Row]) -> tuple[dict, str | None]:
    """(unit cost per material, currency): frozen on a completed order, the latest known otherwise."""
    if order.status == "completed" and order.cost_basis is not None:
        stored = order.cost_basis
    else:
        stored = unit_costs.basis(order.shop_id, material_ids(rows))
    return ({v: None if a is None else Decimal(a) for v, a in stored["unitCosts"].items()},
            stored.get("currency"))


def order_cost(order, rows: list[arithmetic.Row] | None = None) -> arithmetic.CostBlock:
    """The cost block of an order; `rows` when the caller has them already (the detail cache)."""
    completed = order.status == "completed"
    if rows is None:
        rows = order_rows(order.components, produced=completed)
    costs, currency = costs_of(order, rows)
    return arithmetic.cost_block(rows, costs, final=completed, disassembly=order.type == "disassembly",
                                 labour=order.labour_cost, overhead=order.overhead_cost, currency=currency)


def freeze_order_costs(order) -> None:
    """At completion: the unit costs the final cost is computed with from now on."""
    rows = order_rows(order.components, produced=True)
    # The order is dirty with its completion: reading the costs must not flush it early, or a
    # racing writer's version bump surfaces here instead of in the caller's guarded commit (a 500
    # instead of a 409).
    with db.session.no_autoflush:
        order.cost_basis = unit_costs.basis(order.shop_id, material_ids(rows))


def bom_costs(shop_id: int, boms) -> dict[int, tuple[Decimal | None, str | None]]:
    """Per BOM, the estimated material cost of one output unit (4 places; None when a line's
    cost is unknown) and its currency, from the costs on record: one query for all BOMs."""
    known = unit_costs.known(shop_id, [line.variant_id for bom in boms for line in bom.lines])
    result = {}
    for bom in boms:
        total, currency = Decimal(0), None
        for line in bom.lines:
            amount, currency = known.get(line.variant_id, (None, currency))
            if amount is None:
                total = None
                break
            total += Decimal(line.quantity_per_unit) * amount
        result[bom.id] = (arithmetic.money(total, arithmetic.UNIT_COST_PLACES), currency)
    return result
