"""Faults under load: the database goes away, a sync worker is SIGKILLed mid-batch, Shopify is down.

What it does
  A temporary PostgreSQL database (dropped at the end) is migrated; the loopback fake Shopify runs
  in a thread of this process at a fixed port; gunicorn (`app:app`) and `flask sync-worker`
  processes run against both. One shop is installed by token exchange and gets `--orders` orders
  by SQL. `--clients` threads then send the same request mix as bench/load.py (list, detail,
  edit, create, start, record produced, complete, cancel; orders sync to Shopify) for the whole
  run, and a probe polls GET /healthz every 0.2 s. Every answer is recorded with its time. Then:

  1. Database outage (`--db-outage`, `--db-down` seconds):
       cut       (default) the app reaches PostgreSQL through a TCP proxy in this process; every
                 connection is closed and the port refuses new ones, as when PostgreSQL restarts.
                 Other users of the server are not affected.
       restart   the real server: `pg_ctlcluster <version> <cluster> stop -m fast`, wait, `start`
                 (needs root; refused while other databases have clients, unless --force-restart).
       blackhole through the proxy, nothing flows and new connections wait (a network partition).
     Requests during the outage must fail fast with 503 and the JSON error `service_unavailable`
     (never a 500, a dropped connection or a hang); once the database is back the app must answer
     again by itself (pool pre-ping) within --recovery-grace seconds, and the sync workers must
     still be running.
  2. A sync worker SIGKILLed mid-batch, `--kills` times: the fake applies an
     `inventoryAdjustQuantities` and holds its answer; the worker that sent it (found through
     /proc) is killed and a replacement started. When the push's lease (`--lease`) expires, a
     worker resends the batch with the same idempotency key and the fake answers without applying
     it again.
  3. Shopify down for `--shopify-down` seconds (60; `--short`: 10): the fake is stopped (connection
     refused), answers every request with HTTP 503, or first one then the other (`--shopify-outage`).
     The API must keep answering (it does not need Shopify for installed shops); pushes back off
     and must all finish after Shopify returns.

  At the end: no 500 anywhere, no 503 outside the database outage, every push finished, the fake's
  ledger equals totals computed here from the orders in the database, the app's record
  (sync_legs) too, and `applied()` is at most 1 for every idempotency key.

How to run
  .venv/bin/python bench/faults.py                  # ~2.5 min (Shopify down 60 s)
  .venv/bin/python bench/faults.py --short          # ~1 min (Shopify down 10 s)
  .venv/bin/python bench/faults.py --db-outage restart --short    # really restart PostgreSQL

Exit status: 0 all good; 1 a correctness check failed (a 500, a hang or dropped connection, a 503
outside the outage, no recovery, a sync worker that died by itself, a push not finished, a lost or
doubled adjustment); 2 the benchmark itself failed.
"""

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from project import DEFAULT_ADMIN_URL
from cli import BenchError, bounded, print_table
from processes import (app_env, free_port, pid_behind_port, start_gunicorn, start_sync_worker, stop_processes,
                       stop_server, wait_until_up)
from server_logs import summarize_tracebacks
from http_drive import percentile_ms
from databases import engine_for, migrate, shop_id, temporary_database, with_database
from bulk_orders import bulk_insert_orders
from tcp_proxy import TcpProxy
from fake_shopify import start_fake
from shop_catalogue import LOCATION, catalogue_shop, install_shop
from request_mix import Mix, Sample, is_ok
from ledger import check_ledger, wait_for_pushes

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


# ------------------------------------------------------------------ the pieces the bench controls


