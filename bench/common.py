"""Helpers shared by the benchmarks in bench/ (not a benchmark itself).

- output: BenchError, print_table
- processes: free_port, gunicorn and `flask sync-worker` subprocesses, stopping them
- HTTP measurement: Run (latencies and percentiles), drive (one URL from N threads for T seconds)
- PostgreSQL: a temporary database created and dropped by the bench, bulk-inserted orders, a TCP
  proxy that can cut the app off its database, the expected Shopify totals computed from the
  database, the push states
- the fake Shopify: FakeFront (records GraphQL requests, answers 503 while told to, holds an
  `AdjustInventory` answer after the fake applied it), the pid behind a loopback client port
- Mix: several client threads sending list/detail/edit/transition requests with real session tokens

Every network address here is 127.0.0.1; every loop is bounded by a deadline or a stop event.
"""

import argparse
import contextlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `tests` is not an installed package, and the signed-token builders live there.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.builders import API_KEY, API_SECRET, TOKEN_KEY, session_token  # noqa: E402

ORDERS = "/api/production-orders"
SCHEMA = ROOT / ".cache" / "shopify" / "admin_2026-10.json.gz"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class BenchError(Exception):
    """The benchmark could not measure what it meant to (not a finding about the app)."""


# ------------------------------------------------------------------ output


def print_table(headers: list[str], rows: list[list], right: set[int]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def bounded(kind, low, high):
    """An argparse type: `kind`, between `low` and `high` inclusive."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value
    return parse


# ------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, admin_origin: str, **extra) -> dict:
    """The environment of a gunicorn or sync-worker subprocess of the benches."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_SECRET_PREVIOUS": "",
        "SECRET_KEY": "bench-secret-key",
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "SHOPIFY_ADMIN_ORIGIN": admin_origin,
        # Many clients share one shop here: the per-shop request budget is not what is measured.
        "RATE_LIMIT_PER_SHOP": "",
        # Per-request INFO logging would be part of what we time.
        "LOG_LEVEL": "WARNING",
        **{key: str(value) for key, value in extra.items()},
    }


