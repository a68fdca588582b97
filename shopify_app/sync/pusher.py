"""Sending a frozen push: one mutation per batch, each under its own idempotency key."""

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..admin_api.documents import ADJUST_INVENTORY
from ..admin_api.errors import GraphQLError, OAuthRefused, ReauthRequired, ShopifyUnavailable
from ..admin_api.graphql import AdminGraphQL, backoff_delay
from ..db_types import utcnow
from ..extensions import db
from ..production.models import OrderEvent, ProductionOrder
from ..shops.models import Shop
from . import inventory_items
from .freezing import freeze
from .models import FAILED, PENDING, SENDING, SUCCEEDED, SyncBatch, SyncLeg, SyncPush
from .status import REAUTH_MESSAGE

log = logging.getLogger(__name__)

# Codes after which the same request may succeed later (Shopify's own words: "try again").
TRANSIENT_CODES = {"IDEMPOTENCY_CONCURRENT_REQUEST", "SERVICE_UNAVAILABLE", "ADJUST_QUANTITIES_FAILED"}
KEY_NAMESPACE = uuid.UUID("6f1c2a8e-4f53-4d1e-9a53-1b7e0c6d2f10")


class PermanentFailure(Exception):
    """Shopify refused the push for a reason only the merchant can fix."""


class RetryLater(Exception):
    """Shopify asked us to come back; the same key is reused then."""


class LeaseLost(Exception):
    """Another worker took the push over (ours expired); its outcome is the one that stands."""


def idempotency_key(shop: Shop, push: SyncPush, batch: SyncBatch) -> str:
    """Derived from the stored push, so every process computes the same key for a batch."""
    seed = f"{shop.domain}/push/{push.id}/{push.created_at.isoformat()}/batch/{batch.seq}/gen/{batch.key_generation}"
    return str(uuid.uuid5(KEY_NAMESPACE, seed))


def _titles(order: ProductionOrder) -> dict[str, str]:
    names = {}
    for component in order.components:
        names[component.variant_id] = component.title or component.sku or component.variant_id
        for material in component.materials:
            names.setdefault(material["variantId"], material.get("title") or material["variantId"])
    return names


