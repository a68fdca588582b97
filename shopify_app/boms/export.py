"""The shop's BOMs as CSV rows (SPEC §11): one row per line, streamed from a server-side cursor."""

from collections.abc import Iterator

from sqlalchemy import select

from ..extensions import db
from ..shops.models import Shop
from .models import Bom, BomLine

HEADER = ["bom_name", "output_variant_id", "output_sku", "material_variant_id", "material_sku",
          "quantity_per_unit", "hold_days"]
ROWS_PER_FETCH = 1000


def bom_rows(shop: Shop) -> Iterator[tuple]:
    """Rows of HEADER, BOMs by name and each BOM's lines in order."""
    query = (
        select(Bom.name, Bom.output_variant_id, Bom.output_sku, BomLine.variant_id, BomLine.sku,
               BomLine.quantity_per_unit, Bom.hold_days)
        .join(BomLine, BomLine.bom_id == Bom.id)
        .where(Bom.shop_id == shop.id)
        .order_by(Bom.name, Bom.id, BomLine.position)
        # Rows, not objects, fetched a thousand at a time (a server-side cursor on PostgreSQL).
        .execution_options(yield_per=ROWS_PER_FETCH)
    )
    yield from db.session.execute(query)