def start_gunicorn(env: dict, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """`gunicorn app:app` on 127.0.0.1:`port` (gunicorn.conf.py in the project root applies)."""
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--log-level", "warning", "--graceful-timeout", "5", "app:app"]
    with open(log_path, "ab") as log:
        # A session of its own, so that a stuck server can be killed with its workers and only them.
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session (gunicorn and its workers)."""
    if proc.poll() is not None:
        return
    proc.terminate()  # gunicorn's master stops its workers gracefully on SIGTERM
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_until_up(proc: subprocess.Popen, base: str, log_path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{log_path.read_text()[-2000:]}")


def summarize_tracebacks(log_text: str, limit: int = 6) -> list[str]:
    """One entry per distinct failure in a gunicorn or worker log: the request (from gunicorn's
    "Error handling request" line, when there is one), the last exception line, and the project's
    own frames (file:line in function) of every chained traceback, in order."""
    import re

    record = re.compile(r'^(\[\d{4}-|\{"time")')
    exception = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\w*(:|$)")
    chunks, chunk = [], []
    for line in log_text.splitlines():
        if record.match(line) and chunk:
            chunks.append(chunk)
            chunk = []
        chunk.append(line)
    if chunk:
        chunks.append(chunk)
    entries, seen = [], set()
    for chunk in chunks:
        if not any(line.startswith("Traceback (most recent call last)") for line in chunk):
            continue
        head = chunk[0]
        request = head.split("Error handling request", 1)[1].strip() if "Error handling request" in head else ""
        frames = []
        for line in chunk:
            stripped = line.strip()
            if stripped.startswith('File "') and str(ROOT / "shopify_app") in stripped:
                path, _, rest = stripped[6:].partition('", line ')
                number, _, function = rest.partition(", in ")
                frame = f"{Path(path).relative_to(ROOT)}:{number} in {function}"
                if frame not in frames:
                    frames.append(frame)
        last = next((line for line in reversed(chunk) if exception.match(line)), "")
        key = (re.sub(r"\d+", "N", request.split("?")[0]), tuple(frames), last.split(":", 1)[0])
        if key in seen:
            continue
        seen.add(key)
        entries.append((request, last[:220], frames))
    lines = []
    for request, last, frames in entries[:limit]:
        lines.append(f"{request or '(outside a request)'}: {last}")
        lines.extend(f"    {frame}" for frame in frames)
    if len(entries) > limit:
        lines.append(f"... {len(entries) - limit} more distinct tracebacks")
    return lines


def start_sync_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """One `flask --app app sync-worker` process, its output appended to `log_path` (a pipe could
    fill up during an outage and block the worker)."""
    command = [sys.executable, "-m", "flask", "--app", "app", "sync-worker"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop_processes(procs: list[subprocess.Popen]) -> None:
    for proc in procs:  # only the processes started here, by their own handle
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def pid_behind_port(client_port: int, server_port: int, candidates: list[subprocess.Popen]):
    """The process among `candidates` owning the loopback TCP socket 127.0.0.1:client_port ->
    :server_port (Linux /proc), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for line in handle.readlines()[1:]:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if int(local.rsplit(":", 1)[1], 16) == client_port and int(remote.rsplit(":", 1)[1], 16) == server_port:
                    inodes.add(f"socket:[{inode}]")
    for proc in candidates:
        if proc.poll() is not None:
            continue
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{proc.pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{proc.pid}/fd/{fd}") in inodes:
                        return proc
    return None


# ------------------------------------------------------------------ HTTP measurement


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list = field(default_factory=list)  # of successful requests, in seconds
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


def drive(url: str, domain: str | None, threads: int, seconds: float) -> Run:
    """Hammer `url` from `threads` threads for `seconds`; `domain` adds a session token."""
    run, lock = Run(), threading.Lock()
    start_gate = threading.Barrier(threads + 1)
    deadline = [0.0]

    def worker():
        latencies, errors = [], 0
        token_made, headers = 0.0, {}
        with requests.Session() as session:
            start_gate.wait()
            while time.perf_counter() < deadline[0]:
                # Tokens live 60 s; minting one per request would add client work to one side only.
                if domain and time.perf_counter() - token_made > 30:
                    headers = {"Authorization": f"Bearer {session_token(domain)}"}
                    token_made = time.perf_counter()
                began = time.perf_counter()
                try:
                    response = session.get(url, headers=headers, timeout=10)
                    ok = response.status_code == 200
                except requests.RequestException:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors += 1
        with lock:
            run.latencies.extend(latencies)
            run.errors += errors

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for thread in pool:
        thread.join()
    # Requests in flight at the deadline still finish, so the elapsed time is measured, not assumed.
    run.seconds = time.perf_counter() - began
    return run


def percentile_ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


# ------------------------------------------------------------------ PostgreSQL


def sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def with_database(url: str, name: str, port: int | None = None) -> str:
    """`url` pointed at database `name` (and optionally another port of the same host)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(database=name)
    if port is not None:
        parsed = parsed.set(port=port)
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def temporary_database(admin_url: str, prefix: str):
    """Create an empty database (named `prefix`_<random>) and drop it afterwards, whatever happens."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sa_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise BenchError(f"cannot create a temporary database through {admin_url}: {type(exc).__name__}: {exc}")
    try:
        yield with_database(admin_url, name)
    finally:
        # The server may just have been restarted by a fault bench: try for a while.
        deadline = time.monotonic() + 30
        while True:
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except Exception as exc:
                if time.monotonic() > deadline:
                    print(f"warning: could not drop the temporary database {name}: {exc}", file=sys.stderr)
                    break
                time.sleep(1)
        admin.dispose()


def migrate(database_url: str) -> None:
    """Alembic upgrade to head, as `flask --app app db upgrade` does."""
    import logging

    from flask_migrate import upgrade

    from shopify_app import create_app
    from shopify_app.extensions import db

    app = create_app(bench_config(database_url))
    logging.disable(logging.INFO)  # Alembic announces every migration step
    try:
        with app.app_context():
            upgrade()
            db.engine.dispose()
    finally:
        logging.disable(logging.NOTSET)


def bench_config(database_url: str, **extra) -> dict:
    """create_app() overrides of an in-process app of the benches (migrations, EXPLAIN)."""
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET,
            "SHOPIFY_API_SECRET_PREVIOUS": "", "SECRET_KEY": "bench-secret-key", "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
            "RATE_LIMIT_PER_SHOP": "", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text",
            "SHOPIFY_ADMIN_ORIGIN": "http://127.0.0.1:9/{shop}", **extra}


def engine_for(database_url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(sa_url(database_url), poolclass=NullPool)


def shop_id(engine, domain: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM shops WHERE domain = :d"), {"d": domain}).scalar()
    if found is None:
        raise BenchError(f"shop {domain} is not in the database")
    return found


BULK_ORDERS_SQL = """
INSERT INTO production_orders (shop_id, reference, reference_key, type, status, location_id, notes,
                               sync_to_shopify, started_at, completed_at, cancelled_at, created_at,
                               updated_at, version)
SELECT %(shop)s, ref, lower(ref), CASE WHEN g %% 10 = 9 THEN 'disassembly' ELSE 'assembly' END, st,
       %(location)s, NULL, false,
       CASE WHEN st <> 'draft' THEN at + interval '1 hour' END,
       CASE WHEN st = 'completed' THEN at + interval '9 hours' END,
       CASE WHEN st = 'cancelled' THEN at + interval '5 hours' END,
       at, at + interval '9 hours', CASE st WHEN 'draft' THEN 1 WHEN 'in_progress' THEN 2 ELSE 3 END
FROM (SELECT g, %(prefix)s || lpad(g::text, 7, '0') AS ref,
             -- 10 %% draft, 10 %% in progress, 5 %% cancelled, 75 %% completed; distinct times, newest last
             CASE WHEN g %% 20 < 2 THEN 'draft' WHEN g %% 20 < 4 THEN 'in_progress'
                  WHEN g %% 20 = 4 THEN 'cancelled' ELSE 'completed' END AS st,
             now() - interval '1 day' - (%(count)s - g) * interval '17 seconds' AS at
      FROM generate_series(1, %(count)s) AS g) AS rows
"""

BULK_COMPONENTS_SQL = """
INSERT INTO components (shop_id, order_id, variant_id, title, sku, unit, quantity_planned,
                        quantity_produced, materials)
SELECT o.shop_id, o.id, 'gid://shopify/ProductVariant/' || (700000 + (o.id + n) %% 500),
       'Bulk item ' || ((o.id + n) %% 500), 'BULK-' || ((o.id + n) %% 500), 'pcs', 10000,
       CASE WHEN o.status IN ('completed', 'cancelled') THEN 10000 WHEN o.status = 'in_progress' THEN 4000 ELSE 0 END,
       '[{"variantId": "gid://shopify/ProductVariant/799999", "title": "Wax", "quantityPerUnit": "0.25"}]'::json
FROM production_orders o CROSS JOIN generate_series(1, %(per_order)s) AS n
WHERE o.shop_id = %(shop)s AND o.reference LIKE %(like)s
"""


def bulk_insert_orders(engine, shop: int, count: int, *, location: str, prefix: str = "BULK-",
                       components_per_order: int = 2) -> float:
    """`count` orders (and their component rows) in one shop, with SQL (not through the API);
    then the shop's order counts rebuilt (SQL bypasses the app, which keeps them), and ANALYZE, as
    autovacuum would do eventually. Returns the seconds it took."""
    from shopify_app.production.counts import recount

    began = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(BULK_ORDERS_SQL, {"shop": shop, "location": location, "prefix": prefix, "count": count})
        conn.exec_driver_sql(BULK_COMPONENTS_SQL, {"shop": shop, "per_order": components_per_order,
                                                   "like": prefix.replace("%", r"\%").replace("_", r"\_") + "%"})
        recount(conn, shop)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE production_orders")
        conn.exec_driver_sql("ANALYZE components")
    return time.perf_counter() - began


class TcpProxy:
    """A loopback TCP proxy in front of PostgreSQL, so a bench can take the database away from the
    app without touching the server other people may be using.

    - cut(): every proxied connection is closed and the port stops listening (new connections are
      refused) — what the app sees when PostgreSQL is restarted or stopped.
    - blackhole(): connections stay open but nothing flows, and new ones are accepted and left
      waiting — a network partition. restore() lets everything flow again.
    """

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "down"
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._pending: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()

    def start(self) -> "TcpProxy":
        self._listen()
        self.mode = "up"
        return self

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        listener.listen(128)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True, name="pg-proxy").start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopped.is_set() and self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                if not self._flowing.is_set():
                    self._pending.append(client)  # a partition: the connection waits
                    continue
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.update((client, upstream))
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while not self._flowing.wait(0.2):
                    if self._stopped.is_set():
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _close(self, *socks) -> None:
        with self._lock:
            for sock in socks:
                self._sockets.discard(sock)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def cut(self) -> int:
        """Close every connection and stop listening; returns how many connections were cut."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            victims = list(self._sockets) + self._pending
            self._pending = []
        self._close(*victims)
        self.mode = "cut"
        return len(victims) // 2

    def blackhole(self) -> None:
        self._flowing.clear()
        self.mode = "blackhole"

    def restore(self) -> None:
        if self._listener is None:
            self._listen()
        with self._lock:
            self._flowing.set()
            pending, self._pending = self._pending, []
        for client in pending:
            self._connect(client)
        self.mode = "up"

    def stop(self) -> None:
        self._stopped.set()
        self._flowing.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            victims = list(self._sockets) + self._pending
        self._close(*victims)


# ------------------------------------------------------------------ the fake Shopify


@dataclass
class GraphQLCall:
    at: float
    shop: str
    operation: str | None
    key: str | None
    status: int


class FakeFront:
    """WSGI middleware in front of the fake Shopify (installed at `fake.app.wsgi_app`).

    - records every GraphQL request (operation, idempotency key, HTTP status);
    - `outage = True`: answers every request, OAuth included, with HTTP 503 (Shopify down);
    - `refuse = True`: closes the connection of every request without an answer. FakeShopify.stop()
      closes the listening socket only, and a client's keep-alive connections would otherwise
      still be served: set this while the fake is stopped;
    - `hold_next_adjust()`: the next `AdjustInventory` is handled by the fake (applied, its
      idempotency record stored) and only then is its answer held back, until `release()`:
      for the worker the mutation is still in flight, for Shopify it is done.
    """

    def __init__(self, fake):
        self.inner = fake.app.wsgi_app
        fake.app.wsgi_app = self
        self.outage = False
        self.refuse = False
        self.calls: list[GraphQLCall] = []
        self.outage_answers = 0
        self._lock = threading.Lock()
        self._hold = 0
        self.held = threading.Event()
        self.held_info: dict = {}
        self._release = threading.Event()

    def hold_next_adjust(self) -> None:
        with self._lock:
            self._hold = 1
            self.held.clear()
            self._release.clear()
            self.held_info = {}

    def release(self) -> None:
        self._release.set()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        operation = key = None
        if path.endswith("/graphql.json"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            try:
                payload = json.loads(raw)
                operation = payload.get("operationName")
                key = (payload.get("variables") or {}).get("idempotencyKey")
            except (ValueError, AttributeError):
                pass
        shop = path.strip("/").split("/")[0]
        if self.refuse:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Connection", "close")])
            return [b""]
        if self.outage:
            with self._lock:
                self.outage_answers += 1
                if operation:
                    self.calls.append(GraphQLCall(time.monotonic(), shop, operation, key, 503))
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"errors":"Service Unavailable"}']
        hold = False
        if operation == "AdjustInventory":
            with self._lock:
                hold, self._hold = self._hold > 0, max(0, self._hold - 1)
        seen = {}

        def record_start(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            if not hold:
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
            return lambda data: None

        answer = self.inner(environ, record_start)
        body = b"".join(answer)
        if hasattr(answer, "close"):
            answer.close()
        status = int(seen.get("status", "0 x").split()[0])
        if operation:
            with self._lock:
                self.calls.append(GraphQLCall(time.monotonic(), shop, operation, key, status))
        if hold:
            self.held_info = {"client_port": int(environ.get("REMOTE_PORT") or 0), "key": key, "shop": shop,
                              "status": status}
            self.held.set()
            self._release.wait(120)
            start_response(seen["status"], seen["headers"])
        return [body]

    def snapshot(self) -> list[GraphQLCall]:
        with self._lock:
            return list(self.calls)


def start_fake(*, port: int = 0, bucket: float = 2000.0, rate: float = 1000.0, schema: bool = False):
    """The loopback fake Shopify in a thread of this process, with a FakeFront; (fake, front).
    A fixed `port` lets the bench stop the fake and start it again at the same address."""
    from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore

    config = FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, bucket_max=bucket, restore_rate=rate,
                               schema_path=str(SCHEMA) if schema and SCHEMA.exists() else None)
    fake = FakeShopify(config, FakeStore(), port=port)
    front = FakeFront(fake)
    return fake.start(), front


# ------------------------------------------------------------------ the catalogue the mix uses


LOCATION_NUMBER = 501
LOCATION = f"gid://shopify/Location/{LOCATION_NUMBER}"
OUTPUTS = [f"gid://shopify/ProductVariant/{n}" for n in range(810_001, 810_021)]    # 20 finished goods
MATERIALS = [f"gid://shopify/ProductVariant/{n}" for n in range(820_001, 820_011)]  # 10 materials


def item_for(variant: str) -> str:
    return f"gid://shopify/InventoryItem/{int(variant.rsplit('/', 1)[1]) + 1_000_000}"


def catalogue_shop(store, domain: str) -> None:
    """The shop's location and variants in the fake (fixed inventory item ids)."""
    store.add_location(domain, LOCATION_NUMBER, "Workshop")
    for variant in OUTPUTS + MATERIALS:
        store.add_variant(domain, variant, f"Item {variant.rsplit('/', 1)[1]}",
                          inventory_item_id=item_for(variant).rsplit("/", 1)[1])


def install_shop(base: str, domain: str, timeout: float = 20.0) -> None:
    """Install the app the way Shopify does: the first API request carries a session token and the
    app exchanges it (with the fake) for an offline token."""
    response = requests.get(base + "/api/settings", headers={"Authorization": f"Bearer {session_token(domain)}"},
                            timeout=timeout)
    if response.status_code != 200:
        raise BenchError(f"installing {domain} answered {response.status_code}: {response.text[:300]}")


# ------------------------------------------------------------------ the request mix


@dataclass
class Sample:
    op: str
    start: float    # time.monotonic()
    end: float
    status: int     # 0: no HTTP answer (connection refused or reset, timeout)
    code: str | None = None  # error.code of a JSON error body, or the exception's class name
    json_error: bool = True  # False when a non-2xx answer was not the JSON error shape

    @property
    def seconds(self) -> float:
        return self.end - self.start


EXPECTED_STATUS = {"create": 201}
DEFAULT_WEIGHTS = {"list": 30, "detail": 40, "edit": 15, "transition": 15}


@dataclass
class OwnOrder:
    id: int
    version: int
    components: list[int]
    produced: bool = False


class Mix:
    """`clients` threads, each with its own requests.Session and session tokens, sending a weighted
    mix of list, detail, edit and transition requests to one shop until stopped.

    Reads go to `read_ids` (existing orders) and to the list's first `list_pages` pages, a third of
    them filtered by status. Writes go to orders each client created itself (create, start, record
    produced, complete; now and then a cancel), so clients never conflict with each other and any
    409/412/422 is unexpected. After a write that did not answer as expected the client no longer
    knows its order's state: it reads it again before touching it. Orders sync to Shopify
    (`syncProductionOrderToShopify: true`, one location), so completions queue pushes.
    """

    def __init__(self, base: str, domain: str, *, read_ids: list[int], clients: int, weights: dict | None = None,
                 list_pages: int = 20, seed: int = 1, timeout: float = 35.0, in_flight: int = 3):
        self.base, self.domain = base, domain
        self.read_ids = read_ids
        self.clients = clients
        self.weights = weights or DEFAULT_WEIGHTS
        self.list_pages = list_pages
        self.seed = seed
        self.timeout = timeout
        self.in_flight = in_flight
        self.samples: list[Sample] = []
        self.completed_ok: set[int] = set()  # orders whose /complete answered 200
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started_at = self.stopped_at = 0.0

    # --- running

    def start(self) -> "Mix":
        self._stop.clear()
        self.started_at = time.monotonic()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True, name=f"mix-{i}")
                         for i in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        self.stopped_at = time.monotonic()

    def run_for(self, seconds: float) -> float:
        self.start()
        self._stop.wait(seconds)
        self.stop()
        return self.stopped_at - self.started_at

    # --- one client

    def _client(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        state = {"draft": [], "in_progress": [], "unsure": [], "token": None, "token_at": 0.0}
        ops, weights = zip(*self.weights.items())
        with requests.Session() as session:
            while not self._stop.is_set():
                if state["unsure"]:
                    self._resync(session, state)
                    if self._stop.is_set():
                        break
                op = rng.choices(ops, weights)[0]
                getattr(self, f"_do_{op}")(session, state, rng, index)

    def _headers(self, state, extra=None) -> dict:
        now = time.monotonic()
        if state["token"] is None or now - state["token_at"] > 30:  # tokens live 60 s
            state["token"], state["token_at"] = session_token(self.domain), now
        return {"Authorization": f"Bearer {state['token']}", **(extra or {})}

    def _call(self, session, state, op: str, method: str, path: str, *, json_body=None, if_match=None):
        headers = self._headers(state, {"If-Match": f'"{if_match}"'} if if_match is not None else None)
        began = time.monotonic()
        body, code, json_error = None, None, True
        try:
            response = session.request(method, self.base + path, json=json_body, headers=headers,
                                       timeout=self.timeout)
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = None
            if status >= 300:
                error = body.get("error") if isinstance(body, dict) else None
                json_error = isinstance(error, dict) and isinstance(error.get("code"), str)
                code = error.get("code") if json_error else None
        except requests.RequestException as exc:
            status, code = 0, type(exc).__name__
        sample = Sample(op, began, time.monotonic(), status, code, json_error)
        with self._lock:
            self.samples.append(sample)
        ok = status == EXPECTED_STATUS.get(op, 200)
        return ok, body

    def _own(self, body) -> OwnOrder:
        return OwnOrder(body["id"], body["version"], [c["id"] for c in body.get("components", [])],
                        any(Decimal(str(c["quantityProduced"])) > 0 for c in body.get("components", [])))

    def _resync(self, session, state) -> None:
        order_id = state["unsure"].pop(0)
        ok, body = self._call(session, state, "detail", "GET", f"{ORDERS}/{order_id}")
        if not ok:
            state["unsure"].append(order_id)
            self._stop.wait(0.2)  # the server is not answering: do not spin
            return
        if body["status"] in ("draft", "in_progress"):
            state[body["status"]].append(self._own(body))
        if body["status"] == "completed":
            with self._lock:
                self.completed_ok.add(order_id)

    def _do_list(self, session, state, rng, index) -> None:
        query = f"?page={rng.randint(1, self.list_pages)}&perPage=50"
        if rng.random() < 1 / 3:
            query += "&status=" + rng.choice(("draft", "in_progress", "completed", "cancelled"))
        self._call(session, state, "list", "GET", ORDERS + query)

    def _do_detail(self, session, state, rng, index) -> None:
        own = state["draft"] + state["in_progress"]
        if own and rng.random() < 0.2:
            order_id = rng.choice(own).id
        else:
            order_id = rng.choice(self.read_ids)
        self._call(session, state, "detail", "GET", f"{ORDERS}/{order_id}")

    def _do_create(self, session, state, rng, index) -> None:
        components = []
        for output in rng.sample(OUTPUTS, rng.randint(1, 2)):
            materials = [{"variantId": m, "title": "Material", "quantityPerUnit": rng.randint(1, 3)}
                         for m in rng.sample(MATERIALS, rng.randint(0, 2))]
            components.append({"variantId": output, "title": "Product", "sku": "SKU", "quantityPlanned": 10,
                               "materials": materials})
        body = {"reference": f"MIX-{index}-{uuid.uuid4().hex[:12]}", "type": "assembly", "locationId": LOCATION,
                "syncProductionOrderToShopify": True, "components": components}
        ok, answer = self._call(session, state, "create", "POST", ORDERS, json_body=body)
        if ok:
            state["draft"].append(self._own(answer))

    def _write(self, session, state, op, order: OwnOrder, method, path, json_body=None):
        """A write to one of the client's orders; on anything unexpected the order is re-read later."""
        ok, body = self._call(session, state, op, method, path, json_body=json_body, if_match=order.version)
        if not ok:
            state["unsure"].append(order.id)
            return None
        return body

    def _do_edit(self, session, state, rng, index) -> None:
        if state["in_progress"]:
            order = state["in_progress"].pop(rng.randrange(len(state["in_progress"])))
            component = rng.choice(order.components)
            body = self._write(session, state, "edit", order, "PATCH", f"{ORDERS}/{order.id}/components/{component}",
                               {"quantityProduced": rng.randint(1, 20)})
        elif state["draft"]:
            order = state["draft"].pop(rng.randrange(len(state["draft"])))
            body = self._write(session, state, "edit", order, "PATCH", f"{ORDERS}/{order.id}",
                               {"notes": f"edited {uuid.uuid4().hex[:8]}"})
        else:
            return self._do_create(session, state, rng, index)
        if body is not None:
            state[body["status"]].append(self._own(body))

    def _do_transition(self, session, state, rng, index) -> None:
        if len(state["draft"]) + len(state["in_progress"]) < self.in_flight:
            return self._do_create(session, state, rng, index)
        ready = [o for o in state["in_progress"] if o.produced]
        if ready and (not state["draft"] or rng.random() < 0.6):
            order = ready[rng.randrange(len(ready))]
            state["in_progress"].remove(order)
            op = "cancel" if rng.random() < 0.1 else "complete"
            body = self._write(session, state, op, order, "POST", f"{ORDERS}/{order.id}/{op}")
            if body is not None and op == "complete":
                with self._lock:
                    self.completed_ok.add(order.id)
        elif state["draft"]:
            order = state["draft"].pop(rng.randrange(len(state["draft"])))
            op = "cancel" if rng.random() < 0.05 else "start"
            body = self._write(session, state, op, order, "POST", f"{ORDERS}/{order.id}/{op}")
            if body is not None and op == "start":
                state["in_progress"].append(self._own(body))
        else:  # only orders in progress with nothing produced yet: record something
            return self._do_edit(session, state, rng, index)

    # --- results

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)


def is_ok(sample: Sample) -> bool:
    return sample.status == EXPECTED_STATUS.get(sample.op, 200)


def op_table(samples: list[Sample], seconds: float) -> list[list]:
    """Rows per operation and a total: requests, req/s, p50/p95/p99 of answered requests, errors."""
    rows = []
    order = ["list", "detail", "edit", "create", "start", "complete", "cancel"]
    by_op = defaultdict(list)
    for sample in samples:
        by_op[sample.op].append(sample)
    for op in sorted(by_op, key=lambda o: order.index(o) if o in order else len(order)):
        rows.append(_op_row(op, by_op[op], seconds))
    rows.append(_op_row("all", samples, seconds))
    return rows


def _op_row(name: str, samples: list[Sample], seconds: float) -> list:
    answered = [s.seconds for s in samples if s.status]
    errors = sum(not is_ok(s) for s in samples)
    return [name, len(samples), f"{len(samples) / seconds:.1f}" if seconds else "-",
            f"{percentile_ms(answered, 50):.1f}", f"{percentile_ms(answered, 95):.1f}",
            f"{percentile_ms(answered, 99):.1f}", errors]


def error_summary(samples: list[Sample]) -> Counter:
    """(op, status, code) of every request that did not answer as expected."""
    return Counter((s.op, s.status, s.code) for s in samples if not is_ok(s))


# ------------------------------------------------------------------ what Shopify should hold


def whole_units(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))  # floor(-0.25) = -1: an opened unit is gone