class HealthProbe:
    """GET /healthz every `interval` seconds, recorded as Samples of op "healthz"."""

    def __init__(self, base: str, interval: float = 0.2, timeout: float = 35.0):
        self.base, self.interval, self.timeout = base, interval, timeout
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="healthz-probe")

    def start(self) -> "HealthProbe":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)

    def _loop(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                began = time.monotonic()
                code, json_error = None, True
                try:
                    response = session.get(self.base + "/healthz", timeout=self.timeout)
                    status = response.status_code
                    if status != 200:
                        try:
                            error = response.json().get("error") or {}
                            code = error.get("code")
                        except (ValueError, AttributeError):
                            json_error = False
                except requests.RequestException as exc:
                    status, code = 0, type(exc).__name__
                self.samples.append(Sample("healthz", began, time.monotonic(), status, code, json_error))
                self._stop.wait(self.interval)


class Workers:
    """The `flask sync-worker` processes; dead ones are replaced (as a process supervisor would)
    and every exit the bench did not cause is remembered."""

    def __init__(self, env: dict, count: int, log_dir: Path):
        self.env, self.log_dir = env, log_dir
        self.procs: list[subprocess.Popen] = []
        self.killed: set[int] = set()           # pids the bench SIGKILLed
        self.unexpected: list[tuple[int, int, str]] = []  # (pid, exit code, its log)
        self._started = 0
        for _ in range(count):
            self.spawn()

    def spawn(self) -> subprocess.Popen:
        self._started += 1
        proc = start_sync_worker(self.env, self.log_dir / f"sync-worker-{self._started}.log")
        proc.log_path = self.log_dir / f"sync-worker-{self._started}.log"
        self.procs.append(proc)
        return proc

    def alive(self) -> list[subprocess.Popen]:
        return [p for p in self.procs if p.poll() is None]

    def supervise(self) -> list[subprocess.Popen]:
        """Replace every worker that exited; return those that exited by themselves."""
        died = []
        for proc in list(self.procs):
            if proc.poll() is None:
                continue
            self.procs.remove(proc)
            if proc.pid not in self.killed:
                self.unexpected.append((proc.pid, proc.returncode, proc.log_path.read_text(errors="replace")))
                died.append(proc)
            self.spawn()
        return died

    def kill(self, proc: subprocess.Popen) -> None:
        self.killed.add(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        stop_processes(self.procs)


class PostgresCluster:
    """The real server, through pg_ctlcluster (Debian's wrapper)."""

    def __init__(self, version: str, name: str):
        self.version, self.name = version, name

    def _ctl(self, action: str, *extra) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action, *extra]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout.strip()}")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def start(self) -> None:
        self._ctl("start")

    def online(self) -> bool:
        done = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30)
        return any(line.split()[:2] == [self.version, self.name] and "online" in line
                   for line in done.stdout.splitlines())


def other_clients(admin_url: str, own_database: str) -> Counter:
    """Client connections to databases other than ours (someone else is using the server)."""
    engine = engine_for(admin_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT datname, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND pid <> pg_backend_pid() AND datname IS DISTINCT FROM :own GROUP BY datname"),
                {"own": own_database}).all()
        return Counter({name or "?": n for name, n in rows})
    finally:
        engine.dispose()


# ------------------------------------------------------------------ analysis


@dataclass
class Window:
    name: str
    start: float
    end: float
    notes: dict = field(default_factory=dict)


def overlapping(samples: list[Sample], start: float, end: float) -> list[Sample]:
    return [s for s in samples if s.start < end and s.end > start]


def started_in(samples: list[Sample], start: float, end: float) -> list[Sample]:
    return [s for s in samples if start <= s.start < end]


def clean_503(sample: Sample) -> bool:
    return sample.status == 503 and sample.code == "service_unavailable" and sample.json_error


def classify(samples: list[Sample]) -> Counter:
    kinds = Counter()
    for s in samples:
        if is_ok(s):
            kinds["ok"] += 1
        elif clean_503(s):
            kinds["503 service_unavailable"] += 1
        elif s.status == 0:
            kinds[f"no answer ({s.code})"] += 1
        elif s.status >= 500:
            kinds[f"{s.status} {s.code or '(not the JSON error shape)'}"] += 1
        else:
            kinds[f"{s.status} {s.code}"] += 1
    return kinds


def describe(kinds: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in kinds.most_common()) or "none"


