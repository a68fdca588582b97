"""`flask --app app sync-worker`: claim due pushes and send them; run as many as you like.

Claiming is a lease written with a guarded UPDATE (atomic on SQLite and PostgreSQL alike); on
PostgreSQL candidates are picked with FOR UPDATE SKIP LOCKED so workers do not queue behind each
other. A worker that dies simply stops renewing its lease and another takes the push over; the
batches it may have sent are resent under the same idempotency keys, so Shopify applies them once.
"""

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from ..db_types import utcnow
from ..extensions import db
from ..shops.models import Shop
from .models import OPEN_STATES, SENDING, SyncPush
from .pusher import process_push

log = logging.getLogger(__name__)


def _due_query(now):
    earlier = aliased(SyncPush)
    return (
        select(SyncPush.id)
        .join(Shop, Shop.id == SyncPush.shop_id)
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
        .order_by(SyncPush.next_attempt_at, SyncPush.id)
        .limit(1)
    )


def claim_next(worker_id: str) -> int | None:
    """Lease the next due push to this worker and return its id (None when nothing is due)."""
    now = utcnow()
    query = _due_query(now)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=SyncPush, skip_locked=True)
    push_id = db.session.scalar(query)
    if push_id is None:
        db.session.rollback()
        return None
    lease = timedelta(seconds=float(current_app.config.get("SYNC_LEASE_SECONDS", 60)))
    won = db.session.execute(
        update(SyncPush)
        .where(SyncPush.id == push_id, or_(SyncPush.claimed_until.is_(None), SyncPush.claimed_until < now))
        .values(claimed_by=worker_id, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return push_id if won else None


def run_once(worker_id: str) -> int:
    """Process every push due now; returns how many were processed."""
    processed = 0
    while (push_id := claim_next(worker_id)) is not None:
        try:
            outcome = process_push(push_id, worker_id)
            log.info("push %s: %s", push_id, outcome)
        except Exception:
            db.session.rollback()
            log.exception("push %s crashed; its lease will expire and it will be retried", push_id)
            _release(push_id)
        processed += 1
    return processed


def _release(push_id: int) -> None:
    try:
        db.session.execute(update(SyncPush).where(SyncPush.id == push_id, SyncPush.status == SENDING)
                           .values(claimed_by=None, claimed_until=None,
                                   next_attempt_at=utcnow() + timedelta(seconds=30)))
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
