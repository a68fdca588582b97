"""A hot account: many orders that all use wax at one location, completed while workers push.

What it measures
  Freezing takes row locks on the accounts it touches (SPEC §5). Here every push touches the same
  wax account (and the same candle account): 200 orders, each making a few candles with 0.25 kg of
  wax per candle, are completed through the app's API by 4 client threads while N sync workers
  (threads running the real `run_once`, each with its own app context and pooled connection) freeze
  and send. Shopify is the loopback fake with a known ceiling: a mutation costs `--mutation-cost`
  points and the bucket refills `--rate` points per second, so at most rate / cost pushes per second
  can go through (one mutation per push once the variant lookup is cached). The ratio is pushes /
  (what the bucket could give over the run: rate x elapsed + the full bucket at the start) / cost.

  It prints pushes per second (first completion to last push finished), the bucket's ceiling and
  their ratio, for 1 worker and for `--workers` workers; deadlocks and crashed pushes (a worker
  logs every push it could not finish); and it checks that the fake's wax and candle equal the
  floor of the exact sums computed here from what was completed. Goal: >= 0.9 of the ceiling with
  one worker, no deadlock, exact ledger.

How to run (PostgreSQL: a throwaway database is created on the server and dropped afterwards)
  .venv/bin/python bench/hot_account.py
  .venv/bin/python bench/hot_account.py --orders 200 --workers 4 --rate 100 --bucket 100 --mutation-cost 10
  .venv/bin/python bench/hot_account.py --admin-url postgresql://postgres@127.0.0.1:5432/postgres

Exit status: 0 good; 1 below --target of the ceiling with one worker, a deadlock, or a ledger that
differs; 2 the benchmark itself failed.
"""

import argparse
import logging
import sys
import threading
import time
import uuid
from decimal import ROUND_FLOOR, Decimal

from common import DEFAULT_ADMIN_URL, BenchError, bench_config, migrate, print_table, temporary_database

from shopify_app import create_app  # noqa: E402
from shopify_app.extensions import db  # noqa: E402
from shopify_app.sync.worker import run_once  # noqa: E402
from sync_throughput import Api, install, start_fake, variant  # noqa: E402

ORDERS = "/api/production-orders"
LOCATION = "gid://shopify/Location/501"
CANDLE, WAX = variant(0), variant(1)
WAX_PER_CANDLE = Decimal("0.25")