# ------------------------------------------------------------------ the run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL,
                        help=f"PostgreSQL URL the temporary database is created through (default {DEFAULT_ADMIN_URL})")
    parser.add_argument("--short", action="store_true",
                        help="Shopify down for 10 s instead of 60 (unless --shopify-down is given)")
    parser.add_argument("--shopify-down", type=bounded(float, 1, 900), default=None,
                        help="seconds Shopify is down (default 60, or 10 with --short)")
    parser.add_argument("--shopify-outage", choices=("stopped", "503", "mixed"), default="mixed",
                        help="stopped: the fake is stopped (connection refused); 503: it answers HTTP 503; "
                             "mixed (default): the first half stopped, the second half 503")
    parser.add_argument("--db-outage", choices=("cut", "restart", "blackhole", "none"), default="cut",
                        help="how the database goes away (default cut; see the description)")
    parser.add_argument("--db-down", type=bounded(float, 0.5, 120), default=5.0,
                        help="seconds the database is unreachable (default 5)")
    parser.add_argument("--pg-cluster", default="15 main", help="version and name for pg_ctlcluster (default '15 main')")
    parser.add_argument("--force-restart", action="store_true",
                        help="restart PostgreSQL even while other databases have clients")
    parser.add_argument("--kills", type=bounded(int, 0, 10), default=2,
                        help="sync workers SIGKILLed mid-batch (default 2)")
    parser.add_argument("--lease", type=bounded(float, 1, 120), default=10.0,
                        help="SYNC_LEASE_SECONDS of the workers: how long a dead worker's push waits (default 10)")
    parser.add_argument("--backoff-max", type=bounded(float, 0.1, 600), default=None,
                        help="SYNC_BACKOFF_MAX_SECONDS of the workers (default: the app's, 60)")
    parser.add_argument("--clients", type=bounded(int, 1, 64), default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=bounded(int, 1, 32), default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--sync-workers", type=bounded(int, 1, 8), default=2,
                        help="`flask sync-worker` processes (default 2)")
    parser.add_argument("--orders", type=bounded(int, 100, 1_000_000), default=2000,
                        help="orders bulk-inserted into the shop for the reads (default 2000)")
    parser.add_argument("--baseline", type=bounded(float, 1, 120), default=5.0,
                        help="seconds of load before the first fault (default 5)")
    parser.add_argument("--after", type=bounded(float, 2, 120), default=8.0,
                        help="seconds of load after each fault (default 8)")
    parser.add_argument("--recovery-grace", type=bounded(float, 0, 60), default=3.0,
                        help="seconds after the database returns during which errors are still tolerated (default 3)")
    parser.add_argument("--hang", type=bounded(float, 1, 120), default=10.0,
                        help="an answer slower than this counts as a hang (default 10 s)")
    parser.add_argument("--drain-timeout", type=bounded(float, 10, 3600), default=None,
                        help="seconds allowed for every push to finish after Shopify returns "
                             "(default: 2 x backoff max + 30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the gunicorn and sync-worker logs (their directory is printed)")
    args = parser.parse_args(argv)
    if args.shopify_down is None:
        args.shopify_down = 10.0 if args.short else 60.0
    backoff_max = args.backoff_max if args.backoff_max is not None else 60.0
    if args.drain_timeout is None:
        args.drain_timeout = 2 * backoff_max + 30
    parts = args.pg_cluster.split()
    if len(parts) != 2:
        parser.error("--pg-cluster takes a version and a name, e.g. '15 main'")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    workdir = Path(tempfile.mkdtemp(prefix="po-faults-"))
    fake = proxy = None
    cluster = PostgresCluster(*args.pg_cluster.split())
    try:
        fake, front = start_fake(port=free_port(), bucket=20_000, rate=5_000)
        admin = make_url(args.admin_url)
        if args.db_outage in ("cut", "blackhole"):
            proxy = TcpProxy(admin.host or "127.0.0.1", admin.port or 5432).start()
        with temporary_database(args.admin_url, "po_bench_faults") as database_url:
            try:
                return run(args, workdir, database_url, fake, front, proxy, cluster)
            finally:
                if args.db_outage == "restart" and not cluster.online():
                    cluster.start()  # before the temporary database is dropped
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if proxy is not None:
            proxy.stop()
        if fake is not None:
            front.outage = front.refuse = False
            front.release()
            fake.stop()
        if args.db_outage == "restart":
            try:
                if not cluster.online():
                    cluster.start()
            except Exception as exc:  # say so loudly: the server must be left running
                print(f"\nWARNING: PostgreSQL {args.pg_cluster} is not running and could not be started: {exc}",
                      file=sys.stderr)
        if args.keep_logs:
            print(f"\nlogs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path, database_url: str, fake, front, proxy, cluster) -> int:
    began_setup = time.monotonic()
    if args.db_outage == "restart":
        refuse_restart_if_shared(args, database_url)  # fail fast; checked again just before the restart
    migrate(database_url)
    engine = engine_for(database_url)  # the bench's own view of the database, never through the proxy
    app_url = with_database(database_url, make_url(database_url).database, port=proxy.port) if proxy else database_url
    extra = {"SYNC_POLL_SECONDS": "0.2", "SYNC_LEASE_SECONDS": args.lease}
    if args.backoff_max is not None:
        extra["SYNC_BACKOFF_MAX_SECONDS"] = args.backoff_max
    env = app_env(app_url, fake.origin_template, **extra)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "gunicorn.log"
    server = workers = mix = probe = None
    failures: list[str] = []
    try:
        server = start_gunicorn(env, port, args.workers, log_path)
        workers = Workers(env, args.sync_workers, workdir)
        wait_until_up(server, base, log_path)
        domain = f"bench-{uuid.uuid4().hex[:8]}-faults.myshopify.com"
        catalogue_shop(fake.store, domain)
        install_shop(base, domain)
        shop = shop_id(engine, domain)
        bulk_insert_orders(engine, shop, args.orders, location=LOCATION)
        with engine.connect() as conn:
            read_ids = list(conn.execute(text("SELECT id FROM production_orders WHERE shop_id = :s "
                                              "ORDER BY random() LIMIT 2000"), {"s": shop}).scalars())
        print(f"Setup: {time.monotonic() - began_setup:.1f} s (database, gunicorn {args.workers} workers, "
              f"{args.sync_workers} sync workers, {args.orders} orders by SQL); PostgreSQL outage: {args.db_outage}, "
              f"Shopify outage: {args.shopify_outage} for {args.shopify_down:g} s")

        t0 = time.monotonic()
        probe = HealthProbe(base).start()
        mix = Mix(base, domain, read_ids=read_ids, clients=args.clients, seed=args.seed, timeout=35.0,
                  weights={"list": 20, "detail": 30, "edit": 20, "transition": 30}).start()
        windows: list[Window] = []
        time.sleep(args.baseline)
        windows.append(Window("baseline", t0, time.monotonic()))

        # ---- 1. the database goes away
        db_window = None
        if args.db_outage != "none":
            db_window = database_outage(args, proxy, cluster, probe, mix, workers, database_url)
            windows.append(db_window)
            time.sleep(args.after)
            windows.append(Window("after the database outage", db_window.end, time.monotonic()))
            died = workers.supervise()
            db_window.notes["workers_died"] = died

        # ---- 2. sync workers SIGKILLed mid-batch
        kills = []
        for n in range(args.kills):
            start = time.monotonic()
            kills.append(kill_mid_batch(front, fake, workers))
            windows.append(Window(f"sync worker kill {n + 1}", start, time.monotonic()))
        if kills:
            # The next phase starts once every killed batch was taken over (after its lease expired).
            deadline = time.monotonic() + 2 * args.lease + 60
            while time.monotonic() < deadline and not all(
                    any(c.key == k.key and c.at > k.killed_at and c.status == 200 for c in front.snapshot())
                    for k in kills):
                workers.supervise()
                time.sleep(0.2)
            windows.append(Window("until the killed batches were resent", windows[-1].end, time.monotonic()))
        workers.supervise()

        # ---- 3. Shopify goes away
        start = time.monotonic()
        before = {k: v for k, v in _push_attempts(engine, shop).items()}
        outage_answers_before = front.outage_answers
        shopify_outage(args, fake, front)
        shopify_window = Window("Shopify down", start, time.monotonic())
        windows.append(shopify_window)
        shopify_window.notes["answers_503"] = front.outage_answers - outage_answers_before
        time.sleep(args.after)
        mix.stop()
        probe.stop()
        windows.append(Window("after Shopify returns", shopify_window.end, time.monotonic()))
        stopped = time.monotonic()

        drained, waited = wait_for_pushes(engine, shop, args.drain_timeout, on_tick=workers.supervise)
        after = _push_attempts(engine, shop)
        retried = {push: attempts for push, attempts in after.items() if attempts > 1}
        queued_during = sum(1 for push in after if push not in before)
        ledger = check_ledger(engine, shop, fake.store, domain)
        applied = fake.store.applied(domain)
        calls = front.snapshot()
        workers.supervise()
        total = time.monotonic() - t0

        # ---------------------------------------------------------- report
        samples = mix.snapshot() + probe.samples
        print(f"\nLoad: {args.clients} client threads and a /healthz probe for {stopped - t0:.0f} s; "
              f"{len(samples)} requests in all\n")
        rows = []
        for w in windows:
            inside = started_in(samples, w.start, w.end)
            answered = [s.seconds for s in inside if s.status]
            rows.append([w.name, f"{w.start - t0:6.1f} .. {w.end - t0:6.1f}", len(inside),
                         sum(is_ok(s) for s in inside), sum(clean_503(s) for s in inside),
                         sum(not is_ok(s) and not clean_503(s) for s in inside),
                         f"{percentile_ms(answered, 50):.0f}", f"{percentile_ms(answered, 99):.0f}",
                         f"{max(answered) * 1000 if answered else 0:.0f}"])
        print_table(["phase", "seconds", "requests", "ok", "503 JSON", "other", "p50 ms", "p99 ms", "max ms"],
                    rows, right={2, 3, 4, 5, 6, 7, 8})

        # whole run: no 500, no hang, no dropped connection, no 503 outside the database outage
        fives = [s for s in samples if s.status >= 500 and not clean_503(s)]
        if fives:
            failures.append(f"{len(fives)} answers with a 5xx other than a clean 503: {describe(classify(fives))}")
        dropped = [s for s in samples if s.status == 0]
        if dropped:
            failures.append(f"{len(dropped)} requests got no HTTP answer: {describe(classify(dropped))}")
        slow = [s for s in samples if s.seconds > args.hang]
        if slow:
            failures.append(f"{len(slow)} requests took longer than {args.hang:g} s (max {max(s.seconds for s in slow):.1f} s)")
        tolerated_until = db_window.end + args.recovery_grace if db_window else t0
        stray = [s for s in samples if clean_503(s) and not (db_window and db_window.start <= s.end and s.start <= tolerated_until)]
        if stray:
            failures.append(f"{len(stray)} 503 answers outside the database outage")
        other = [s for s in samples if not is_ok(s) and s.status and s.status < 500]
        if other:
            failures.append(f"{len(other)} unexpected 4xx answers: {describe(classify(other))}")

        if db_window:
            report_db(args, db_window, samples, t0, workers, failures)
        report_kills(kills, calls, applied, failures)
        report_shopify(args, shopify_window, samples, retried, queued_during, drained, waited,
                       stopped + waited - shopify_window.end, failures)

        print(f"\n4. Nothing lost, nothing doubled (after the run, {total:.0f} s in all)\n")
        print_table(["check", "value"], [
            ["orders completed with sync on (answered 200 / in the database)",
             f"{len(mix.completed_ok)} / {_completed(engine, shop)}"],
            ["Admin API requests answered 200 / refused with 503 by the outage",
             f"{sum(c.status == 200 for c in calls)} / {sum(c.status == 503 for c in calls)}"],
            *ledger.rows()], right=set())
        if not ledger.ok:
            for line in ledger.differences():
                print("   " + line)
            failures.append("the totals in the fake Shopify, the app's record and the orders disagree, "
                            "a push did not finish, or a key was applied twice")
        missing = mix.completed_ok - _completed_ids(engine, shop)
        if missing:
            failures.append(f"{len(missing)} orders answered 200 to /complete but are not completed in the database")
        if workers.unexpected:
            failures.append(f"{len(workers.unexpected)} sync worker(s) exited by themselves (see above)")
        server_log = log_path.read_text(errors="replace")
        if "WORKER TIMEOUT" in server_log:
            failures.append("gunicorn killed a worker on its timeout (a request hung)")

        if failures:
            print("\nFAIL:\n" + "\n".join(f"  - {f}" for f in failures))
            summary = summarize_tracebacks(server_log)
            if summary:
                print("\n   Tracebacks in the gunicorn log (request, last exception, the project's frames):\n" +
                      "\n".join("     " + line for line in summary))
            return 1
        print("\nOK: no 500, no hang, no dropped connection; only clean 503s while the database was away, and "
              "recovery without help; killed workers' batches replayed under the same key; pushes finished "
              "after Shopify returned; nothing lost, nothing doubled.")
        return 0
    finally:
        if mix is not None:
            mix.stop()
        if probe is not None:
            probe.stop()
        if workers is not None:
            workers.stop()
        if server is not None:
            stop_server(server)
        engine.dispose()


def _push_attempts(engine, shop: int) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, attempts FROM sync_pushes WHERE shop_id = :s"), {"s": shop}).all())


def _completed_ids(engine, shop: int) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM production_orders WHERE shop_id = :s AND status = 'completed' "
                                     "AND sync_to_shopify IS TRUE"), {"s": shop}).scalars())


