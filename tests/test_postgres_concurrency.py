"""Racing requests cannot both win (SPEC §2): real threads, real connections, released together.

Every racer is a thread with its own test client; a request in a thread pushes its own app context,
so it gets its own SQLAlchemy session and its own pooled database connection, exactly like two
gunicorn workers. A `threading.Barrier` releases the racers of one order at the same instant, and
each scenario repeats the race on many orders so that the interleavings actually happen.

For every order: exactly one 200, the losers 409 (or 412 where they sent If-Match), never a 5xx;
the database holds exactly one event of the race, the version moved by exactly one, and the final
state (status, components, fields) is the winner's.

One history is legal although both requests succeed: start and cancel sent without If-Match, where
the start commits first and the cancel then cancels an order in progress. The server cannot tell
that from a cancel sent a second later, so it is checked to be exactly that serial history; with
If-Match (two tabs that saw the same version) start and cancel exclude each other.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from shopify_app import create_app
from shopify_app.extensions import db
from shopify_app.production.models import Component, OrderEvent, ProductionOrder

from .builders import SHOP, VARIANT, VARIANT_2, auth_headers, component, installed_shop
from .conftest import base_config

ORDERS_PER_SCENARIO = 30  # on PostgreSQL
SQLITE_ORDERS_PER_SCENARIO = 12
MAX_RACERS = 4
POOL_SIZE = MAX_RACERS + 4  # the racers, the test's own session and some slack
BARRIER_TIMEOUT = 30
ORDERS = "/api/production-orders"

# What a winning request leaves behind: (final status, event type) per action.
TRANSITION_RESULT = {"start": ("in_progress", "started"), "complete": ("completed", "completed"),
                     "cancel": ("cancelled", "cancelled")}


# ------------------------------------------------------------------ requests in their own threads


@dataclass
class Request:
    label: str  # "start", "complete", "cancel" or "patch"
    method: str
    path: str
    json: dict | None = None
    if_match: int | None = None
    body_notes: str | None = None  # what a PATCH writes, to recognise the winner's value


@dataclass
class Outcome:
    request: Request
    status: int = 0
    body: dict = field(default_factory=dict)
    etag: str | None = None
    started: float = 0.0
    finished: float = 0.0
    error: BaseException | None = None


def race(app, requests: list[Request]) -> list[Outcome]:
    """Send `requests` from one thread each, released together by a barrier; wait for all."""
    barrier = threading.Barrier(len(requests), timeout=BARRIER_TIMEOUT)
    outcomes = [Outcome(request) for request in requests]

    def run(outcome: Outcome):
        try:
            request = outcome.request
            client = app.test_client()  # its own client: its own app context, session, connection
            headers = auth_headers(SHOP)
            if request.if_match is not None:
                headers["If-Match"] = f'"{request.if_match}"'
            barrier.wait()
            outcome.started = time.perf_counter()
            response = client.open(request.path, method=request.method, headers=headers, json=request.json)
            outcome.finished = time.perf_counter()
            outcome.status, outcome.etag = response.status_code, response.headers.get("ETag")
            outcome.body = response.get_json(silent=True) or {}
        except BaseException as exc:  # reported by the test, never lost in the thread
            outcome.error = exc
            barrier.abort()

    threads = [threading.Thread(target=run, args=(outcome,), daemon=True) for outcome in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a racing request never finished"
    for outcome in outcomes:
        assert outcome.error is None, f"racer {outcome.request.label} raised {outcome.error!r}"
    return outcomes


def send(app, request: Request, expected_status: int) -> dict:
    """One request in its own thread (own app context and session), as a setup step."""
    (outcome,) = race(app, [request])
    assert outcome.status == expected_status, (request.method, request.path, outcome.status, outcome.body)
    return outcome.body


# ------------------------------------------------------------------ orders to race on


@dataclass
class OrderState:
    id: int
    version: int
    status: str
    components: dict[int, tuple[Decimal, Decimal]]  # id -> (planned, produced)
    events: Counter


def prepare_orders(app, count: int, status: str, tag: str) -> list[OrderState]:
    """`count` orders with two component rows, brought to `status` through the API."""
    orders = []
    for index in range(count):
        body = send(app, Request("create", "POST", ORDERS, json={
            "reference": f"{tag}-{index}",
            "syncProductionOrderToShopify": False,
            "components": [
                component(VARIANT, 10, unit="kg"),
                component(VARIANT_2, 2.5, unit="kg", materials=[
                    {"variantId": "gid://shopify/ProductVariant/2001", "quantityPerUnit": 3}]),
            ],
        }), 201)
        order_id = body["id"]
        if status == "in_progress":
            body = send(app, Request("start", "POST", f"{ORDERS}/{order_id}/start"), 200)
            first = body["components"][0]["id"]
            send(app, Request("patch", "PATCH", f"{ORDERS}/{order_id}/components/{first}",
                              json={"quantityProduced": 7.125}), 200)
        state = database_state(order_id)
        assert state.status == status
        orders.append(state)
    return orders


def database_state(order_id: int) -> OrderState:
    """What the database says about an order, read on a fresh connection (no identity map)."""
    with db.engine.connect() as conn:
        status, version = conn.execute(
            select(ProductionOrder.status, ProductionOrder.version).where(ProductionOrder.id == order_id)
        ).one()
        rows = conn.execute(
            select(Component.id, Component.quantity_planned, Component.quantity_produced)
            .where(Component.order_id == order_id).order_by(Component.id)
        ).all()
        events = Counter(conn.scalars(select(OrderEvent.type).where(OrderEvent.order_id == order_id)))
    return OrderState(order_id, version, status, {row.id: (row[1], row[2]) for row in rows}, events)


def race_events(order_id: int, before: Counter) -> list:
    """The events written since `before` was taken, oldest first."""
    with db.engine.connect() as conn:
        events = conn.execute(
            select(OrderEvent.type, OrderEvent.changes).where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)
        ).all()
    return events[sum(before.values()):]


# ------------------------------------------------------------------ the scenarios


@dataclass(frozen=True)
class Scenario:
    name: str
    initial_status: str
    make_requests: object  # (order: OrderState, index: int) -> list[Request]


def _transition(action: str, order_id: int, if_match=None) -> Request:
    return Request(action, "POST", f"{ORDERS}/{order_id}/{action}", if_match=if_match)


def _patch_notes(order: OrderState, tab: str) -> Request:
    notes = f"edited in tab {tab}"
    return Request("patch", "PATCH", f"{ORDERS}/{order.id}", json={"notes": notes},
                   if_match=order.version, body_notes=notes)


SCENARIOS = [
    Scenario("start_vs_cancel_on_a_draft", "draft",
             lambda o, i: [_transition("start", o.id), _transition("cancel", o.id)]),
    Scenario("complete_vs_cancel_in_progress", "in_progress",
             lambda o, i: [_transition("complete", o.id), _transition("cancel", o.id)]),
    Scenario("double_click_complete", "in_progress",
             lambda o, i: [_transition("complete", o.id) for _ in range(2 + i % (MAX_RACERS - 1))]),
    Scenario("two_starts", "draft",
             lambda o, i: [_transition("start", o.id), _transition("start", o.id)]),
    Scenario("start_vs_cancel_from_two_tabs_with_the_same_if_match", "draft",
             lambda o, i: [_transition("start", o.id, o.version), _transition("cancel", o.id, o.version)]),
    Scenario("patch_from_two_tabs_with_the_same_if_match", "in_progress",
             lambda o, i: [_patch_notes(o, "A"), _patch_notes(o, "B")]),
]


def _racing_rounds(app, scenario: Scenario, count: int):
    """Prepare `count` orders, race on each in turn; yield (order before, outcomes)."""
    orders = prepare_orders(app, count, scenario.initial_status, scenario.name[:40])
    for index, order in enumerate(orders):
        yield order, race(app, scenario.make_requests(order, index))


def check_round(order: OrderState, outcomes: list[Outcome], *, if_match_losers: set[int]):
    """The invariants of one race: one winner, clean losers, one event, version + 1, winner's state."""
    where = f"order {order.id}: " + ", ".join(f"{o.request.label}->{o.status}" for o in outcomes)
    assert not [o for o in outcomes if o.status >= 500], f"5xx in a race ({where}): {[o.body for o in outcomes]}"
    winners = [o for o in outcomes if o.status == 200]
    if len(winners) == 2 and _start_then_cancel(winners):
        return check_start_then_cancel(order, winners, where)
    assert len(winners) == 1, f"expected exactly one winner ({where})"
    winner = winners[0]
    for loser in outcomes:
        if loser is winner:
            continue
        allowed = if_match_losers if loser.request.if_match is not None else {409}
        assert loser.status in allowed, f"a loser got {loser.status} ({where}): {loser.body}"
        expected_codes = {409: {"invalid_transition", "conflict", "read_only"}, 412: {"version_mismatch"}}
        assert loser.body.get("error", {}).get("code") in expected_codes[loser.status], loser.body

    after = database_state(order.id)
    new_events = race_events(order.id, order.events)
    assert after.version == order.version + 1, f"version moved by {after.version - order.version} ({where})"
    assert winner.body["version"] == after.version and winner.etag == f'"{after.version}"'
    assert len(new_events) == 1, f"expected one event, got {[e.type for e in new_events]} ({where})"
    event_type, changes = new_events[0]

    if winner.request.label == "patch":
        assert event_type == "updated"
        assert after.status == order.status
        assert changes["notes"] == [None, winner.request.body_notes]
        with db.engine.connect() as conn:
            notes = conn.scalar(select(ProductionOrder.notes).where(ProductionOrder.id == order.id))
        assert notes == winner.request.body_notes, f"the database kept a loser's edit ({where})"
        assert after.components == order.components
        return

    status, expected_event = TRANSITION_RESULT[winner.request.label]
    assert (after.status, event_type) == (status, expected_event), where
    assert winner.body["status"] == status
    assert changes["status"] == [order.status, status]
    # Exactly one transition event in the whole history of the race's kind.
    transition_types = set(TRANSITION_RESULT[label][1] for label in {o.request.label for o in outcomes})
    for kind in transition_types:
        assert after.events[kind] - order.events[kind] == (1 if kind == expected_event else 0), where

    if expected_event == "cancelled" and order.status == "draft":
        assert after.components == {}, f"a draft cancelled by the winner kept its rows ({where})"
        assert [row["id"] for row in changes["components"][0]] == list(order.components), where
    elif expected_event == "completed":
        assert after.components.keys() == order.components.keys()
        assert all(planned == produced for planned, produced in after.components.values()), (
            f"completion did not set planned := produced ({where}): {after.components}")
        overwritten = {key for key in changes if key.endswith(".quantityPlanned")}
        assert overwritten == {f"components.{cid}.quantityPlanned"
                               for cid, (planned, produced) in order.components.items() if planned != produced}, where
    else:  # started, or cancelled from in progress: rows preserved untouched
        assert after.components == order.components, f"rows changed by the race ({where})"


