"""Peak memory of the CSV exports at 1,000, 10,000 and 100,000 rows: it must not grow with the rows.

What it measures
  GET /api/production-orders.csv (one row per component: orders of 2 components) and
  GET /api/boms.csv (one row per BOM line: BOMs of 10 lines), each for shops holding 1,000, 10,000
  and 100,000 rows (`--rows`), in a temporary PostgreSQL database filled with SQL.
  Each export goes through the real app (a signed session token, the WSGI test client, response
  not buffered) and is read chunk by chunk as a client would; Python's tracemalloc reports the
  peak of memory allocated during the request, and the rows and bytes received are checked.
  It prints a table and the ratios of the peaks. The exports hold at most about two batches (1,000
  orders, or 1,000 BOM lines) at once, so a small shop that does not fill a batch peaks lower; from
  there on the peak must stay flat: largest / second-largest above 1.5 exits with status 1.

How to run
  .venv/bin/python bench/csv_memory.py
  .venv/bin/python bench/csv_memory.py --rows 1000 50000 500000 --admin-url postgresql://postgres@127.0.0.1:5432/postgres

Exit status: 0 flat memory; 1 memory grows with the rows; 2 the benchmark itself failed.
"""

import argparse
import sys
import time
import tracemalloc

from project import DEFAULT_ADMIN_URL
from cli import BenchError, bounded, print_table
from databases import bench_config, engine_for, migrate, shop_id, temporary_database
from bulk_orders import bulk_insert_orders
from csv_builders import bulk_insert_boms

from shopify_app import create_app  # noqa: E402
from tests.builders import auth_headers, installed_shop  # noqa: E402

MAX_GROWTH = 1.5
COMPONENTS_PER_ORDER = 2
LINES_PER_BOM = 10


def fill(app, engine, rows: int) -> str:
    """A shop with `rows` order-export rows and `rows` BOM-export rows; its domain."""
    domain = f"csv-bench-{rows}.myshopify.com"
    with app.app_context():
        installed_shop(domain)
    shop = shop_id(engine, domain)
    bulk_insert_orders(engine, shop, rows // COMPONENTS_PER_ORDER, location="gid://shopify/Location/501",
                       prefix=f"CSV{rows}-", components_per_order=COMPONENTS_PER_ORDER)
    bulk_insert_boms(engine, shop, rows // LINES_PER_BOM, lines_per_bom=LINES_PER_BOM)
    return domain


def measure(app, domain: str, path: str, *, trace: bool = True) -> tuple[int, int, float, float]:
    """(data rows, bytes, peak MiB traced during the request, seconds) of one streamed export."""
    client = app.test_client()
    headers = auth_headers(domain)
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    response = client.get(path, headers=headers, buffered=False)
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    size = lines = 0
    for chunk in response.response:
        data = chunk if isinstance(chunk, bytes) else chunk.encode()
        size += len(data)
        lines += data.count(b"\r\n")
    response.close()
    seconds = time.perf_counter() - began
    if not trace:
        return lines - 1, size, 0.0, seconds
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return lines - 1, size, peak / 2**20, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL,
                        help="a PostgreSQL URL allowed to create databases (default: %(default)s)")
    parser.add_argument("--rows", nargs="+", type=bounded(int, 100, 2_000_000), default=[1_000, 10_000, 100_000],
                        help="rows of each export, two sizes or more (default: 1000 10000 100000)")
    args = parser.parse_args()
    args.rows = sorted(set(args.rows))
    if len(args.rows) < 2:
        parser.error("give at least two different sizes")
    results, peaks = [], {}
    with temporary_database(args.admin_url, "csv_bench") as url:
        migrate(url)
        app = create_app(bench_config(url))
        engine = engine_for(url)
        domains = {rows: fill(app, engine, rows) for rows in args.rows}
        for path in ("/api/production-orders.csv", "/api/boms.csv"):
            measure(app, domains[args.rows[0]], path)  # warm-up: imports and first-use caches are not rows
            for rows in args.rows:
                got, size, peak, seconds = measure(app, domains[rows], path)
                if got != rows:
                    raise BenchError(f"{path} gave {got} rows for a shop of {rows}")
                peaks[(path, rows)] = peak
                plain = measure(app, domains[rows], path, trace=False)[3]  # tracemalloc slows Python down
                results.append([path, f"{rows:,}", f"{size / 2**20:.1f} MiB", f"{peak:.2f} MiB", f"{plain:.1f} s",
                                f"{rows / plain:,.0f}"])
        with app.app_context():
            from shopify_app.extensions import db
            db.engine.dispose()
        engine.dispose()
    print_table(["export", "rows", "file", "peak memory (tracemalloc)", "time (untraced)", "rows/s"], results,
                {1, 2, 3, 4, 5})
    small, second, large = args.rows[0], args.rows[-2], args.rows[-1]
    worst = 0.0
    for path in ("/api/production-orders.csv", "/api/boms.csv"):
        growth = peaks[(path, large)] / peaks[(path, second)]
        worst = max(worst, growth)
        print(f"{path}: peak at {large:,} rows is {peaks[(path, large)] / peaks[(path, small)]:.2f}x the peak at "
              f"{small:,} and {growth:.2f}x the peak at {second:,}")
    return 1 if worst > MAX_GROWTH else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        sys.exit(2)
