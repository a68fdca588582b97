"""Exactly-once sync to Shopify inventory (SPEC §5), proved against the loopback fake Shopify.

Everything goes over real loopback HTTP: the app's API through Flask's test client, the app's
Admin API calls to a `FakeShopify` serving on 127.0.0.1. Nothing of the app is patched. What the
tests add in front of a fake is an observer at its WSGI boundary (`Front`): it records every
GraphQL request's operation and idempotency key, and can hold the answer of `AdjustInventory`
*after* the fake has applied it (a response lost in flight while the worker dies).

1. Chaos, on SQLite and PostgreSQL: three shops, more than 100 orders completed through the API
   with every fault kind of the fake drawn at 25 %; the fake's ledger must equal totals computed
   here, independently, and no idempotency key may be applied twice.
2. A real `flask sync-worker` process SIGKILLed after Shopify applied its batch but before it
   could record that; a fresh worker, after the lease expires, replays the same key.
3. Concurrent workers on PostgreSQL never push the same job twice; an expired lease is taken over.
4. Pushes are held while the app is uninstalled and go out after the next token exchange.
5. Turning the flag off cancels an unsent push; a push already sending finishes with its key.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from shopify_app import create_app
from shopify_app.devshop import FAULT_KINDS, FakeShopify, FakeShopifyConfig, FakeStore, FaultPlan
from shopify_app.extensions import db
from shopify_app.sync.worker import claim_next, run_once

from .builders import API_KEY, API_SECRET, TOKEN_KEY, auth_headers
from .conftest import PROJECT_ROOT, base_config
from .sync_fixtures import FAST_SYNC

ORDERS = "/api/production-orders"
APP_HANDLE = "production-orders"  # SHOPIFY_APP_HANDLE's default, used in referenceDocumentUri
FLASK = os.path.join(PROJECT_ROOT, ".venv", "bin", "flask")

LOCATIONS = {n: f"gid://shopify/Location/{n}" for n in (7101, 7102, 7103)}
L1, L2, L3 = LOCATIONS.values()
OUTPUTS = [f"gid://shopify/ProductVariant/{n}" for n in range(8101, 8107)]
MATERIALS = [f"gid://shopify/ProductVariant/{n}" for n in range(8201, 8207)]
PRODUCED_TIES = ["0.5", "1.5", "2.5", "3.5", "12.5"]  # exact halves: rounding ties
QUANTITIES_PER_UNIT = ["1", "2", "3", "0.5", "0.25", "0.125", "1.5", "0.333", "0.2", "0.75"]


# ------------------------------------------------------------------ small pure helpers


def number(id_gid: str) -> int:
    return int(id_gid.rsplit("/", 1)[1])


def item_of(variant: str) -> str:
    """The inventory item the fake gives a variant (fixed ids: the app caches variant -> item)."""
    return f"gid://shopify/InventoryItem/{number(variant) + 10000}"


def json_number(value: Decimal):
    """A Decimal as a JSON number with exactly its digits (the API parses numbers as Decimal)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    assert Decimal(repr(as_float)) == value, value
    return as_float


def whole_units(value: Decimal) -> int:
    """Written independently of the app: the largest integer not above `value` (floor)."""
    whole = int(value)  # truncates towards zero
    return whole - 1 if whole > value else whole


def nonzero(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value}


def seed_catalogue(store: FakeStore, shop: str) -> None:
    store.add_shop(shop)
    for n, gid in LOCATIONS.items():
        store.add_location(shop, n, f"Location {n}")
    for variant in OUTPUTS + MATERIALS:
        store.add_variant(shop, variant, f"Variant {number(variant)}", inventory_item_id=number(variant) + 10000)


def webhook_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seed_whose_plan_starts(kinds: dict, rate: float, wanted: list) -> int:
    """A fault seed whose first draws are `wanted` (FaultPlan.preview says what the fake will do)."""
    for seed in range(10_000):
        if FaultPlan.preview(rate, seed, kinds, len(wanted)) == wanted:
            return seed
    raise AssertionError(f"no seed gives {wanted}")


# ------------------------------------------------------------------ the observer in front of a fake


class Front:
    """WSGI middleware in front of a running fake: records GraphQL requests, can hold answers.

    With `hold_adjust`, an `AdjustInventory` request is fully handled by the fake (applied, its
    idempotency record stored) and only then is its answer held back until `release` is set: for
    the client the mutation is still in flight, for Shopify it is done. `hold_count` limits how
    many answers are held; `late_status` replaces a held answer by that HTTP error when released.
    """

    def __init__(self, fake: FakeShopify, *, hold_adjust: bool = False, hold_count: int | None = None,
                 late_status: int | None = None):
        self.inner = fake.app.wsgi_app
        fake.app.wsgi_app = self
        self.hold_adjust, self.hold_count, self.late_status = hold_adjust, hold_count, late_status
        self.release = threading.Event()
        self.holding = threading.Event()
        self.requests: list[tuple[str, str | None, str | None]] = []  # (shop, operation, key)
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        operation = None
        path = environ.get("PATH_INFO", "")
        if path.endswith("/graphql.json"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {}
            operation = payload.get("operationName")
            key = (payload.get("variables") or {}).get("idempotencyKey")
            with self._lock:
                self.requests.append((path.strip("/").split("/")[0], operation, key))
        hold = False
        if self.hold_adjust and operation == "AdjustInventory":
            with self._lock:
                hold = self.hold_count is None or self.hold_count > 0
                if self.hold_count is not None:
                    self.hold_count -= 1
        if not hold:
            return self.inner(environ, start_response)
        captured = []
        answer = self.inner(environ, lambda status, headers, exc_info=None: captured.append((status, headers)))
        self.holding.set()
        self.release.wait(120)
        if self.late_status is None:
            start_response(*captured[-1])
            return answer
        if hasattr(answer, "close"):
            answer.close()
        start_response(f"{self.late_status} LATE", [("Content-Type", "application/json")])
        return [json.dumps({"errors": "Service Unavailable"}).encode()]

    def keys(self, shop: str | None = None) -> list[str]:
        with self._lock:
            return [k for s, op, k in self.requests if op == "AdjustInventory" and shop in (None, s)]

    def count(self, operation: str | None = None) -> int:
        """Requests for `operation`, or every sync request (the saves' id checks are not the sync's)."""
        with self._lock:
            return sum(1 for _, op, _ in self.requests
                       if op == operation or (operation is None and op != "CatalogueIds"))


# ------------------------------------------------------------------ databases, fakes and apps


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _database(request, sqlite_template, tmp_path, kind: str) -> str:
    if kind == "sqlite":
        path = tmp_path / "sync.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    _truncate_postgres(url)  # start clean whatever ran before
    request.addfinalizer(lambda: _truncate_postgres(url))
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, sqlite_template, tmp_path):
    return _database(request, sqlite_template, tmp_path, request.param)


