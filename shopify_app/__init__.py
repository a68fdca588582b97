"""Production orders for Shopify: the application factory.

Importing the package does nothing; `create_app()` reads the configuration, binds the extensions
and registers one blueprint per surface.
"""

import os

from flask import Flask
from sqlalchemy import event

from .config import load_config
from .db_types import render_migration_type
from .extensions import db, migrate
from .header_limits import register_header_limits
from .logs import configure_logging, register_request_logging
from .numbers import IdConverter

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets the web server read while a sync worker writes; the busy timeout makes a writer
    # wait for another instead of failing; SQLite enforces foreign keys only when asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    options.setdefault("pool_pre_ping", True)  # drop connections the server closed (restarts)
    if uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = uri.replace("postgresql://", "postgresql+psycopg://", 1)
    if uri.startswith("postgresql"):
        # Fail fast instead of hanging when the server is unreachable or a query is stuck: the
        # request gets a 503 well before gunicorn's timeout kills the worker.
        options.setdefault("connect_args", {
            "connect_timeout": 5, "options": "-c statement_timeout=15000",
            "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
        })
    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"),
                     render_as_batch=True, compare_type=True, render_item=render_migration_type)


def create_app(config_overrides: dict | None = None) -> Flask:
    """Build the Flask app; `config_overrides` wins over the environment (tests use it)."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=os.path.join(PROJECT_ROOT, "templates"),
                static_folder=os.path.join(PROJECT_ROOT, "static"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config_overrides))
    app.json.sort_keys = False
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    register_header_limits(app)  # first: an oversized request is refused before anything reads it
    # Before any blueprint: routes name ids as <id:...> (ASCII digits, a range that can exist).
    app.url_map.converters["id"] = IdConverter
    register_request_logging(app)

    _init_database(app)

    from . import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from .api import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .error_handlers import register_error_handlers
    from .health import bp as health_bp
    from .pages.routes import bp as pages_bp
    from .webhooks.routes import bp as webhooks_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)
    register_error_handlers(app)

    if app.config.get("DEMO_MODE"):
        from .pages.demo import bp as demo_bp

        app.register_blueprint(demo_bp)

    from .cli import serve_command
    from .sync.worker import sync_worker_command

    app.cli.add_command(sync_worker_command)
    app.cli.add_command(serve_command)
    return app
