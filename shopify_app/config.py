"""Settings, read from the environment in exactly one place (keys match `.env.example`)."""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

DEFAULT_API_VERSION = "2026-10"
DEFAULT_SCOPES = "read_products,read_locations,write_inventory,read_inventory"


def _sqlite_default(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "production_orders.sqlite3")


def instance_secret(instance_path: str, filename: str, make) -> str:
    """A secret kept in instance/ for local runs, created on first use (never used in production)."""
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


class ConfigError(RuntimeError):
    """A setting production needs is missing."""


def _secrets(config: dict, instance_path: str) -> None:
    # With real Shopify credentials, keys must come from the environment: a key generated on
    # one machine could not decrypt tokens written by another. Locally, generate and keep them.
    production = bool(config["SHOPIFY_API_KEY"]) and not config.get("DEMO_MODE")
    for name, filename, make in (
        ("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(48)),
        ("TOKEN_ENCRYPTION_KEY", "token_encryption_key", lambda: Fernet.generate_key().decode()),
    ):
        if config[name]:
            continue
        if production:
            raise ConfigError(f"{name} must be set when SHOPIFY_API_KEY is configured (see .env.example)")
        config[name] = instance_secret(instance_path, filename, make)


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """The app's configuration: environment variables, then `overrides` (tests), then secrets."""
    env = os.environ.get
    config = {
        "SHOPIFY_API_KEY": env("SHOPIFY_API_KEY", ""),
        "SHOPIFY_API_SECRET": env("SHOPIFY_API_SECRET", ""),
        "SHOPIFY_API_SECRET_PREVIOUS": env("SHOPIFY_API_SECRET_PREVIOUS", ""),
        "SHOPIFY_APP_URL": env("SHOPIFY_APP_URL") or f"http://127.0.0.1:{env('PORT') or 8000}",
        "SHOPIFY_APP_HANDLE": env("SHOPIFY_APP_HANDLE", "production-orders"),
        "SHOPIFY_SCOPES": env("SHOPIFY_SCOPES", DEFAULT_SCOPES),
        "SHOPIFY_API_VERSION": env("SHOPIFY_API_VERSION", DEFAULT_API_VERSION),
        "SHOPIFY_ADMIN_ORIGIN": env("SHOPIFY_ADMIN_ORIGIN", ""),
        # Demo mode's fake Shopify validates GraphQL against this schema; empty: `make schema`'s copy.
        "SHOPIFY_SCHEMA_PATH": env("SHOPIFY_SCHEMA_PATH", ""),
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL") or _sqlite_default(instance_path),
        "TOKEN_ENCRYPTION_KEY": env("TOKEN_ENCRYPTION_KEY", ""),
        "SECRET_KEY": env("SECRET_KEY", ""),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        # json (one object per line, for log collectors) or text (for reading in a terminal).
        "LOG_FORMAT": env("LOG_FORMAT", "json"),
        # API requests per shop, e.g. "20/second;600/minute" (empty: no limit); counted in
        # RATE_LIMIT_STORAGE_URL, which must be shared (redis://…) when several processes serve.
        "RATE_LIMIT_PER_SHOP": env("RATE_LIMIT_PER_SHOP", "20/second;600/minute"),
        "RATE_LIMIT_STORAGE_URL": env("RATE_LIMIT_STORAGE_URL", "memory://"),
        # Shared state of several processes (Shopify's cost bucket per shop); empty: the database.
        "REDIS_URL": env("REDIS_URL", ""),
        # Prepended to every Redis key, so several apps (or test runs) can share one server.
        "REDIS_KEY_PREFIX": env("REDIS_KEY_PREFIX", "production-orders:"),
        # Sync worker: lease on a claimed push, idle poll, backoff between retries, Admin API timeout.
        "SYNC_LEASE_SECONDS": float(env("SYNC_LEASE_SECONDS") or 60),
        "SYNC_POLL_SECONDS": float(env("SYNC_POLL_SECONDS") or 1),
        "SYNC_BACKOFF_BASE_SECONDS": float(env("SYNC_BACKOFF_BASE_SECONDS") or 0.5),
        "SYNC_BACKOFF_MAX_SECONDS": float(env("SYNC_BACKOFF_MAX_SECONDS") or 60),
        "SYNC_HTTP_RETRIES": int(env("SYNC_HTTP_RETRIES") or 4),
        "SHOPIFY_HTTP_TIMEOUT_SECONDS": float(env("SHOPIFY_HTTP_TIMEOUT_SECONDS") or 20),
        # Total time a web request may spend on Shopify (retries and waits included), well under
        # gunicorn's timeout; past it the request answers 503 with Retry-After.
        "SHOPIFY_REQUEST_DEADLINE_SECONDS": float(env("SHOPIFY_REQUEST_DEADLINE_SECONDS") or 8),
        # How long Shopify keeps an idempotency key (the "retention window" of
        # https://shopify.dev/docs/api/usage/implementing-idempotency, for mutations with
        # @idempotent): a batch first sent longer ago, outcome unknown, waits for the merchant.
        "SYNC_IDEMPOTENCY_WINDOW_SECONDS": float(env("SYNC_IDEMPOTENCY_WINDOW_SECONDS") or 24 * 3600),
        # Request bodies larger than this are refused before parsing (413).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # The largest BOM CSV file POST /api/boms/import reads, in bytes (413 beyond).
        "BOM_IMPORT_MAX_BYTES": int(env("BOM_IMPORT_MAX_BYTES") or 2 * 1024 * 1024),
    }
    config.update(overrides or {})
    _secrets(config, instance_path)
    return config