def _start_then_cancel(winners: list[Outcome]) -> bool:
    # Without If-Match a cancel that comes after a committed start is a legal cancel of an order
    # in progress: the server cannot tell it from a cancel sent a second later. Only If-Match
    # (the two-tabs scenarios) makes the two mutually exclusive.
    return (sorted(o.request.label for o in winners) == ["cancel", "start"]
            and all(o.request.if_match is None for o in winners))


def check_start_then_cancel(order: OrderState, winners: list[Outcome], where: str):
    """Both succeeded: it must be exactly the serial history start (v+1), then cancel (v+2)."""
    start, cancel = sorted(winners, key=lambda o: o.request.label != "start")
    # The start's answer is re-read after its commit, so it may already show the cancel that
    # followed it; either way body and ETag describe one real state of the order.
    assert (start.body["version"], start.body["status"]) in {
        (order.version + 1, "in_progress"), (order.version + 2, "cancelled")}, where
    assert start.etag == f'"{start.body["version"]}"', where
    assert cancel.body["status"] == "cancelled" and cancel.body["version"] == order.version + 2, where
    assert cancel.etag == f'"{order.version + 2}"', where
    after = database_state(order.id)
    assert (after.status, after.version) == ("cancelled", order.version + 2), where
    assert [event.type for event in race_events(order.id, order.events)] == ["started", "cancelled"], where
    # The cancel applied to the order in progress, so the rows were kept, not deleted.
    assert after.components == order.components, f"rows lost in start-then-cancel ({where})"


