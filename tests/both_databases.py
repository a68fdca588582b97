"""Fixtures that run a test module's cases on SQLite and again on PostgreSQL.

A module opts in with `from .both_databases import backend, client, shop  # noqa: F401`: its
`client` and `shop` then come from the parametrised `backend` instead of conftest's SQLite app.
"""

import pytest

from .builders import SHOP, installed_shop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    """The app on SQLite, then on PostgreSQL (skipped when unreachable; a failure with REQUIRE_POSTGRES=1)."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def client(backend):
    return backend.test_client()


@pytest.fixture
def shop(backend):
    return installed_shop(SHOP)
