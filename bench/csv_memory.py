"""Peak memory of the CSV exports at 1,000 and 100,000 rows: it must not grow with the rows.

What it measures
  GET /api/production-orders.csv (one row per component: orders of 2 components) and
  GET /api/boms.csv (one row per BOM line: BOMs of 10 lines), each for a shop holding 1,000 rows
  and a shop holding 100,000 rows (`--rows`), in a temporary PostgreSQL database filled with SQL.
  Each export goes through the real app (a signed session token, the WSGI test client, response
  not buffered) and is read chunk by chunk as a client would; Python's tracemalloc reports the
  peak of memory allocated during the request, and the rows and bytes received are checked.
  It prints a table and the ratio of the peaks; a ratio above 3 exits with status 1.

How to run
  .venv/bin/python bench/csv_memory.py
  .venv/bin/python bench/csv_memory.py --rows 1000 200000 --admin-url postgresql://postgres@127.0.0.1:5432/postgres

Exit status: 0 flat memory; 1 memory grows with the rows; 2 the benchmark itself failed.
"""

import argparse
import sys
import time
import tracemalloc

from common import DEFAULT_ADMIN_URL, BenchError, bench_config, bounded, bulk_insert_orders, engine_for, migrate, \
    print_table, shop_id, temporary_database
from csv_builders import bulk_insert_boms

from shopify_app import create_app  # noqa: E402
from tests.builders import auth_headers, installed_shop  # noqa: E402

MAX_RATIO = 3.0
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


def measure(app, domain: str, path: str) -> tuple[int, int, float, float]:
    """(data rows, bytes, peak MiB traced during the request, seconds) of one streamed export."""
    client = app.test_client()
    headers = auth_headers(domain)
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
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return lines - 1, size, peak / 2**20, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL,
                        help="a PostgreSQL URL allowed to create databases (default: %(default)s)")
    parser.add_argument("--rows", nargs=2, type=bounded(int, 100, 2_000_000), default=[1_000, 100_000],
                        metavar=("SMALL", "LARGE"), help="rows of the small and the large export")
    args = parser.parse_args()
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
                results.append([path, f"{rows:,}", f"{size / 2**20:.1f} MiB", f"{peak:.2f} MiB", f"{seconds:.1f} s",
                                f"{rows / seconds:,.0f}"])
        with app.app_context():
            from shopify_app.extensions import db
            db.engine.dispose()
        engine.dispose()
    print_table(["export", "rows", "file", "peak memory (tracemalloc)", "time", "rows/s"], results, {1, 2, 3, 4, 5})
    small, large = args.rows
    worst = 0.0
    for path in ("/api/production-orders.csv", "/api/boms.csv"):
        ratio = peaks[(path, large)] / peaks[(path, small)]
        worst = max(worst, ratio)
        print(f"{path}: peak at {large:,} rows / peak at {small:,} rows = {ratio:.2f}")
    return 1 if worst > MAX_RATIO else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        sys.exit(2)
