"""`flask --app app sync-worker`: claim due pushes and send them; run as many as you like.

Claiming is a lease written with a guarded UPDATE (atomic on SQLite and PostgreSQL alike); on
PostgreSQL candidates are picked with FOR UPDATE SKIP LOCKED so workers do not queue behind each
other. A worker that dies simply stops renewing its lease and another takes the push over; the
batches it may have sent are resent under the same idempotency keys, so Shopify applies them once.

Fairness (SPEC §12): the next push is the oldest due push of the shop served least recently
(turns.py), so shops take turns whatever their backlogs. A shop whose shared Shopify budget would
make its next mutation wait longer than BUSY_SKIP_SECONDS is left for later and the worker serves
another shop meanwhile, so one slow bucket never holds a worker that another shop could use.
"""

import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import NamedTuple

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from ..admin_api.graphql import known_cost
from ..admin_api.throttle import throttle
from ..costing import writes as cost_writes
from ..db_types import utcnow
from ..extensions import db
from ..production.holds import release_due
from ..shops.models import Shop
from .models import OPEN_STATES, SENDING, SyncPush
from .pusher import process_push
from .turns import ShopTurn, mark_served

log = logging.getLogger(__name__)

# A shop whose next mutation would wait longer than this for its budget is left for later.
BUSY_SKIP_SECONDS = 0.25
CLAIM_ATTEMPTS = 5
LOST = object()


class Claim(NamedTuple):
    push_id: int
    shop_id: int
    shop_domain: str


def _due_query(now, skip_shops=()):
    earlier = aliased(SyncPush)
    return (
        select(SyncPush.id, SyncPush.shop_id, Shop.domain)
        .join(Shop, Shop.id == SyncPush.shop_id)
        .outerjoin(ShopTurn, ShopTurn.shop_id == SyncPush.shop_id)
        .where(
            SyncPush.status.in_(OPEN_STATES),
            SyncPush.next_attempt_at <= now,
            or_(SyncPush.claimed_until.is_(None), SyncPush.claimed_until < now),
            # Held while the app is uninstalled or its tokens died; resumes after the next install.
            Shop.uninstalled_at.is_(None), Shop.access_token_encrypted.is_not(None),
            # One push at a time per order, oldest first: a later push starts from the totals the
            # earlier one leaves behind.
            ~exists().where(and_(earlier.order_id == SyncPush.order_id, earlier.id < SyncPush.id,
                                 earlier.status.in_(OPEN_STATES))),
        )
        .where(*([SyncPush.shop_id.not_in(list(skip_shops))] if skip_shops else []))
        # Round-robin across shops: the least recently served shop first, then its oldest push.
        .order_by(ShopTurn.served_at.asc().nulls_first(), SyncPush.next_attempt_at, SyncPush.id)
        .limit(1)
    )


def claim(worker_id: str, skip_shops=()) -> Claim | None:
    """Lease the next due push (not of `skip_shops`) to this worker; None when nothing is due."""
    for _ in range(CLAIM_ATTEMPTS):
        result = _claim_once(worker_id, skip_shops)
        if result is not LOST:
            return result
    return None


