"""Bulk BOMs for the CSV benchmark (SQL, not the API), beside bulk_orders.py."""

import time

BULK_BOMS_SQL = """
INSERT INTO boms (shop_id, name, output_variant_id, output_title, output_sku, active, hold_days,
                  created_at, updated_at)
SELECT %(shop)s, 'Bulk BOM ' || lpad(g::text, 7, '0'), 'gid://shopify/ProductVariant/' || (600000 + g),
       'Bulk product ' || g, 'OUT-' || g, true, g %% 3, now(), now()
FROM generate_series(1, %(count)s) AS g
"""

BULK_BOM_LINES_SQL = """
INSERT INTO bom_lines (bom_id, position, variant_id, title, sku, quantity_per_unit)
SELECT b.id, n - 1, 'gid://shopify/ProductVariant/' || (700000 + n), 'Material ' || n,
       CASE WHEN n = 1 THEN '=HYPERLINK("x")' ELSE 'MAT-' || n END, 250 * n
FROM boms b CROSS JOIN generate_series(1, %(lines)s) AS n
WHERE b.shop_id = %(shop)s
"""


def bulk_insert_boms(engine, shop: int, count: int, *, lines_per_bom: int = 10) -> float:
    """`count` BOMs of `lines_per_bom` lines each in one shop (quantities stored in thousandths,
    one formula-looking SKU per BOM); returns the seconds it took."""
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(BULK_BOMS_SQL, {"shop": shop, "count": count})
        conn.exec_driver_sql(BULK_BOM_LINES_SQL, {"shop": shop, "lines": lines_per_bom})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE boms")
        conn.exec_driver_sql("ANALYZE bom_lines")
    return time.perf_counter() - began
