"""SQL statements per API operation, and the request rate of the order detail endpoint.

What it measures
  1. For each API operation on a production order (create with its components in the body, start,
     record produced, complete, cancel, detail, list), the number of SQL statements the whole
     request sends to the database, and its Shopify calls, for orders of 1, 249, 250, 499, 500 and
     1000 components, side by side. Statements are counted with a SQLAlchemy `before_cursor_execute`
     listener on the app's engine: an `executemany` call counts as one statement, and so does each
     batch of SQLAlchemy's "insertmanyvalues" (a multi-row INSERT; 1000 rows per batch). The
     driver's implicit BEGIN/COMMIT, the connection PRAGMAs and the pool's pre-ping do not pass
     through that event and are not counted. A count may grow by a constant per Shopify call (the
     id check's `nodes` calls of 250 ids each keep the cost budget in the database); a count that
     grows otherwise with the number of components is an N+1 (or a per-row write) and makes the
     script exit with status 1, after printing the table (bench/statement_growth.py).
  2. Requests per second, p50/p95 latency and errors of `GET /api/production-orders/{id}` (an
     order of 20 components, with a real signed session token) against `GET /healthz`, on the same
     gunicorn server started here on 127.0.0.1, driven by a few client threads for a fixed time.

How to run
  .venv/bin/python bench/sql_and_throughput.py            # or: make bench
  .venv/bin/python bench/sql_and_throughput.py --sql-only # the N+1 check alone, a few seconds
  .venv/bin/python bench/sql_and_throughput.py --database-url postgresql://user@127.0.0.1/dbname

By default everything runs on a temporary SQLite file that is deleted at the end. With
--database-url, the database is migrated and bench rows are written into it (under shops named
bench-<random>-*.myshopify.com): use a throwaway database. See --help for the other knobs.

Exit status: 0 all good; 1 a statement count grows with the component count (beyond the per-call
part); 2 the benchmark itself failed (an unexpected HTTP status, the server did not start, or
requests failed).
"""

import argparse
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from project import ORDERS
from cli import BenchError, bounded, print_table
from processes import free_port, start_gunicorn, stop_server, wait_until_up
from http_drive import drive
from fake_shopify import shopify_knows_every_id
from statement_growth import judge

import requests  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine.interfaces import ExecuteStyle  # noqa: E402

from shopify_app import create_app  # noqa: E402
from shopify_app.extensions import db  # noqa: E402
from shopify_app.production.shopify_ids import NODES_PER_CALL  # noqa: E402
from tests.builders import API_KEY, API_SECRET, installed_shop, session_token  # noqa: E402
from tests.conftest import base_config  # noqa: E402

MAX_COMPONENTS = 1000  # the API refuses more rows per order (schemas.MAX_COMPONENTS_PER_ORDER)
# An order of n rows names n + 1 variants (each row and the one material they share), so its id
# check takes ceil((n + 1) / 250) calls: 249 and 250 rows sit each side of the first step, 499 and
# 500 of the second. Sizes with the same calls show any per-row growth; the steps show the per-call part.
DEFAULT_SIZES = (1, 249, 250, 499, 500, 1000)
# Should the app decide to call Shopify (say, a token exchange for a shop it thinks is not
# installed), the call goes to a closed loopback port and fails, instead of leaving the machine.
OFFLINE_ADMIN_ORIGIN = "http://127.0.0.1:9/{shop}"


# ------------------------------------------------------------------ part 1: statements per operation


class StatementLog:
    """Records the statements the engine sends while `capture()` is active."""

    def __init__(self, engine):
        self._current = None
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, _parameters, context, executemany):
        if self._current is not None:
            # `executemany` is also true for each insertmanyvalues batch; the style tells them apart.
            style = getattr(context, "execute_style", None)
            kind = "insertmanyvalues" if style is ExecuteStyle.INSERTMANYVALUES else (
                "executemany" if executemany else "execute")
            self._current.append((statement, kind))

    @contextlib.contextmanager
    def capture(self):
        statements = []
        self._current = statements
        try:
            yield statements
        finally:
            self._current = None


