"""Where the project is, for the benches: its root on sys.path, and the constants they share.

A bench module that imports `shopify_app` or `tests` imports this first (directly or through
another bench module).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `tests` is not an installed package, and the signed-token builders live there.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ORDERS = "/api/production-orders"
SCHEMA = ROOT / ".cache" / "shopify" / "admin_2026-10.json.gz"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
