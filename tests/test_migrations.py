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