def component_rows(count: int) -> list[dict]:
    return [
        {
            "variantId": f"gid://shopify/ProductVariant/{100000 + i}",
            "title": f"Candle {i}", "sku": f"CNDL-{i}", "quantityPlanned": 10,
            # One bill-of-materials line, so the JSON column is not trivially empty.
            "materials": [{"variantId": "gid://shopify/ProductVariant/9001", "title": "Wax",
                           "quantityPerUnit": 0.25}],
        }
        for i in range(count)
    ]


@dataclass
class Request:
    statements: list[tuple[str, str]]  # (sql, execute / executemany / insertmanyvalues)
    shopify_calls: list[int]           # the number of ids of each Shopify call, in order


class ApiClient:
    """The Flask test client with a fresh session token per request."""

    def __init__(self, app, domain: str, log: StatementLog, shopify_calls: list[int]):
        self.client, self.domain, self.log = app.test_client(), domain, log
        self.shopify_calls = shopify_calls  # appended to by shopify_knows_every_id()

    def call(self, method: str, path: str, *, json=None, expect: int = 200):
        """(response JSON, Request). No app context is held here on purpose: each request then
        gets its own context and SQLAlchemy session, as in production, so nothing is served from an
        identity map a previous request filled."""
        headers = {"Authorization": f"Bearer {session_token(self.domain)}"}
        calls_before = len(self.shopify_calls)
        with self.log.capture() as statements:
            response = self.client.open(path, method=method, json=json, headers=headers)
        if response.status_code != expect:
            raise BenchError(f"{method} {path} answered {response.status_code} (expected {expect}): "
                             f"{response.get_data(as_text=True)[:500]}")
        return response.get_json(), Request(statements, self.shopify_calls[calls_before:])


def new_shop(app, domain: str) -> str:
    with app.app_context():
        installed_shop(domain)
    return domain


def measure_operations(app, log: StatementLog, shopify_calls: list[int], domain: str,
                       components: int) -> dict[str, Request]:
    """Each operation on orders of `components` rows, in one shop of its own (so the list shows
    the same number of orders whatever the size)."""
    api = ApiClient(app, new_shop(app, domain), log, shopify_calls)
    rows = component_rows(components)
    measured = {}

    def create(reference):
        return api.call("POST", ORDERS, json={"reference": reference, "components": rows}, expect=201)

    order, measured["create (components in the body)"] = create("BENCH-A")
    path = f"{ORDERS}/{order['id']}"
    _, measured["detail (GET one order)"] = api.call("GET", path)
    _, measured["list (GET /api/production-orders)"] = api.call("GET", ORDERS)
    _, measured["start"] = api.call("POST", path + "/start")
    component_id = order["components"][-1]["id"]
    _, measured["record produced (PATCH one component)"] = api.call(
        "PATCH", f"{path}/components/{component_id}", json={"quantityProduced": 7})
    _, measured["complete"] = api.call("POST", path + "/complete")

    # A draft and an in-progress order are cancelled differently (a draft loses its rows).
    draft, _ = create("BENCH-B")
    _, measured["cancel a draft"] = api.call("POST", f"{ORDERS}/{draft['id']}/cancel")
    started, _ = create("BENCH-C")
    api.call("POST", f"{ORDERS}/{started['id']}/start")
    _, measured["cancel an order in progress"] = api.call("POST", f"{ORDERS}/{started['id']}/cancel")
    return measured


def describe(statements) -> str:
    verbs = Counter(sql.lstrip().split(None, 1)[0].upper() for sql, _ in statements)
    text = ", ".join(f"{n} {verb}" for verb, n in verbs.most_common())
    styles = Counter(kind for _, kind in statements if kind != "execute")
    notes = [f"{n} executemany" if kind == "executemany" else f"{n} insertmanyvalues batch{'es' * (n > 1)}"
             for kind, n in sorted(styles.items())]
    return text + (f" ({'; '.join(notes)})" if notes else "")


def collapsed(statements):
    """(count, sql, kind) for each run of identical statements: a per-row loop shows as one line."""
    runs = []
    for sql, kind in statements:
        if runs and runs[-1][1] == sql and runs[-1][2] == kind:
            runs[-1][0] += 1
        else:
            runs.append([1, sql, kind])
    return runs


