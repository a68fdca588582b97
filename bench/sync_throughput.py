"""Shopify calls per synced order, and sustained sync throughput against Shopify's cost bucket.

What it measures
  (a) Calls to the Admin API per synced order: an order of 1 component, an order of 1 component
      with 2 materials, and an order of 10 components with 2 materials each, each first with a cold
      inventory-item cache (variants the worker has never resolved) and then warm (the same
      variants again, within the cache's lifetime). Counted by the fake Shopify per operation name.
  (b) Sustained throughput of one sync worker against a small cost bucket whose ceiling is known
      exactly: the fake charges `--mutation-cost` points per inventoryAdjustQuantities and refills
      `--rate` points per second into a bucket of `--bucket` points. N completed orders are queued
      in one shop and one worker runs until all are synced. The points the fake actually charged
      are compared with what the bucket could have given over the same time:

          fraction = points charged / (restore rate x elapsed + bucket level at start - level at end)

      so the full bucket at the start is accounted for (it is a one-off credit, not throughput).
      A second figure measures only the steady state: from the first answer reporting a bucket
      too low for one more mutation, to the last answer. THROTTLED answers are counted too: a
      client that waits for the bucket correctly gets (almost) none.

Everything is real except Shopify: the app (create_app, Alembic schema via flask_migrate.upgrade),
the HTTP API with real signed session tokens (the shop is installed by token exchange against the
fake), the outbox, the worker (`run_once`) and its Admin API client over HTTP on 127.0.0.1. The
fake (shopify_app.devshop) runs in a thread of this process; a WSGI middleware around it records
every GraphQL answer (time, operation, cost, bucket level, THROTTLED) without changing it.

How to run
  .venv/bin/python bench/sync_throughput.py                 # ~30-40 s
  .venv/bin/python bench/sync_throughput.py --orders 300 --bucket 200 --rate 100 --mutation-cost 10
  .venv/bin/python bench/sync_throughput.py --skip-calls --processes 3   # 3 `flask sync-worker` processes
  .venv/bin/python bench/sync_throughput.py --database-url postgresql://postgres@127.0.0.1:5432/throwaway

By default the database is a temporary SQLite file, deleted at the end. With --database-url the
database is migrated and bench rows are left in it (shops named bench-<random>-*.myshopify.com).

Exit status: 0 good; 1 the fraction of the ceiling is below --target (0.9) or there were more
THROTTLED answers than --max-throttled; 2 the benchmark itself failed (an order did not sync,
an unexpected HTTP status, the worker did not finish in time).
"""

import argparse
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# bench/project.py puts the project root on sys.path (`tests` is not an installed package, and the
# token builders live there).
from project import ROOT
from cli import BenchError, print_table
from processes import stop_processes

from flask_migrate import upgrade  # noqa: E402

from shopify_app import create_app  # noqa: E402
from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore  # noqa: E402
from shopify_app.extensions import db  # noqa: E402
from shopify_app.sync.worker import run_once  # noqa: E402
from tests.builders import API_KEY, API_SECRET, session_token  # noqa: E402
from tests.conftest import base_config  # noqa: E402

ORDERS = "/api/production-orders"
SCHEMA = ROOT / ".cache" / "shopify" / "admin_2026-10.json.gz"
LOCATION_NUMBER = 501
LOCATION = f"gid://shopify/Location/{LOCATION_NUMBER}"


# ------------------------------------------------------------------ the fake Shopify, observed


@dataclass
class Answer:
    at: float            # time.monotonic() when the fake had built the answer
    operation: str
    status: int
    throttled: bool
    requested: int | None
    actual: int | None   # the points the fake charged (null when throttled)
    available: float | None


