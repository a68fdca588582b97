"""Sending a frozen push: one mutation per batch, each under its own idempotency key."""

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..admin_api.documents import ADJUST_INVENTORY, MOVE_INVENTORY
from ..admin_api.errors import GraphQLError, OAuthRefused, ReauthRequired, ShopifyUnavailable
from ..admin_api.graphql import AdminGraphQL, backoff_delay
from ..costing import writes as cost_writes
from ..db_types import utcnow
from ..extensions import db
from ..production.models import OrderEvent, ProductionOrder
from ..shops.models import Shop
from . import inventory_items
from .accounts import AVAILABLE
from .freezing import freeze
from .models import FAILED, NEEDS_REVIEW, PENDING, SENDING, SUCCEEDED, SyncBatch, SyncPush
from .status import REAUTH_MESSAGE, REVIEW_MESSAGE

log = logging.getLogger(__name__)

# Codes after which the same request may succeed later (Shopify's own words: "try again").
TRANSIENT_CODES = {"IDEMPOTENCY_CONCURRENT_REQUEST", "SERVICE_UNAVAILABLE", "ADJUST_QUANTITIES_FAILED",
                   "MOVE_QUANTITIES_FAILED"}
# Per batch kind: the operation sent and the mutation field its answer comes under.
MUTATIONS = {"adjust": ("AdjustInventory", ADJUST_INVENTORY, "inventoryAdjustQuantities"),
             "move": ("MoveInventory", MOVE_INVENTORY, "inventoryMoveQuantities")}
KEY_NAMESPACE = uuid.UUID("6f1c2a8e-4f53-4d1e-9a53-1b7e0c6d2f10")


class PermanentFailure(Exception):
    """Shopify refused the push for a reason only the merchant can fix. `retry_helps`: whether a
    retry can succeed once they fixed it in Shopify (False: it would meet the same refusal)."""

    def __init__(self, message: str, retry_helps: bool):
        super().__init__(message)
        self.retry_helps = retry_helps


class RetryLater(Exception):
    """Shopify asked us to come back; the same key is reused then."""


class LeaseLost(Exception):
    """Another worker took the push over (ours expired); its outcome is the one that stands."""


class NeedsReview(Exception):
    """A batch's key is older than Shopify keeps keys and its outcome is unknown: resending it
    could apply it twice, so the merchant says whether Shopify applied it."""


def idempotency_key(shop: Shop, push: SyncPush, batch: SyncBatch) -> str:
    """Derived from the stored push, so every process computes the same key for a batch."""
    seed = f"{shop.domain}/push/{push.id}/{push.created_at.isoformat()}/batch/{batch.seq}/gen/{batch.key_generation}"
    return str(uuid.uuid5(KEY_NAMESPACE, seed))


