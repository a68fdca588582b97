"""Many shops, many workers (SPEC §12): every figure next to its goal, on PostgreSQL with Redis.

What it measures
  (a) Fairness: a big shop has a backlog of --backlog (1,000) pushes being worked off by
      --fair-workers `flask sync-worker` processes; then a small shop completes one order. Printed:
      how long the small shop's push took from being queued to being applied in Shopify, in units
      of one push's time (the workers' own pace on the backlog, measured just before). Goal ≤ 2:
      at most the push a worker already had in hand, then its own.
  (b) One budget per shop: --pushes pushes per shop queued in fresh shops whose fake bucket holds
      --bucket points refilled at --rate points/s (each mutation costs --mutation-cost), worked off
      by 1, 2 and 4 worker processes on one shop, then --shops-pushes pushes in each of --shops shops
      (refilled at --shops-rate points/s each, so that the buckets rather than this machine's CPUs
      are the limit) by --shop-workers processes.
      Printed: THROTTLED answers (goal 0) and the points charged ÷ what the buckets could give in
      their steady state (from a bucket's first dry answer to its last; goal ≥ 0.9).
  (c) The list's first page (perPage=50, over gunicorn) in a shop of --list-orders (100,000) orders
      against one of --small-orders (1,000): median of --list-repeat interleaved requests each, and
      a page deep in the big shop reached by cursor. Goal: ratio ≤ 1.3 (no growth with the shop).
  (d) The order detail of a --detail-components (200) component order against /healthz on the same
      gunicorn (--gunicorn-workers 2), --threads client threads, in alternating 1 s turns for
      --seconds each. Goal ≥ 0.5.
      `--profile` also profiles the detail in-process (pyinstrument) and prints where the time goes.

Everything is real except Shopify: gunicorn (`app:app`), `flask sync-worker` processes with
REDIS_URL (keys under a prefix of this run, deleted at the end), a temporary PostgreSQL database
(created and dropped), and the loopback fake Shopify (shopify_app.devshop) in a thread of this
process, watched by a WSGI middleware that records each answer's cost and bucket level. Backlogs
and the large shop's orders are written by SQL (as completion would leave them); everything else
goes through the HTTP API with real signed session tokens. Loopback only; ~3–4 minutes on 2 cores.

  .venv/bin/python bench/scale.py
  .venv/bin/python bench/scale.py --quick        # smaller figures, ~1.5 min
  .venv/bin/python bench/scale.py --profile --phases d   # the detail alone, and where its time goes

Exit status: 0 every figure meets its goal; 1 one misses; 2 the benchmark itself failed.
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timezone
from pathlib import Path
from types import SimpleNamespace

from project import DEFAULT_ADMIN_URL, ORDERS
from cli import BenchError, bounded, print_table
from processes import (app_env, free_port, start_gunicorn, start_sync_worker, stop_processes, stop_server,
                       wait_until_up)
from http_drive import drive
from databases import bench_config, engine_for, migrate, shop_id, temporary_database
from bulk_orders import bulk_insert_orders
from shop_catalogue import install_shop
from scale_support import ShopifyWatch, ceiling_fraction, push_counts, queue_backlog

import redis  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore  # noqa: E402
from shopify_app.production.listing import encode_cursor  # noqa: E402
from tests.builders import API_KEY, API_SECRET, session_token  # noqa: E402

LOCATION_NUMBER, VARIANT_NUMBER = 501, 8001
LOCATION = f"gid://shopify/Location/{LOCATION_NUMBER}"
VARIANT = f"gid://shopify/ProductVariant/{VARIANT_NUMBER}"
UNLIMITED = 1_000_000.0  # a bucket that never limits (phases where Shopify's rate is not measured)


class Bench:
    """The running pieces shared by the phases."""

    def __init__(self, args, database_url: str, workdir: Path):
        self.args, self.workdir = args, workdir
        self.engine = engine_for(database_url)
        config = FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, bucket_max=UNLIMITED,
                                   restore_rate=UNLIMITED, mutation_cost=args.mutation_cost)
        self.fake = FakeShopify(config, FakeStore())
        self.watch = ShopifyWatch(self.fake)
        self.fake.start()
        self.buckets = self.fake.app.extensions["devshop"].buckets
        self.redis_prefix = f"bench-scale-{uuid.uuid4().hex[:8]}:"
        self.env = app_env(database_url, self.fake.origin_template, REDIS_URL=args.redis_url,
                           REDIS_KEY_PREFIX=self.redis_prefix, SYNC_POLL_SECONDS=0.1)
        self.base = f"http://127.0.0.1:{free_port()}"
        self.server = start_gunicorn(self.env, int(self.base.rsplit(":", 1)[1]), args.gunicorn_workers,
                                     workdir / "gunicorn.log")
        self.workers = []
        try:
            wait_until_up(self.server, self.base, workdir / "gunicorn.log")
        except BenchError:
            self.close()
            raise

    def close(self) -> None:
        stop_processes(self.workers)
        stop_server(self.server)
        self.fake.stop()
        self.engine.dispose()
        client = redis.Redis.from_url(self.args.redis_url)
        for key in client.scan_iter(match=self.redis_prefix + "*"):
            client.delete(key)
        client.close()

    def shop(self, name: str) -> tuple[str, int]:
        """A new shop in the fake (one location, one variant), the app installed on it."""
        domain = f"{name}-{uuid.uuid4().hex[:6]}.myshopify.com"
        self.fake.store.add_location(domain, LOCATION_NUMBER, "Workshop")
        self.fake.store.add_variant(domain, VARIANT_NUMBER, "Candle", inventory_item_id=VARIANT_NUMBER + 1000)
        install_shop(self.base, domain)
        return domain, shop_id(self.engine, domain)

    def call(self, domain: str, method: str, path: str, expect: int, **kw) -> dict:
        response = requests.request(method, self.base + path, timeout=30,
                                    headers={"Authorization": f"Bearer {session_token(domain)}"}, **kw)
        if response.status_code != expect:
            raise BenchError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def start_workers(self, count: int) -> None:
        self.workers = [start_sync_worker(self.env, self.workdir / "workers.log") for _ in range(count)]

    def stop_workers(self) -> None:
        stop_processes(self.workers)
        self.workers = []

    def wait_for(self, what: str, done, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
            if any(w.poll() is not None for w in self.workers):
                raise BenchError(f"a sync worker exited; see {self.workdir / 'workers.log'}")
            time.sleep(0.05)


# ------------------------------------------------------------------ (a) fairness


def fairness(bench: Bench) -> list[list]:
    args = bench.args
    (_, big), (small_domain, small) = bench.shop("backlog"), bench.shop("single")
    queue_backlog(bench.engine, big, args.backlog, location=LOCATION, variant=VARIANT, prefix="BACKLOG-")
    bench.start_workers(args.fair_workers)
    warm = min(args.backlog // 4, 100)
    bench.wait_for("the backlog to start", lambda: push_counts(bench.engine, [big]).get("succeeded", 0) >= warm, 120)
    order = bench.call(small_domain, "POST", ORDERS, 201, json={
        "reference": "SINGLE-1", "locationId": LOCATION, "syncProductionOrderToShopify": True,
        "components": [{"variantId": VARIANT, "title": "Candle", "quantityPlanned": 1}]})
    bench.call(small_domain, "POST", f"{ORDERS}/{order['id']}/start", 200)
    row = order["components"][0]["id"]
    bench.call(small_domain, "PATCH", f"{ORDERS}/{order['id']}/components/{row}", 200, json={"quantityProduced": 1})
    bench.call(small_domain, "POST", f"{ORDERS}/{order['id']}/complete", 200)
    bench.wait_for("the single push", lambda: push_counts(bench.engine, [small]).get("succeeded", 0) == 1, 60)
    bench.stop_workers()
    with bench.engine.begin() as conn:
        queued, finished = conn.execute(text("SELECT created_at, finished_at FROM sync_pushes WHERE shop_id = :s"),
                                        {"s": small}).one()
        # The workers' pace on the backlog over the 5 s before the single push was queued.
        paced = conn.execute(text(
            "SELECT count(*) FROM sync_pushes WHERE shop_id = :s AND finished_at > :q - interval '5 seconds' "
            "AND finished_at <= :q"), {"s": big, "q": queued}).scalar()
        left = conn.execute(text("UPDATE sync_pushes SET status = 'cancelled' WHERE shop_id = :s "
                                 "AND status IN ('pending', 'sending')"), {"s": big}).rowcount
    if not paced:
        raise BenchError("no backlog push finished in the 5 s before the single push was queued")
    push_seconds = args.fair_workers * 5.0 / paced
    delay = (finished - queued).total_seconds()
    units = delay / push_seconds
    return [["(a) small shop's push behind a backlog of %d, %d workers" % (args.backlog, args.fair_workers),
             f"{units:.2f} push times ({delay * 1000:.0f} ms; one push = {push_seconds * 1000:.0f} ms; "
             f"{left} of the backlog still queued)", "≤ 2.00", units <= 2.0]]


# ------------------------------------------------------------------ (b) one budget per shop


def budget(bench: Bench) -> list[list]:
    args = bench.args
    bench.buckets.maximum = float(args.bucket)
    rows = []
    for workers, shops, rate, pushes in ((1, 1, args.rate, args.pushes), (2, 1, args.rate, args.pushes),
                                         (4, 1, args.rate, args.pushes),
                                         (args.shop_workers, args.shops, args.shops_rate, args.shops_pushes)):
        bench.buckets.restore_rate = float(rate)
        domains, ids = [], []
        for index in range(shops):
            domain, shop = bench.shop(f"budget{workers}x{shops}-{index}")
            queue_backlog(bench.engine, shop, pushes, location=LOCATION, variant=VARIANT, prefix="PUSH-")
            domains.append(domain)
            ids.append(shop)
        expected = shops * pushes
        seconds = expected * args.mutation_cost / (rate * shops)
        bench.start_workers(workers)
        bench.wait_for(f"{expected} pushes", lambda: push_counts(bench.engine, ids).get("succeeded", 0) == expected,
                       seconds * 3 + 60)
        bench.stop_workers()
        answers = bench.watch.for_shops(set(domains))
        throttled = sum(a.throttled for a in answers)
        fraction, window = ceiling_fraction(answers, rate, args.bucket)
        label = f"(b) {workers} worker{'s' if workers > 1 else ''} on {shops} shop{'s' if shops > 1 else ''}"
        rows.append([label + ": THROTTLED", f"{throttled} ({len(answers)} answers)", "0", throttled == 0])
        rows.append([label + ": throughput ÷ ceiling", f"{fraction:.3f} (steady {window:.1f} s)", "≥ 0.90",
                     fraction >= 0.9])
    bench.buckets.maximum = bench.buckets.restore_rate = UNLIMITED
    return rows


# ------------------------------------------------------------------ (c) the list


def _median_ms(session, url: str, domain: str) -> float:
    began = time.perf_counter()
    response = session.get(url, headers={"Authorization": f"Bearer {session_token(domain)}"}, timeout=30)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def list_scaling(bench: Bench) -> list[list]:
    args = bench.args
    (big_domain, big), (small_domain, small) = bench.shop("list-big"), bench.shop("list-small")
    bulk_insert_orders(bench.engine, big, args.list_orders, location=LOCATION, prefix="L-")
    bulk_insert_orders(bench.engine, small, args.small_orders, location=LOCATION, prefix="S-")  # counts rebuilt
    with bench.engine.begin() as conn:
        created, order_id = conn.execute(text(
            "SELECT created_at, id FROM production_orders WHERE shop_id = :s "
            "ORDER BY created_at DESC, id DESC OFFSET :n LIMIT 1"), {"s": big, "n": args.list_orders // 2}).one()
    cursor = encode_cursor(SimpleNamespace(created_at=created.replace(tzinfo=timezone.utc), id=order_id))
    page = f"{bench.base}{ORDERS}?perPage=50"
    urls = {"small": (page, small_domain), "big": (page, big_domain), "deep": (f"{page}&cursor={cursor}", big_domain)}
    times = {name: [] for name in urls}
    with requests.Session() as session:
        for name, (url, domain) in urls.items():  # warm-up
            for _ in range(3):
                _median_ms(session, url, domain)
        for _ in range(args.list_repeat):
            for name, (url, domain) in urls.items():
                times[name].append(_median_ms(session, url, domain))
    small_ms, big_ms, deep_ms = (statistics.median(times[n]) for n in ("small", "big", "deep"))
    return [
        [f"(c) list page 1: {args.list_orders:,} vs {args.small_orders:,} orders",
         f"{big_ms / small_ms:.2f}× ({big_ms:.1f} vs {small_ms:.1f} ms)", "≤ 1.30", big_ms / small_ms <= 1.3],
        [f"(c) list page at order {args.list_orders // 2:,} by cursor vs page 1 at {args.small_orders:,}",
         f"{deep_ms / small_ms:.2f}× ({deep_ms:.1f} vs {small_ms:.1f} ms)", "≤ 1.30", deep_ms / small_ms <= 1.3],
    ]


# ------------------------------------------------------------------ (d) the detail


def detail(bench: Bench) -> list[list]:
    args = bench.args
    domain, _ = bench.shop("detail")
    for n in range(args.detail_components):  # the save checks every variant with Shopify
        bench.fake.store.add_variant(domain, 9000 + n, f"Candle {n}", inventory_item_id=19000 + n)
    components = [{"variantId": f"gid://shopify/ProductVariant/{9000 + n}", "title": f"Candle {n}", "sku": f"C-{n}",
                   "quantityPlanned": 2, "materials": [{"variantId": VARIANT, "title": "Wax", "quantityPerUnit": 0.25}]}
                  for n in range(args.detail_components)]
    order = bench.call(domain, "POST", ORDERS, 201, json={"reference": "BIG-1", "components": components})
    detail_url = f"{bench.base}{ORDERS}/{order['id']}"
    drive(f"{bench.base}/healthz", None, args.threads, 1.0)  # warm-up
    drive(detail_url, domain, args.threads, 1.0)
    # Alternating 1 s turns, so that both see the same machine (other load comes and goes).
    served, seconds, errors = {"healthz": 0, "detail": 0}, {"healthz": 0.0, "detail": 0.0}, 0
    for _ in range(max(1, round(args.seconds))):
        for name, url, who in (("healthz", f"{bench.base}/healthz", None), ("detail", detail_url, domain)):
            run = drive(url, who, args.threads, 1.0)
            served[name] += len(run.latencies)
            seconds[name] += run.seconds
            errors += run.errors
    if errors:
        raise BenchError(f"{errors} failed requests during the detail / healthz runs")
    healthz_rate, detail_rate = (served[n] / seconds[n] for n in ("healthz", "detail"))
    ratio = detail_rate / healthz_rate
    if args.profile:
        profile_detail(bench, domain, order["id"])
    return [[f"(d) detail ({args.detail_components} components) ÷ /healthz, gunicorn {args.gunicorn_workers} workers",
             f"{ratio:.2f} ({detail_rate:.0f} vs {healthz_rate:.0f} req/s)", "≥ 0.50", ratio >= 0.5]]


def profile_detail(bench: Bench, domain: str, order_id: int) -> None:
    """Where an order detail request spends its time, in-process (pyinstrument)."""
    from pyinstrument import Profiler

    from shopify_app import create_app

    app = create_app(bench_config(bench.env["DATABASE_URL"], REDIS_URL=bench.args.redis_url))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {session_token(domain)}"}
    client.get(f"{ORDERS}/{order_id}", headers=headers)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(200):
        client.get(f"{ORDERS}/{order_id}", headers=headers)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


# ------------------------------------------------------------------ main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--backlog", type=bounded(int, 10, 100_000), default=1000)
    parser.add_argument("--fair-workers", type=bounded(int, 1, 16), default=2)
    parser.add_argument("--bucket", type=bounded(float, 10, 10_000), default=50)
    parser.add_argument("--rate", type=bounded(float, 1, 10_000), default=20)
    parser.add_argument("--mutation-cost", type=bounded(int, 1, 1000), default=10)
    parser.add_argument("--pushes", type=bounded(int, 5, 10_000), default=24)
    parser.add_argument("--shops", type=bounded(int, 1, 100), default=10)
    parser.add_argument("--shop-workers", type=bounded(int, 1, 16), default=4)
    # Many shops: a slower refill per shop, so that the buckets, not this machine's CPUs, are the limit.
    parser.add_argument("--shops-rate", type=bounded(float, 1, 10_000), default=5)
    parser.add_argument("--shops-pushes", type=bounded(int, 5, 10_000), default=10)
    parser.add_argument("--list-orders", type=bounded(int, 1000, 1_000_000), default=100_000)
    parser.add_argument("--small-orders", type=bounded(int, 10, 100_000), default=1000)
    parser.add_argument("--list-repeat", type=bounded(int, 5, 1000), default=40)
    parser.add_argument("--detail-components", type=bounded(int, 1, 500), default=200)
    parser.add_argument("--gunicorn-workers", type=bounded(int, 1, 16), default=2)
    parser.add_argument("--threads", type=bounded(int, 1, 64), default=4)
    parser.add_argument("--seconds", type=bounded(float, 1, 120), default=8)
    parser.add_argument("--profile", action="store_true", help="also profile the detail in-process")
    parser.add_argument("--phases", default="abcd", type=lambda text: "".join(sorted(set(text) & set("abcd"))) or "abcd",
                        help="which of (a)-(d) to run, e.g. --phases d")
    parser.add_argument("--quick", action="store_true", help="smaller backlogs and list (~1.5 min)")
    args = parser.parse_args(argv)
    if args.quick:
        args.backlog, args.pushes, args.list_orders, args.list_repeat, args.seconds = 300, 16, 20_000, 20, 3
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    began = time.monotonic()
    try:
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        print(f"benchmark failed: Redis not reachable at {args.redis_url}: {exc}", file=sys.stderr)
        return 2
    try:
        with temporary_database(args.admin_url, "bench_scale") as database_url:
            migrate(database_url)
            bench = Bench(args, database_url, workdir)
            try:
                phases = {"a": fairness, "b": budget, "c": list_scaling, "d": detail}
                rows = [row for key in args.phases for row in phases[key](bench)]
            finally:
                bench.close()
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    print(f"bench/scale.py on PostgreSQL + Redis, {time.monotonic() - began:.0f} s (logs in {workdir})")
    print_table(["figure", "measured", "goal", "met"],
                [[label, value, goal, "yes" if ok else "NO"] for label, value, goal, ok in rows], right=set())
    return 0 if all(row[3] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