class Recorder:
    """WSGI middleware around the fake: records each GraphQL answer, passes everything through."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.answers: list[Answer] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").endswith("/graphql.json"):
            return self.wsgi_app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            operation = json.loads(raw).get("operationName") or "anonymous"
        except ValueError:
            operation = "unparsable"
        seen = {}

        def record_start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = list(self.wsgi_app(environ, record_start))
        at = time.monotonic()
        body = b"".join(chunks)
        throttled, requested, actual, available = False, None, None, None
        try:
            payload = json.loads(body)
            cost = (payload.get("extensions") or {}).get("cost") or {}
            requested, actual = cost.get("requestedQueryCost"), cost.get("actualQueryCost")
            available = (cost.get("throttleStatus") or {}).get("currentlyAvailable")
            errors = payload.get("errors")
            throttled = isinstance(errors, list) and any(
                (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors if isinstance(e, dict))
        except (ValueError, AttributeError):
            pass
        with self.lock:
            self.answers.append(Answer(at, operation, seen.get("status", 0), throttled, requested, actual, available))
        return [body]

    def snapshot(self) -> list[Answer]:
        with self.lock:
            return list(self.answers)


def start_fake(bucket: float, rate: float, mutation_cost: int, schema: bool) -> tuple[FakeShopify, Recorder]:
    config = FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, bucket_max=bucket, restore_rate=rate,
                               mutation_cost=mutation_cost,
                               schema_path=str(SCHEMA) if schema and SCHEMA.exists() else None)
    fake = FakeShopify(config, FakeStore())
    recorder = Recorder(fake.app.wsgi_app)
    fake.app.wsgi_app = recorder  # Flask's documented middleware hook; the server calls app.wsgi_app
    return fake.start(), recorder


# ------------------------------------------------------------------ the app, driven through its API


class Api:
    """The Flask test client with a fresh real session token per request (no app context held)."""

    def __init__(self, app, domain: str):
        self.client, self.domain = app.test_client(), domain

    def call(self, method: str, path: str, expect: int = 200, **kw):
        response = self.client.open(path, method=method, headers={"Authorization": f"Bearer {session_token(self.domain)}"},
                                    **kw)
        if response.status_code != expect:
            raise BenchError(f"{method} {path} answered {response.status_code} (expected {expect}): "
                             f"{response.get_data(as_text=True)[:500]}")
        return response.get_json()


def install(app, store: FakeStore, domain: str, variants: int) -> Api:
    """Catalogue the shop in the fake, then install the app the way Shopify does: the first API
    request carries a session token and the app exchanges it for an offline token."""
    store.add_location(domain, LOCATION_NUMBER, "Workshop")
    for n in range(variants):
        store.add_variant(domain, 10_000 + n, f"Item {n}", inventory_item_id=50_000 + n)
    api = Api(app, domain)
    api.call("GET", "/api/settings")  # 200 only once the exchange with the fake succeeded
    return api


def variant(n: int) -> str:
    return f"gid://shopify/ProductVariant/{10_000 + n}"


def queue_completed_order(api: Api, reference: str, components: list[dict]) -> int:
    """Create, start, record every component as produced, complete: the completion queues the push."""
    order = api.call("POST", ORDERS, 201, json={
        "reference": reference, "type": "assembly", "locationId": LOCATION,
        "syncProductionOrderToShopify": True, "components": components})
    path = f"{ORDERS}/{order['id']}"
    order = api.call("POST", path + "/start")
    for row in order["components"]:
        api.call("PATCH", f"{path}/components/{row['id']}", json={"quantityProduced": row["quantityPlanned"]})
    order = api.call("POST", path + "/complete")
    if order["sync"]["state"] != "pending":
        raise BenchError(f"order {reference} completed with sync state {order['sync']['state']!r}, not pending")
    return order["id"]


def open_pushes() -> int:
    return db.session.execute(db.text("SELECT count(*) FROM sync_pushes WHERE status IN ('pending', 'sending')")).scalar()


def run_worker_until_synced(app, deadline_seconds: float, worker_id: str) -> float:
    """One worker, as `flask sync-worker` runs it, until no push is open; returns the elapsed time."""
    began = time.monotonic()
    with app.app_context():
        while True:
            run_once(worker_id)
            db.session.remove()
            if not open_pushes():
                db.session.remove()
                return time.monotonic() - began
            if time.monotonic() - began > deadline_seconds:
                raise BenchError(f"pushes still open after {deadline_seconds:.0f} s")
            time.sleep(0.02)  # pushes waiting for a backoff become due soon


def sync_states(api: Api, order_ids: list[int]) -> Counter:
    return Counter(api.call("GET", f"{ORDERS}/{order_id}")["sync"]["state"] for order_id in order_ids)


# ------------------------------------------------------------------ (a) calls per synced order


def components_for(first: int, count: int, materials: int) -> tuple[list[dict], int]:
    """`count` components from variant `first` on, each with `materials` materials; (rows, next variant)."""
    rows, n = [], first
    for _ in range(count):
        output = n
        n += 1
        mats = []
        for _ in range(materials):
            mats.append({"variantId": variant(n), "title": f"Item {n}", "quantityPerUnit": 0.5})
            n += 1
        rows.append({"variantId": variant(output), "title": f"Item {output}", "quantityPlanned": 4, "materials": mats})
    return rows, n


def calls_per_order(app, args, run_id: str) -> list[list]:
    fake, recorder = start_fake(2000, 1000, args.mutation_cost, not args.no_schema)
    try:
        app.config["SHOPIFY_ADMIN_ORIGIN"] = fake.origin_template
        domain = f"bench-{run_id}-calls.myshopify.com"
        api = install(app, fake.store, domain, variants=200)
        rows, next_variant = [], 0
        for label, count, materials in (("1 component", 1, 0), ("1 component + 2 materials", 1, 2),
                                        ("10 components x 2 materials", 10, 2)):
            components, next_variant = components_for(next_variant, count, materials)
            for cache in ("cold", "warm"):
                order_id = queue_completed_order(api, f"CALLS-{label}-{cache}", components)
                before, answers_before = fake.store.calls(domain), len(recorder.snapshot())
                run_worker_until_synced(app, 60, f"bench-calls-{run_id}")
                after, answers = fake.store.calls(domain), recorder.snapshot()[answers_before:]
                state = sync_states(api, [order_id])
                if state != Counter(synced=1):
                    raise BenchError(f"{label} ({cache}) did not sync: {dict(state)}")
                delta = after - before
                legs = count * (1 + materials)
                rows.append([label, cache, legs, delta["VariantInventoryItems"], delta["AdjustInventory"],
                             sum(delta.values()), sum(a.actual or 0 for a in answers),
                             sum(a.throttled for a in answers)])
        # CatalogueIds: the saves' id check while the orders were queued, not counted above.
        unexpected = set(fake.store.calls(domain)) - {"CatalogueIds", "VariantInventoryItems", "AdjustInventory"}
        if unexpected:
            raise BenchError(f"unexpected Admin API operations: {sorted(unexpected)}")
        return rows
    finally:
        fake.stop()


# ------------------------------------------------------------------ (b) sustained throughput


@dataclass
class Throughput:
    orders: int
    elapsed: float
    queue_seconds: float
    calls: Counter
    answers: list
    level_start: float
    level_end: float
    states: Counter
    applied_once: bool


def order_components(i: int, args) -> list[dict]:
    """Order i of (b): 1 component from a pool of --variants, with --materials from a separate pool."""
    pool = args.variants
    materials = [{"variantId": variant(pool + (i * args.materials + j) % (pool * args.materials)),
                  "title": "Material", "quantityPerUnit": 0.5} for j in range(args.materials)]
    return [{"variantId": variant(i % pool), "title": f"Item {i % pool}", "quantityPlanned": 3,
             "materials": materials}]


def worker_processes(count: int, database_url: str, origin: str, config: dict) -> list[subprocess.Popen]:
    """`flask --app app sync-worker` processes, each with its own (per-process) bucket estimate."""
    env = {**os.environ, "DATABASE_URL": database_url, "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET,
           "SHOPIFY_API_SECRET_PREVIOUS": "", "SECRET_KEY": config["SECRET_KEY"],
           "TOKEN_ENCRYPTION_KEY": config["TOKEN_ENCRYPTION_KEY"], "SHOPIFY_ADMIN_ORIGIN": origin,
           "LOG_LEVEL": "WARNING", "SYNC_POLL_SECONDS": "0.05"}
    command = [sys.executable, "-m", "flask", "--app", "app", "sync-worker"]
    return [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(count)]


def wait_for_processes(app, procs: list[subprocess.Popen], deadline_seconds: float) -> float:
    began = time.monotonic()
    with app.app_context():
        while True:
            remaining = open_pushes()
            db.session.remove()
            if not remaining:
                return time.monotonic() - began
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                raise BenchError(f"a worker process exited with {dead[0].returncode}: "
                                 f"{dead[0].stderr.read().decode(errors='replace')[-1500:]}")
            if time.monotonic() - began > deadline_seconds:
                raise BenchError(f"pushes still open after {deadline_seconds:.0f} s")
            time.sleep(0.01)


def sustained(app, args, run_id: str, database_url: str) -> Throughput:
    fake, recorder = start_fake(args.bucket, args.rate, args.mutation_cost, not args.no_schema)
    procs = []
    try:
        app.config["SHOPIFY_ADMIN_ORIGIN"] = fake.origin_template
        domain = f"bench-{run_id}-rate.myshopify.com"
        api = install(app, fake.store, domain, variants=args.variants * (1 + args.materials))
        began = time.monotonic()
        order_ids = [queue_completed_order(api, f"RATE-{i}", order_components(i, args)) for i in range(args.orders)]
        queue_seconds = time.monotonic() - began
        if set(fake.store.calls(domain)) - {"CatalogueIds"}:
            raise BenchError(f"queuing orders called the Admin API beyond the id check: {dict(fake.store.calls(domain))}")
        # The id check of each create and start spent points: the measurement starts from a full bucket.
        refill_deadline = time.monotonic() + args.bucket / args.rate + 5
        while fake.runtime.buckets.status(domain)["currentlyAvailable"] < args.bucket:
            if time.monotonic() > refill_deadline:
                raise BenchError("the fake's bucket did not refill after queuing")
            time.sleep(0.05)
        calls_before, answers_before = fake.store.calls(domain), len(recorder.snapshot())
        level_start = fake.runtime.buckets.status(domain)["currentlyAvailable"]
        expected = (args.orders * args.mutation_cost - level_start) / args.rate
        deadline = max(60.0, 5 * expected)
        if args.processes:
            procs = worker_processes(args.processes, database_url, fake.origin_template, app.config)
            elapsed = wait_for_processes(app, procs, deadline)
        else:
            elapsed = run_worker_until_synced(app, deadline, f"bench-rate-{run_id}")
        level_end = fake.runtime.buckets.status(domain)["currentlyAvailable"]
        applied = fake.store.applied(domain)
        return Throughput(args.orders, elapsed, queue_seconds, fake.store.calls(domain) - calls_before,
                          recorder.snapshot()[answers_before:],
                          level_start, level_end, sync_states(api, order_ids),
                          len(applied) == args.orders and set(applied.values()) == {1})
    finally:
        stop_processes(procs)
        fake.stop()


def window_fraction(answers: list[Answer], start: int, rate: float):
    """(fraction, seconds, points) between answer `start` and the last answer: the points charged
    after `start`, over what the bucket could give in that time (refill plus the drop in level,
    as the fake reported it, rounded down to whole points). None for an empty window."""
    if start is None or start >= len(answers) - 1:
        return None
    first, last = answers[start], answers[-1]
    seconds = last.at - first.at
    points = sum(a.actual or 0 for a in answers[start + 1:])
    possible = rate * seconds + (first.available or 0) - (last.available or 0)
    return (points / possible if possible > 0 else float("nan")), seconds, points


def first_dry(answers: list[Answer], mutation_cost: int):
    """Index of the first answer whose bucket could not pay for one more mutation."""
    return next((i for i, a in enumerate(answers) if a.available is not None and a.available < mutation_cost), None)


# ------------------------------------------------------------------ output


def report(args, rows, result: Throughput, dialect: str) -> int:
    if rows:
        print(f"\n(a) Admin API calls per synced order ({dialect}; counted by the fake per operation; "
              f"cold = variants never resolved by this worker, warm = resolved < 5 min ago)\n")
        print_table(["order", "cache", "legs", "VariantInventoryItems", "AdjustInventory", "calls", "points", "THROTTLED"],
                    rows, right={2, 3, 4, 5, 6, 7})

    answers = result.answers
    charged = sum(a.actual or 0 for a in answers)
    throttled = [a for a in answers if a.throttled]
    failures = [a for a in answers if a.status != 200]
    # The same figure from the fake's own request counters: mutations received minus unpaid answers
    # (THROTTLED, non-200), times the fixed mutation cost; `nodes` costs one point per id, so the
    # query's points come from its answers.
    unpaid = sum(1 for a in answers if a.operation == "AdjustInventory" and (a.throttled or a.status != 200))
    by_counters = (result.calls["AdjustInventory"] - unpaid) * args.mutation_cost + sum(
        a.actual or 0 for a in answers if a.operation != "AdjustInventory")
    possible = args.rate * result.elapsed + result.level_start - result.level_end
    fraction = charged / possible if possible > 0 else float("nan")
    ceiling_orders = args.rate / args.mutation_cost
    active = window_fraction(answers, 0, args.rate)
    dry = first_dry(answers, args.mutation_cost)
    steady = window_fraction(answers, dry, args.rate)
    low = [a for a in answers[dry or 0:] if a.available is not None and a.available < 2 * args.mutation_cost]

    workers = f"{args.processes} worker processes" if args.processes else "one worker"
    print(f"\n(b) Sustained sync throughput, {workers}, one shop, {result.orders} completed orders of 1 component "
          f"+ {args.materials} materials ({args.variants} distinct output variant{'s' * (args.variants > 1)})\n"
          f"    fake bucket {args.bucket:g} points, restore {args.rate:g} points/s, mutation {args.mutation_cost} points "
          f"-> ceiling {ceiling_orders:.2f} orders/s once the bucket is spent\n")

    def shown(window):
        if window is None:
            return "n/a (the bucket never ran dry: queue more orders)"
        f, seconds, points = window
        return f"{f:.3f} ({points:g} points in {seconds:.2f} s = {points / seconds:.2f}/s)"

    rows_b = [
        ["orders queued (API: create, start, produce, complete)", f"{result.orders} in {result.queue_seconds:.1f} s"],
        ["sync states afterwards", ", ".join(f"{k} {v}" for k, v in sorted(result.states.items()))],
        ["each idempotency key applied exactly once", "yes" if result.applied_once else "NO"],
        ["requests received by the fake", ", ".join(f"{k} {v}" for k, v in sorted(result.calls.items()))],
        ["THROTTLED answers", f"{len(throttled)} ({', '.join(f'{k} {v}' for k, v in sorted(Counter(a.operation for a in throttled).items())) or 'none'})"],
        ["other non-200 answers", len(failures)],
        ["worker elapsed (start -> all synced)", f"{result.elapsed:.2f} s"],
        ["points charged (sum of answers; fake's counters x cost)", f"{charged:g}; {by_counters:g}"],
        ["bucket level at start -> end", f"{result.level_start:g} -> {result.level_end:g}"],
        ["achieved points/s (charged / worker elapsed)", f"{charged / result.elapsed:.2f} (restore rate {args.rate:g})"],
        ["achieved orders/s (orders / worker elapsed)", f"{result.orders / result.elapsed:.2f} "
                                                       f"(ceiling {ceiling_orders:.2f} + the initial bucket)"],
        ["fraction, worker elapsed (rate x elapsed + start - end)", f"{fraction:.3f} (of {possible:.1f} points)"],
        ["fraction, first -> last answer (level accounted)", shown(active)],
        ["FRACTION, STEADY STATE (from the first dry bucket)", shown(steady)],
        ["answers after that with < 2 mutations left", f"{len(low)} of {len(answers[dry or 0:])} "
                                                       "(most: bucket-bound; few: the worker is the bottleneck)"],
    ]
    print_table(["measure", "value"], rows_b, right=set())

    status = 0
    if result.states != Counter(synced=result.orders) or not result.applied_once:
        print("\nFAIL: not every order synced exactly once")
        return 2
    judged = min(w[0] for w in (active, steady) if w) if (active or steady) else fraction
    if judged < args.target:
        print(f"\nBELOW TARGET: fraction {judged:.3f} < {args.target}")
        status = 1
    if len(throttled) > args.max_throttled:
        print(f"\nTOO MANY THROTTLED answers: {len(throttled)} > {args.max_throttled}")
        status = 1
    if status == 0:
        print(f"\nOK: >= {args.target} of the ceiling, {len(throttled)} THROTTLED answer(s).")
    return status


# ------------------------------------------------------------------ main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)

    def positive(kind):
        def parse(text):
            value = kind(text)
            if value <= 0:
                raise argparse.ArgumentTypeError("must be positive")
            return value
        return parse

    parser.add_argument("--orders", "-n", type=positive(int), default=120, help="orders to sync in (b) (default 120)")
    parser.add_argument("--bucket", type=positive(float), default=100.0, help="fake bucket size in points (default 100)")
    parser.add_argument("--rate", type=positive(float), default=50.0, help="fake restore rate, points/s (default 50)")
    parser.add_argument("--mutation-cost", type=positive(int), default=10,
                        help="points per inventoryAdjustQuantities (default 10)")
    parser.add_argument("--variants", type=positive(int), default=1,
                        help="distinct variants across the orders of (b) (default 1: the cache is warm after "
                             "the first order)")
    parser.add_argument("--materials", type=int, default=0,
                        help="materials per order in (b), from a pool of variants x materials (default 0)")
    parser.add_argument("--processes", type=int, default=0,
                        help="run (b) with this many `flask sync-worker` processes instead of one in-process "
                             "worker (each process keeps its own bucket estimate)")
    parser.add_argument("--target", type=float, default=0.9, help="minimum fraction of the ceiling (default 0.9)")
    parser.add_argument("--max-throttled", type=int, default=3, help="THROTTLED answers tolerated in (b) (default 3)")
    parser.add_argument("--database-url", help="a throwaway database (e.g. PostgreSQL) instead of a temporary "
                        "SQLite file; it is migrated and bench rows are left in it")
    parser.add_argument("--no-schema", action="store_true",
                        help="do not validate documents in the fake (faster fake; default validates when the "
                             "schema is cached in .cache/shopify)")
    parser.add_argument("--skip-calls", action="store_true", help="skip (a)")
    args = parser.parse_args(argv)
    if args.mutation_cost > args.bucket:
        parser.error("--mutation-cost must fit in --bucket")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    workdir = Path(tempfile.mkdtemp(prefix="po-sync-bench-"))
    try:
        database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
        app = create_app({**base_config(database_url), "TESTING": False, "LOG_LEVEL": "WARNING"})
        logging.disable(logging.INFO)  # Alembic's steps, and the worker's line per push
        with app.app_context():
            upgrade()
            dialect = db.engine.dialect.name
        run_id = uuid.uuid4().hex[:8]
        # (b) runs first, in a process that has not called Shopify yet: a worker starts like that,
        # with no bucket estimate and no remembered operation costs.
        result = sustained(app, args, run_id, database_url)
        rows = [] if args.skip_calls else calls_per_order(app, args, run_id)
        return report(args, rows, result, dialect)
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
