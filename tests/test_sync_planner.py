"""Contributions and accounts (pure functions, property-tested): Shopify's net change per account is
floor(Σ exact contributions), whatever the order of completion, edits, retries or abandons."""

import random
from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shopify_app.sync.accounts import Balance, describe_remainder, exact_changes, floor, freeze, give_back
from shopify_app.sync.planner import Change, Material, Row, batches, contribution

OUT, WAX, WICK = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2", "gid://shopify/ProductVariant/3"
L1, L2 = "gid://shopify/Location/1", "gid://shopify/Location/2"
A = "available"


def test_floor_takes_an_opened_unit_off_the_shelf():
    assert [floor(Decimal(v)) for v in ("2.75", "-0.25", "-1", "0", "0.999", "-2.5")] == [2, -1, -1, 0, 0, -3]


def test_four_orders_using_a_quarter_kilo_of_wax_move_wax_by_one_kilo():
    balance, sent = Balance(), []
    for _ in range(4):
        balance, delta = freeze(balance, Decimal("-0.25"))
        sent.append(delta)
    assert sent == [-1, 0, 0, 0] and balance == Balance(Decimal(-1), -1)


def test_a_given_back_delta_is_corrected_by_the_next_freeze():
    balance, first = freeze(Balance(), Decimal("0.5"))      # 0.5: nothing sent
    balance, second = freeze(balance, Decimal("0.75"))      # 1.25: one unit sent
    balance = give_back(balance, Decimal("0.75"), second)   # that push was given up
    assert (first, second) == (0, 1) and balance == Balance(Decimal("0.5"), 0)
    balance, third = freeze(balance, Decimal("0.75"))       # the retry
    assert third == 1 and balance.settled


def test_assembly_adds_the_output_and_consumes_the_materials_exactly():
    rows = [Row(OUT, Decimal(10), (Material(WAX, Decimal("0.25")), Material(WICK, Decimal(1))))]
    assert contribution(rows, "assembly", L1) == {(OUT, L1, A): 10, (WAX, L1, A): Decimal("-2.5"), (WICK, L1, A): -10}


def test_disassembly_reverses_both_signs_and_skipped_variants_contribute_nothing():
    rows = [Row(OUT, Decimal(4), (Material(WAX, Decimal("0.5")),))]
    assert contribution(rows, "disassembly", L1) == {(OUT, L1, A): -4, (WAX, L1, A): 2}
    assert contribution(rows, "disassembly", L1, frozenset({WAX})) == {(OUT, L1, A): -4}
    assert contribution(rows, "assembly", None) == {}


def test_moving_the_location_takes_the_old_account_back_to_zero():
    rows = [Row(OUT, Decimal(5))]
    assert exact_changes(contribution(rows, "assembly", L2), {(OUT, L1, A): Decimal(5)}) == \
        {(OUT, L1, A): -5, (OUT, L2, A): 5}


def test_batches_hold_at_most_250_sent_changes_and_carried_ones_ride_along():
    changes = [Change(f"gid://shopify/ProductVariant/{i}", L1, A, Decimal(i % 2), i % 2) for i in range(600)]
    split = batches(changes)
    assert [sum(1 for c in b if c.delta) for b in split] == [250, 50]
    assert sum(len(b) for b in split) == 600


def test_a_carried_fraction_is_explained_in_the_merchants_words():
    assert describe_remainder(Balance(Decimal("0.75"), 0)) == \
        "0.75 made but not yet added to Shopify: the next 0.25 completes a whole unit."
    assert "0.75 of it is still unused" in describe_remainder(Balance(Decimal("-0.25"), -1))
    assert describe_remainder(Balance(Decimal(3), 3)) is None


# ------------------------------------------------------------------ the whole mechanism, modelled


quantities = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False, allow_infinity=False)
variants = st.sampled_from([OUT, WAX, WICK])
rows_strategy = st.lists(st.builds(
    Row, variants, quantities,
    st.lists(st.builds(Material, variants, st.decimals(min_value="0.001", max_value=3, places=3)), max_size=2)
    .map(tuple)), max_size=3)
states = st.tuples(rows_strategy, st.sampled_from(["assembly", "disassembly"]), st.sampled_from([L1, L2, None]))


class Model:
    """Orders, accounts, frozen batches and Shopify, as the app keeps them (without a database)."""

    def __init__(self):
        self.accounts = defaultdict(Balance)
        self.legs = defaultdict(lambda: defaultdict(Decimal))  # order -> key -> frozen exact
        self.outstanding = []  # (order, [(key, exact, delta)]) frozen, not applied yet
        self.shopify = defaultdict(int)

    def freeze(self, order, wanted):
        frozen = self.legs[order]
        changes = []
        for key, exact in exact_changes(wanted, dict(frozen)).items():
            if not exact and self.accounts[key].settled:
                continue
            self.accounts[key], delta = freeze(self.accounts[key], exact)
            frozen[key] += exact
            changes.append((key, exact, delta))
        if changes:
            self.outstanding.append((order, changes))

    def apply(self, index):
        _, changes = self.outstanding.pop(index)
        for key, _, delta in changes:
            self.shopify[key] += delta

    def give_back(self, index):
        order, changes = self.outstanding.pop(index)
        for key, exact, delta in changes:
            self.accounts[key] = give_back(self.accounts[key], exact, delta)
            self.legs[order][key] -= exact


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), states), min_size=1, max_size=12),
       st.lists(st.sampled_from(["apply", "give_back", "lose"]), max_size=30), st.randoms(use_true_random=False))
def test_shopify_nets_the_floor_of_the_exact_sums_whatever_happens(edits, events, rng: random.Random):
    """Orders edited and pushed in any order; batches applied late, out of order, or abandoned (and
    the order then pushed again); at the end every order pushes once more and everything is applied:
    per account, Shopify moved by exactly floor(Σ the orders' final exact contributions)."""
    model, final = Model(), {}
    event_iter = iter(events)
    for order, (rows, kind, location) in edits:
        final[order] = contribution(rows, kind, location)
        model.freeze(order, final[order])
        event = next(event_iter, None)
        if model.outstanding and event in ("apply", "give_back"):
            index = rng.randrange(len(model.outstanding))
            abandoned_order = model.outstanding[index][0]
            getattr(model, event)(index)
            if event == "give_back":  # the merchant's retry: a new push of that order
                model.freeze(abandoned_order, final[abandoned_order])
    for order, wanted in final.items():
        model.freeze(order, wanted)
    while model.outstanding:
        model.apply(rng.randrange(len(model.outstanding)))
    expected = defaultdict(Decimal)
    for wanted in final.values():
        for key, exact in wanted.items():
            expected[key] += exact
    keys = set(expected) | set(model.shopify)
    assert {k: model.shopify[k] for k in keys if model.shopify[k]} == \
        {k: floor(expected[k]) for k in keys if floor(expected[k])}
    assert all(balance.settled for balance in model.accounts.values())