def _overlapping(outcomes: list[Outcome]) -> bool:
    """Were all racers of one round in flight at the same moment?"""
    return max(o.started for o in outcomes) < min(o.finished for o in outcomes)


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture
def race_app(postgres_migrated):
    """Like `pg_app`, with a pool big enough for every racer to hold its own connection."""
    config = {**base_config(postgres_migrated),
              "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": POOL_SIZE, "max_overflow": 0, "pool_timeout": 20}}
    app = create_app(config)
    with app.app_context():
        assert db.engine.pool.size() >= MAX_RACERS + 1
        installed_shop(SHOP)
        db.session.remove()
        yield app
        db.session.remove()
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_concurrent_requests_on_postgresql_have_exactly_one_winner(race_app, scenario):
    overlapping = 0
    for order, outcomes in _racing_rounds(race_app, scenario, ORDERS_PER_SCENARIO):
        # With the row lock, a stale If-Match is seen as stale: the loser gets 412, not 409.
        check_round(order, outcomes, if_match_losers={412})
        overlapping += _overlapping(outcomes)
    # The races really ran side by side (not one request after the other) for most orders.
    assert overlapping >= ORDERS_PER_SCENARIO // 2, f"only {overlapping} rounds overlapped"


@pytest.mark.postgres
def test_racers_hold_separate_postgresql_connections(race_app):
    """The racing threads really use several server sessions at once (no shared connection)."""
    (order,) = prepare_orders(race_app, 1, "in_progress", "conn")
    seen = []
    barrier = threading.Barrier(MAX_RACERS, timeout=BARRIER_TIMEOUT)

    def hold_a_connection():
        with race_app.app_context():
            pid = db.session.scalar(text("SELECT pg_backend_pid()"))
            barrier.wait()  # every thread holds its connection at this moment
            seen.append(pid)
            db.session.remove()

    threads = [threading.Thread(target=hold_a_connection) for _ in range(MAX_RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT)
    assert len(set(seen)) == MAX_RACERS
    # And a race through those connections still has one winner.
    outcomes = race(race_app, [_transition("complete", order.id) for _ in range(MAX_RACERS)])
    check_round(order, outcomes, if_match_losers={412})


# ------------------------------------------------------------------ SQLite


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_same_races_on_sqlite_never_give_a_5xx_or_two_winners(app, shop, scenario):
    db.session.remove()
    overlapping = 0
    for order, outcomes in _racing_rounds(app, scenario, SQLITE_ORDERS_PER_SCENARIO):
        # SQLite has no row lock: the version guard makes a loser fail with 409 even with If-Match.
        check_round(order, outcomes, if_match_losers={409, 412})
        overlapping += _overlapping(outcomes)
    assert overlapping >= SQLITE_ORDERS_PER_SCENARIO // 2, f"only {overlapping} rounds overlapped"
