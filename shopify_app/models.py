"""Imports every model so that SQLAlchemy metadata (and Alembic autogenerate) sees all tables."""

from .production.models import Component, OrderEvent, ProductionOrder  # noqa: F401
from .shops.models import Shop, ShopSettings  # noqa: F401
from .webhooks.models import WebhookDelivery  # noqa: F401
from .sync.models import SyncBatch, SyncLeg, SyncPush  # noqa: F401
from .boms.models import Bom, BomLine  # noqa: F401
from .admin_api.budget_stores import ApiBudget  # noqa: F401
from .sync.turns import ShopTurn  # noqa: F401
from .production.counts import ShopOrderCount  # noqa: F401
from .costing.models import CostUpdate, VariantCost  # noqa: F401