class Problems(logging.Handler):
    """Counts what workers log when a push could not be finished (deadlocks included)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.crashed = self.deadlocks = 0

    def emit(self, record):
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "crashed" in text:
            self.crashed += 1
        if "deadlock" in text.lower():
            self.deadlocks += 1


def prepare(app, fake, orders: int, domain: str) -> tuple[Api, list[int], Decimal]:
    """Orders in progress with their produced quantities recorded; completing them queues pushes."""
    api = install(app, fake.store, domain, variants=2)
    api.call("PUT", "/api/settings", json={"syncProductionOrdersToShopifyByDefault": True,
                                           "defaultLocationId": LOCATION, "syncMode": "on_complete"})
    ids, wax = [], Decimal(0)
    for index in range(orders):
        produced = 1 + index % 3  # 1-3 candles: 0.25-0.75 kg of wax, so fractions carry
        order = api.call("POST", ORDERS, 201, json={
            "reference": f"HOT-{index}", "locationId": LOCATION, "components": [{
                "variantId": CANDLE, "title": "Candle", "quantityPlanned": produced,
                "materials": [{"variantId": WAX, "title": "Wax", "quantityPerUnit": float(WAX_PER_CANDLE)}]}]})
        order = api.call("POST", f"{ORDERS}/{order['id']}/start")
        api.call("PATCH", f"{ORDERS}/{order['id']}/components/{order['components'][0]['id']}",
                 json={"quantityProduced": produced})
        ids.append(order["id"])
        wax -= produced * WAX_PER_CANDLE
    return api, ids, wax


def run(app, fake, recorder, args, workers: int) -> dict:
    seen = len(recorder.snapshot())
    domain = f"bench-hot-{uuid.uuid4().hex[:6]}.myshopify.com"
    api, ids, wax_exact = prepare(app, fake, args.orders, domain)
    candles = sum(1 + i % 3 for i in range(args.orders))
    stop, errors = threading.Event(), []
    completed_at = []

    def complete(chunk: list[int]):
        client = Api(app, domain)
        try:
            for order_id in chunk:
                client.call("POST", f"{ORDERS}/{order_id}/complete")
                completed_at.append(time.monotonic())
        except BaseException as exc:  # reported, never lost in the thread
            errors.append(exc)

    def work(worker_id: str):
        try:
            while not stop.is_set():
                with app.app_context():
                    done = run_once(worker_id)
                    open_left = db.session.execute(db.text(
                        "SELECT count(*) FROM sync_pushes WHERE status IN ('pending', 'sending')")).scalar()
                    db.session.remove()
                if not done and not open_left and len(completed_at) == len(ids):
                    return
                if not done:
                    time.sleep(0.01)
        except BaseException as exc:
            errors.append(exc)

    began = time.monotonic()
    clients = [threading.Thread(target=complete, args=(ids[i::4],), daemon=True) for i in range(4)]
    pushers = [threading.Thread(target=work, args=(f"hot-{workers}-{i}",), daemon=True) for i in range(workers)]
    for thread in clients + pushers:
        thread.start()
    for thread in clients:
        thread.join(args.timeout)
    for thread in pushers:
        thread.join(max(1.0, args.timeout - (time.monotonic() - began)))
    stop.set()
    finished = time.monotonic()
    if errors:
        raise BenchError(f"{type(errors[0]).__name__}: {errors[0]}")
    if any(t.is_alive() for t in clients + pushers):
        raise BenchError("the run did not finish in time")
    with app.app_context():
        states = dict(db.session.execute(db.text(
            "SELECT p.status, count(*) FROM sync_pushes p JOIN shops s ON s.id = p.shop_id WHERE s.domain = :d "
            "GROUP BY p.status"), {"d": domain}).all())
        db.session.remove()
    pushes = states.get("succeeded", 0)
    elapsed = finished - min(completed_at)
    ceiling = args.rate / args.mutation_cost
    # What the bucket could give over the run: its refill plus the full bucket it started with.
    capacity = (args.rate * elapsed + args.bucket) / args.mutation_cost
    floor_wax = int(wax_exact.to_integral_value(rounding=ROUND_FLOOR))
    return {"workers": workers, "pushes": pushes, "states": states, "elapsed": elapsed,
            "pushes_per_s": pushes / elapsed, "ceiling": ceiling, "ratio": pushes / capacity,
            "wax": fake.store.available(domain, WAX, LOCATION), "wax_expected": floor_wax, "wax_exact": wax_exact,
            "candles": fake.store.available(domain, CANDLE, LOCATION), "candles_expected": candles,
            "throttled": sum(1 for a in recorder.snapshot()[seen:] if a.throttled)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="bucket refill, points per second")
    parser.add_argument("--mutation-cost", type=int, default=10)
    parser.add_argument("--bucket", type=float, default=100.0, help="bucket size, points")
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)
    problems = Problems()
    logging.getLogger("shopify_app").addHandler(problems)
    try:
        with temporary_database(args.admin_url, "bench_hot") as url:
            migrate(url)
            # The ratio counts the full bucket at the start as capacity too (a one-off credit).
            fake, recorder = start_fake(bucket=args.bucket, rate=args.rate, mutation_cost=args.mutation_cost,
                                 schema=True)
            app = create_app(bench_config(url, SHOPIFY_ADMIN_ORIGIN=fake.origin_template, SYNC_POLL_SECONDS=0.01,
                                          SQLALCHEMY_ENGINE_OPTIONS={"pool_size": args.workers + 8, "max_overflow": 4}))
            try:
                results = [run(app, fake, recorder, args, 1), run(app, fake, recorder, args, args.workers)]
            finally:
                with app.app_context():
                    db.engine.dispose()
                fake.stop()
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    rows = [[r["workers"], r["pushes"], f"{r['pushes_per_s']:.2f}", f"{r['ceiling']:.2f}", f"{r['ratio']:.3f}",
             r["throttled"],
             f"{r['wax']} / {r['wax_expected']} (exact {r['wax_exact']})", f"{r['candles']} / {r['candles_expected']}"]
            for r in results]
    print(f"hot account: {args.orders} orders, each 1-3 candles with {WAX_PER_CANDLE} kg of wax per candle, one "
          f"location; completed by 4 API threads while the workers push (PostgreSQL)")
    print_table(["workers", "pushes", "pushes/s", "ceiling/s", "ratio", "THROTTLED", "wax in fake / floor(Σ exact)",
                 "candles in fake / expected"], rows, right={0, 1, 2, 3, 4, 5})
    print(f"deadlocks: {problems.deadlocks}; pushes that crashed and were retried: {problems.crashed}")
    ledger_ok = all(r["wax"] == r["wax_expected"] and r["candles"] == r["candles_expected"] for r in results)
    print(f"ledger: {'exact' if ledger_ok else 'DIFFERS'}")
    good = ledger_ok and not problems.deadlocks and results[0]["ratio"] >= args.target
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