def _titles(order: ProductionOrder) -> dict[str, str]:
    """How the merchant's messages name each variant: “its title”, its GID only when it has none
    (the merchant sees these messages; a raw GID means nothing where a title exists)."""
    names = {}
    for component in order.components:
        title = component.title or component.sku
        names[component.variant_id] = f"“{title}”" if title else component.variant_id
        for material in component.materials:
            title = material.get("title") or material.get("sku")
            names.setdefault(material["variantId"], f"“{title}”" if title else material["variantId"])
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
        except PermanentFailure as failure:
            return self._fail(str(failure), failure.retry_helps)
        except GraphQLError as failure:
            return self._fail(str(failure), retry_helps=False)  # the same document is refused again
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
        except NeedsReview:
            return self._hold_for_review()
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
        """The mutation's variables (only the changes with a nonzero integer) and the receipt's
        skeleton: per change, the inventory item and its history link in Shopify."""
        sent = [c for c in batch.changes if c["delta"]]
        # A completed order's cost write needs the cost per item as it is right before the output
        # is added (SPEC §9): this same lookup reads it, bypassing the cache, for its outputs whose
        # fraction is carried too (no change sent for them, but their cost is still written once).
        fresh = self.order.status == "completed" and self.shop.settings.cost_update != "off"
        outputs = {c.variant_id for c in self.order.components} if fresh and self.order.type != "disassembly" else set()
        carried = [c["variantId"] for c in batch.changes
                   if not c["delta"] and c["name"] == "available" and c["variantId"] in outputs]
        read_at = utcnow().isoformat()
        items = inventory_items.resolve(self.client, [c["variantId"] for c in sent] + carried, fresh=fresh)
        batch.receipt = [_receipt_skeleton(c, items.get(c["variantId"]), c["variantId"] in carried, read_at)
                         for c in batch.changes]
        changes = []
        for change in sent:
            item, name = items.get(change["variantId"]), self.titles.get(change["variantId"], change["variantId"])
            if item is None:
                raise PermanentFailure(f"{name} no longer exists in Shopify, so this "
                                       "change can never be applied. Leave it out of this order's sync.",
                                       retry_helps=False)
            if not item.tracked:
                # The merchant's fix happens in Shopify: the retry must ask again, not read the cache.
                inventory_items.forget(self.shop.domain, [change["variantId"]])
                raise PermanentFailure(f"Shopify does not track inventory for {name}. "
                                       "Turn on inventory tracking for it, then retry the sync.",
                                       retry_helps=True)
            changes.append({"inventoryItemId": item.item_id, "locationId": change["locationId"],
                            "delta": change["delta"], "changeFromQuantity": None})
        document = f"gid://{current_app.config['SHOPIFY_APP_HANDLE']}/ProductionOrder/{self.order.id}"
        if batch.kind == "move":
            return {"input": {"reason": "correction", "referenceDocumentUri": document,
                              "changes": _move_changes(sent, changes, document)}}
        name = sent[0]["name"]
        if name != AVAILABLE:
            # Shopify requires a ledger document for every name but `available` (and refuses one there).
            changes = [dict(change, ledgerDocumentUri=document) for change in changes]
        return {"input": {"name": name, "reason": "correction", "referenceDocumentUri": document,
                          "changes": changes}}

    def _send(self, batch: SyncBatch) -> None:
        self._renew_lease()  # a batch may take several timeouts; keep the push ours meanwhile
        if batch.variables is None:
            batch.variables = self._variables(batch)  # fixed before the first send: retries are identical
            batch.first_sent_at = utcnow()  # the key's window starts with its first send, right after
            db.session.commit()
        operation, document, field = MUTATIONS[batch.kind]
        for _ in range(3):
            self._check_key_age(batch)
            key = idempotency_key(self.shop, self.push, batch)
            data = self.client.execute(operation, document, {**batch.variables, "idempotencyKey": key})
            result = data.get(field) or {}
            errors = result.get("userErrors") or []
            if not errors and result.get("inventoryAdjustmentGroup"):
                self._record(batch, result["inventoryAdjustmentGroup"])
                return
            codes = {e.get("code") for e in errors}
            if "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" in codes:
                # The earlier attempt under this key applied nothing: same changes, new key.
                batch.key_generation += 1
                batch.first_sent_at = utcnow()  # a new key: its window starts with the send below
                db.session.commit()
                continue
            if codes & TRANSIENT_CODES or not errors:
                raise RetryLater(", ".join(sorted(c for c in codes if c)) or "no adjustment group returned")
            inventory_items.forget(self.shop.domain, [c["variantId"] for c in batch.changes])
            raise PermanentFailure(self._describe(batch, errors), retry_helps=False)  # a retry resends it
        raise RetryLater("the idempotency key kept failing")

    def _check_key_age(self, batch: SyncBatch) -> None:
        """Refuse to resend a key Shopify may have forgotten (its outcome was never recorded)."""
        if batch.first_sent_at is None:  # the merchant chose to send again: a new key, a new window
            batch.first_sent_at = utcnow()
            db.session.commit()
            return
        window = timedelta(seconds=float(current_app.config["SYNC_IDEMPOTENCY_WINDOW_SECONDS"]))
        if utcnow() - batch.first_sent_at > window:
            raise NeedsReview()

    def _describe(self, batch: SyncBatch, errors: list[dict]) -> str:
        parts = []
        for error in errors:
            field = error.get("field") or []
            index = next((int(p) for p in field if str(p).isdigit()), None)
            sent = [c for c in batch.changes if c["delta"]]
            if batch.kind == "move":
                sent = sent[::2]  # one move per pair of changes
            if index is not None and index < len(sent):
                variant = sent[index]["variantId"]
                parts.append(f"{self.titles.get(variant, variant)}: {error.get('message')}")
            else:
                parts.append(str(error.get("message")))
        return "Shopify refused the inventory change. " + " ".join(parts)

    def _record(self, batch: SyncBatch, group: dict) -> None:
        """Mark the batch applied (once, even if two workers raced) with Shopify's receipt."""
        db.session.execute(
            update(SyncBatch).where(SyncBatch.id == batch.id, SyncBatch.applied_at.is_(None))
            .values(applied_at=utcnow(), adjustment_group_id=group.get("id"), receipt=_receipt(batch, group))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        db.session.refresh(batch)

    def _event(self, event_type: str, changes: dict) -> None:
        # Sync bookkeeping never bumps the order's version; it only appends to the history.
        db.session.add(OrderEvent(shop_id=self.shop.id, order_id=self.order.id, type=event_type,
                                  actor="system", changes=changes))

    def _succeed(self) -> str:
        applied = {}
        for batch in self.push.batches:
            for change in batch.changes:
                name = "" if change["name"] == AVAILABLE else f" {change['name']}"
                key = f"{change['variantId']}@{change['locationId']}{name}"
                applied[key] = [None, (applied.get(key) or [None, 0])[1] + change["delta"]]
        # Every batch is applied now: the accounts' frozen deltas are all in Shopify. A completed
        # order's cost write is frozen in the same commit, then sent (and resent) from that value.
        cost_writes.plan(self.order, self.shop, self.push)
        if not self._settle(("sync_succeeded", applied), status=SUCCEEDED, finished_at=utcnow(), last_error=None):
            return "lease_lost"
        log.info("push %s of order %s applied in Shopify", self.push.id, self.order.id)
        try:
            cost_writes.send_due(order_id=self.order.id)
        except Exception:  # the push stands; the worker's next pass sends the frozen value again
            db.session.rollback()
            log.exception("cost write of order %s will be retried", self.order.id)
        return SUCCEEDED

    def _fail(self, message: str, retry_helps: bool) -> str:
        if not self._settle(("sync_failed", {"error": [None, message]}), status=FAILED, finished_at=utcnow(),
                            last_error=message, retry_helps=retry_helps):
            return "lease_lost"
        log.warning("push %s of order %s failed: %s", self.push.id, self.order.id, message)
        return FAILED

    def _hold_for_review(self) -> str:
        if not self._settle(None, status=NEEDS_REVIEW, last_error=REVIEW_MESSAGE):
            return "lease_lost"
        log.warning("push %s of order %s needs review: a batch's key outlived Shopify's idempotency window",
                    self.push.id, self.order.id)
        return NEEDS_REVIEW

    def _wait(self, message: str, immediately: bool = False, at_least: float = 0.0) -> str:
        config = current_app.config
        delay = 0.0 if immediately else max(at_least, backoff_delay(
            self.push.attempts, float(config.get("SYNC_BACKOFF_BASE_SECONDS", 0.5)),
            float(config.get("SYNC_BACKOFF_MAX_SECONDS", 60))))
        if not self._settle(None, last_error=message, next_attempt_at=utcnow() + timedelta(seconds=delay)):
            return "lease_lost"
        return SENDING


def _move_changes(sent: list[dict], changes: list[dict], document: str) -> list[dict]:
    """inventoryMoveQuantities changes from the batch's pairs (from: -n, to: +n, one location)."""
    def terminal(change: dict) -> dict:
        side = {"locationId": change["locationId"], "name": change["name"], "changeFromQuantity": None}
        # Shopify requires a ledger document on every side but `available` (and refuses one there).
        return side if change["name"] == AVAILABLE else {**side, "ledgerDocumentUri": document}

    return [{"inventoryItemId": item["inventoryItemId"], "quantity": target["delta"],
             "from": terminal(source), "to": terminal(target)}
            for source, target, item in zip(sent[0::2], sent[1::2], changes[0::2])]


def _receipt_skeleton(change: dict, item, carried: bool, read_at: str) -> dict | None:
    """A change's receipt entry before Shopify answers. A carried output's entry only keeps what
    its cost write needs: SPEC §5 shows it with no history link, group or quantity after."""
    if item is None or not (change["delta"] or carried):
        return None
    entry = {"inventoryItemId": item.item_id, "quantityAfterChange": None, "unitCost": _cost_text(item),
             "readAt": read_at}
    if change["delta"]:
        entry["inventoryHistoryUrl"] = item.history_url
    return entry


def _cost_text(item) -> str | None:
    cost = item.unit_cost
    return None if cost is None or cost[0] is None else format(cost[0], "f")


def _receipt(batch: SyncBatch, group: dict) -> list:
    """The batch's receipt with Shopify's quantity after each change it sent."""
    after = {}
    for change in group.get("changes") or []:
        item, location = (change.get("item") or {}).get("id"), (change.get("location") or {}).get("id")
        after[(item, location, change.get("name"))] = change.get("quantityAfterChange")
    receipt = []
    for change, entry in zip(batch.changes, batch.receipt or [None] * len(batch.changes)):
        if entry is not None:
            entry = dict(entry, quantityAfterChange=after.get(
                (entry["inventoryItemId"], change["locationId"], change["name"])))
        receipt.append(entry)
    return receipt


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

