"""Migrations (SPEC §8): one Alembic head; upgrade, downgrade to base and upgrade again on SQLite
and PostgreSQL; the migrated schema is exactly the models' schema; SQLite runs in WAL mode."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from shopify_app import create_app
from shopify_app.extensions import db

from .conftest import PG_ADMIN_URL, _postgres_or_skip, base_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")


def app_tables() -> set[str]:
    """Every table the models declare."""
    return set(db.metadata.tables)


def script_directory() -> ScriptDirectory:
    """The migration scripts exactly as Flask-Migrate configures Alembic for this app."""
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def schema_differences() -> list:
    """What autogenerate would write for the current database: nothing, when the schema matches."""
    configure_args = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": configure_args.get("compare_type", True),
            "compare_server_default": True,
            "render_as_batch": configure_args.get("render_as_batch", False),
        })
        return compare_metadata(context, db.metadata)


def current_revision():
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def tables_in_database() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def round_trip() -> None:
    """upgrade -> schema == models -> downgrade to base -> nothing left -> upgrade -> schema == models."""
    head = script_directory().get_current_head()

    upgrade()
    assert current_revision() == head
    assert tables_in_database() == app_tables() | {"alembic_version"}
    assert schema_differences() == []

    downgrade(revision="base")
    assert current_revision() is None
    assert tables_in_database() - {"alembic_version"} == set(), "downgrade to base left app tables behind"
    inspector = inspect(db.engine)
    if db.engine.dialect.name == "postgresql":
        assert inspector.get_sequence_names() == [], "downgrade left sequences behind"
        assert inspector.get_enums() == [], "downgrade left enum types behind"

    upgrade()
    assert current_revision() == head
    assert schema_differences() == []


# ------------------------------------------------------------------ heads


def test_the_migrations_have_exactly_one_head_and_one_base(app):
    scripts = script_directory()
    assert len(scripts.get_heads()) == 1, f"several Alembic heads: {scripts.get_heads()}"
    assert len(scripts.get_bases()) == 1, f"several Alembic bases: {scripts.get_bases()}"
    # Every script file is on the path from that base to that head (none orphaned or unreachable).
    reachable = {rev.revision for rev in scripts.iterate_revisions(scripts.get_current_head(), "base")}
    assert reachable == {rev.revision for rev in scripts.walk_revisions()}


def test_flask_db_heads_reports_a_single_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'heads.sqlite3'}"
    # The test settings as environment variables, so the CLI needs (and writes) nothing in instance/.
    settings = {key: value for key, value in base_config(url).items() if isinstance(value, str)}
    env = {**os.environ, **settings, "DATABASE_URL": url}
    result = subprocess.run([str(FLASK), "--app", "app", "db", "heads"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    heads = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(heads) == 1 and heads[0].endswith("(head)"), result.stdout


# ------------------------------------------------------------------ SQLite


@pytest.fixture
def fresh_sqlite_app(tmp_path):
    """An app on an empty SQLite file (no migration run yet)."""
    app = create_app(base_config(f"sqlite:///{tmp_path / 'migrations.sqlite3'}"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_downgrade_upgrade_on_sqlite_matches_the_models(fresh_sqlite_app):
    assert tables_in_database() == set()
    round_trip()


def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(app):
    # Several connections at once: every pooled connection gets the pragmas, not just the first.
    with db.engine.connect() as first, db.engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    # The request session's connection too.
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.session.rollback()


def test_sqlite_enforces_foreign_keys(app, shop):
    """Foreign keys are really on: an event for an order that does not exist is refused."""
    with pytest.raises(IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO order_events (shop_id, order_id, type, actor, changes, created_at) "
                "VALUES (:shop, 999999, 'created', 'system', '{}', CURRENT_TIMESTAMP)"
            ), {"shop": shop.id})


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture
def fresh_postgres_url():
    """An empty PostgreSQL database of our own, dropped afterwards."""
    admin = _postgres_or_skip()
    name = f"po_migrations_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_upgrade_downgrade_upgrade_on_postgresql_matches_the_models(fresh_postgres_url):
    app = create_app(base_config(fresh_postgres_url))
    with app.app_context():
        try:
            assert tables_in_database() == set()
            round_trip()
        finally:
            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------------ 0007: accounts from what was pushed


def _previous_version_shop() -> int:
    """A shop with its settings as revision 0005 stores them (the models have columns it lacks)."""
    now = "2026-11-30 09:00:00"
    db.session.execute(text("INSERT INTO shops (domain, installed_at, created_at) VALUES "
                            "('old-shop.myshopify.com', :now, :now)"), {"now": now})
    shop_id = db.session.execute(text("SELECT id FROM shops")).scalar()
    db.session.execute(text("INSERT INTO shop_settings (shop_id, sync_by_default, sync_mode, updated_at) "
                            "VALUES (:s, false, 'on_complete', :now)"), {"s": shop_id, "now": now})
    db.session.commit()
    return shop_id


def _previous_version_data(shop_id: int) -> int:
    """Rows as the per-order-rounding version left them: an order pushed (+3 candles, -1 wax), one
    whose push is still sending (frozen +2 candles, unapplied), one failed (abandoned -5 wax)."""
    now = "2026-11-30 10:00:00"
    order_ids = []
    for reference in ("OLD-1", "OLD-2", "OLD-3"):
        db.session.execute(text(
            "INSERT INTO production_orders (shop_id, reference, reference_key, type, status, location_id, "
            "sync_to_shopify, created_at, updated_at, version, completed_at) VALUES (:s, :r, :k, 'assembly', "
            "'completed', :loc, true, :now, :now, 3, :now)"), {"s": shop_id, "r": reference, "k": reference.lower(),
                                                               "loc": LOC, "now": now})
        order_ids.append(db.session.execute(text("SELECT id FROM production_orders WHERE reference = :r"),
                                            {"r": reference}).scalar())
    one, two, three = order_ids
    # OLD-1 made 3 candles using 0.25 kg of wax each: -0.75 kg, which per-order rounding sent as -1.
    db.session.execute(text(
        "INSERT INTO components (shop_id, order_id, variant_id, title, sku, unit, quantity_planned, "
        "quantity_produced, materials) VALUES (:s, :o, :v, 'Candle', '', 'pcs', 3000, 3000, :m)"),
        {"s": shop_id, "o": one, "v": CANDLE,
         "m": '[{"variantId": "%s", "title": "Wax", "quantityPerUnit": "0.25"}]' % WAX})
    for order, variant, pushed in ((one, CANDLE, 3), (one, WAX, -1)):
        db.session.execute(text("INSERT INTO sync_legs (shop_id, order_id, variant_id, location_id, pushed, "
                                "updated_at) VALUES (:s, :o, :v, :l, :p, :now)"),
                           {"s": shop_id, "o": order, "v": variant, "l": LOC, "p": pushed, "now": now})
    for index, (order, status, applied, changes) in enumerate((
            (one, "succeeded", now, [{"variantId": CANDLE, "locationId": LOC, "delta": 3},
                                     {"variantId": WAX, "locationId": LOC, "delta": -1}]),
            (two, "sending", None, [{"variantId": CANDLE, "locationId": LOC, "delta": 2}]),
            (three, "failed", None, [{"variantId": WAX, "locationId": LOC, "delta": -5}]))):
        db.session.execute(text(
            "INSERT INTO sync_pushes (shop_id, order_id, status, reason, attempts, next_attempt_at, created_at, "
            "frozen_at) VALUES (:s, :o, :st, 'completed', 1, :now, :now, :now)"),
            {"s": shop_id, "o": order, "st": status, "now": now})
        push_id = db.session.execute(text("SELECT max(id) FROM sync_pushes")).scalar()
        assert push_id == index + 1
        db.session.execute(text(
            "INSERT INTO sync_batches (push_id, seq, changes, variables, key_generation, applied_at) "
            "VALUES (:p, 0, :c, :v, 0, :a)"),
            {"p": push_id, "c": __import__("json").dumps(changes), "v": "{}", "a": applied})
    # A BOM with two lines: upgrades that rebuild the boms table on SQLite must not take them along.
    db.session.execute(text(
        "INSERT INTO boms (shop_id, name, output_variant_id, output_title, output_sku, active, created_at, "
        "updated_at) VALUES (:s, 'Candle', :v, 'Candle', '', true, :now, :now)"), {"s": shop_id, "v": CANDLE, "now": now})
    bom_id = db.session.execute(text("SELECT max(id) FROM boms")).scalar()
    for position, variant in enumerate((WAX, CANDLE)):
        db.session.execute(text(
            "INSERT INTO bom_lines (bom_id, position, variant_id, title, quantity_per_unit) "
            "VALUES (:b, :p, :v, 'Material', 250)"), {"b": bom_id, "p": position, "v": variant})
    db.session.commit()
    return order_ids


def _row_counts() -> dict[str, int]:
    counts = {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
              for table in ("production_orders", "components", "boms", "bom_lines", "sync_pushes", "sync_batches")}
    db.session.commit()  # end the read transaction: SQLite's migration needs the file to itself
    return counts


CANDLE, WAX = "gid://shopify/ProductVariant/8001", "gid://shopify/ProductVariant/8002"
LOC = "gid://shopify/Location/7001"


def _upgrade_from_previous_version():
    from decimal import Decimal

    from shopify_app.sync.freezing import freeze
    from shopify_app.sync.models import SENDING, SyncPush

    upgrade(revision="0005")
    shop_id = _previous_version_shop()
    one, two, three = _previous_version_data(shop_id)
    before = _row_counts()
    upgrade()
    assert schema_differences() == []
    assert _row_counts() == before  # no upgrade loses a row (SQLite's table rebuilds cascaded once)
    accounts = {(v, loc, name): (Decimal(exact), whole) for v, loc, name, exact, whole in db.session.execute(text(
        "SELECT variant_id, location_id, name, exact, whole FROM sync_accounts"))}
    # Applied and still-sending deltas count; the failed push's were already abandoned.
    assert accounts == {(CANDLE, LOC, "available"): (Decimal(5), 5), (WAX, LOC, "available"): (Decimal(-1), -1)}
    legs = {(o, v): (Decimal(e), w) for o, v, e, w in db.session.execute(text(
        "SELECT order_id, variant_id, exact, whole FROM sync_legs"))}
    assert legs == {(one, CANDLE): (Decimal(3), 3), (one, WAX): (Decimal(-1), -1), (two, CANDLE): (Decimal(2), 2)}
    batches = {p: (c, r is not None, f is not None) for p, c, r, f in db.session.execute(text(
        "SELECT push_id, changes, returned_at, first_sent_at FROM sync_batches"))}
    changes = batches[2][0] if isinstance(batches[2][0], list) else __import__("json").loads(batches[2][0])
    assert changes == [{"variantId": CANDLE, "locationId": LOC, "delta": 2, "name": "available", "exact": "2"}]
    assert batches[3][1] and not batches[2][1] and batches[2][2]  # failed: given back; sending: window starts
    db.session.remove()

    # The upgrade itself sends nothing: a new push of the pushed order freezes whole deltas of 0
    # (its wax, -0.75 exact against -1 sent, is now carried: floor(-0.75) = -1 already).
    push = SyncPush(shop_id=shop_id, order_id=one, status="pending", reason="retry")
    db.session.add(push)
    db.session.commit()
    frozen = freeze(push.id)
    assert [(c["variantId"], c["exact"], c["delta"]) for b in frozen.batches for c in b.changes] == [(WAX, "0.25", 0)]
    assert all(b.applied_at is not None and b.variables is None for b in frozen.batches)  # nothing to send
    assert db.session.get(SyncPush, 2).status == SENDING
    db.session.remove()
    downgrade(revision="0005")
    assert db.session.execute(text("SELECT sum(pushed) FROM sync_legs")).scalar() == 4
    db.session.remove()


def test_upgrading_to_accounts_builds_them_from_what_was_pushed_on_sqlite(fresh_sqlite_app):
    _upgrade_from_previous_version()


@pytest.mark.postgres
def test_upgrading_to_accounts_builds_them_from_what_was_pushed_on_postgresql(fresh_postgres_url):
    app = create_app(base_config(fresh_postgres_url))
    with app.app_context():
        try:
            _upgrade_from_previous_version()
        finally:
            db.session.remove()
            db.engine.dispose()
