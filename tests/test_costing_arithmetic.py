"""The costing arithmetic (SPEC §9), to the cent: worked examples and properties over random batches."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_app.costing.arithmetic import (CENT, Row, cost_block, exact_batch_unit_costs, money,
                                            weighted_average)

D = Decimal
WAX, WICK, JAR = (f"gid://shopify/ProductVariant/{n}" for n in (8002, 8003, 8004))
CANDLE, TEALIGHT = "gid://shopify/ProductVariant/8005", "gid://shopify/ProductVariant/8006"
COSTS = {WAX: D("14.00"), WICK: D("2.50"), JAR: D("1.20")}
JAR_CANDLE = ((WAX, D("0.25")), (WICK, D("0.1")), (JAR, D(1)))


def test_the_demo_batch_costs_what_the_settings_page_says():
    block = cost_block([Row(1, CANDLE, D(4), JAR_CANDLE)], COSTS, final=True, disassembly=False,
                       labour=D("10.00"), overhead=D("2.50"), currency="EUR")
    assert block.state == "final" and block.currency == "EUR"
    assert [(m["variant_id"], m["quantity"], m["unit_cost"], m["total"]) for m in block.materials] == [
        (WAX, D("1.00"), D("14.00"), D("14.00")), (WICK, D("0.4"), D("2.50"), D("1.00")),
        (JAR, D(4), D("1.20"), D("4.80"))]
    assert (block.materials_total, block.total) == (D("19.80"), D("32.30"))
    assert block.outputs == [{"component_id": 1, "variant_id": CANDLE, "quantity": D(4), "unit_cost": D("8.0750")}]
    # 6 jars on hand at 6.30, 4 made at 8.075: (37.80 + 32.30) / 10
    assert money(weighted_average(6, D("6.30"), D(4), D("8.075"))) == D("7.01")


def test_labour_and_overhead_are_shared_in_proportion_to_quantity():
    rows = [Row(1, CANDLE, D(3), ((WAX, D(1)),)), Row(2, TEALIGHT, D(1), ((WAX, D("0.5")),))]
    block = cost_block(rows, {WAX: D(2)}, final=False, disassembly=False, labour=D(8), overhead=None, currency="EUR")
    # candle: 3 × 2 + 8 × 3/4 = 12 → 4 each; tealight: 1 + 8 × 1/4 = 3
    assert [o["unit_cost"] for o in block.outputs] == [D("4.0000"), D("3.0000")]
    assert block.state == "estimated" and block.total == D("15.00")


def test_rounding_is_half_away_from_zero_and_only_at_the_end():
    assert money(D("2.345")) == D("2.35") and money(D("-2.345")) == D("-2.35") and money(D("2.3449")) == D("2.34")
    # Three lines of 0.333 each: rounded first they would sum to 0.99; the total is 1.00.
    rows = [Row(1, CANDLE, D(1), ((WAX, D("0.333")), (WICK, D("0.333")), (JAR, D("0.334"))))]
    block = cost_block(rows, {WAX: D(1), WICK: D(1), JAR: D(1)}, final=True, disassembly=False,
                       labour=None, overhead=None, currency="EUR")
    assert [m["total"] for m in block.materials] == [D("0.33"), D("0.33"), D("0.33")]
    assert block.materials_total == D("1.00")


def test_a_material_without_cost_makes_the_block_incomplete_and_prices_no_output():
    block = cost_block([Row(1, CANDLE, D(2), JAR_CANDLE)], {WAX: D(14), WICK: None}, final=True, disassembly=False,
                       labour=D(1), overhead=D(1), currency="EUR")
    assert block.state == "incomplete"
    assert [m["unit_cost"] for m in block.materials] == [D("14.00"), None, None]
    assert block.materials_total == D("7.00") and block.outputs[0]["unit_cost"] is None
    assert exact_batch_unit_costs([Row(1, CANDLE, D(2), JAR_CANDLE)], {WAX: D(14)}, None, None) is None


def test_disassembly_is_not_costed_and_zero_quantity_has_no_unit_cost():
    assert cost_block([Row(1, CANDLE, D(2), JAR_CANDLE)], COSTS, final=True, disassembly=True, labour=None,
                      overhead=None, currency="EUR").state == "not_applicable"
    block = cost_block([Row(1, CANDLE, D(0), JAR_CANDLE)], COSTS, final=True, disassembly=False, labour=D(5),
                       overhead=None, currency="EUR")
    assert block.outputs[0]["unit_cost"] is None and block.total == D("5.00")


def test_weighted_average_counts_unknown_cost_or_no_stock_as_zero_units():
    assert weighted_average(10, None, D(4), D("8.075")) == D("8.075")
    assert weighted_average(0, D(3), D(4), D("8.075")) == D("8.075")
    assert weighted_average(-5, D(3), D(4), D("8.075")) == D("8.075")


quantities = st.decimals(min_value=0, max_value=10_000, places=3)
positive = st.decimals(min_value=D("0.001"), max_value=1000, places=3)
prices = st.decimals(min_value=0, max_value=10_000, places=2)
materials = st.lists(st.tuples(st.sampled_from([WAX, WICK, JAR]), positive), max_size=3).map(tuple)
rows_strategy = st.lists(st.tuples(quantities, materials), min_size=1, max_size=5).map(
    lambda rows: [Row(i + 1, CANDLE if i % 2 else TEALIGHT, q, m) for i, (q, m) in enumerate(rows)])
cost_maps = st.fixed_dictionaries({WAX: prices, WICK: prices, JAR: prices})


def _exact_output_totals(rows, costs, shared):
    quantity = sum(r.quantity for r in rows)
    return [sum((r.quantity * per * costs[v] for v, per in r.materials), D(0))
            + (shared * r.quantity / quantity if quantity else 0) for r in rows]


@settings(max_examples=300, deadline=None)
@given(rows_strategy, cost_maps, st.none() | prices, st.none() | prices)
def test_the_outputs_carry_every_cent_and_the_total_is_rounded_once(rows, costs, labour, overhead):
    block = cost_block(rows, costs, final=True, disassembly=False, labour=labour, overhead=overhead, currency="EUR")
    shared = (labour or 0) + (overhead or 0)
    exact_materials = sum((r.quantity * per * costs[v] for r in rows for v, per in r.materials), D(0))
    assert block.materials_total == money(exact_materials)
    assert block.total == money(exact_materials + shared)
    # Each line is rounded once: together they differ from the total by at most half a cent each.
    assert abs(sum(m["total"] for m in block.materials) - block.materials_total) <= CENT / 2 * len(block.materials) + CENT / 2
    if sum(r.quantity for r in rows) > 0:
        # Output unit costs × quantities give back materials + labour + overhead (to rounding).
        exact = _exact_output_totals(rows, costs, shared)
        assert abs(sum(exact) - (exact_materials + shared)) < D("1e-12")
        for row, out, total in zip(rows, block.outputs, exact):
            if row.quantity:
                assert out["unit_cost"] == money(total / row.quantity, D("0.0001"))
            else:
                assert out["unit_cost"] is None


@settings(max_examples=300, deadline=None)
@given(st.integers(-50, 10_000), st.none() | prices, positive, prices)
def test_the_weighted_average_lies_between_the_old_cost_and_the_batch(on_hand, old, produced, batch):
    new = weighted_average(on_hand, old, produced, batch)
    if old is None or on_hand <= 0:
        assert new == batch
    else:
        assert min(old, batch) <= new <= max(old, batch)
        assert new * (on_hand + produced) == on_hand * old + produced * batch or \
            abs(new * (on_hand + produced) - (on_hand * old + produced * batch)) < D("1e-12")


@settings(max_examples=200, deadline=None)
@given(rows_strategy, cost_maps, prices)
def test_a_batch_unit_cost_pools_the_rows_of_one_variant(rows, costs, labour):
    unit = exact_batch_unit_costs(rows, costs, labour, None)
    quantity = sum(r.quantity for r in rows)
    exact = _exact_output_totals(rows, costs, labour)
    for variant in {r.variant_id for r in rows if r.quantity}:
        made = sum(r.quantity for r in rows if r.variant_id == variant)
        spent = sum(t for r, t in zip(rows, exact) if r.variant_id == variant)
        assert abs(unit[variant] * made - spent) < D("1e-12")
    assert set(unit) == {r.variant_id for r in rows if r.quantity} or quantity == 0