@pytest.fixture
def pg_url(request, sqlite_template, tmp_path):
    return _database(request, sqlite_template, tmp_path, "postgresql")


class Harness:
    """Fakes and apps of one test; all stopped and disposed at teardown (before any TRUNCATE)."""

    def __init__(self, database_url: str, schema_path: str):
        self.database_url, self.schema_path = database_url, schema_path
        self.fakes: list[FakeShopify] = []
        self.fronts: list[Front] = []
        self.apps = []

    def fake(self, store: FakeStore | None = None, **config) -> FakeShopify:
        fake = FakeShopify(FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET,
                                             schema_path=self.schema_path, **config),
                           store if store is not None else FakeStore()).start()
        self.fakes.append(fake)
        return fake

    def front(self, fake: FakeShopify, **kw) -> Front:
        front = Front(fake, **kw)
        self.fronts.append(front)
        return front

    def app(self, fake: FakeShopify, **overrides):
        # No per-shop API budget: the chaos scenario is a merchant clicking much faster than people do.
        app = create_app({**base_config(self.database_url), **FAST_SYNC, "RATE_LIMIT_PER_SHOP": "",
                          "SHOPIFY_ADMIN_ORIGIN": fake.origin_template, **overrides})
        self.apps.append(app)
        return app

    def close(self):
        for front in self.fronts:
            front.release.set()
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        for fake in self.fakes:
            fake.stop()


@pytest.fixture
def harness(database_url, admin_schema_path):
    h = Harness(database_url, admin_schema_path)
    yield h
    h.close()


@pytest.fixture
def pg_harness(pg_url, admin_schema_path):
    h = Harness(pg_url, admin_schema_path)
    yield h
    h.close()


MAX_SAVE_TRIES = 20


class Api:
    """The app's JSON API as one shop's embedded page calls it (a fresh session token each time)."""

    def __init__(self, app, shop: str):
        self.client, self.shop = app.test_client(), shop

    def __call__(self, method: str, path: str, expect: int = 200, json=None):
        for _ in range(MAX_SAVE_TRIES):
            response = self.client.open(path, method=method, headers=auth_headers(self.shop), json=json)
            # A save that names variants asks Shopify whether they exist; when a fault keeps Shopify
            # from answering, nothing was saved (503) and the merchant simply saves again.
            if response.status_code != 503 or expect == 503:
                break
        assert response.status_code == expect, (method, path, response.status_code, response.get_json())
        return response.get_json()

    def install(self):
        """The first API call of a shop runs the token exchange against the fake."""
        return self("GET", "/api/settings")

    def settings(self, *, by_default: bool, location: str | None, mode: str):
        return self("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": by_default,
                                                  "defaultLocationId": location, "syncMode": mode})

    def orders(self) -> dict[int, dict]:
        body = self("GET", f"{ORDERS}?perPage=250")
        assert body["total"] <= 250
        return {item["id"]: item for item in body["items"]}


def work(app, worker_id: str) -> int:
    """One `run_once` of the real worker, in its own app context (as the CLI runs it)."""
    with app.app_context():
        try:
            return run_once(worker_id)
        finally:
            db.session.remove()


def sql(app, query: str, **params):
    with app.app_context():
        try:
            return db.session.execute(text(query), params).all()
        finally:
            db.session.remove()


def open_pushes(app) -> int:
    return sql(app, "SELECT count(*) FROM sync_pushes WHERE status IN ('pending', 'sending')")[0][0]


def drain(app, workers=("drain-w1", "drain-w2"), budget: float = 60.0) -> int:
    """Alternate worker ids until no push is open (backoffs become due quickly with FAST_SYNC)."""
    deadline, turn, processed = time.monotonic() + budget, 0, 0
    while True:
        processed += work(app, workers[turn % len(workers)])
        if not open_pushes(app):
            return processed
        if time.monotonic() > deadline:
            rows = sql(app, "SELECT id, order_id, status, attempts, last_error, next_attempt_at, claimed_by "
                            "FROM sync_pushes WHERE status IN ('pending', 'sending')")
            raise AssertionError(f"pushes still open after {budget}s of draining: {rows}")
        turn += 1
        time.sleep(0.02)


# ------------------------------------------------------------------ orders, planned here, sent through the API


@dataclass
class Row:
    variant: str
    produced: Decimal
    materials: tuple  # ((variant GID, quantity per unit as Decimal), ...)
    planned: Decimal = Decimal(10)
    id: int | None = None

    def body(self, *, with_produced: bool = False) -> dict:
        # kg: outputs with fractions are measured (rows in pieces take whole numbers only).
        body = {"variantId": self.variant, "title": f"Output {number(self.variant)}", "unit": "kg",
                "quantityPlanned": json_number(self.planned),
                "materials": [{"variantId": m, "title": f"Material {number(m)}", "quantityPerUnit": json_number(q)}
                              for m, q in self.materials]}
        if with_produced:
            body["quantityProduced"] = json_number(self.produced)
        return body


