"""A loopback fake of Shopify's OAuth and Admin GraphQL endpoints, for tests, benchmarks and demo mode.

    with FakeShopify(FakeShopifyConfig(api_key=..., api_secret=...)) as fake:
        fake.store.add_location(shop, 1, "Warehouse")
        app.config["SHOPIFY_ADMIN_ORIGIN"] = fake.origin_template
"""

from .config import DEFAULT_SCOPES, FAULT_KINDS, FakeShopifyConfig
from .demo import DEMO_SHOP, seed_demo_shop
from .faults import FaultPlan
from .server import FakeShopify, create_fake_app
from .store import FakeStore, gid

__all__ = ["DEFAULT_SCOPES", "DEMO_SHOP", "FAULT_KINDS", "FakeShopify", "FakeShopifyConfig", "FakeStore",
           "FaultPlan", "create_fake_app", "gid", "seed_demo_shop"]