def _completed(engine, shop: int) -> int:
    return len(_completed_ids(engine, shop))


# ------------------------------------------------------------------ 1. database outage


def refuse_restart_if_shared(args, database_url: str) -> None:
    others = other_clients(args.admin_url, make_url(database_url).database)
    if others and not args.force_restart:
        raise BenchError(f"refusing to restart PostgreSQL while other databases have clients "
                         f"({dict(others)}); use --db-outage cut, or --force-restart")


def database_outage(args, proxy, cluster, probe, mix, workers, database_url) -> Window:
    if args.db_outage == "restart":
        refuse_restart_if_shared(args, database_url)
    start = time.monotonic()
    notes = {}
    if args.db_outage == "cut":
        notes["connections_cut"] = proxy.cut()
    elif args.db_outage == "blackhole":
        proxy.blackhole()
    else:
        cluster.stop()
    notes["down_after"] = time.monotonic() - start
    time.sleep(max(0.0, args.db_down - (time.monotonic() - start)))
    if args.db_outage == "restart":
        cluster.start()
    else:
        proxy.restore()
    end = time.monotonic()
    # When did the app answer again by itself?
    deadline = end + 60
    notes["healthz_back"] = notes["api_back"] = None
    while time.monotonic() < deadline and (notes["healthz_back"] is None or notes["api_back"] is None):
        if notes["healthz_back"] is None:
            ok = [s for s in probe.samples if s.start >= end and s.status == 200]
            if ok:
                notes["healthz_back"] = ok[0].end - end
        if notes["api_back"] is None:
            ok = [s for s in mix.snapshot() if s.start >= end and is_ok(s)]
            if ok:
                notes["api_back"] = min(s.end for s in ok) - end
        time.sleep(0.1)
    notes["workers_alive"] = len(workers.alive())
    return Window(f"database down ({args.db_outage})", start, end, notes)


