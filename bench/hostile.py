"""Hostile input against a running gunicorn (issue #11): each request's status and time, /healthz between.

What it does
  1. Migrates a temporary SQLite file, starts the loopback fake Shopify in this process and
     `gunicorn app:app` (gunicorn.conf.py, `--workers`) on 127.0.0.1, installs a shop by token
     exchange and creates a draft order with one row and a BOM.
  2. Fires each hostile request of the issue once — absurd numbers in bodies, ids written in other
     scripts' digits or thousands of digits, absurd page numbers, Shopify slow and down for
     /api/locations, oversized headers on both sides of the app's limits — and prints its status,
     its time, and the time of a /healthz sent right after it (a pinned worker would show there).
  3. Measures in-process what the checks cost a normal request: the JSON decode of a typical order
     body with the bounded number hooks against plain Decimal hooks, and the header check.

How to run
  .venv/bin/python bench/hostile.py                 # ~20 s (8 s of it: Shopify hanging, by design)
  .venv/bin/python bench/hostile.py --deadline 3    # a shorter Shopify deadline for that case

Exit status: 0 every request answered as expected within 1 s (the Shopify cases within the
deadline + 1 s) with /healthz answering after each; 1 otherwise; 2 the benchmark itself failed.
"""

import argparse
import dataclasses
import http.client
import json
import shutil
import sys
import tempfile
import time
import timeit
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from project import ORDERS
from cli import BenchError, bounded, print_table
from processes import app_env, free_port, start_gunicorn, stop_server, wait_until_up
from server_logs import summarize_tracebacks
from databases import migrate
from fake_shopify import start_fake
from shop_catalogue import OUTPUTS, catalogue_shop, install_shop

from tests.builders import session_token  # noqa: E402

SHOP = "hostile-bench.myshopify.com"
ARABIC_INDIC_ZERO = 0x0660