def sql_report(measured: dict[int, dict[str, Request]], dialect: str, show_sql: bool) -> list[str]:
    """Print the table; return the operations whose count grows with the rows."""
    sizes = sorted(measured)
    largest = sizes[-1]
    print(f"\n1. SQL statements per API operation ({dialect}; whole request, session-token check included;"
          f"\n   an executemany call, or one batch of SQLAlchemy's insertmanyvalues, counts as one statement)"
          f"\n   at {', '.join(map(str, sizes))} components, with the request's Shopify calls in brackets\n")
    grown, rows = [], []
    for operation in measured[sizes[0]]:
        requests_ = [measured[size][operation] for size in sizes]
        growth = judge([(r.shopify_calls, len(r.statements)) for r in requests_], NODES_PER_CALL)
        if growth.per_row or growth.calls_per_row:
            grown.append(operation)
        verdict = ("YES" if growth.per_row else "no") + (" (calls per row)" if growth.calls_per_row else "")
        rows.append([operation, *(f"{len(r.statements)} ({len(r.shopify_calls)})" for r in requests_),
                     "-" if growth.per_call is None else growth.per_call, verdict, describe(requests_[-1].statements)])
    print_table(["operation", *map(str, sizes), "per call", "grows per row?", f"statements at {largest}"], rows,
                right=set(range(1, len(sizes) + 2)))
    print(f"\nShopify calls: the id check sends the order's variant ids in `nodes` calls of up to {NODES_PER_CALL}"
          f"\n(ceil(ids / {NODES_PER_CALL}); here ids = rows + their one material), and with REDIS_URL unset each call"
          f"\nkeeps the shop's cost budget in admin_api_budgets. A count may grow by a constant per call"
          f"\n(`per call`); one that grows otherwise with the rows, or calls that grow with the rows, fail.")
    if show_sql:
        for operation, request in measured[largest].items():
            calls = (f"Shopify calls of {', '.join(map(str, request.shopify_calls))} ids" if request.shopify_calls
                     else "no Shopify call")
            print(f"\n-- {operation} ({largest} components; {calls})")
            for count, sql, kind in collapsed(request.statements):
                flat = " ".join(sql.split())
                flat = flat[:160] + " ..." if len(flat) > 160 else flat
                print(f"  {f'{count} x ' if count > 1 else ''}{'' if kind == 'execute' else f'[{kind}] '}{flat}")
    return grown


# ------------------------------------------------------------------ part 2: requests per second


def start_server(config: dict, database_url: str, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_SECRET_PREVIOUS": "",
        # The server must decrypt the shop's tokens that the in-process app stored.
        "SECRET_KEY": config.get("SECRET_KEY") or "bench-secret-key",
        "TOKEN_ENCRYPTION_KEY": config.get("TOKEN_ENCRYPTION_KEY") or "",
        "SHOPIFY_ADMIN_ORIGIN": OFFLINE_ADMIN_ORIGIN,
        # Per-request INFO logging would be part of what we time.
        "LOG_LEVEL": "WARNING",
        # The bench is one shop hammering one endpoint: the per-shop budget would refuse it.
        "RATE_LIMIT_PER_SHOP": "",
    }
    return start_gunicorn(env, port, workers, log_path)


def prepare_detail_order(app, log: StatementLog, shopify_calls: list[int], domain: str, components: int) -> int:
    api = ApiClient(app, new_shop(app, domain), log, shopify_calls)
    order, _ = api.call("POST", ORDERS, json={"reference": "BENCH-HTTP", "components": component_rows(components)},
                        expect=201)
    return order["id"]


def throughput_report(args, config: dict, database_url: str, domain: str, order_id: int, workdir: Path) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "gunicorn.log"
    detail_url = f"{base}{ORDERS}/{order_id}"
    proc = start_server(config, database_url, port, args.workers, log_path)
    try:
        wait_until_up(proc, base, log_path)
        check = requests.get(detail_url, headers={"Authorization": f"Bearer {session_token(domain)}"}, timeout=10)
        if check.status_code != 200 or len(check.json().get("components", [])) != args.detail_components:
            raise BenchError(f"GET {ORDERS}/{order_id} answered {check.status_code}: {check.text[:500]}")

        runs = {}
        for name, url, token_domain in (("GET /healthz", base + "/healthz", None),
                                        (f"GET {ORDERS}/{{id}} ({args.detail_components} components)",
                                         detail_url, domain)):
            if args.warmup > 0:
                drive(url, token_domain, args.threads, args.warmup)
            runs[name] = drive(url, token_domain, args.threads, args.seconds)
    finally:
        stop_server(proc)

    print(f"\n2. Requests per second on one gunicorn server (127.0.0.1, {args.workers} sync workers), "
          f"{args.threads} client threads,\n   {args.seconds:g} s per endpoint after {args.warmup:g} s of warm-up, "
          f"{'SQLite' if database_url.startswith('sqlite') else 'PostgreSQL'}\n")
    rows = [[name, f"{run.rate:.1f}", f"{run.percentile(50):.2f}", f"{run.percentile(95):.2f}",
             run.errors, len(run.latencies)] for name, run in runs.items()]
    print_table(["endpoint", "req/s", "p50 ms", "p95 ms", "errors", "requests"], rows, right={1, 2, 3, 4, 5})
    healthz, detail = runs.values()
    ratio = detail.rate / healthz.rate if healthz.rate else float("nan")
    print(f"\ndetail / healthz = {ratio:.2f}")
    errors = sum(run.errors for run in runs.values())
    if errors:
        print(f"\nFAIL: {errors} requests failed or did not answer 200 (server log: see above or rerun)")
        return 2
    return 0