def expected_totals(engine, shop: int, sync_mode: str = "on_complete") -> Counter:
    """The `available` change every (variant, location) should have had in Shopify, computed here
    from the orders as the database holds them at the end (SPEC §5: per account, the floor of the
    exact decimal sum over every order, at each order's location), independently of the app's own
    arithmetic and of its record of what it pushed."""
    from sqlalchemy import bindparam, text

    pushing = ("completed",) if sync_mode == "on_complete" else ("in_progress", "completed", "cancelled")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT o.id, o.type, o.location_id, c.variant_id, c.quantity_produced, c.materials "
            "FROM production_orders o JOIN components c ON c.order_id = o.id "
            "WHERE o.shop_id = :shop AND o.sync_to_shopify IS TRUE AND o.status IN :statuses "
            "AND o.started_at IS NOT NULL AND o.location_id IS NOT NULL").bindparams(
                bindparam("statuses", expanding=True)),
            {"shop": shop, "statuses": list(pushing)}).all()
    legs = defaultdict(Decimal)
    for order_id, kind, location, variant, produced, materials in rows:
        sign = 1 if kind == "assembly" else -1
        produced = Decimal(produced) / 1000  # stored as thousandths
        legs[(order_id, variant, location)] += sign * produced
        for material in materials or []:
            legs[(order_id, material["variantId"], location)] -= sign * produced * Decimal(material["quantityPerUnit"])
    exact = defaultdict(Decimal)
    for (_, variant, location), value in legs.items():
        exact[(variant, location)] += value
    return Counter({k: whole_units(v) for k, v in exact.items() if whole_units(v)})