@dataclass
class Order:
    shop: str
    reference: str
    type: str
    flag: bool | None          # as sent at creation (None: "not explicitly set")
    location: str | None       # as sent at creation
    rows: list
    id: int | None = None
    version: int | None = None
    syncs: bool = False        # the resolved flag, as this test expects it
    pushes: bool = False       # whether Shopify must end up holding this order's targets
    status: str = "draft"
    notes: list = field(default_factory=list)

    def exact(self) -> dict[tuple[str, str], Decimal]:
        """Per (variant, location): the order's exact contribution, never rounded."""
        sign = 1 if self.type == "assembly" else -1
        exact = defaultdict(Decimal)
        for row in self.rows:
            exact[(row.variant, self.location)] += sign * row.produced
            for material, per_unit in row.materials:
                exact[(material, self.location)] -= sign * row.produced * per_unit
        return nonzero(exact)

    def targets(self) -> dict[tuple[str, str], int]:
        """What Shopify moves for this order alone: floor of its exact contribution per account."""
        return nonzero({leg: whole_units(total) for leg, total in self.exact().items()})


def account_floors(orders) -> dict[tuple[str, str], int]:
    """Per (variant, location): floor of the exact sum over the orders that push (fractions carry)."""
    total = defaultdict(Decimal)
    for order in orders:
        if order.pushes:
            for leg, exact in order.exact().items():
                total[leg] += exact
    return nonzero({leg: whole_units(value) for leg, value in total.items()})


class Scenario:
    """Random but seeded orders, driven through the API exactly as the merchant's page would."""

    def __init__(self, rng: random.Random, api: Api, defaults: dict):
        self.rng, self.api, self.defaults = rng, api, defaults
        self.orders: list[Order] = []

    def quantity(self) -> Decimal:
        if self.rng.random() < 0.25:
            return Decimal(self.rng.choice(PRODUCED_TIES))
        return Decimal(self.rng.randint(0, 20_000)) / 1000  # up to three decimals

    def rows(self, count: int | None = None) -> list[Row]:
        rows = []
        for _ in range(count or self.rng.randint(1, 3)):
            materials = tuple((m, Decimal(self.rng.choice(QUANTITIES_PER_UNIT)))
                              for m in self.rng.sample(MATERIALS, self.rng.randint(0, 3)))
            rows.append(Row(self.rng.choice(OUTPUTS), self.quantity(), materials,
                            planned=Decimal(self.rng.randint(1, 40))))
        return rows

    def create(self, reference: str, *, flag=None, location=None, kind=None, rows=None) -> Order:
        order = Order(self.api.shop, reference, kind or ("assembly" if self.rng.random() < 0.7 else "disassembly"),
                      flag, location, rows if rows is not None else self.rows())
        body = {"reference": reference, "type": order.type, "components": [r.body() for r in order.rows]}
        if flag is not None:
            body["syncProductionOrderToShopify"] = flag
        if location is not None:
            body["locationId"] = location
        created = self.api("POST", ORDERS, 201, json=body)
        assert [c["variantId"] for c in created["components"]] == [r.variant for r in order.rows]
        for row, component in zip(order.rows, created["components"]):
            row.id = component["id"]
        order.id = created["id"]
        self.orders.append(order)
        return order

    def start(self, order: Order) -> dict:
        started = self.api("POST", f"{ORDERS}/{order.id}/start")
        # Resolved at start from the shop's settings *now* (computed here, compared with the answer).
        order.syncs = order.flag if order.flag is not None else self.defaults["by_default"]
        order.location = order.location if order.location is not None else self.defaults["location"]
        assert started["syncProductionOrderToShopify"] is order.syncs
        assert started["locationId"] == order.location
        order.status = "in_progress"
        return started

    def record(self, order: Order, row: Row, produced: Decimal) -> dict:
        row.produced = produced
        return self.api("PATCH", f"{ORDERS}/{order.id}/components/{row.id}",
                        json={"quantityProduced": json_number(produced)})

    def record_all(self, order: Order, fraction: Decimal | None = None) -> None:
        for row in order.rows:
            target = row.produced
            value = target if fraction is None else (target * fraction).quantize(Decimal("0.001"))
            self.record(order, row, value)
            row.produced = value
        if fraction is not None:
            order.notes.append(f"interim {fraction}")

    def patch(self, order: Order, **fields) -> dict:
        body = self.api("PATCH", f"{ORDERS}/{order.id}", json=fields)
        if "locationId" in fields:
            order.location = fields["locationId"]
            order.notes.append("moved")
        if "type" in fields:
            order.type = fields["type"]
            order.notes.append("type flipped")
        if "syncProductionOrderToShopify" in fields:
            order.syncs = fields["syncProductionOrderToShopify"]
        return body

    def add_row(self, order: Order) -> None:
        (row,) = self.rows(1)
        body = self.api("POST", f"{ORDERS}/{order.id}/components", 201, json=row.body(with_produced=True))
        row.id = body["components"][-1]["id"]
        assert body["components"][-1]["variantId"] == row.variant
        order.rows.append(row)
        order.notes.append("row added")

    def remove_row(self, order: Order) -> None:
        row = order.rows.pop(self.rng.randrange(len(order.rows)))
        self.api("DELETE", f"{ORDERS}/{order.id}/components/{row.id}")
        order.notes.append("row removed")

    def complete(self, order: Order) -> dict:
        done = self.api("POST", f"{ORDERS}/{order.id}/complete")
        assert done["status"] == "completed"
        # The final push is queued in the completion's own transaction.
        assert done["sync"]["state"] == ("pending" if order.syncs else "off"), done["sync"]
        order.pushes, order.status = order.syncs, "completed"
        return done

    def cancel(self, order: Order) -> dict:
        cancelled = self.api("POST", f"{ORDERS}/{order.id}/cancel")
        assert cancelled["status"] == "cancelled"
        order.status = "cancelled"
        return cancelled


# ================================================================== 1. chaos


CHAOS_SEED = 20261110
CHAOS_ORDERS_PER_SHOP = 35