class PushSender:
    """Sends the unapplied batches of one claimed push and records what Shopify applied."""

    def __init__(self, push: SyncPush, worker_id: str):
        self.push, self.worker_id = push, worker_id
        self.order = db.session.get(ProductionOrder, push.order_id)
        self.shop = db.session.get(Shop, push.shop_id)
        self.client = AdminGraphQL(self.shop)
        self.titles = _titles(self.order)
        self.lease = timedelta(seconds=float(current_app.config.get("SYNC_LEASE_SECONDS", 60)))

    def run(self) -> str:
        """Send every unapplied batch; returns the push's outcome for logs and the worker."""
        self.push.attempts += 1
        db.session.commit()
        try:
            for batch in [b for b in self.push.batches if b.applied_at is None]:
                self._send(batch)
        except (PermanentFailure, GraphQLError) as failure:
            return self._fail(str(failure))
        except ReauthRequired:
            return self._wait(REAUTH_MESSAGE, immediately=True)
        except OAuthRefused as exc:
            # The refresh was refused but the shop's tokens are kept (not `invalid_grant`): try again later.
            return self._wait(f"Shopify refused to refresh the app's access ({exc.error}); retrying automatically.")
        except (ShopifyUnavailable, RetryLater) as exc:
            return self._wait(f"Shopify is not answering right now ({exc}); retrying automatically.",
                              at_least=getattr(exc, "retry_after", None) or 0.0)
        except LeaseLost:
            log.warning("push %s: lease lost to another worker; leaving the push to it", self.push.id)
            return "lease_lost"
        return self._succeed()

    def _guarded(self, **values) -> bool:
        """Write to the push only while this worker still holds it (a successor may own it now)."""
        return db.session.execute(
            update(SyncPush).where(SyncPush.id == self.push.id, SyncPush.status == SENDING,
                                   SyncPush.claimed_by == self.worker_id)
            .values(**values).execution_options(synchronize_session=False)
        ).rowcount == 1

    def _renew_lease(self) -> None:
        if not self._guarded(claimed_until=utcnow() + self.lease):
            db.session.rollback()
            raise LeaseLost()
        db.session.commit()

    def _settle(self, event: tuple[str, dict] | None, **values) -> bool:
        """Write the push's outcome (and its history event) unless the push is no longer ours."""
        if not self._guarded(claimed_by=None, claimed_until=None, **values):
            db.session.rollback()
            log.warning("push %s: lease lost before its outcome was written; the successor's stands", self.push.id)
            return False
        if event is not None:
            self._event(*event)
        db.session.commit()
        db.session.refresh(self.push)
        return True

    def _variables(self, batch: SyncBatch) -> dict:
        items = inventory_items.resolve(self.client, [c["variantId"] for c in batch.changes])
        changes = []
        for change in batch.changes:
            item, name = items.get(change["variantId"]), self.titles.get(change["variantId"], change["variantId"])
            if item is None:
                raise PermanentFailure(f"“{name}” ({change['variantId']}) no longer exists in Shopify. "
                                       "Fix the order or the product in Shopify, then retry the sync.")
            if not item.tracked:
                raise PermanentFailure(f"Shopify does not track inventory for “{name}” ({change['variantId']}). "
                                       "Turn on inventory tracking for it, then retry the sync.")
            changes.append({"inventoryItemId": item.item_id, "locationId": change["locationId"],
                            "delta": change["delta"], "changeFromQuantity": None})
        handle = current_app.config["SHOPIFY_APP_HANDLE"]
        return {"input": {"name": "available", "reason": "correction",
                          "referenceDocumentUri": f"gid://{handle}/ProductionOrder/{self.order.id}",
                          "changes": changes}}

    def _send(self, batch: SyncBatch) -> None:
        self._renew_lease()  # a batch may take several timeouts; keep the push ours meanwhile
        if batch.variables is None:
            batch.variables = self._variables(batch)  # fixed before the first send: retries are identical
            db.session.commit()
        for _ in range(3):
            key = idempotency_key(self.shop, self.push, batch)
            data = self.client.execute("AdjustInventory", ADJUST_INVENTORY, {**batch.variables, "idempotencyKey": key})
            result = data.get("inventoryAdjustQuantities") or {}
            errors = result.get("userErrors") or []
            if not errors and result.get("inventoryAdjustmentGroup"):
                self._record(batch, result["inventoryAdjustmentGroup"])
                return
            codes = {e.get("code") for e in errors}
            if "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" in codes:
                # The earlier attempt under this key applied nothing: same changes, new key.
                batch.key_generation += 1
                db.session.commit()
                continue
            if codes & TRANSIENT_CODES or not errors:
                raise RetryLater(", ".join(sorted(c for c in codes if c)) or "no adjustment group returned")
            inventory_items.forget(self.shop.domain, [c["variantId"] for c in batch.changes])
            raise PermanentFailure(self._describe(batch, errors))
        raise RetryLater("the idempotency key kept failing")

    def _describe(self, batch: SyncBatch, errors: list[dict]) -> str:
        parts = []
        for error in errors:
            field = error.get("field") or []
            index = next((int(p) for p in field if str(p).isdigit()), None)
            if index is not None and index < len(batch.changes):
                variant = batch.changes[index]["variantId"]
                parts.append(f"“{self.titles.get(variant, variant)}” ({variant}): {error.get('message')}")
            else:
                parts.append(str(error.get("message")))
        return "Shopify refused the inventory change. " + " ".join(parts)

    def _record(self, batch: SyncBatch, group: dict) -> None:
        now = utcnow()
        done = db.session.execute(
            update(SyncBatch).where(SyncBatch.id == batch.id, SyncBatch.applied_at.is_(None))
            .values(applied_at=now, adjustment_group_id=group.get("id"))
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:  # count each batch into the legs exactly once, even if two workers raced
            for change in batch.changes:
                self._add_to_leg(change["variantId"], change["locationId"], change["delta"], now)
        db.session.commit()
        db.session.refresh(batch)

    def _add_to_leg(self, variant: str, location: str, delta: int, now) -> None:
        bumped = db.session.execute(
            update(SyncLeg).where(SyncLeg.order_id == self.order.id, SyncLeg.variant_id == variant,
                                  SyncLeg.location_id == location)
            .values(pushed=SyncLeg.pushed + delta, updated_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if not bumped:
            db.session.add(SyncLeg(shop_id=self.shop.id, order_id=self.order.id, variant_id=variant,
                                   location_id=location, pushed=delta, updated_at=now))
            db.session.flush()

    def _event(self, event_type: str, changes: dict) -> None:
        # Sync bookkeeping never bumps the order's version; it only appends to the history.
        db.session.add(OrderEvent(shop_id=self.shop.id, order_id=self.order.id, type=event_type,
                                  actor="system", changes=changes))

    def _succeed(self) -> str:
        applied = {}
        for batch in self.push.batches:
            for change in batch.changes:
                applied[f"{change['variantId']}@{change['locationId']}"] = [None, change["delta"]]
        if not self._settle(("sync_succeeded", applied), status=SUCCEEDED, finished_at=utcnow(), last_error=None):
            return "lease_lost"
        log.info("push %s of order %s applied in Shopify", self.push.id, self.order.id)
        return SUCCEEDED

    def _fail(self, message: str) -> str:
        if not self._settle(("sync_failed", {"error": [None, message]}), status=FAILED, finished_at=utcnow(),
                            last_error=message):
            return "lease_lost"
        log.warning("push %s of order %s failed: %s", self.push.id, self.order.id, message)
        return FAILED

    def _wait(self, message: str, immediately: bool = False, at_least: float = 0.0) -> str:
        config = current_app.config
        delay = 0.0 if immediately else max(at_least, backoff_delay(
            self.push.attempts, float(config.get("SYNC_BACKOFF_BASE_SECONDS", 0.5)),
            float(config.get("SYNC_BACKOFF_MAX_SECONDS", 60))))
        if not self._settle(None, last_error=message, next_attempt_at=utcnow() + timedelta(seconds=delay)):
            return "lease_lost"
        return SENDING


def process_push(push_id: int, worker_id: str) -> str:
    """Freeze the push if needed, then send it. The caller holds the push's lease."""
    push = db.session.get(SyncPush, push_id)
    if push.status == PENDING:
        push = freeze(push_id)
    if push.status != SENDING:
        push.claimed_by = push.claimed_until = None
        db.session.commit()
        return push.status
    return PushSender(push, worker_id).run()

