"""Fixtures: an app on a freshly migrated SQLite file per test, PostgreSQL on request, no network."""

import os
import shutil
import socket
import uuid

import pytest
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import create_engine, text

from shopify_app import create_app
from shopify_app.extensions import db

from .browser_support import chromium, demo_site, page, page_watch, pg_demo_site  # noqa: F401  (one browser, demos per session)
from .shopify_catalogue import fake_catalogue
from .builders import API_KEY, API_SECRET, PREVIOUS_SECRET, SHOP, TOKEN_KEY, auth_headers, installed_shop

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
REQUIRE_SHOPIFY_SCHEMA = os.environ.get("REQUIRE_SHOPIFY_SCHEMA") == "1"
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_PATH = os.environ.get("SHOPIFY_SCHEMA_PATH") or os.path.join(
    PROJECT_ROOT, ".cache", "shopify", "admin_2026-10.json.gz")

# Property tests check results, not speed: under pytest-xdist on a 2-core CI machine one example can
# take longer than Hypothesis' default 200 ms deadline, which would fail a correct test.
settings.register_profile("no_deadline", deadline=None)
settings.load_profile("no_deadline")


def base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_API_SECRET_PREVIOUS": PREVIOUS_SECRET,
        "SECRET_KEY": "test-secret-key",
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        # Tests fire requests far faster than a merchant; the limit has tests of its own.
        "RATE_LIMIT_PER_SHOP": "",
        "LOG_FORMAT": "text",
    }


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests talk to loopback only; Shopify is faked at the HTTP boundary."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and self.family != socket.AF_UNIX:
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def shopify_catalogue():
    """Shopify knows every variant and location a test names, unless the test says otherwise."""
    mock, catalogue = fake_catalogue()
    with mock:
        yield catalogue


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One SQLite file migrated with Alembic; each test gets a copy (fast and isolated)."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app(sqlite_template, tmp_path):
    path = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def shop(app):
    return installed_shop(SHOP)


@pytest.fixture
def api(client, shop):
    """A test client whose every request carries a fresh session token of `shop`."""
    return AuthedClient(client, shop.domain)


class AuthedClient:
    def __init__(self, client, domain):
        self.client, self.domain = client, domain

    def _call(self, method, path, headers=None, **kwargs):
        return self.client.open(path, method=method, headers={**auth_headers(self.domain), **(headers or {})}, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def put(self, path, **kw):
        return self._call("PUT", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


# ------------------------------------------------------------------ PostgreSQL


def _postgres_or_skip():
    try:
        engine = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                               isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        engine.connect().close()
        return engine
    except Exception as exc:  # unreachable server, missing database, bad credentials
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (REQUIRE_POSTGRES=1)")
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url():
    """A freshly created database for this test run, dropped at the end."""
    admin = _postgres_or_skip()
    name = f"po_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url):
    app = create_app(base_config(postgres_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return postgres_url


@pytest.fixture
def pg_app(postgres_migrated):
    app = create_app(base_config(postgres_migrated))
    with app.app_context():
        yield app
        db.session.remove()
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


# ------------------------------------------------------------------ Redis


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the Redis server (skipped when unreachable unless
    REQUIRE_REDIS=1); its keys are deleted afterwards. Yields (url, prefix)."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {REDIS_TEST_URL}: {type(exc).__name__}"
        if REQUIRE_REDIS:
            pytest.fail(message + " (REQUIRE_REDIS=1)")
        pytest.skip(message)
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield REDIS_TEST_URL, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


# ------------------------------------------------------------------ Shopify's Admin GraphQL schema


@pytest.fixture(scope="session")
def admin_schema_path():
    """The Admin API 2026-10 schema fetched by `make schema` (npm); skipped without it."""
    if not os.path.exists(SCHEMA_PATH):
        message = f"Shopify's Admin schema is not at {SCHEMA_PATH}: run `make schema` (needs npm)"
        if REQUIRE_SHOPIFY_SCHEMA:
            pytest.fail(message + " (REQUIRE_SHOPIFY_SCHEMA=1)")
        pytest.skip(message)
    return SCHEMA_PATH


@pytest.fixture(scope="session")
def admin_schema(admin_schema_path):
    import gzip
    import json

    from graphql import build_client_schema

    with gzip.open(admin_schema_path) as handle:
        return build_client_schema(json.load(handle)["data"])