def report_db(args, window: Window, samples, t0: float, workers: Workers, failures: list[str]) -> None:
    notes = window.notes
    during = overlapping(samples, window.start, window.end)
    inside = [s for s in during if not is_ok(s)]
    grace_end = window.end + args.recovery_grace
    late = [s for s in samples if s.start > grace_end and not is_ok(s)
            and s.start < window.end + args.after]
    answered = [s.seconds for s in during if s.status]
    rows = [
        ["outage", f"{args.db_outage}, {window.end - window.start:.1f} s"
                   + (f", {notes['connections_cut']} connections cut" if "connections_cut" in notes else "")],
        ["requests overlapping the outage", f"{len(during)}: {describe(classify(during))}"],
        ["  of which failed", f"{len(inside)}; all clean 503 service_unavailable: "
                              f"{'yes' if all(clean_503(s) for s in inside) else 'NO'}"],
        ["  slowest answer during the outage", f"{max(answered) * 1000 if answered else 0:.0f} ms"],
        ["/healthz answered 200 again", _after(notes["healthz_back"])],
        ["API answered as expected again", _after(notes["api_back"])],
        [f"failures later than {args.recovery_grace:g} s after the outage", len(late)],
        ["sync workers running right after / exited by themselves",
         f"{notes['workers_alive']} of {args.sync_workers} / {len(notes.get('workers_died', []))}"],
    ]
    print(f"\n1. Database outage at {window.start - t0:.1f} s\n")
    print_table(["check", "value"], rows, right=set())
    if notes["healthz_back"] is None or notes["api_back"] is None:
        failures.append("the app did not answer again within 60 s of the database returning (no recovery)")
    if late:
        failures.append(f"{len(late)} requests failed more than {args.recovery_grace:g} s after the database "
                        f"returned: {describe(classify(late))}")
    for pid, code, log_text in workers.unexpected:
        print(f"\n   sync worker {pid} exited with status {code}:\n" +
              "\n".join("     " + line for line in summarize_tracebacks(log_text, limit=1)))


