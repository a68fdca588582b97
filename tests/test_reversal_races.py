"""Reversals of one order edited or created at the same moment never take back more than it
produced (SPEC §11): real threads with their own connections, released together, on PostgreSQL
and SQLite (the racing machinery is test_postgres_concurrency's)."""

from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from shopify_app.extensions import db
from shopify_app.production.models import Component, OrderEvent, ProductionOrder

from .builders import VARIANT
from .test_postgres_concurrency import ORDERS, Request, race, race_app, send  # noqa: F401

PG_ROUNDS, SQLITE_ROUNDS = 12, 8


def completed(app, tag: str, produced: int = 4) -> int:
    order = send(app, Request("create", "POST", ORDERS, json={
        "reference": tag, "syncProductionOrderToShopify": False,
        "components": [{"variantId": VARIANT, "quantityPlanned": produced}]}), 201)
    order = send(app, Request("start", "POST", f"{ORDERS}/{order['id']}/start"), 200)
    row = order["components"][0]["id"]
    send(app, Request("patch", "PATCH", f"{ORDERS}/{order['id']}/components/{row}", json={"quantityProduced": produced}), 200)
    send(app, Request("complete", "POST", f"{ORDERS}/{order['id']}/complete"), 200)
    return order["id"]


def reversal(app, original: int, planned: int) -> tuple[int, int]:
    """A reversal draft of `original` covering `planned`: (order id, row id)."""
    body = send(app, Request("reverse", "POST", f"{ORDERS}/{original}/reverse"), 201)
    row = body["components"][0]["id"]
    send(app, Request("patch", "PATCH", f"{ORDERS}/{body['id']}", json={"components": [{"id": row, "quantityPlanned": planned}]}), 200)
    return body["id"], row


def raise_to(order_id: int, row: int, planned: int) -> Request:
    return Request("raise", "PATCH", f"{ORDERS}/{order_id}", json={"components": [{"id": row, "quantityPlanned": planned}]})


def covered(original: int) -> Decimal:
    """What the reversals of `original` (not cancelled) plan, read on a fresh connection."""
    with db.engine.connect() as conn:
        return sum(conn.scalars(
            select(Component.quantity_planned).join(ProductionOrder, ProductionOrder.id == Component.order_id)
            .where(ProductionOrder.reversal_of == original, ProductionOrder.status != "cancelled")), Decimal(0))


def reversed_events(original: int) -> int:
    with db.engine.connect() as conn:
        return len(conn.scalars(select(OrderEvent.id).where(OrderEvent.order_id == original,
                                                             OrderEvent.type == "reversed")).all())


def two_raises(app, tag):
    """Two drafts of 1 and 1 out of 4, each raised to 3 at once: at most one may win."""
    original = completed(app, tag)
    (first, first_row), (second, second_row) = reversal(app, original, 1), reversal(app, original, 1)
    return original, [raise_to(first, first_row, 3), raise_to(second, second_row, 3)]


def two_reverses(app, tag):
    """Two clicks on "Reverse…" at once: one reversal, one `reversed` event."""
    original = completed(app, tag)
    return original, [Request("reverse", "POST", f"{ORDERS}/{original}/reverse") for _ in range(2)]


def reverse_vs_raise(app, tag):
    """A new reversal of what is left (3) while the first draft is raised from 1 to 4."""
    original = completed(app, tag)
    first, row = reversal(app, original, 1)
    return original, [Request("reverse", "POST", f"{ORDERS}/{original}/reverse"), raise_to(first, row, 4)]


SCENARIOS = {"two_raises": two_raises, "two_reverses": two_reverses, "reverse_vs_raise": reverse_vs_raise}


def run_rounds(app, name: str, rounds: int) -> dict:
    statuses = defaultdict(int)
    for index in range(rounds):
        original, requests = SCENARIOS[name](app, f"{name}-{index}")
        outcomes = race(app, requests)
        codes = sorted(o.status for o in outcomes)
        for code in codes:
            statuses[code] += 1
        assert all(code < 500 for code in codes), [(o.status, o.body) for o in outcomes]
        winners = [code for code in codes if code in (200, 201)]
        assert len(winners) == 1, [(o.status, o.body) for o in outcomes]  # every pair here excludes the other
        assert covered(original) <= 4
        if name == "two_reverses":
            assert reversed_events(original) == 1
    return dict(statuses)


@pytest.mark.postgres
@pytest.mark.parametrize("name", SCENARIOS)
def test_racing_reversals_on_postgresql_never_cover_more_than_was_produced(race_app, name):
    run_rounds(race_app, name, PG_ROUNDS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_racing_reversals_on_sqlite_never_cover_more_than_was_produced(app, shop, name):
    db.session.remove()
    run_rounds(app, name, SQLITE_ROUNDS)
