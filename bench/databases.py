"""The bench's databases: a temporary PostgreSQL database created and dropped whatever happens,
Alembic migrations, the in-process app's config, an engine, a shop's id."""

import contextlib
import logging
import sys
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import project  # noqa: F401  (the project root on sys.path, for shopify_app and tests)
from cli import BenchError
from tests.builders import API_KEY, API_SECRET, TOKEN_KEY


def sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def with_database(url: str, name: str, port: int | None = None) -> str:
    """`url` pointed at database `name` (and optionally another port of the same host)."""
    parsed = make_url(url).set(database=name)
    if port is not None:
        parsed = parsed.set(port=port)
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def temporary_database(admin_url: str, prefix: str):
    """Create an empty database (named `prefix`_<random>) and drop it afterwards, whatever happens."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sa_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise BenchError(f"cannot create a temporary database through {admin_url}: {type(exc).__name__}: {exc}")
    try:
        yield with_database(admin_url, name)
    finally:
        # The server may just have been restarted by a fault bench: try for a while.
        deadline = time.monotonic() + 30
        while True:
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except Exception as exc:
                if time.monotonic() > deadline:
                    print(f"warning: could not drop the temporary database {name}: {exc}", file=sys.stderr)
                    break
                time.sleep(1)
        admin.dispose()


def migrate(database_url: str) -> None:
    """Alembic upgrade to head, as `flask --app app db upgrade` does."""
    from flask_migrate import upgrade

    from shopify_app import create_app
    from shopify_app.extensions import db

    app = create_app(bench_config(database_url))
    logging.disable(logging.INFO)  # Alembic announces every migration step
    try:
        with app.app_context():
            upgrade()
            db.engine.dispose()
    finally:
        logging.disable(logging.NOTSET)


def bench_config(database_url: str, **extra) -> dict:
    """create_app() overrides of an in-process app of the benches (migrations, EXPLAIN)."""
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SHOPIFY_API_KEY": API_KEY, "SHOPIFY_API_SECRET": API_SECRET,
            "SHOPIFY_API_SECRET_PREVIOUS": "", "SECRET_KEY": "bench-secret-key", "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
            "RATE_LIMIT_PER_SHOP": "", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text",
            "SHOPIFY_ADMIN_ORIGIN": "http://127.0.0.1:9/{shop}", **extra}


def engine_for(database_url: str):
    return create_engine(sa_url(database_url), poolclass=NullPool)


def shop_id(engine, domain: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM shops WHERE domain = :d"), {"d": domain}).scalar()
    if found is None:
        raise BenchError(f"shop {domain} is not in the database")
    return found