def _after(seconds) -> str:
    return "never (within 60 s)" if seconds is None else f"{seconds:.2f} s after the database returned"


# ------------------------------------------------------------------ 2. worker killed mid-batch


@dataclass
class Kill:
    pid: int | None
    key: str | None
    killed_at: float
    how: str


def kill_mid_batch(front, fake, workers: Workers, wait: float = 90.0) -> Kill:
    """Hold the next AdjustInventory answer (already applied by the fake) and SIGKILL its sender."""
    front.hold_next_adjust()
    try:
        if not front.held.wait(wait):
            raise BenchError(f"no inventoryAdjustQuantities was sent within {wait:g} s (is the load completing orders?)")
        info = dict(front.held_info)
        victim = pid_behind_port(info["client_port"], fake.port, workers.alive())
        if victim is not None:
            workers.kill(victim)
            how = "the worker that sent it"
        else:  # the socket could not be traced: kill every worker, the sender among them
            for proc in workers.alive():
                workers.kill(proc)
            how = "every worker (sender not traced)"
        killed_at = time.monotonic()
    finally:
        front.release()
    workers.supervise()  # the replacement a supervisor would start
    return Kill(victim.pid if victim is not None else None, info.get("key"), killed_at, how)


def report_kills(kills: list[Kill], calls, applied: Counter, failures: list[str]) -> None:
    if not kills:
        return
    rows = []
    for n, kill in enumerate(kills, 1):
        resent = [c for c in calls if c.key == kill.key and c.at > kill.killed_at and c.operation == "AdjustInventory"]
        replay = f"{resent[0].at - kill.killed_at:.1f} s later" if resent else "NEVER"
        rows.append([n, kill.pid or "-", kill.how, (kill.key or "?")[:13] + "...", replay,
                     sum(1 for c in calls if c.key == kill.key), applied.get(kill.key, 0)])
        if not resent:
            failures.append(f"the batch of killed worker {kill.pid} (key {kill.key}) was never resent")
        if applied.get(kill.key, 0) != 1:
            failures.append(f"key {kill.key} of a killed worker's batch was applied {applied.get(kill.key, 0)} times")
    print("\n2. Sync workers SIGKILLed mid-batch (after the fake applied the batch, before the worker heard back)\n")
    print_table(["kill", "pid", "killed", "idempotency key", "resent with the same key", "sends", "applied"],
                rows, right={0, 5, 6})


