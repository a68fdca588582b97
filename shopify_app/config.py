"""Settings, read from the environment in exactly one place (keys match `.env.example`)."""

import os
from pathlib import Path

DEFAULT_API_VERSION = "2026-10"
DEFAULT_SCOPES = "read_products,read_locations,write_inventory,read_inventory"


def _sqlite_default(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "production_orders.sqlite3")


def load_config(instance_path: str) -> dict:
    """Return the app's configuration as a plain dict built from environment variables."""
    env = os.environ.get
    return {
        "SHOPIFY_API_KEY": env("SHOPIFY_API_KEY", ""),
        "SHOPIFY_API_SECRET": env("SHOPIFY_API_SECRET", ""),
        "SHOPIFY_API_SECRET_PREVIOUS": env("SHOPIFY_API_SECRET_PREVIOUS", ""),
        "SHOPIFY_APP_URL": env("SHOPIFY_APP_URL", "http://127.0.0.1:8000"),
        "SHOPIFY_APP_HANDLE": env("SHOPIFY_APP_HANDLE", "production-orders"),
        "SHOPIFY_SCOPES": env("SHOPIFY_SCOPES", DEFAULT_SCOPES),
        "SHOPIFY_API_VERSION": env("SHOPIFY_API_VERSION", DEFAULT_API_VERSION),
        "SHOPIFY_ADMIN_ORIGIN": env("SHOPIFY_ADMIN_ORIGIN", ""),
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL") or _sqlite_default(instance_path),
        "TOKEN_ENCRYPTION_KEY": env("TOKEN_ENCRYPTION_KEY", ""),
        "SECRET_KEY": env("SECRET_KEY", ""),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        # Request bodies larger than this are refused before parsing (413).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }
