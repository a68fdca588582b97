"""The order detail as JSON bytes, its version-stable part cached per process.

Profiled on a 200-component order (pyinstrument, bench/scale.py --profile): ~85 % of a detail
request went to loading the component rows and validating and serialising them through pydantic,
every time, though they only change with the order's `version`. So the order's own fields and its
components are serialised once per (shop, order, created_at, version) and kept as bytes; each
request still reads the order row (its version) and the `sync` block fresh, because sync
bookkeeping changes the sync state without bumping the version. The shop is part of the key, and
`created_at` too, so a reused row id (SQLite can reuse the highest one) never meets an old entry.
Entries need no invalidation: a change makes a new version, and old versions age out of the LRU.
"""

import json
import threading
from collections import OrderedDict

from ..costing.blocks import order_rows
from .models import ProductionOrder
from .representations import cost_json, order_json_parts, reversal_json, sync_json

MAX_ENTRIES = 256  # ~60 KB each for a 200-component order: about 15 MB per process at most

_entries: OrderedDict[tuple, tuple[bytes, bytes, list]] = OrderedDict()
_lock = threading.Lock()


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _stable_parts(order: ProductionOrder) -> tuple[bytes, bytes, list]:
    key = (order.shop_id, order.id, order.created_at, order.version)
    with _lock:
        parts = _entries.get(key)
        if parts is not None:
            _entries.move_to_end(key)
            return parts
    head, components = order_json_parts(order)  # loads the component rows
    # The costing's view of the rows is version-stable too; the unit costs it is priced with are not.
    parts = (_dumps(head), _dumps(components), order_rows(order.components, produced=order.status == "completed"))
    with _lock:
        _entries[key] = parts
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return parts


def order_json_bytes(order: ProductionOrder, latest_pushes: dict | None = None) -> bytes:
    """The order's full representation (same shape as `order_json`), serialised; `latest_pushes`
    as `sync.status.summaries` takes it, when the caller read it with the order."""
    head, components, rows = _stable_parts(order)
    sync = _dumps(sync_json(order, latest_pushes))
    reversal = _dumps(reversal_json(order))  # another order's writes change it: read fresh too
    cost = _dumps(cost_json(order, rows))
    # head is the JSON object of the order's own fields; sync, reversal links, components and cost complete it.
    return b"".join((head[:-1], b',"sync":', sync, b",", reversal[1:-1], b',"components":', components,
                     b',"cost":', cost, b"}"))


def clear() -> None:
    """Forget every entry (tests)."""
    with _lock:
        _entries.clear()