def test_chaos_every_unit_reaches_shopify_exactly_once(harness, capsys):
    started_at = time.monotonic()
    store = FakeStore()
    fake = harness.fake(store, fault_rate=0.25, fault_seed=CHAOS_SEED,
                        fault_kinds={kind: 1.0 for kind in FAULT_KINDS}, timeout_delay=0.3)
    front = harness.front(fake)
    # The client gives up after 0.15 s; a `timeout` fault answers after 0.3 s (applied meanwhile).
    app = harness.app(fake, SHOPIFY_HTTP_TIMEOUT_SECONDS=0.15)
    run = uuid.uuid4().hex[:6]
    shops = {name: f"chaos-{name}-{run}.myshopify.com" for name in ("complete", "live", "optin")}
    for shop in shops.values():
        seed_catalogue(store, shop)

    rng = random.Random(CHAOS_SEED)
    scenarios = {}
    for name, (by_default, location, mode) in {
        "complete": (True, L1, "on_complete"), "live": (True, L1, "live"), "optin": (False, None, "on_complete"),
    }.items():
        api = Api(app, shops[name])
        api.install()
        api.settings(by_default=by_default, location=location, mode=mode)
        scenarios[name] = Scenario(random.Random(rng.random()), api,
                                   {"by_default": by_default, "location": location})

    turn = [0]

    def pulse():
        """A worker pass in the middle of the merchant's work: pushes go out between edits."""
        turn[0] += 1
        work(app, f"chaos-w{turn[0] % 2 + 1}")

    def on_complete_order(s: Scenario, index: int):
        r = s.rng.random()
        flag = None if r < 0.7 else (False if r < 0.85 else True)
        location = s.rng.choice([None, None, L2, L3])
        order = s.create(f"C-{index}", flag=flag, location=location)
        s.start(order)
        s.record_all(order)
        if s.rng.random() < 0.2:
            s.add_row(order)
        s.complete(order)

    def live_order(s: Scenario, index: int):
        flag = False if index % 12 == 5 else None  # a few with sync off
        order = s.create(f"L-{index}", flag=flag)
        s.start(order)
        finals = [row.produced for row in order.rows]
        s.record_all(order, Decimal(s.rng.choice(["0.25", "0.5", "0.6"])))
        if s.rng.random() < 0.6:
            pulse()
        if s.rng.random() < 0.3:
            s.patch(order, locationId=s.rng.choice([L2, L3]))
            if s.rng.random() < 0.5:
                pulse()
        if s.rng.random() < 0.1:
            s.patch(order, type="disassembly" if order.type == "assembly" else "assembly")
        for row, final in zip(list(order.rows), finals):
            s.record(order, row, final)
        if len(order.rows) > 1 and s.rng.random() < 0.15:
            s.remove_row(order)
        if s.rng.random() < 0.1:
            s.add_row(order)
        s.complete(order)

    def optin_order(s: Scenario, index: int):
        r = s.rng.random()
        flag = True if r < 0.5 else (None if r < 0.8 else False)
        order = s.create(f"O-{index}", flag=flag, location=s.rng.choice([L1, L2, L3]))
        s.start(order)
        s.record_all(order)
        if not order.syncs and index % 10 == 3:
            # Turned on mid-production in on_complete mode: waits for the completion.
            s.patch(order, syncProductionOrderToShopify=True)
            order.notes.append("turned on in progress")
        s.complete(order)

    for index in range(CHAOS_ORDERS_PER_SHOP):
        on_complete_order(scenarios["complete"], index)
        live_order(scenarios["live"], index)
        optin_order(scenarios["optin"], index)
        if index % 4 == 3:
            pulse()

    # Live mode: cancelled from in progress after a push was queued -- those units were made.
    live = scenarios["live"]
    cancelled = live.create("L-cancelled", kind="assembly", rows=[
        Row(OUTPUTS[0], Decimal("7.5"), ((MATERIALS[0], Decimal("0.333")), (MATERIALS[1], Decimal("2")))),
        Row(OUTPUTS[1], Decimal("2.5"), ((MATERIALS[0], Decimal("0.5")),))])
    live.start(cancelled)
    live.record_all(cancelled)
    assert [r[0] for r in sql(app, "SELECT status FROM sync_pushes WHERE order_id = :o", o=cancelled.id)] == ["pending"]
    live.cancel(cancelled)
    cancelled.pushes = True
    # Live mode: still in progress at the end, its produced quantities pushed already.
    running = live.create("L-running", kind="disassembly")
    live.start(running)
    live.record_all(running)
    running.pushes = True
    # on_complete mode: cancelled from in progress (never pushed) and from draft (nothing at all).
    complete = scenarios["complete"]
    unpushed = complete.create("C-cancelled")
    complete.start(unpushed)
    complete.record_all(unpushed)
    complete.cancel(unpushed)
    complete.cancel(complete.create("C-draft-cancelled"))

    drain(app, workers=("chaos-w1", "chaos-w2"))

    # ---- the fake's ledger, shop by shop, against totals computed here
    all_orders = [o for s in scenarios.values() for o in s.orders]
    completed = sum(1 for o in all_orders if o.status == "completed")
    assert completed >= 100
    for name, scenario in scenarios.items():
        shop = scenario.api.shop
        # Per account, Shopify moved by floor(Σ exact contributions) of the orders that push.
        expected = {(item_of(v), loc): q for (v, loc), q in account_floors(scenario.orders).items()}
        ledger = nonzero(store.ledger(shop))
        assert ledger == expected, f"{name}: the fake's ledger differs from floor(Σ exact) per account"

        # Every applied adjustment group adds up to the ledger ...
        groups = store.adjustments(shop)
        applied = defaultdict(int)
        for group in groups:
            for change in group["changes"]:
                applied[(change["inventoryItemId"], change["locationId"])] += change["delta"]
        assert nonzero(applied) == ledger
        per_order = defaultdict(lambda: defaultdict(int))
        for group in groups:
            for change in group["changes"]:
                per_order[group["referenceDocumentUri"]][(change["inventoryItemId"], change["locationId"])] += \
                    change["delta"]
        # ... no key was applied twice; every applied batch is recorded once in the database.
        counts = store.applied(shop)
        assert counts and set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
        assert len(groups) == len(counts)

        # What the app reports: synced where the order syncs (off otherwise); each order's receipt
        # nets to exactly what Shopify applied under its reference, and its exact changes add up
        # to its exact contribution.
        listed = scenario.api.orders()
        for order in scenario.orders:
            sync = listed[order.id]["sync"]
            if order.syncs:
                assert sync["state"] == "synced", (order.reference, sync)
                assert sync["lastError"] is None
            else:
                assert sync["state"] == "off", (order.reference, sync)
            reported, exact = defaultdict(int), defaultdict(Decimal)
            for adjustment in sync["adjustments"]:
                leg = (adjustment["variantId"], adjustment["locationId"])
                reported[leg] += adjustment["quantity"]
                exact[leg] += Decimal(str(adjustment["exact"]))
                if adjustment["quantity"]:
                    assert adjustment["adjustmentGroupId"].startswith("gid://shopify/InventoryAdjustmentGroup/")
                else:
                    assert adjustment["adjustmentGroupId"] is None
            uri = f"gid://{APP_HANDLE}/ProductionOrder/{order.id}"
            assert {(item_of(v), loc): q for (v, loc), q in nonzero(reported).items()} == \
                nonzero(per_order.get(uri, {})), order.reference
            assert nonzero(exact) == (order.exact() if order.pushes else {}), (order.reference, order.notes)

        # The accounts: exact = Σ exact contributions, whole = what Shopify holds, remainder in [0, 1).
        shown = {(a["variantId"], a["locationId"]): a for a in scenario.api("GET", "/api/accounts")["items"]}
        totals = defaultdict(Decimal)
        for order in scenario.orders:
            if order.pushes:
                for leg, value in order.exact().items():
                    totals[leg] += value
        assert {leg: Decimal(str(a["exact"])) for leg, a in shown.items() if a["exact"]} == nonzero(totals)
        assert {(item_of(v), loc): a["whole"] for (v, loc), a in shown.items() if a["whole"]} == ledger
        assert all(0 <= a["remainder"] < 1 for a in shown.values())

    statuses = dict(sql(app, "SELECT status, count(*) FROM sync_pushes GROUP BY status"))
    assert set(statuses) <= {"succeeded", "cancelled"}, statuses
    batches = sql(app, "SELECT count(*), count(applied_at) FROM sync_batches")[0]
    sent_batches = sql(app, "SELECT count(*) FROM sync_batches WHERE variables IS NOT NULL")[0][0]
    assert batches[0] == batches[1], "a frozen batch was never applied"
    assert sent_batches == len(store.applied()), "a sent batch was applied twice, or never"
    legs = sql(app, "SELECT l.variant_id, l.location_id, l.exact, o.reference, s.domain FROM sync_legs l "
                    "JOIN production_orders o ON o.id = l.order_id JOIN shops s ON s.id = l.shop_id")
    by_reference = {(o.shop, o.reference): o for o in all_orders}
    frozen_legs = defaultdict(dict)
    for variant, location, exact, reference, domain in legs:
        frozen_legs[(domain, reference)][(variant, location)] = Decimal(exact)
    for key, order in by_reference.items():
        assert nonzero(frozen_legs.get(key, {})) == (order.exact() if order.pushes else {}), key

    overlapping = sql(app, "SELECT count(*) FROM sync_pushes later JOIN sync_pushes earlier "
                           "ON earlier.order_id = later.order_id AND earlier.id < later.id "
                           "AND earlier.frozen_at IS NOT NULL AND earlier.frozen_at < later.created_at "
                           "AND earlier.finished_at > later.created_at")[0][0]
    multi_group = Counter(Counter(g["referenceDocumentUri"] for s in scenarios.values()
                                  for g in store.adjustments(s.api.shop)).values())
    faults = Counter(kind for kind in fake.runtime.faults.history if kind)
    calls = store.calls()
    assert faults["lost_response"] and faults["timeout"], faults  # the hard kinds were really drawn
    assert calls["AdjustInventory"] > len(store.applied()), "no retry happened: the chaos was too mild"
    with capsys.disabled():
        print(f"\n[chaos {harness.database_url.split(':')[0]}] orders={len(all_orders)} "
              f"(completed {completed}, pushing {sum(o.pushes for o in all_orders)}) "
              f"pushes={statuses} (opened while an earlier one was sending: {overlapping}) "
              f"groups per order={dict(sorted(multi_group.items()))} "
              f"batches={batches[0]} requests={len(fake.runtime.faults.history)} "
              f"faults={dict(faults)} calls={dict(calls)} front={front.count()} "
              f"time={time.monotonic() - started_at:.1f}s")


