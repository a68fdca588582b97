"""Helpers of bench/scale.py (not a benchmark itself): what the fake Shopify answered, sync
backlogs written by SQL, and the fraction of a cost bucket's ceiling that was used.
"""

import io
import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text


@dataclass
class Answer:
    at: float                 # time.monotonic() when the fake had answered
    shop: str
    operation: str
    throttled: bool
    charged: float            # points the fake took (0 when THROTTLED)
    available: float | None   # bucket level after the call, as the fake reported it


class ShopifyWatch:
    """WSGI middleware in front of the fake (at `fake.app.wsgi_app`): records every GraphQL answer's
    cost and bucket level, changes nothing."""

    def __init__(self, fake):
        self.inner, fake.app.wsgi_app = fake.app.wsgi_app, self
        self.answers: list[Answer] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.endswith("/graphql.json"):
            return self.inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        body = b"".join(self.inner(environ, start_response))
        try:
            operation = json.loads(raw).get("operationName") or "anonymous"
            payload = json.loads(body)
            cost = (payload.get("extensions") or {}).get("cost") or {}
            throttled = any((e.get("extensions") or {}).get("code") == "THROTTLED"
                            for e in payload.get("errors") or [] if isinstance(e, dict))
            available = (cost.get("throttleStatus") or {}).get("currentlyAvailable")
            answer = Answer(time.monotonic(), path.strip("/").split("/")[0], operation, throttled,
                            float(cost.get("actualQueryCost") or 0), available)
        except (ValueError, AttributeError):
            return [body]
        with self.lock:
            self.answers.append(answer)
        return [body]

    def for_shops(self, shops) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.shop in shops]


def ceiling_fraction(answers: list[Answer], rate: float, bucket: float) -> tuple[float, float]:
    """(points charged ÷ points the buckets could give, seconds) in the steady state of each shop:
    from its first answer leaving less than half the bucket (the full bucket it started with is a
    one-off credit, spent by then) to its last answer. What the bucket could give = rate × seconds +
    level at the start − level at the end (the fake's numbers)."""
    charged = possible = seconds = 0.0
    for shop in {a.shop for a in answers}:
        mine = [a for a in answers if a.shop == shop and a.available is not None]
        # A bucket never half spent: the workers, not Shopify, were the limit; count it all.
        start = next((i for i, a in enumerate(mine) if a.available < bucket / 2), 0)
        if start >= len(mine) - 1:
            continue
        first, last = mine[start], mine[-1]
        charged += sum(a.charged for a in mine[start + 1:])
        possible += rate * (last.at - first.at) + first.available - last.available
        seconds = max(seconds, last.at - first.at)
    return (charged / possible if possible > 0 else 0.0), seconds


BACKLOG_ORDERS_SQL = """
INSERT INTO production_orders (shop_id, reference, reference_key, type, status, location_id,
                               sync_to_shopify, started_at, completed_at, created_at, updated_at, version)
SELECT :shop, :prefix || g, lower(:prefix || g), 'assembly', 'completed', :location, true,
       now() - interval '1 hour', now() - (:count - g) * interval '1 millisecond',
       now() - interval '2 hours', now(), 3
FROM generate_series(1, :count) AS g
"""

BACKLOG_ROWS_SQL = """
INSERT INTO components (shop_id, order_id, variant_id, title, sku, unit, quantity_planned, quantity_produced,
                        materials)
SELECT shop_id, id, :variant, 'Candle', 'CNDL', 'pcs', 1000, 1000, '[]' FROM production_orders
WHERE shop_id = :shop AND reference LIKE :like
"""

BACKLOG_PUSHES_SQL = """
INSERT INTO sync_pushes (shop_id, order_id, status, reason, attempts, next_attempt_at, created_at)
SELECT shop_id, id, 'pending', 'completed', 0, completed_at, completed_at FROM production_orders
WHERE shop_id = :shop AND reference LIKE :like ORDER BY id
"""


def queue_backlog(engine, shop: int, count: int, *, location: str, variant: str, prefix: str) -> None:
    """`count` completed orders that sync (one candle each) with their pending pushes, oldest first,
    written by SQL as completion would have left them; the shop's order counts rebuilt."""
    from shopify_app.production.counts import recount

    values = {"shop": shop, "count": count, "location": location, "variant": variant, "prefix": prefix,
              "like": prefix + "%"}
    with engine.begin() as conn:
        for statement in (BACKLOG_ORDERS_SQL, BACKLOG_ROWS_SQL, BACKLOG_PUSHES_SQL):
            conn.execute(text(statement), values)
        recount(conn, shop)


def push_counts(engine, shops: list[int]) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM sync_pushes WHERE shop_id = ANY(:shops) "
                                 "GROUP BY status"), {"shops": shops}).all()
    return dict(rows)
