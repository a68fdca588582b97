"""Load: the app under gunicorn on PostgreSQL with sync workers, a mixed request load, and a list of
100,000 orders in one shop.

What it does
  1. Creates a temporary PostgreSQL database (dropped at the end), migrates it, starts the loopback
     fake Shopify in a thread, gunicorn (`app:app`, gunicorn.conf.py) and `flask sync-worker`
     processes pointed at both, and installs two shops by token exchange with real session tokens.
  2. Bulk-inserts 100,000 orders (2 component rows each) into the "big" shop and 1,000 into the
     "small" one with SQL, not through the API, then ANALYZE.
  3. List scaling: captures the SQL the app issues for GET /api/production-orders (page 1 and the
     last page, with and without `status=in_progress`), runs EXPLAIN (ANALYZE, BUFFERS) on it in
     both shops, prints the big shop's plans, and times the same requests over HTTP in both shops.
     Page 1 must be read through an index (no Seq Scan on production_orders) and perPage > 250 must
     be refused.
  4. Mixed load: `--clients` threads send list / detail / edit / transition requests (create, start,
     record produced, complete, now and then cancel) to the big shop for `--seconds`; orders sync to
     Shopify, so completions queue pushes that the sync workers send to the fake meanwhile.
     Prints throughput, p50/p95/p99 latency and errors per operation.
  5. GET /api/production-orders/{id} (an order of `--detail-components` rows) against GET /healthz
     on the same server, one after the other, and their ratio.
  6. Waits for the sync workers to finish every push, then checks the fake's ledger against totals
     computed here from the orders in the database, the app's own record (sync_legs) against the
     same totals, and that no idempotency key was applied twice.

How to run
  .venv/bin/python bench/load.py                    # ~1.5 min
  .venv/bin/python bench/load.py --seconds 60 --clients 16 --workers 5 --sync-workers 3
  .venv/bin/python bench/load.py --orders 20000 --seconds 10      # quicker

Exit status: 0 all good; 1 a correctness check failed (a 5xx or an unexpected answer under load, a
list page 1 not read through an index, an unbounded page size, a push not finished, a Shopify total
that differs, a key applied twice); 2 the benchmark itself failed.
"""

import argparse
import math
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from project import DEFAULT_ADMIN_URL, ORDERS
from cli import BenchError, bounded, print_table
from processes import (app_env, free_port, start_gunicorn, start_sync_worker, stop_processes, stop_server,
                       wait_until_up)
from server_logs import summarize_tracebacks
from http_drive import drive
from databases import bench_config, engine_for, migrate, shop_id, temporary_database
from bulk_orders import bulk_insert_orders
from fake_shopify import start_fake
from shop_catalogue import LOCATION, MATERIALS, OUTPUTS, catalogue_shop, install_shop
from request_mix import Mix, error_summary, op_table
from ledger import check_ledger, wait_for_pushes

import requests  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from tests.builders import session_token  # noqa: E402


def auth(domain: str) -> dict:
    return {"Authorization": f"Bearer {session_token(domain)}"}


# ------------------------------------------------------------------ list scaling