def pushed_totals(engine, shop: int) -> Counter:
    """What the app's accounts say Shopify holds (whole units frozen; all applied once drained)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT variant_id, location_id, whole FROM sync_accounts WHERE shop_id = :s "
                                 "AND name = 'available'"), {"s": shop}).all()
    return Counter({(v, loc): int(total) for v, loc, total in rows if total})


def fake_totals(store, domain: str) -> Counter:
    """The fake's ledger by (variant, location); every level starts at 0 in these benches."""
    with store.lock:
        state = store.shop(domain)
        return Counter({(state.items.get(item, item), location): quantity
                        for (item, location), quantity in state.ledger.items() if quantity})


def push_states(engine, shop: int) -> Counter:
    from sqlalchemy import text

    with engine.connect() as conn:
        return Counter(dict(conn.execute(text("SELECT status, count(*) FROM sync_pushes WHERE shop_id = :s "
                                              "GROUP BY status"), {"s": shop}).all()))


def wait_for_pushes(engine, shop: int, timeout: float, *, on_tick=None) -> tuple[bool, float]:
    """Wait until no push of the shop is pending or sending; (drained, seconds waited)."""
    began = time.monotonic()
    while True:
        try:
            states = push_states(engine, shop)
        except Exception:  # the database may be coming back
            states = Counter(pending=1)
        if not states["pending"] and not states["sending"]:
            return True, time.monotonic() - began
        if on_tick is not None:
            on_tick()
        if time.monotonic() - began > timeout:
            return False, time.monotonic() - began
        time.sleep(0.25)