# ================================================================== 2. crash after Shopify applied


def worker_env(harness: Harness, fake: FakeShopify, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "SYNC_", "DATABASE_URL"))}
    env.update({
        "DATABASE_URL": harness.database_url, "SHOPIFY_ADMIN_ORIGIN": fake.origin_template,
        "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET, "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "SECRET_KEY": "test-secret-key", "SYNC_POLL_SECONDS": "0.05", "SYNC_BACKOFF_BASE_SECONDS": "0.01",
        "SYNC_BACKOFF_MAX_SECONDS": "0.05", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wait_for(condition, timeout: float, what: str, proc=None, log_path=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.01)
    log = open(log_path).read() if log_path else ""
    raise AssertionError(f"timed out waiting for {what}\n{log[-4000:]}")


def test_a_worker_killed_after_shopify_applied_is_replayed_under_the_same_key(harness, tmp_path):
    lease = 2.0
    store = FakeStore()
    shop = f"crash-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store, shop)
    first = harness.fake(store)
    holding = harness.front(first, hold_adjust=True)
    app = harness.app(first, SYNC_LEASE_SECONDS=lease)
    api = Api(app, shop)
    api.install()
    scenario = Scenario(random.Random(2), api, {"by_default": True, "location": L1})
    api.settings(by_default=True, location=L1, mode="on_complete")
    order = scenario.create("CRASH-1", kind="assembly", rows=[
        Row(OUTPUTS[0], Decimal("12.5"), ((MATERIALS[0], Decimal("0.25")), (MATERIALS[1], Decimal("1.5")))),
        Row(OUTPUTS[1], Decimal("3.333"), ((MATERIALS[0], Decimal("0.125")),))])
    scenario.start(order)
    scenario.record_all(order)
    scenario.complete(order)
    expected = {(item_of(v), loc): q for (v, loc), q in order.targets().items()}

    log_path = tmp_path / "worker-1.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([FLASK, "--app", "app", "sync-worker"], cwd=PROJECT_ROOT, stdout=log,
                                stderr=subprocess.STDOUT,
                                env=worker_env(harness, first, SYNC_LEASE_SECONDS=lease,
                                               SHOPIFY_HTTP_TIMEOUT_SECONDS=60))
    try:
        # Shopify has applied the batch (its ledger moved), the worker still waits for the answer.
        wait_for(lambda: sum(store.applied(shop).values()) >= 1, 30, "Shopify to apply the batch", proc, log_path)
        assert holding.holding.wait(5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert nonzero(store.ledger(shop)) == expected
    (key,) = holding.keys(shop)
    assert store.applied(shop) == Counter({key: 1})
    (group,) = store.adjustments(shop)

    # Our side never learned it: the batch is unapplied and the dead worker's lease still stands.
    push_id, status, claimed_by, claimed_until = sql(
        app, "SELECT id, status, claimed_by, claimed_until FROM sync_pushes WHERE order_id = :o", o=order.id)[0]
    assert status == "sending" and claimed_by is not None
    assert sql(app, "SELECT count(applied_at) FROM sync_batches WHERE push_id = :p", p=push_id)[0][0] == 0
    # Frozen into the accounts before the send (an account counts frozen deltas, sent or not).
    frozen = sql(app, "SELECT variant_id, location_id, whole FROM sync_legs WHERE order_id = :o", o=order.id)
    assert nonzero({(v, loc): w for v, loc, w in frozen}) == order.targets()

    # Shopify is fine again (a new fake on the same store: same ledger, keys and tokens).
    holding.release.set()
    second = harness.fake(store)
    watching = harness.front(second)
    other = harness.app(second, SYNC_LEASE_SECONDS=lease)
    # While the lease holds, another worker leaves the push alone.
    assert work(other, "impatient-worker") == 0
    assert watching.count() == 0

    time.sleep(lease + 0.3)
    log_path = tmp_path / "worker-2.log"
    result = subprocess.run([FLASK, "--app", "app", "sync-worker", "--once"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60,
                            env=worker_env(harness, second, SYNC_LEASE_SECONDS=lease))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "processed 1 push(es)" in result.stdout, result.stdout + result.stderr

    # The same key was resent and Shopify replayed its stored answer: applied once, same group.
    assert watching.keys(shop) == [key]
    assert store.applied(shop) == Counter({key: 1})
    assert store.calls(shop)["AdjustInventory"] == 2
    assert [g["id"] for g in store.adjustments(shop)] == [group["id"]]
    assert nonzero(store.ledger(shop)) == expected
    batch = sql(app, "SELECT applied_at, adjustment_group_id FROM sync_batches WHERE push_id = :p", p=push_id)
    assert len(batch) == 1 and batch[0][0] is not None and batch[0][1] == group["id"]
    assert sql(app, "SELECT status FROM sync_pushes WHERE id = :p", p=push_id)[0][0] == "succeeded"
    legs = {(v, loc): p for v, loc, p in sql(app, "SELECT variant_id, location_id, whole FROM sync_legs")}
    assert nonzero(legs) == order.targets()
    assert api("GET", f"{ORDERS}/{order.id}")["sync"]["state"] == "synced"


# ================================================================== 3. concurrent workers on PostgreSQL


def complete_orders(api: Api, count: int, prefix: str) -> list[Order]:
    scenario = Scenario(random.Random(prefix), api, {"by_default": True, "location": L1})
    for index in range(count):
        order = scenario.create(f"{prefix}-{index}", rows=scenario.rows(1))
        scenario.start(order)
        scenario.record_all(order)
        scenario.complete(order)
    return scenario.orders


def expected_ledger(orders: list[Order]) -> dict:
    """The fake's ledger once the orders are synced: floor(Σ exact) per account, by inventory item."""
    return {(item_of(variant), location): q for (variant, location), q in account_floors(orders).items()}


@pytest.mark.postgres
@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_never_push_the_same_job_twice(pg_harness, workers):
    store = FakeStore()
    shop = f"race-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store, shop)
    fake = pg_harness.fake(store)
    front = pg_harness.front(fake)
    app = pg_harness.app(fake, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": workers + 2, "max_overflow": 2})
    api = Api(app, shop)
    api.install()
    api.settings(by_default=True, location=L1, mode="on_complete")
    orders = complete_orders(api, 40, "RACE")
    queued = sql(app, "SELECT count(*) FROM sync_pushes WHERE status = 'pending'")[0][0]
    assert queued == 40

    barrier = threading.Barrier(workers, timeout=30)
    processed, errors = {}, []

    def worker(worker_id: str):
        try:
            with app.app_context():
                barrier.wait()
                processed[worker_id] = run_once(worker_id)
                db.session.remove()
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(f"racer-{i}",), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and not any(t.is_alive() for t in threads), errors

    # Which push carries an account across a whole unit depends on the order the workers froze them
    # in, so some batches may hold only zero deltas: those are applied without a send.
    batches, applied, sent = sql(app, "SELECT count(*), count(applied_at), count(first_sent_at) FROM sync_batches")[0]
    assert sum(processed.values()) == queued, processed  # each push processed by exactly one worker
    assert open_pushes(app) == 0
    assert batches == applied
    assert store.calls(shop)["AdjustInventory"] == sent  # one call per sent batch: nobody sent twice
    keys = front.keys(shop)
    assert len(keys) == len(set(keys)) == sent
    assert set(store.applied(shop).values()) == {1} and len(store.applied(shop)) == sent
    assert nonzero(store.ledger(shop)) == expected_ledger(orders)
    assert sum(1 for n in processed.values() if n) >= 2, f"the workers did not overlap at all: {processed}"


def test_a_push_whose_worker_died_is_taken_over_after_its_lease(harness):
    lease = 4.0  # long enough for the rescuer's first look to end inside it on a busy 2-core machine
    store = FakeStore()
    shop = f"lease-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store, shop)
    fake = harness.fake(store)
    front = harness.front(fake)
    app = harness.app(fake, SYNC_LEASE_SECONDS=lease)
    api = Api(app, shop)
    api.install()
    api.settings(by_default=True, location=L1, mode="on_complete")
    orders = complete_orders(api, 1, "LEASE")

    with app.app_context():
        claimed = claim_next("worker-that-dies")  # claims, then never processes: it died
        db.session.remove()
    assert claimed is not None
    claimed_at = time.monotonic()
    assert work(app, "rescuer") == 0  # the lease is respected while it lasts
    assert front.count() == 0 and store.ledger(shop) == {}
    assert time.monotonic() - claimed_at < lease, "too slow to observe the lease"

    time.sleep(lease + 0.2)
    assert work(app, "rescuer") == 1
    assert sql(app, "SELECT status, claimed_by FROM sync_pushes WHERE id = :p", p=claimed)[0] == ("succeeded", None)
    assert nonzero(store.ledger(shop)) == expected_ledger(orders)
    assert len(front.keys(shop)) == 1 and set(store.applied(shop).values()) == {1}


@pytest.mark.parametrize("late_answer", ["success", "http_503"])
def test_a_worker_that_outlives_its_lease_and_its_successor_apply_the_batch_once(harness, late_answer):
    """Shopify is slow: the first worker's lease runs out while it waits for the answer of an
    applied batch. Its successor resends the same key (a replay) and finishes the push; then the
    late answer reaches the first worker (the stored success, or a 503 it cannot retry)."""
    lease = 1.0
    store = FakeStore()
    shop = f"slow-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store, shop)
    fake = harness.fake(store)
    front = harness.front(fake, hold_adjust=True, hold_count=1,
                          late_status=503 if late_answer == "http_503" else None)
    app = harness.app(fake, SYNC_LEASE_SECONDS=lease, SHOPIFY_HTTP_TIMEOUT_SECONDS=30, SYNC_HTTP_RETRIES=0)
    api = Api(app, shop)
    api.install()
    api.settings(by_default=True, location=L1, mode="on_complete")
    (order,) = complete_orders(api, 1, "SLOW")

    outcome = {}

    def slow_worker():
        try:
            outcome["processed"] = work(app, "slow-worker")
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=slow_worker, daemon=True)
    thread.start()
    try:
        assert front.holding.wait(15), "the slow worker never sent its batch"
        assert len(store.applied(shop)) == 1  # applied in Shopify; the answer is still on its way
        time.sleep(lease + 0.3)
        assert work(app, "successor") == 1
    finally:
        front.release.set()
        thread.join(30)
    assert not thread.is_alive() and "error" not in outcome, outcome

    keys = front.keys(shop)
    assert len(keys) == 2 and keys[0] == keys[1], keys  # the successor reused the key
    assert store.applied(shop) == Counter({keys[0]: 1})
    assert nonzero(store.ledger(shop)) == expected_ledger([order])
    legs = {(v, loc): p for v, loc, p in sql(app, "SELECT variant_id, location_id, whole FROM sync_legs")}
    assert nonzero(legs) == order.targets()  # counted into the legs once
    push = sql(app, "SELECT status, last_error FROM sync_pushes WHERE order_id = :o", o=order.id)
    assert push == [("succeeded", None)]
    shown = api("GET", f"{ORDERS}/{order.id}")
    assert shown["sync"]["state"] == "synced" and shown["sync"]["lastError"] is None
    # The history tells the merchant the batch was applied once, not twice.
    events = [e["type"] for e in api("GET", f"{ORDERS}/{order.id}/events")["items"]]
    assert events.count("sync_succeeded") == 1, events


# ================================================================== 4. held while uninstalled


def freeze_with_one_503(harness: Harness, store: FakeStore, shop: str) -> tuple[FakeShopify, Front]:
    """A fake whose first request (the variant lookup) works and whose second (the mutation) is a 503."""
    kinds = {"http_503": 1.0}
    seed = seed_whose_plan_starts(kinds, 0.5, [None, "http_503"])
    fake = harness.fake(store, fault_rate=0.5, fault_seed=seed, fault_kinds=kinds)
    return fake, harness.front(fake)


def send_until_503(harness, store, shop, order_id) -> str:
    """Run the pusher once against a fake that answers its mutation with a 503: frozen, key sent."""
    fake, front = freeze_with_one_503(harness, store, shop)
    applied_before = store.applied(shop)
    # No transient retry inside the call, and a backoff (0.5-1 s) longer than this run_once.
    app = harness.app(fake, SYNC_HTTP_RETRIES=0, SYNC_BACKOFF_BASE_SECONDS=0.5, SYNC_BACKOFF_MAX_SECONDS=1)
    assert work(app, "meets-a-503") == 1
    assert [op for _, op, _ in front.requests if op != "CatalogueIds"] == ["VariantInventoryItems", "AdjustInventory"]
    assert fake.runtime.faults.history == [None, "http_503"]
    assert store.applied(shop) == applied_before  # an early 503: nothing applied
    (status,) = sql(app, "SELECT status FROM sync_pushes WHERE order_id = :o ORDER BY id DESC LIMIT 1", o=order_id)[0]
    assert status == "sending"
    (key,) = front.keys(shop)
    return key


def uninstall(app, shop: str):
    body = json.dumps({"id": 1, "name": shop, "domain": shop, "myshopify_domain": shop}).encode()
    headers = {"X-Shopify-Topic": "app/uninstalled", "X-Shopify-Shop-Domain": shop,
               "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Triggered-At": now_iso(),
               "X-Shopify-API-Version": "2026-10", "X-Shopify-Hmac-Sha256": webhook_signature(body),
               "Content-Type": "application/json"}
    response = app.test_client().post("/webhooks", data=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "uninstalled"}


def test_pushes_are_held_while_uninstalled_and_go_out_after_the_next_token_exchange(harness):
    store = FakeStore()
    shop = f"gone-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store, shop)
    fake = harness.fake(store)
    front = harness.front(fake)
    app = harness.app(fake)
    api = Api(app, shop)
    api.install()
    api.settings(by_default=True, location=L1, mode="on_complete")
    (sending,) = complete_orders(api, 1, "GONE-A")
    key = send_until_503(harness, store, shop, sending.id)  # one push frozen and sent once (503)
    (pending,) = complete_orders(api, 1, "GONE-B")  # and one still unsent

    uninstall(app, shop)
    store.tokens.revoke_shop(shop)  # Shopify revokes the app's tokens on uninstall
    token, uninstalled_at = sql(app, "SELECT access_token_encrypted, uninstalled_at FROM shops "
                                     "WHERE domain = :d", d=shop)[0]
    assert token is None and uninstalled_at is not None

    before = front.count()
    time.sleep(1.1)  # the 503'd push's backoff is over: both are due, and both must wait
    # A real worker process (bounded in time: a worker spinning on a held push fails, not hangs).
    result = subprocess.run([FLASK, "--app", "app", "sync-worker", "--once"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=30, env=worker_env(harness, fake))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "processed 0 push(es)" in result.stdout, result.stdout + result.stderr
    assert front.count() == before == 0
    assert store.ledger(shop) == {}
    assert dict(sql(app, "SELECT status, count(*) FROM sync_pushes GROUP BY status")) == {"sending": 1, "pending": 1}

    api.install()  # the merchant opens the app again: a session token, a new token exchange
    assert sql(app, "SELECT uninstalled_at IS NULL, access_token_encrypted IS NOT NULL FROM shops "
                    "WHERE domain = :d", d=shop)[0] == (True, True)
    drain(app)
    assert nonzero(store.ledger(shop)) == expected_ledger([sending, pending])
    assert key in front.keys(shop)  # the frozen push finished with the key it had already sent
    assert set(store.applied(shop).values()) == {1} and len(store.applied(shop)) == 2
    listed = api.orders()
    assert {listed[o.id]["sync"]["state"] for o in (sending, pending)} == {"synced"}


# ================================================================== 5. turning the flag off


def test_turning_sync_off_cancels_the_unsent_push_but_a_sending_one_finishes_with_its_key(harness):
    store = FakeStore()
    shop = f"flag-{uuid.uuid4().hex[:6]}.myshopify.com"
    seed_catalogue(store, shop)
    fake = harness.fake(store)
    front = harness.front(fake)
    app = harness.app(fake)
    api = Api(app, shop)
    api.install()
    api.settings(by_default=True, location=L1, mode="live")
    scenario = Scenario(random.Random(5), api, {"by_default": True, "location": L1})

    # C: 3 units pushed, then 6 recorded (an unsent push), then sync turned off.
    c = scenario.create("FLAG-C", kind="assembly", rows=[
        Row(OUTPUTS[0], Decimal(3), ((MATERIALS[0], Decimal("0.5")),))])
    scenario.start(c)
    scenario.record_all(c)
    drain(app)
    assert store.available(shop, OUTPUTS[0], L1) == 3
    assert store.available(shop, MATERIALS[0], L1) == -2  # floor(-1.5): an opened unit is taken

    # B: 5 units recorded; its push freezes and is sent once, and Shopify answers 503.
    b = scenario.create("FLAG-B", kind="assembly", rows=[
        Row(OUTPUTS[1], Decimal("5.5"), ((MATERIALS[1], Decimal("0.25")),))])
    scenario.start(b)
    scenario.record_all(b)
    key = send_until_503(harness, store, shop, b.id)

    scenario.record(c, c.rows[0], Decimal(6))
    c_push = sql(app, "SELECT id, status FROM sync_pushes WHERE order_id = :o ORDER BY id DESC LIMIT 1", o=c.id)[0]
    assert c_push[1] == "pending"
    for order in (b, c):
        turned_off = scenario.patch(order, syncProductionOrderToShopify=False)
        assert turned_off["sync"]["state"] == "off"
    assert sql(app, "SELECT status FROM sync_pushes WHERE id = :p", p=c_push[0])[0][0] == "cancelled"
    b_status = sql(app, "SELECT status FROM sync_pushes WHERE order_id = :o ORDER BY id DESC LIMIT 1", o=b.id)
    assert b_status[0][0] == "sending"
    # With the flag off, further production pushes nothing.
    scenario.record(b, b.rows[0], Decimal(9))

    adjust_calls = front.count("AdjustInventory")
    drain(app)
    # B finished with the key it had already sent; C's unsent push went nowhere.
    assert front.keys(shop)[adjust_calls:] == [key]
    assert store.applied(shop)[key] == 1 and set(store.applied(shop).values()) == {1}
    assert store.available(shop, OUTPUTS[1], L1) == 5   # floor(5.5): the frozen push, not the later 9
    assert store.available(shop, MATERIALS[1], L1) == -2  # floor(-1.375)
    assert store.available(shop, OUTPUTS[0], L1) == 3
    assert store.available(shop, MATERIALS[0], L1) == -2
    assert open_pushes(app) == 0
    listed = api.orders()
    assert listed[b.id]["sync"]["state"] == "off"
    assert {(a["variantId"], a["quantity"]) for a in listed[b.id]["sync"]["adjustments"]} == \
        {(OUTPUTS[1], 5), (MATERIALS[1], -2)}

    # Turning C back on converges from what was pushed (3) to what it says now (6): nothing lost.
    scenario.patch(c, syncProductionOrderToShopify=True)
    drain(app)
    assert store.available(shop, OUTPUTS[0], L1) == 6
    assert store.available(shop, MATERIALS[0], L1) == -3
    assert set(store.applied(shop).values()) == {1}
    assert api("GET", f"{ORDERS}/{c.id}")["sync"]["state"] == "synced"
