"""The order list: newest first, by keyset, with a total that does not count the shop's orders.

Cost does not grow with the shop: a page is read from the (shop[, status], created_at, id) index
after the cursor's position (`nextCursor`), and `total` comes from the maintained counts
(counts.py). `page` alone still works (OFFSET, fine for the first pages a merchant clicks through);
a search (`q`) is counted up to SEARCH_COUNT_CAP matches and says when its total is a lower bound.
"""

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import Integer, Text, cast, exists, func, literal, or_, select, tuple_

from ..db_types import MAX_ID, UTCDateTime
from ..extensions import db
from ..shops.models import Shop
from . import counts
from .models import Component, ProductionOrder

SEARCH_COUNT_CAP = 10_000
LIST_OUTPUTS = 3  # rows shown per order in the list; the rest are counted

# What every stored material's JSON contains besides its values (see row_replacement.materials_json).
MATERIAL_JSON_SKELETON = '[{"variantid": "gid://shopify/productvariant/", "title": "", "sku": "", "quantityperunit": ""}]'


# "<microseconds since 1970 UTC>.<id>" of the last order shown. Every string of this shape is a
# position in the list (ids beyond MAX_ID sort like MAX_ID), so the pattern says all there is to
# validate and a client can never send a well-formed cursor that is refused.
CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9]{1,10}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(order: ProductionOrder) -> str:
    """The position right after `order` in the list's order."""
    return f"{(order.created_at - _EPOCH) // _MICROSECOND}.{order.id}"


def decode_cursor(text: str) -> tuple[datetime, int]:
    """(created_at, id) of a cursor; ValueError for a string that is not one."""
    if not re.fullmatch(CURSOR_PATTERN, text):
        raise ValueError("is not a cursor (use nextCursor as given)")
    micros, order_id = text.split(".")
    return _EPOCH + int(micros) * _MICROSECOND, min(int(order_id), MAX_ID)


def order_filter(shop: Shop, *, status=None, q=None, among=None, hold=None) -> list:
    """The conditions of the order list's filters (SPEC §3), shared by the list and its CSV export.
    `among` (order ids, e.g. the drafts short of materials) keeps only those orders;
    `hold="curing"`: completed orders whose output is still held in `quality_control` (SPEC §10)."""
    conditions = [ProductionOrder.shop_id == shop.id]
    if among is not None:
        conditions.append(ProductionOrder.id.in_(among))
    if status:
        conditions.append(ProductionOrder.status == status)
    if hold == "curing":
        conditions += [ProductionOrder.status == "completed", ProductionOrder.hold_until.is_not(None),
                       ProductionOrder.released_at.is_(None)]
    if q:
        needle = q.lower()
        row_fields = [func.lower(Component.sku).contains(needle, autoescape=True),
                      func.lower(Component.title).contains(needle, autoescape=True)]
        if needle not in MATERIAL_JSON_SKELETON:
            # Materials are JSON; a needle that is not part of its keys can only match a title or SKU.
            row_fields.append(func.lower(cast(Component.materials, Text)).contains(needle, autoescape=True))
        component_match = exists().where(Component.order_id == ProductionOrder.id, or_(*row_fields))
        conditions.append(or_(ProductionOrder.reference_key.contains(needle, autoescape=True),
                              func.lower(ProductionOrder.notes).contains(needle, autoescape=True),
                              component_match))
    return conditions


def list_orders(shop: Shop, *, status=None, q=None, page=1, per_page=50, after=None, among=None, hold=None):
    """(orders, total, total_exact, next_cursor) for one page, newest first.

    `after` is a decoded cursor: the page starts after that position and `page` is not used to
    skip rows. `among`: see order_filter.
    """
    conditions = order_filter(shop, status=status, q=q, among=among, hold=hold)
    query = (select(ProductionOrder).where(*conditions)
             .order_by(ProductionOrder.created_at.desc(), ProductionOrder.id.desc())
             .limit(per_page + 1))  # one more tells whether a next page exists
    if after is not None:
        position = tuple_(literal(after[0], UTCDateTime()), literal(after[1], Integer()))
        query = query.where(tuple_(ProductionOrder.created_at, ProductionOrder.id) < position)
    else:
        query = query.offset((page - 1) * per_page)
    rows = db.session.scalars(query).all()
    orders = rows[:per_page]
    next_cursor = encode_cursor(orders[-1]) if len(rows) > per_page else None
    if not q and among is None and not hold:  # the cached counts are per status; filtered lists are counted below
        return orders, counts.total(shop.id, status), True, next_cursor
    matches = select(ProductionOrder.id).where(*conditions).limit(SEARCH_COUNT_CAP + 1).subquery()
    found = db.session.scalar(select(func.count()).select_from(matches))
    return orders, min(found, SEARCH_COUNT_CAP), found <= SEARCH_COUNT_CAP, next_cursor


def list_outputs(order_ids: list[int]) -> dict[int, tuple[list, int]]:
    """For each order, its first rows (what it makes, planned and produced) and how many rows it has.

    One statement for the whole page, however many rows the orders have.
    """
    if not order_ids:
        return {}
    position = func.row_number().over(partition_by=Component.order_id, order_by=Component.id).label("position")
    count = func.count().over(partition_by=Component.order_id).label("count")
    ranked = (select(Component.order_id, Component.variant_id, Component.title, Component.unit,
                     Component.quantity_planned, Component.quantity_produced, position, count)
              .where(Component.order_id.in_(order_ids)).subquery())
    result = {order_id: ([], 0) for order_id in order_ids}
    for row in db.session.execute(select(ranked).where(ranked.c.position <= LIST_OUTPUTS)
                                  .order_by(ranked.c.order_id, ranked.c.position)):
        rows, _ = result[row.order_id]
        rows.append(row)
        result[row.order_id] = (rows, row.count)
    return result