def _claim_once(worker_id: str, skip_shops):
    now = utcnow()
    query = _due_query(now, skip_shops)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=SyncPush, skip_locked=True)
    row = db.session.execute(query).first()
    if row is None:
        db.session.rollback()
        return None
    push_id, shop_id, domain = row
    lease = timedelta(seconds=float(current_app.config.get("SYNC_LEASE_SECONDS", 60)))
    won = db.session.execute(
        update(SyncPush)
        # The read above is not in the write's transaction on SQLite: re-check everything that made
        # the push a candidate, or a push another worker finished meanwhile would be claimed again.
        .where(SyncPush.id == push_id, SyncPush.status.in_(OPEN_STATES), SyncPush.next_attempt_at <= now,
               or_(SyncPush.claimed_until.is_(None), SyncPush.claimed_until < now))
        .values(claimed_by=worker_id, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won:
        mark_served(shop_id, now)
    db.session.commit()
    # Lost: another worker leased the same candidate between our read and our write (SQLite has no
    # SKIP LOCKED); the caller looks again rather than stopping while work is due.
    return Claim(push_id, shop_id, domain) if won else LOST


def claim_next(worker_id: str) -> int | None:
    """Lease the next due push to this worker and return its id (None when nothing is due)."""
    claimed = claim(worker_id)
    return claimed.push_id if claimed else None


def _next_claim(worker_id: str, busy: dict[int, float]) -> Claim | None:
    """The next push whose shop's budget is not spent far ahead; waits when every due push
    belongs to such a shop. `busy`: shop id -> monotonic time its budget frees up."""
    while True:
        now = time.monotonic()
        for shop_id in [s for s, until in busy.items() if until <= now]:
            del busy[shop_id]
        claimed = claim(worker_id, busy.keys())
        if claimed is None:
            if not busy:
                return None
            time.sleep(max(0.0, min(busy.values()) - now))
            continue
        wait = throttle.delay_for(claimed.shop_domain, known_cost("AdjustInventory"))
        if wait <= BUSY_SKIP_SECONDS:
            return claimed
        _release(claimed.push_id, worker_id)  # keeps its place in the shop's queue
        busy[claimed.shop_id] = now + wait - BUSY_SKIP_SECONDS


def run_once(worker_id: str) -> int:
    """Release due curing holds, then process every push due now; returns how many were processed."""
    processed = 0
    try:  # a released hold's move is an outbox push: the loop below sends it in this same pass
        processed += release_due()
    except Exception:
        db.session.rollback()
        log.exception("releasing due holds failed; they stay due")
    busy: dict[int, float] = {}
    while (claimed := _next_claim(worker_id, busy)) is not None:
        push_id = claimed.push_id
        try:
            outcome = process_push(push_id, worker_id)
            log.info("push %s: %s", push_id, outcome)
        except Exception:
            db.session.rollback()
            log.exception("push %s crashed; its lease will expire and it will be retried", push_id)
            _release(push_id, worker_id, retry_in=30.0, sending_only=True)
        processed += 1
    try:  # cost writes whose first send failed or was lost: the same frozen value again
        processed += cost_writes.send_due()
    except Exception:
        db.session.rollback()
        log.exception("cost writes failed; they stay due")
    return processed


def _release(push_id: int, worker_id: str, retry_in: float | None = None, sending_only: bool = False) -> None:
    """Give the push's lease back (due again in `retry_in` seconds, if given)."""
    conditions = [SyncPush.id == push_id, SyncPush.claimed_by == worker_id]
    if sending_only:
        conditions.append(SyncPush.status == SENDING)
    values = {"claimed_by": None, "claimed_until": None}
    if retry_in is not None:
        values["next_attempt_at"] = utcnow() + timedelta(seconds=retry_in)
    try:
        db.session.execute(update(SyncPush).where(*conditions).values(**values))
        db.session.commit()
    except Exception:
        db.session.rollback()


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@click.command("sync-worker")
@click.option("--once", is_flag=True, help="Process what is due now, then exit (for scripts and cron).")
@click.option("--poll-seconds", type=float, default=None, help="Sleep between polls when idle.")
@with_appcontext
def sync_worker_command(once: bool, poll_seconds: float | None):
    """Push produced quantities to Shopify inventory (run one or more)."""
    worker_id = default_worker_id()
    poll = poll_seconds if poll_seconds is not None else float(current_app.config.get("SYNC_POLL_SECONDS", 1.0))
    log.info("sync worker %s started", worker_id)
    outage = 0
    while True:
        try:
            processed = run_once(worker_id)
            outage = 0
        except DBAPIError as exc:
            # The database went away (restart, failover): wait and carry on; leases protect the work.
            outage += 1
            log.warning("sync worker %s: database unavailable (%s); retrying", worker_id, type(exc.orig).__name__)
            db.session.remove()
            if once:
                raise
            time.sleep(min(30.0, poll * 2 ** min(outage, 5)))
            continue
        db.session.remove()
        if once:
            click.echo(f"processed {processed} push(es)")
            return
        if not processed:
            time.sleep(poll)
