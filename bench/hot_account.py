"""A hot account: many orders that all use wax at one location, completed while workers push.

What it measures
  Freezing takes row locks on the accounts it touches (SPEC §5). Here every push touches the same
  wax account (and the same candle account): 200 orders, each making a few candles with 0.25 kg of
  wax per candle, are completed through gunicorn (2 workers) by 4 client threads while N
  `flask sync-worker` processes freeze and send. Shopify is the loopback fake with a known ceiling: a mutation costs `--mutation-cost`
  points and the bucket refills `--rate` points per second, so at most rate / cost pushes per second
  can go through (one mutation per push once the variant lookup is cached). The ratio is pushes /
  (what the bucket could give over the run: rate x elapsed + the full bucket at the start) / cost.

  It prints pushes per second (first completion to last push finished), the bucket's ceiling and
  their ratio, for 1 worker and for `--workers` workers; deadlocks and crashed pushes (from the
  workers' logs); and it checks that the fake's wax and candle equal the
  floor of the exact sums computed here from what was completed. Goal: >= 0.9 of the ceiling with
  one worker, no deadlock, exact ledger.

How to run (PostgreSQL: a throwaway database is created on the server and dropped afterwards)
  .venv/bin/python bench/hot_account.py
  .venv/bin/python bench/hot_account.py --orders 200 --workers 4 --rate 100 --bucket 100 --mutation-cost 10   # a 10 pushes/s ceiling
  .venv/bin/python bench/hot_account.py --admin-url postgresql://postgres@127.0.0.1:5432/postgres

Exit status: 0 good; 1 below --target of the ceiling with one worker, a deadlock, or a ledger that
differs; 2 the benchmark itself failed.
"""

import argparse
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timezone
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import requests
from project import DEFAULT_ADMIN_URL
from cli import BenchError, print_table
from processes import (app_env, free_port, start_gunicorn, start_sync_worker, stop_processes, stop_server,
                       wait_until_up)
from databases import bench_config, migrate, temporary_database

from shopify_app import create_app  # noqa: E402
from shopify_app.extensions import db  # noqa: E402
from shopify_app.sync.worker import run_once  # noqa: E402
from sync_throughput import install, start_fake, variant  # noqa: E402
from tests.builders import session_token  # noqa: E402

ORDERS = "/api/production-orders"
LOCATION = "gid://shopify/Location/501"
CANDLE, WAX = variant(0), variant(1)
WAX_PER_CANDLE = Decimal("0.25")


def prepare(app, fake, orders: int, domain: str) -> tuple[object, list[int], Decimal]:
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