# ------------------------------------------------------------------ main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)

    parser.add_argument("--database-url", help="a throwaway PostgreSQL (or other) database to use instead "
                        "of a temporary SQLite file; it is migrated and bench rows are left in it")
    parser.add_argument("--components", type=bounded(int, 2, MAX_COMPONENTS), default=DEFAULT_SIZES[-1],
                        help=f"component rows of the largest order in the SQL table (default {DEFAULT_SIZES[-1]}; "
                        f"the smaller sizes of {', '.join(map(str, DEFAULT_SIZES))} are measured too)")
    parser.add_argument("--show-sql", action="store_true", help="also print each statement of the large order")
    parser.add_argument("--sql-only", action="store_true", help="skip the HTTP throughput part")
    parser.add_argument("--seconds", type=bounded(float, 0.5, 60), default=5.0,
                        help="measured duration per endpoint (default 5)")
    parser.add_argument("--warmup", type=bounded(float, 0, 10), default=1.0,
                        help="unmeasured warm-up per endpoint (default 1)")
    parser.add_argument("--threads", type=bounded(int, 1, 32), default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=bounded(int, 1, 16), default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--detail-components", type=bounded(int, 1, MAX_COMPONENTS), default=20,
                        help="component rows of the order the detail endpoint returns (default 20)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    # A CI timeout sends SIGTERM: turn it into an exception so the finally blocks stop the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    workdir = Path(tempfile.mkdtemp(prefix="po-bench-"))
    try:
        database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
        config = {**base_config(database_url), "LOG_LEVEL": "WARNING", "SHOPIFY_ADMIN_ORIGIN": OFFLINE_ADMIN_ORIGIN}
        app = create_app(config)
        run_id = uuid.uuid4().hex[:8]  # lets repeated runs share one --database-url
        with app.app_context():
            logging.disable(logging.INFO)  # Alembic announces every migration step
            try:
                upgrade()
            finally:
                logging.disable(logging.NOTSET)
            engine = db.engine
        log = StatementLog(engine)

        started = time.perf_counter()
        sizes = sorted({size for size in DEFAULT_SIZES if size < args.components} | {args.components})
        with shopify_knows_every_id() as shopify_calls:
            measured = {size: measure_operations(app, log, shopify_calls, f"bench-{run_id}-{size}.myshopify.com", size)
                        for size in sizes}
        grown = sql_report(measured, engine.dialect.name, args.show_sql)
        print(f"\n({time.perf_counter() - started:.1f} s)")

        status = 0
        if not args.sql_only:
            domain = f"bench-{run_id}-http.myshopify.com"
            with shopify_knows_every_id() as shopify_calls:
                order_id = prepare_detail_order(app, log, shopify_calls, domain, args.detail_components)
            engine.dispose()  # the server gets the database to itself
            try:
                status = throughput_report(args, app.config, database_url, domain, order_id, workdir)
            except BenchError as exc:  # still say below whether a count grew
                print(f"\nbenchmark failed: {exc}", file=sys.stderr)
                status = 2

        if grown:
            print(f"\nFAIL: the statement count grows with the number of components, beyond a constant per "
                  f"Shopify call, for: {', '.join(grown)}")
            return 1
        print("\nOK: no statement count grows with the number of components beyond a constant per Shopify call.")
        return status
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