@dataclass
class LedgerCheck:
    expected: Counter
    fake: Counter
    recorded: Counter
    applied: Counter
    states: Counter

    @property
    def doubled_keys(self) -> list[str]:
        return [key for key, times in self.applied.items() if times > 1]

    @property
    def fake_matches(self) -> bool:
        return self.fake == self.expected

    @property
    def recorded_matches(self) -> bool:
        return self.recorded == self.expected

    @property
    def all_done(self) -> bool:
        return not (self.states["pending"] or self.states["sending"] or self.states["failed"])

    @property
    def ok(self) -> bool:
        return self.fake_matches and self.recorded_matches and not self.doubled_keys and self.all_done

    def differences(self, limit: int = 8) -> list[str]:
        lines = []
        for leg in sorted(set(self.expected) | set(self.fake) | set(self.recorded)):
            e, f, r = self.expected[leg], self.fake[leg], self.recorded[leg]
            if not e == f == r:
                lines.append(f"{leg[0]} @ {leg[1]}: expected {e}, fake Shopify {f}, app recorded {r}")
        return lines[:limit] + ([f"... {len(lines) - limit} more"] if len(lines) > limit else [])

    def rows(self) -> list[list]:
        return [
            ["pushes by state", ", ".join(f"{k} {v}" for k, v in sorted(self.states.items())) or "none"],
            ["legs expected (from the orders) / units moved", f"{len(self.expected)} / "
                                                            f"{sum(abs(v) for v in self.expected.values())}"],
            ["fake Shopify ledger == expected", "yes" if self.fake_matches else "NO"],
            ["app's accounts == expected", "yes" if self.recorded_matches else "NO"],
            ["idempotency keys applied / applied more than once",
             f"{len(self.applied)} / {len(self.doubled_keys)}"],
        ]


def check_ledger(engine, shop: int, store, domain: str, sync_mode: str = "on_complete") -> LedgerCheck:
    return LedgerCheck(expected_totals(engine, shop, sync_mode), fake_totals(store, domain),
                       pushed_totals(engine, shop), store.applied(domain), push_states(engine, shop))


@contextlib.contextmanager
def shopify_knows_every_id():
    """In-process benches: the saves' id check (`CatalogueIds`) answered at the HTTP boundary, every
    id existing; any other request passes through untouched. Adds no SQL to what is measured."""
    import json
    import re

    import responses

    def answer(request):
        ids = json.loads(request.body)["variables"]["ids"]
        nodes = [{"__typename": "ProductVariant", "id": gid, "displayName": "Product", "sku": ""}
                 if "/ProductVariant/" in gid else {"__typename": "Location", "id": gid, "name": "Location",
                                                    "isActive": True} for gid in ids]
        return 200, {}, json.dumps({"data": {"nodes": nodes}})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"^(?!.*/graphql\.json$)"))
        mock.add_callback(responses.POST, re.compile(r".*/graphql\.json$"), callback=answer)
        yield
