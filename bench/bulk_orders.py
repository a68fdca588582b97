"""Many production orders (and their component rows) in one shop by SQL, not through the API:
100,000 in seconds on PostgreSQL. Bulk BOMs are in csv_builders.py."""

import time

import project  # noqa: F401  (the project root on sys.path, for shopify_app)


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
