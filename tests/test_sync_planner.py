"""The planner: targets, rounding and convergence (pure functions, property-tested)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_app.sync.planner import Change, Material, Row, batches, plan_changes, round_half_away_from_zero, targets

OUT, WAX, WICK = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2", "gid://shopify/ProductVariant/3"
L1, L2 = "gid://shopify/Location/1", "gid://shopify/Location/2"


def test_rounding_is_half_away_from_zero():
    assert [round_half_away_from_zero(Decimal(v)) for v in ("2.5", "-2.5", "2.4", "-2.4", "0.5", "-0.5")] == \
        [3, -3, 2, -2, 1, -1]


def test_assembly_adds_the_output_and_consumes_the_materials():
    rows = [Row(OUT, Decimal(10), (Material(WAX, Decimal("0.25")), Material(WICK, Decimal(1))))]
    assert targets(rows, "assembly", L1) == {(OUT, L1): 10, (WAX, L1): -3, (WICK, L1): -10}  # -2.5 -> -3


def test_disassembly_reverses_both_signs():
    rows = [Row(OUT, Decimal(4), (Material(WAX, Decimal("0.5")),))]
    assert targets(rows, "disassembly", L1) == {(OUT, L1): -4, (WAX, L1): 2}


def test_rows_of_the_same_variant_are_summed_before_rounding():
    rows = [Row(OUT, Decimal("0.4")), Row(OUT, Decimal("0.4"))]
    assert targets(rows, "assembly", L1) == {(OUT, L1): 1}  # 0.8, not 0 + 0


def test_moving_the_location_drives_the_old_legs_back_to_zero():
    rows = [Row(OUT, Decimal(5))]
    assert plan_changes(rows, "assembly", L2, {(OUT, L1): 5}) == [Change(OUT, L1, -5), Change(OUT, L2, 5)]


def test_nothing_to_push_when_shopify_already_has_the_targets():
    assert plan_changes([Row(OUT, Decimal(3))], "assembly", L1, {(OUT, L1): 3}) == []


def test_batches_hold_at_most_250_changes():
    changes = [Change(f"gid://shopify/ProductVariant/{i}", L1, 1) for i in range(600)]
    assert [len(b) for b in batches(changes)] == [250, 250, 100]


quantities = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False)
variants = st.sampled_from([OUT, WAX, WICK, "gid://shopify/ProductVariant/4"])
rows_strategy = st.lists(st.builds(
    Row, variants, quantities,
    st.lists(st.builds(Material, variants, st.decimals(min_value="0.001", max_value=10, places=3)), max_size=2)
    .map(tuple)), max_size=4)
states = st.tuples(rows_strategy, st.sampled_from(["assembly", "disassembly"]), st.sampled_from([L1, L2, None]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(states, st.booleans()), min_size=1, max_size=8), states)
def test_any_sequence_of_edits_and_pushes_ends_with_shopify_holding_the_targets(history, final):
    """Whatever was edited and whenever pushes happened, one last push leaves exactly the targets."""
    shopify: dict = {}  # what the fake store received, per leg
    pushed: dict = {}   # what we recorded as pushed
    for (rows, kind, location), push_now in history + [(final, True)]:
        if not push_now:
            continue
        for change in plan_changes(rows, kind, location, pushed):
            leg = (change.variant_id, change.location_id)
            shopify[leg] = shopify.get(leg, 0) + change.delta
            pushed[leg] = pushed.get(leg, 0) + change.delta
    rows, kind, location = final
    expected = {leg: qty for leg, qty in targets(rows, kind, location).items() if qty}
    assert {leg: qty for leg, qty in shopify.items() if qty} == expected