def capture_list_sql(database_url: str, domain: str, query: str) -> list[tuple[str, dict]]:
    """The statements on production_orders and its counts that GET /api/production-orders`query`
    sends, with their parameters, captured from an in-process app on the same database."""
    from shopify_app import create_app
    from shopify_app.extensions import db

    app = create_app(bench_config(database_url))
    captured = []
    with app.app_context():
        engine = db.engine

    def on_execute(_conn, _cursor, statement, parameters, _context, _many):
        # The page reads production_orders; the total reads the maintained shop_order_counts.
        if "FROM production_orders" in statement or "FROM shop_order_counts" in statement:
            captured.append((statement, dict(parameters or {})))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = app.test_client().get(ORDERS + query, headers=auth(domain))
        if response.status_code != 200:
            raise BenchError(f"in-process GET {ORDERS}{query} answered {response.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        engine.dispose()
    return captured


def explain(engine, statement: str, parameters: dict, runs: int = 3) -> tuple[list[str], float]:
    """EXPLAIN (ANALYZE, BUFFERS) `runs` times; (plan lines of the last run, best execution ms)."""
    best, lines = math.inf, []
    with engine.connect() as conn:
        for _ in range(runs):
            lines = [row[0] for row in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
            found = next((re.search(r"Execution Time: ([\d.]+) ms", line) for line in lines
                          if "Execution Time" in line), None)
            if found:
                best = min(best, float(found.group(1)))
        conn.rollback()
    return lines, best


def http_median_ms(base: str, domain: str, query: str, repeat: int) -> tuple[float, dict]:
    with requests.Session() as session:
        headers = auth(domain)
        times, body = [], None
        for i in range(repeat + 2):  # two unmeasured warm-up requests
            began = time.perf_counter()
            response = session.get(base + ORDERS + query, headers=headers, timeout=30)
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise BenchError(f"GET {ORDERS}{query} answered {response.status_code}: {response.text[:300]}")
            body = response.json()
            if i >= 2:
                times.append(elapsed * 1000)
    return statistics.median(times), body


def list_scaling(args, base: str, database_url: str, engine, big: str, small: str) -> tuple[list[str], list]:
    """Print plans and timings; return (failures, table rows)."""
    failures = []
    per_page = 50
    cases = {}
    for domain in (big, small):
        totals = {}
        for status in (None, "in_progress"):
            filt = f"&status={status}" if status else ""
            _, body = http_median_ms(base, domain, f"?page=1&perPage={per_page}{filt}", 1)
            totals[status] = body["total"]
            if len(body["items"]) > per_page:
                failures.append(f"page 1 of {domain} returned {len(body['items'])} items for perPage={per_page}")
        cases[domain] = [
            ("page 1", f"?page=1&perPage={per_page}"),
            ("last page", f"?page={max(1, math.ceil(totals[None] / per_page))}&perPage={per_page}"),
            ("status=in_progress, page 1", f"?page=1&perPage={per_page}&status=in_progress"),
            ("status=in_progress, last page",
             f"?page={max(1, math.ceil(totals['in_progress'] / per_page))}&perPage={per_page}&status=in_progress"),
        ]
        cases[domain + "#totals"] = totals

    too_big = requests.get(base + ORDERS + "?perPage=251", headers=auth(big), timeout=30)
    if too_big.status_code != 422:
        failures.append(f"perPage=251 answered {too_big.status_code}, not 422: the page size is not bounded")

    rows, plans = [], []
    for (label, big_query), (_, small_query) in zip(cases[big], cases[small]):
        measured = {}
        for domain, query in ((big, big_query), (small, small_query)):
            statements = capture_list_sql(database_url, domain, query)
            # The total: a maintained count per shop and status (shop_order_counts), or a capped count.
            count_sql = [s for s in statements if "count(" in s[0].lower() or "shop_order_counts" in s[0]]
            page_sql = [s for s in statements if "ORDER BY" in s[0]]
            if len(count_sql) != 1 or len(page_sql) != 1:
                raise BenchError(f"expected one count and one page query for {query}, got {len(statements)} statements")
            count_plan, count_ms = explain(engine, *count_sql[0])
            page_plan, page_ms = explain(engine, *page_sql[0])
            http_ms, _ = http_median_ms(base, domain, query, args.list_repeat)
            measured[domain] = (count_ms, page_ms, http_ms)
            if domain == big:
                plans.append((label, query, page_sql[0][0], page_plan, count_plan))
                if label.endswith("page 1"):
                    if any("Seq Scan on production_orders" in line for line in page_plan):
                        failures.append(f"the list query for {label} in the big shop reads production_orders "
                                        "with a Seq Scan, not an index")
                    if not any("ix_production_orders_shop" in line for line in page_plan):
                        failures.append(f"the list query for {label} in the big shop uses no "
                                        "ix_production_orders_shop_* index")
        (bc, bp, bh), (sc, sp, sh) = measured[big], measured[small]
        rows.append([label, big_query.split("&")[0].removeprefix("?"), f"{sp:.2f}", f"{bp:.2f}", f"{sc:.2f}",
                     f"{bc:.2f}", f"{sh:.1f}", f"{bh:.1f}", f"{bh / sh:.1f}x"])

    print(f"\n1. The list of {args.orders:,} orders in one shop (GET {ORDERS}, perPage=50) against a "
          f"{args.small_orders:,}-order shop\n   (SQL captured from the app; EXPLAIN (ANALYZE, BUFFERS), best of 3; "
          f"HTTP: median of {args.list_repeat} sequential requests on the gunicorn server)\n")
    totals_big, totals_small = cases[big + "#totals"], cases[small + "#totals"]
    print(f"   totals: big shop {totals_big[None]:,} orders ({totals_big['in_progress']:,} in progress), "
          f"small shop {totals_small[None]:,} ({totals_small['in_progress']:,})\n")
    print_table(["case", "big page", "page SQL small ms", "page SQL big ms", "count SQL small ms",
                 "count SQL big ms", "HTTP small ms", "HTTP big ms", "HTTP big/small"], rows,
                right={2, 3, 4, 5, 6, 7, 8})
    if args.plans:
        print("\n   The page query the app sends (parameters bound by the driver):\n")
        print("   " + " ".join(plans[0][2].split()))
        for label, query, _, page_plan, count_plan in plans:
            print(f"\n   -- {label} ({query}), big shop: page query")
            for line in page_plan:
                print("      " + line)
            print(f"   -- {label}, big shop: count query")
            for line in count_plan:
                print("      " + line)
    return failures, rows


# ------------------------------------------------------------------ main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL,
                        help=f"PostgreSQL URL the temporary database is created through (default {DEFAULT_ADMIN_URL})")
    parser.add_argument("--seconds", type=bounded(float, 1, 600), default=30.0, help="mixed load duration (default 30)")
    parser.add_argument("--warmup", type=bounded(float, 0, 60), default=3.0, help="unmeasured load first (default 3)")
    parser.add_argument("--clients", type=bounded(int, 1, 64), default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=bounded(int, 1, 32), default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--sync-workers", type=bounded(int, 0, 8), default=2,
                        help="`flask sync-worker` processes (default 2)")
    parser.add_argument("--orders", type=bounded(int, 1000, 2_000_000), default=100_000,
                        help="orders bulk-inserted into the big shop (default 100000)")
    parser.add_argument("--small-orders", type=bounded(int, 100, 100_000), default=1000,
                        help="orders of the shop the list is compared with (default 1000)")
    parser.add_argument("--list-repeat", type=bounded(int, 3, 200), default=15,
                        help="HTTP requests per list case (default 15)")
    parser.add_argument("--no-plans", dest="plans", action="store_false", help="do not print the query plans")
    parser.add_argument("--mix", default="list=30,detail=40,edit=15,transition=15",
                        help="weights of the request kinds (default list=30,detail=40,edit=15,transition=15)")
    parser.add_argument("--ratio-seconds", type=bounded(float, 0.5, 60), default=5.0,
                        help="measured seconds of detail and of /healthz each (default 5)")
    parser.add_argument("--detail-components", type=bounded(int, 1, 1000), default=20,
                        help="component rows of the order the detail endpoint returns (default 20)")
    parser.add_argument("--drain-timeout", type=bounded(float, 5, 1800), default=120.0,
                        help="seconds allowed for the sync workers to finish after the load (default 120)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        weights = {k.strip(): float(v) for k, v in (part.split("=") for part in args.mix.split(","))}
    except ValueError:
        parser.error("--mix must look like list=30,detail=40,edit=15,transition=15")
    if set(weights) - {"list", "detail", "edit", "transition"} or not any(weights.values()):
        parser.error("--mix takes list, detail, edit and transition")
    args.weights = weights
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # A CI timeout sends SIGTERM: turn it into an exception so the finally blocks clean up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    workdir = Path(tempfile.mkdtemp(prefix="po-load-"))
    fake = None
    try:
        fake, front = start_fake(bucket=20_000, rate=5_000)  # Shopify's bucket is not what is measured here
        with temporary_database(args.admin_url, "po_bench_load") as database_url:
            return run(args, workdir, database_url, fake, front)
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if fake is not None:
            fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path, database_url: str, fake, front) -> int:
    server, workers = None, []
    engine = engine_for(database_url)
    try:
        began = time.monotonic()
        migrate(database_url)
        env = app_env(database_url, fake.origin_template, SYNC_POLL_SECONDS="0.2")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = workdir / "gunicorn.log"
        server = start_gunicorn(env, port, args.workers, log_path)
        workers = [start_sync_worker(env, workdir / f"sync-worker-{i}.log") for i in range(args.sync_workers)]
        wait_until_up(server, base, log_path)

        run_id = uuid.uuid4().hex[:8]
        big, small = f"bench-{run_id}-big.myshopify.com", f"bench-{run_id}-small.myshopify.com"
        for domain in (big, small):
            catalogue_shop(fake.store, domain)
            install_shop(base, domain)
        big_id, small_id = shop_id(engine, big), shop_id(engine, small)
        insert_seconds = bulk_insert_orders(engine, big_id, args.orders, location=LOCATION)
        insert_seconds += bulk_insert_orders(engine, small_id, args.small_orders, location=LOCATION)
        print(f"Setup: PostgreSQL database migrated, gunicorn ({args.workers} workers) and {args.sync_workers} sync "
              f"worker(s) started, {args.orders + args.small_orders:,} orders bulk-inserted with SQL in "
              f"{insert_seconds:.1f} s ({time.monotonic() - began:.1f} s in all)")

        failures, _ = list_scaling(args, base, database_url, engine, big, small)

        # ---- mixed load
        with engine.connect() as conn:
            read_ids = list(conn.execute(text("SELECT id FROM production_orders WHERE shop_id = :s "
                                              "ORDER BY random() LIMIT 5000"), {"s": big_id}).scalars())
        if args.warmup:
            Mix(base, big, read_ids=read_ids, clients=args.clients, weights=args.weights, seed=args.seed + 99).run_for(
                args.warmup)
        mix = Mix(base, big, read_ids=read_ids, clients=args.clients, weights=args.weights, seed=args.seed)
        elapsed = mix.run_for(args.seconds)
        samples = mix.snapshot()
        print(f"\n2. Mixed load: {args.clients} client threads for {elapsed:.1f} s (after {args.warmup:g} s of "
              f"warm-up) on one gunicorn server\n   (127.0.0.1, {args.workers} workers, PostgreSQL) with "
              f"{args.sync_workers} `flask sync-worker` process(es) pushing completions to the fake Shopify; "
              f"weights {args.mix}\n")
        print_table(["operation", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"],
                    op_table(samples, elapsed), right={1, 2, 3, 4, 5, 6})
        errors = error_summary(samples)
        if errors:
            print("\n   errors (operation, HTTP status, code): " +
                  "; ".join(f"{op} {status} {code}: {n}" for (op, status, code), n in errors.most_common(10)))
            failures.append(f"{sum(errors.values())} requests of the mixed load did not answer as expected")
        if any(s.status >= 500 for s in samples):
            failures.append(f"{sum(s.status >= 500 for s in samples)} answers with a 5xx status under load")

        # ---- detail against healthz
        detail = requests.post(base + ORDERS, headers=auth(big), timeout=30, json={
            "reference": f"DETAIL-{run_id}", "locationId": LOCATION, "components": [
                {"variantId": OUTPUTS[i % len(OUTPUTS)], "title": f"Row {i}", "sku": f"ROW-{i}", "quantityPlanned": 10,
                 "materials": [{"variantId": MATERIALS[i % len(MATERIALS)], "title": "Wax", "quantityPerUnit": 0.25}]}
                for i in range(args.detail_components)]})
        if detail.status_code != 201:
            raise BenchError(f"creating the detail order answered {detail.status_code}: {detail.text[:300]}")
        detail_url = f"{base}{ORDERS}/{detail.json()['id']}"
        runs = {}
        for name, url, domain in (("GET /healthz", base + "/healthz", None),
                                  (f"GET {ORDERS}/{{id}} ({args.detail_components} components)", detail_url, big)):
            drive(url, domain, args.clients, 1.0)  # warm-up
            runs[name] = drive(url, domain, args.clients, args.ratio_seconds)
        print(f"\n3. Order detail against /healthz on the same server, {args.clients} client threads, "
              f"{args.ratio_seconds:g} s each (sync workers idle)\n")
        print_table(["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "requests"],
                    [[name, f"{r.rate:.1f}", f"{r.percentile(50):.2f}", f"{r.percentile(95):.2f}",
                      f"{r.percentile(99):.2f}", r.errors, len(r.latencies)] for name, r in runs.items()],
                    right={1, 2, 3, 4, 5, 6})
        healthz, detail_run = runs.values()
        print(f"\n   detail / healthz = {detail_run.rate / healthz.rate if healthz.rate else float('nan'):.2f}")
        if healthz.errors or detail_run.errors:
            failures.append(f"{healthz.errors + detail_run.errors} failed requests in the detail/healthz runs")

        # ---- every push finished, exactly once
        drained, waited = wait_for_pushes(engine, big_id, args.drain_timeout)
        ledger = check_ledger(engine, big_id, fake.store, big)
        with engine.connect() as conn:
            synced_orders = conn.execute(text(
                "SELECT count(*) FROM production_orders WHERE shop_id = :s AND status = 'completed' "
                "AND sync_to_shopify IS TRUE"), {"s": big_id}).scalar()
        calls = fake.store.calls(big)
        print(f"\n4. Sync to the fake Shopify after the load (all pushes finished {waited:.1f} s after the load "
              f"stopped{'' if drained else ' -- NOT DRAINED'})\n")
        print_table(["check", "value"], [
            ["orders completed with sync on (warm-up and load)", synced_orders],
            ["Admin API requests received", ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) or "none"],
            *ledger.rows()], right=set())
        if not drained:
            failures.append(f"pushes still open {args.drain_timeout:g} s after the load")
        if not ledger.ok:
            for line in ledger.differences():
                print("   " + line)
            failures.append("the totals in the fake Shopify, the app's record and the orders disagree, "
                            "a push did not finish, or a key was applied twice")
        dead = [w for w in workers if w.poll() is not None]
        if dead:
            failures.append(f"{len(dead)} sync worker(s) exited during the run")
        server_log = log_path.read_text(errors="replace")
        if "Traceback" in server_log or "WORKER TIMEOUT" in server_log:
            failures.append("the gunicorn log shows a traceback or a worker timeout (see below)")
            print("\n   Tracebacks in the gunicorn log (request, last exception, the project's frames):\n" +
                  "\n".join("     " + line for line in summarize_tracebacks(server_log)))

        if failures:
            print("\nFAIL:\n" + "\n".join(f"  - {f}" for f in failures))
            return 1
        print("\nOK: no 5xx or unexpected answer under load, list page 1 read through an index, every push "
              "applied exactly once.")
        return 0
    finally:
        stop_processes(workers)
        if server is not None:
            stop_server(server)
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