def run(app, fake, recorder, args, workers: int, url: str, logs: Path) -> dict:
    """Complete the orders through gunicorn while `workers` sync-worker processes push."""
    seen = len(recorder.snapshot())
    domain = f"bench-hot-{uuid.uuid4().hex[:6]}.myshopify.com"
    _, ids, wax_exact = prepare(app, fake, args.orders, domain)
    candles = sum(1 + i % 3 for i in range(args.orders))
    env = app_env(url, fake.origin_template, SYNC_POLL_SECONDS=0.02)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web_log, worker_log = logs / f"web-{workers}.log", logs / f"workers-{workers}.log"
    server = start_gunicorn(env, port, 2, web_log)
    procs: list[subprocess.Popen] = []
    errors, started = [], []
    try:
        wait_until_up(server, base, web_log)
        procs = [start_sync_worker({**env, "LOG_LEVEL": "INFO"}, worker_log) for _ in range(workers)]
        ready = time.monotonic() + 60  # a worker process imports the app first: not part of the run
        while worker_log.read_text(errors="replace").count("sync worker") < workers:
            if time.monotonic() > ready or any(p.poll() is not None for p in procs):
                raise BenchError("the sync workers did not start:\n" + worker_log.read_text(errors="replace")[-2000:])
            time.sleep(0.1)

        def complete(chunk: list[int]):
            session = requests.Session()
            try:
                for order_id in chunk:
                    started.append(time.time())
                    response = session.post(f"{base}{ORDERS}/{order_id}/complete", timeout=30,
                                            headers={"Authorization": f"Bearer {session_token(domain)}"})
                    if response.status_code != 200:
                        raise BenchError(f"complete {order_id}: {response.status_code} {response.text[:200]}")
            except BaseException as exc:  # reported, never lost in the thread
                errors.append(exc)

        clients = [threading.Thread(target=complete, args=(ids[i::4],), daemon=True) for i in range(4)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(args.timeout)
        if errors:
            raise BenchError(f"{type(errors[0]).__name__}: {errors[0]}")
        deadline = time.monotonic() + args.timeout
        while True:
            with app.app_context():
                states = dict(db.session.execute(db.text(
                    "SELECT p.status, count(*) FROM sync_pushes p JOIN shops s ON s.id = p.shop_id "
                    "WHERE s.domain = :d GROUP BY p.status"), {"d": domain}).all())
                last = db.session.execute(db.text(
                    "SELECT max(p.finished_at) FROM sync_pushes p JOIN shops s ON s.id = p.shop_id "
                    "WHERE s.domain = :d"), {"d": domain}).scalar()
                db.session.remove()
            if not states.get("pending") and not states.get("sending"):
                break
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise BenchError(f"pushes still open: {states}")
            time.sleep(0.1)
    finally:
        stop_processes(procs)
        stop_server(server)
    pushes = states.get("succeeded", 0)
    elapsed = last.replace(tzinfo=timezone.utc).timestamp() - min(started)
    ceiling = args.rate / args.mutation_cost
    # What the bucket could give over the run: its refill plus the full bucket it started with.
    capacity = (args.rate * elapsed + args.bucket) / args.mutation_cost
    log_text = worker_log.read_text(errors="replace")
    return {"workers": workers, "pushes": pushes, "states": states, "elapsed": elapsed,
            "pushes_per_s": pushes / elapsed, "ceiling": ceiling, "ratio": pushes / capacity,
            "wax": fake.store.available(domain, WAX, LOCATION),
            "wax_expected": int(wax_exact.to_integral_value(rounding=ROUND_FLOOR)), "wax_exact": wax_exact,
            "candles": fake.store.available(domain, CANDLE, LOCATION), "candles_expected": candles,
            "throttled": sum(1 for a in recorder.snapshot()[seen:] if a.throttled),
            "deadlocks": log_text.lower().count("deadlock detected"), "crashed": log_text.count("crashed")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=50.0, help="bucket refill, points per second")
    parser.add_argument("--mutation-cost", type=int, default=10)
    parser.add_argument("--bucket", type=float, default=100.0, help="bucket size, points")
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)
    try:
        with temporary_database(args.admin_url, "bench_hot") as url:
            migrate(url)
            # The ratio counts the full bucket at the start as capacity too (a one-off credit).
            fake, recorder = start_fake(bucket=args.bucket, rate=args.rate, mutation_cost=args.mutation_cost,
                                 schema=True)
            app = create_app(bench_config(url, SHOPIFY_ADMIN_ORIGIN=fake.origin_template, SYNC_POLL_SECONDS=0.01,
                                          SQLALCHEMY_ENGINE_OPTIONS={"pool_size": args.workers + 8, "max_overflow": 4}))
            try:
                with tempfile.TemporaryDirectory() as logs:
                    results = [run(app, fake, recorder, args, n, url, Path(logs)) for n in (1, args.workers)]
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
          f"location; completed through gunicorn by 4 clients while sync-worker processes push (PostgreSQL)")
    print_table(["workers", "pushes", "pushes/s", "ceiling/s", "ratio", "THROTTLED", "wax in fake / floor(Σ exact)",
                 "candles in fake / expected"], rows, right={0, 1, 2, 3, 4, 5})
    deadlocks = sum(r["deadlocks"] for r in results)
    print(f"deadlocks: {deadlocks}; pushes that crashed and were retried: {sum(r['crashed'] for r in results)}")
    ledger_ok = all(r["wax"] == r["wax_expected"] and r["candles"] == r["candles_expected"] for r in results)
    print(f"ledger: {'exact' if ledger_ok else 'DIFFERS'}")
    good = ledger_ok and not deadlocks and results[0]["ratio"] >= args.target
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