def send(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None,
         timeout: float = 60.0) -> tuple[int, float, str]:
    """One request on a fresh connection: (status, milliseconds, start of the body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        all_headers = {**(headers or {})}
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
            all_headers["Content-Length"] = str(len(body.encode()))
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders(body.encode() if body is not None else None)
        response = connection.getresponse()
        text = response.read(300).decode("utf-8", "replace")
        return response.status, (time.perf_counter() - started) * 1000, text
    finally:
        connection.close()


def auth() -> dict:
    return {"Authorization": f"Bearer {session_token(SHOP)}"}


def arabic(number: int) -> str:
    return "".join(chr(ARABIC_INDIC_ZERO + int(d)) for d in str(number))


def cases(order: dict, bom_id: int) -> list[tuple]:
    """(name, method, path, body, extra headers, expected status, Shopify state)."""
    oid, row = order["id"], order["components"][0]["id"]
    variant = OUTPUTS[0]
    components = f"{ORDERS}/{oid}/components"
    return [
        ('bomId 1e999999 (was: worker pinned 13-30 s)', "POST", components,
         '{"bomId": 1e999999, "quantityPlanned": 1}', {}, 422, None),
        ("bomId of 5,000 digits", "POST", components, '{"bomId": %s, "quantityPlanned": 1}' % ("9" * 5000), {}, 422, None),
        ("bomId 2**31 (beyond any id)", "POST", components, '{"bomId": 2147483648, "quantityPlanned": 1}', {}, 422, None),
        ("quantityPlanned 1e1000000 (was: 500)", "POST", components,
         '{"variantId": "%s", "quantityPlanned": 1e1000000}' % variant, {}, 422, None),
        ("quantityPlanned -1e-1000000", "PATCH", f"{components}/{row}", '{"quantityPlanned": -1e-1000000}', {}, 422, None),
        ("quantityPlanned 0.(5,000 zeros)1", "POST", ORDERS,
         '{"reference": "X", "components": [{"variantId": "%s", "quantityPlanned": 0.%s1}]}' % (variant, "0" * 5000),
         {}, 422, None),
        ("BOM quantityPerUnit 1e99999999999999999999", "POST", "/api/boms",
         '{"name": "B", "outputVariantId": "%s", "lines": [{"variantId": "%s", "quantityPerUnit": '
         '1e99999999999999999999}]}' % (variant, OUTPUTS[1]), {}, 422, None),
        (f"order id {oid} in Arabic-Indic digits (was: that order)", "GET", f"{ORDERS}/{quote(arabic(oid))}",
         None, {}, 404, None),
        ("order id of 4,000 digits", "GET", f"{ORDERS}/{'9' * 4000}", None, {}, 404, None),
        ("BOM id 2**31", "DELETE", "/api/boms/2147483648", None, {}, 404, None),
        ("page=1e999999", "GET", f"{ORDERS}?page=1e999999", None, {}, 422, None),
        ("perPage of 4,000 digits", "GET", f"{ORDERS}?perPage={'9' * 4000}", None, {}, 422, None),
        ("locations, Shopify down (503s)", "GET", "/api/locations", None, {}, 503, "down"),
        ("locations, Shopify hanging", "GET", "/api/locations", None, {}, 503, "hanging"),
        ("locations, Shopify up (first call)", "GET", "/api/locations", None, {}, 200, "up"),
        ("a header line of 20 KiB (app: JSON 431)", "GET", ORDERS, None, {"X-Padding": "x" * 20_000}, 431, None),
        ("150 headers (app: JSON 431)", "GET", ORDERS, None, {f"X-Extra-{i}": "1" for i in range(150)}, 431, None),
        ("a header line of 40 KiB (gunicorn: HTML 431)", "GET", ORDERS, None, {"X-Padding": "x" * 40_000}, 431, None),
        ("250 headers (gunicorn: HTML 431)", "GET", ORDERS, None, {f"X-Extra-{i}": "1" for i in range(250)}, 431, None),
        (f"bomId {bom_id}, a real one (normal path)", "POST", components,
         '{"bomId": %d, "quantityPlanned": 2}' % bom_id, {}, 201, None),
    ]


def call_json(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={**auth(), "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def setup_world(port: int) -> tuple[dict, int]:
    """A draft order with one row, and a BOM."""
    status, order = call_json(port, "POST", ORDERS, {"reference": "PO-HOSTILE",
                                                     "components": [{"variantId": OUTPUTS[0], "quantityPlanned": 5}]})
    if status != 201:
        raise BenchError(f"creating the order answered {status}: {order}")
    status, bom = call_json(port, "POST", "/api/boms", {"name": "Candle", "outputVariantId": OUTPUTS[2],
                                                        "lines": [{"variantId": OUTPUTS[3], "quantityPerUnit": 0.25}]})
    if status != 201:
        raise BenchError(f"creating the BOM answered {status}: {bom}")
    return order, bom["id"]


def decode_cost() -> list[list]:
    """Microseconds to decode a typical order body: bounded hooks (now) vs plain Decimal hooks (before)."""
    from shopify_app.numbers import json_integer, json_number

    body = json.dumps({"reference": "PO-1042", "locationId": "gid://shopify/Location/501", "components": [
        {"variantId": f"gid://shopify/ProductVariant/{1000 + i}", "quantityPlanned": 12.5, "unit": "kg",
         "materials": [{"variantId": f"gid://shopify/ProductVariant/{2000 + i}", "quantityPerUnit": 0.25},
                       {"variantId": f"gid://shopify/ProductVariant/{3000 + i}", "quantityPerUnit": 3}]}
        for i in range(10)]})
    runs = 20_000
    before = min(timeit.repeat(lambda: json.loads(body, parse_float=Decimal, parse_int=Decimal), number=runs, repeat=7))
    after = min(timeit.repeat(lambda: json.loads(body, parse_float=json_number, parse_int=json_integer),
                              number=runs, repeat=7))
    numbers = body.count("quantity")
    return [["JSON decode, order of 10 rows (" + str(numbers) + " numbers), plain Decimal hooks (before)",
             f"{before / runs * 1e6:.1f}"],
            ["JSON decode, same body, bounded hooks (now)", f"{after / runs * 1e6:.1f}"],
            ["  difference per request", f"{(after - before) / runs * 1e6:+.1f}"]]


def header_check_cost() -> list[list]:
    from flask import Flask

    from shopify_app.header_limits import register_header_limits

    app = Flask("bench")
    register_header_limits(app)
    check = app.before_request_funcs[None][0]
    headers = {"Authorization": "Bearer " + "e" * 900, "Accept": "application/json", "User-Agent": "Mozilla/5.0 " * 8,
               "Accept-Language": "en-US,en;q=0.9", "Accept-Encoding": "gzip, deflate, br", "Referer":
               "https://admin.shopify.com/store/x/apps/y", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin",
               "Cookie": "a=b; c=d", "X-Request-Id": "abc123", "Content-Type": "application/json"}
    runs = 50_000
    with app.test_request_context("/api/production-orders", headers=headers):
        seconds = min(timeit.repeat(check, number=runs, repeat=5))
    return [[f"header check, {len(headers) + 1} headers", f"{seconds / runs * 1e6:.1f}"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=bounded(int, 2, 8), default=2)
    parser.add_argument("--deadline", type=bounded(float, 1, 25), default=8.0,
                        help="SHOPIFY_REQUEST_DEADLINE_SECONDS of the server (default: the app's default, 8)")
    args = parser.parse_args()

    from shopify_app.devshop.faults import FaultPlan

    workdir = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    log_path = workdir / "gunicorn.log"
    database_url = f"sqlite:///{workdir / 'hostile.sqlite3'}"
    fake, front = start_fake()
    server = None
    failures = []
    try:
        catalogue_shop(fake.store, SHOP)
        migrate(database_url)
        port = free_port()
        env = app_env(database_url, fake.origin_template, SHOPIFY_REQUEST_DEADLINE_SECONDS=args.deadline,
                      SHOPIFY_HTTP_TIMEOUT_SECONDS=20, SYNC_BACKOFF_BASE_SECONDS=0.5)
        server = start_gunicorn(env, port, args.workers, log_path)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(server, base, log_path)
        install_shop(base, SHOP)
        order, bom_id = setup_world(port)
        # Hanging: every GraphQL call stalls well past the deadline before the fake answers.
        fake.runtime.config = dataclasses.replace(fake.runtime.config, timeout_delay=args.deadline + 5)
        hanging = FaultPlan(1.0, 0, {"timeout": 1.0})
        calm = fake.runtime.faults

        rows = []
        for name, method, path, body, headers, expected, shopify in cases(order, bom_id):
            front.outage = shopify == "down"
            fake.runtime.faults = hanging if shopify == "hanging" else calm
            status, ms, text = send(port, method, path, body, {**auth(), **headers})
            front.outage, fake.runtime.faults = False, calm
            health_status, health_ms, _ = send(port, "GET", "/healthz")
            shape = "JSON" if text.lstrip().startswith("{") else "HTML" if "<html" in text else "other"
            # Shopify's cases may use the deadline (retries of a 503 fit in it); everything else 1 s.
            limit = 1000 if shopify is None else (args.deadline + 1) * 1000
            ok = status == expected and ms <= limit and health_status == 200
            if not ok:
                failures.append(f"{name}: {status} in {ms:.0f} ms (expected {expected}); {text[:120]}")
            rows.append([name, status, shape, f"{ms:.1f}", f"{health_ms:.1f}", "" if ok else "UNEXPECTED"])
        print(f"gunicorn, {args.workers} workers, SQLite; SHOPIFY_REQUEST_DEADLINE_SECONDS={args.deadline:g}\n")
        print_table(["hostile request", "status", "body", "ms", "/healthz ms after", ""], rows, {1, 3, 4})
        print()
        print_table(["what the checks cost a normal request (in-process)", "µs"],
                    decode_cost() + header_check_cost(), {1})
        tracebacks = summarize_tracebacks(log_path.read_text())
        if tracebacks:
            failures.append("tracebacks in the server log: " + "; ".join(tracebacks))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            stop_server(server)
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