# ------------------------------------------------------------------ 3. Shopify down


def shopify_outage(args, fake, front) -> None:
    seconds = args.shopify_down
    if args.shopify_outage == "503":
        front.outage = True
        time.sleep(seconds)
        front.outage = False
        return
    stopped_for = seconds if args.shopify_outage == "stopped" else seconds / 2
    front.refuse = True  # keep-alive connections opened before the stop are cut too
    fake.stop()
    try:
        time.sleep(stopped_for)
    finally:
        fake.start()  # same port: FakeShopify binds the port it was created with
        front.refuse = False
    if args.shopify_outage == "mixed":
        front.outage = True
        time.sleep(seconds - stopped_for)
        front.outage = False


def report_shopify(args, window: Window, samples, retried: dict, queued: int, drained: bool, waited: float,
                   back: float, failures: list[str]) -> None:
    during = started_in(samples, window.start, window.end)
    bad = [s for s in during if not is_ok(s)]
    mode = {"stopped": "fake stopped (connection refused)", "503": "every answer HTTP 503",
            "mixed": "fake stopped for the first half, HTTP 503 for the second"}[args.shopify_outage]
    rows = [
        ["outage", f"{window.end - window.start:.1f} s, {mode}"],
        ["Admin API requests answered 503 by the outage", window.notes.get("answers_503", 0)],
        ["API requests during the outage", f"{len(during)}: {describe(classify(during))}"],
        ["pushes queued from the outage on / retried (attempts > 1)", f"{queued} / {len(retried)}"],
        ["most attempts of one push", max(retried.values(), default=1)],
        ["every push finished", f"{'yes' if drained else 'NO'}, {back:.1f} s after Shopify returned "
                                f"({waited:.1f} s after the load stopped)"],
    ]
    print("\n3. Shopify down\n")
    print_table(["check", "value"], rows, right=set())
    if bad:
        failures.append(f"{len(bad)} API requests failed while only Shopify was down: {describe(classify(bad))}")
    if not drained:
        failures.append(f"pushes still open {args.drain_timeout:g} s after the load stopped")


if __name__ == "__main__":
    sys.exit(main())
