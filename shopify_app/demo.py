"""Demo mode: what `make run` starts when no Shopify credentials are configured.

The app runs on 127.0.0.1 beside a loopback fake Shopify (a seeded candle workshop) and a sync
worker thread, so the whole flow — create, start, record, complete, see inventory change — works
without a Shopify account. Nothing here is imported unless demo mode is chosen.
"""

import logging
import os
import secrets
import threading
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from .config import instance_secret
from .devshop import DEMO_SHOP, FakeShopify, FakeShopifyConfig, FakeStore, seed_demo_shop
from .extensions import db

log = logging.getLogger(__name__)

DEMO_API_KEY = "demo-api-key"
# DNS rebinding: a web page on the internet can point its own name at 127.0.0.1 and have the
# merchant's browser drive the demo (it would mint session tokens and write orders). The browser
# still sends that name as Host, so the demo answers only to names that are loopback by
# definition. (werkzeug cannot match a bracketed IPv6 Host such as [::1]; the demo binds 127.0.0.1.)
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]


def demo_overrides(instance_path: str) -> dict:
    """The configuration of a demo run: demo credentials (a secret kept in instance/)."""
    return {
        "DEMO_MODE": True,
        "TRUSTED_HOSTS": LOOPBACK_HOSTS,  # Flask answers 400 to any other Host, before any route
        "SHOPIFY_API_KEY": DEMO_API_KEY,
        "SHOPIFY_API_SECRET": instance_secret(instance_path, "demo_api_secret", lambda: secrets.token_hex(32)),
        "SHOPIFY_API_SECRET_PREVIOUS": "",
        "SYNC_BACKOFF_MAX_SECONDS": 5,
    }


def _schema_path(configured: str) -> str | None:
    from . import PROJECT_ROOT

    path = configured or os.path.join(PROJECT_ROOT, ".cache", "shopify", "admin_2026-10.json.gz")
    return path if os.path.exists(path) else None


def _restore_pushed_stock(store: FakeStore) -> None:
    """The fake forgets everything when it stops; replay what the app already pushed into its ledger."""
    from .shops.models import Shop
    from .sync.models import SyncBatch, SyncPush

    shop = db.session.scalars(select(Shop).where(Shop.domain == DEMO_SHOP)).one_or_none()
    if shop is None:
        return
    totals = defaultdict(int)
    # Applied batches only: one still unapplied is sent (and applied) by the worker later.
    applied = select(SyncBatch.changes).join(SyncPush, SyncPush.id == SyncBatch.push_id).where(
        SyncPush.shop_id == shop.id, SyncBatch.applied_at.is_not(None))
    for changes in db.session.scalars(applied):
        for change in changes:
            totals[(change["variantId"], change["locationId"], change["name"])] += change["delta"]
    for (variant, location, name), quantity in totals.items():
        try:
            store.add_quantity(DEMO_SHOP, variant, location, name, quantity)
        except KeyError:
            log.warning("demo: %s is not in the demo catalogue; skipped", variant)
    # Tokens the previous fake issued mean nothing to this one: the next page load exchanges anew.
    from .shops import tokens

    tokens.clear_tokens(shop)
    db.session.commit()


def _prepare_demo_shop(ids: dict) -> None:
    """A first run starts ready to show the point: sync on by default, Workshop as the default location
    and a bill of materials, so completing an order visibly changes the demo store's inventory.

    Only when the demo shop is new: the merchant's own choices survive a restart.
    """
    from .boms.service import create_bom
    from .shops.models import Shop
    from .shops.service import create_shop

    if db.session.scalars(select(Shop.id).where(Shop.domain == DEMO_SHOP)).first() is not None:
        return
    shop = create_shop(DEMO_SHOP, installed_at=None)  # the first page load installs it (token exchange)
    shop.settings.sync_by_default = True
    shop.settings.default_location_id = ids["workshop"]
    shop.settings.cost_update = "weighted_average"  # the demo inventory shows cost per item move
    db.session.flush()
    create_bom(shop, {  # commits
        "name": "Beeswax candle in a jar", "outputVariantId": ids["jar_candle"],
        "outputTitle": "Beeswax candle in a jar", "outputSku": "DEMO-8005",
        "lines": [{"variantId": ids["wax"], "title": "Beeswax pellets - 1 kg", "quantityPerUnit": Decimal("0.25")},
                  {"variantId": ids["wick"], "title": "Cotton wick - 10 pack", "quantityPerUnit": Decimal("0.1")},
                  {"variantId": ids["jar"], "title": "Amber glass jar", "quantityPerUnit": 1}]})


def _run_worker(app, stop: threading.Event) -> None:
    from .sync.worker import run_once

    with app.app_context():
        while not stop.is_set():
            try:
                processed = run_once("demo-worker")
            except Exception:  # keep the demo alive; the push stays due and is retried
                log.exception("demo sync worker iteration failed")
                processed = 0
            db.session.remove()
            if not processed:
                stop.wait(0.5)


class DemoServices:
    """The fake Shopify and the worker thread that run beside the demo app."""

    def __init__(self, app):
        self.app = app
        self.store = FakeStore()
        self.ids = seed_demo_shop(self.store)
        config = app.config
        self.fake = FakeShopify(FakeShopifyConfig(api_key=config["SHOPIFY_API_KEY"],
                                                  api_secret=config["SHOPIFY_API_SECRET"],
                                                  schema_path=_schema_path(config["SHOPIFY_SCHEMA_PATH"])), self.store)
        self.fake.app.config["TRUSTED_HOSTS"] = LOOPBACK_HOSTS  # the fake store is on loopback too
        self._stop = threading.Event()
        self._worker = threading.Thread(target=_run_worker, args=(app, self._stop), name="demo-sync-worker",
                                        daemon=True)

    def start(self) -> "DemoServices":
        self.fake.start()
        self.app.config["SHOPIFY_ADMIN_ORIGIN"] = self.fake.origin_template
        self.app.extensions["demo"] = self
        with self.app.app_context():
            _prepare_demo_shop(self.ids)
            _restore_pushed_stock(self.store)
        self._worker.start()
        log.info("demo: fake Shopify on %s, demo shop %s", self.fake.origin, DEMO_SHOP)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._worker.join(timeout=5)
        self.fake.stop()

