"""Inventory states as pure arithmetic (SPEC §10): which accounts an order's amounts go to, how a
release becomes moves, and which changes need a push. No database, no HTTP."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopify_app.production.holds import hold_until
from shopify_app.sync.accounts import Balance, freeze
from shopify_app.sync.planner import Change, Material, Row, States, contribution, pair_moves, plan_batches
from shopify_app.sync.policy import push_reason

OUT, WAX = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2"
L1 = "gid://shopify/Location/1"
A, IN, QC = "available", "incoming", "quality_control"
ROW = Row(OUT, Decimal(3), (Material(WAX, Decimal("0.25")),), planned=Decimal("5.5"))


def test_planned_output_is_incoming_on_top_of_what_is_made():
    assert contribution([ROW], "assembly", L1, states=States(incoming=True)) == {
        (OUT, L1, A): 3, (OUT, L1, IN): Decimal("5.5"), (WAX, L1, A): Decimal("-0.75")}


def test_a_disassembly_expects_its_materials_as_incoming_not_the_item_taken_apart():
    assert contribution([ROW], "disassembly", L1, states=States(incoming=True)) == {
        (OUT, L1, A): -3, (WAX, L1, A): Decimal("0.75"), (WAX, L1, IN): Decimal("1.375")}


def test_held_output_cures_in_quality_control_while_materials_still_leave_available():
    assert contribution([ROW], "assembly", L1, states=States(held=True)) == {
        (OUT, L1, QC): 3, (WAX, L1, A): Decimal("-0.75")}


def test_incoming_is_booked_in_whole_units_and_fractions_carry_to_the_next_order():
    balance, first = freeze(Balance(), Decimal("3.5"))   # 3 units show as incoming
    balance, second = freeze(balance, Decimal("1.5"))    # 5 in all: 2 more
    balance, third = freeze(balance, Decimal("-3.5"))    # the first order completes: 1.5 left -> 1
    assert (first, second, third) == (3, 2, -4) and balance.settled


def test_a_release_is_one_move_from_quality_control_to_available():
    changes = [Change(OUT, L1, QC, Decimal(-4), -4), Change(OUT, L1, A, Decimal(4), 4)]
    assert plan_batches(changes) == [("move", changes)]


def test_when_carried_fractions_make_the_two_sides_differ_the_rest_is_an_adjustment():
    changes = [Change(OUT, L1, QC, Decimal("-2.5"), -3), Change(OUT, L1, A, Decimal("2.5"), 2)]
    pairs, rest = pair_moves(changes)
    assert pairs == [(Change(OUT, L1, QC, Decimal("-2.5"), -2), Change(OUT, L1, A, Decimal("2.5"), 2))]
    assert rest == [Change(OUT, L1, QC, Decimal(0), -1)]


def test_live_output_that_starts_curing_at_completion_moves_from_available():
    changes = [Change(OUT, L1, A, Decimal(-4), -4), Change(OUT, L1, QC, Decimal(4), 4)]
    assert plan_batches(changes) == [("move", changes)]


def test_each_adjust_call_holds_one_quantity_name():
    changes = [Change(OUT, L1, A, Decimal(3), 3), Change(OUT, L1, IN, Decimal(-5), -5),
               Change(WAX, L1, A, Decimal(-1), -1)]
    assert [(kind, [c.name for c in batch]) for kind, batch in plan_batches(changes)] == [
        ("adjust", [A, A]), ("adjust", [IN])]


@given(st.lists(st.tuples(st.sampled_from([OUT, WAX]), st.sampled_from([A, IN, QC]), st.integers(-9, 9)),
                max_size=12, unique_by=lambda t: (t[0], t[1])))
def test_the_calls_of_a_push_send_exactly_its_deltas(entries):
    changes = [Change(variant, L1, name, Decimal(delta), delta) for variant, name, delta in entries]
    sent = {}
    for _, batch in plan_batches(changes):
        for change in batch:
            key = (change.variant_id, change.name)
            sent[key] = sent.get(key, 0) + change.delta
    assert {k: v for k, v in sent.items() if v} == {(c.variant_id, c.name): c.delta for c in changes if c.delta}


def test_a_hold_ends_its_days_after_completion():
    completed = datetime(2026, 12, 3, 18, 0, tzinfo=timezone.utc)
    assert hold_until(completed, 3) == datetime(2026, 12, 6, 18, 0, tzinfo=timezone.utc)


PLANNED = {"components.4.quantityPlanned": ["5", "7"]}
NOTES = {"notes": [None, "x"]}


@pytest.mark.parametrize("event, status, mode, changes, incoming, expected", [
    ("started", "in_progress", "on_complete", {}, True, "incoming_edit"),
    ("started", "in_progress", "on_complete", {}, False, None),
    ("updated", "in_progress", "on_complete", PLANNED, True, "incoming_edit"),
    ("updated", "in_progress", "on_complete", PLANNED, False, None),
    ("updated", "in_progress", "live", PLANNED, True, "incoming_edit"),
    ("updated", "in_progress", "on_complete", NOTES, True, None),
    ("updated", "in_progress", "on_complete", {"locationId": [None, L1]}, True, "incoming_edit"),
    ("cancelled", "cancelled", "on_complete", {}, True, "incoming_cancelled"),
    ("cancelled", "cancelled", "live", {}, True, "incoming_cancelled"),
    ("cancelled", "cancelled", "on_complete", {}, False, None),
    ("released", "completed", "on_complete", {}, False, "released"),
    ("completed", "completed", "on_complete", {}, True, "completed"),
])
def test_push_reasons_of_inventory_states(event, status, mode, changes, incoming, expected):
    assert push_reason(event, status, True, mode, changes, incoming=incoming) == expected


def test_nothing_is_pushed_for_an_order_that_does_not_sync():
    assert push_reason("released", "completed", False, "on_complete", {}, incoming=True) is None
    assert push_reason("started", "in_progress", None, "on_complete", {}, incoming=True) is None
