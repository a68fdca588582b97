"""The fake Shopify as a Flask app, and a runner serving it on loopback in a background thread."""

import threading
from dataclasses import dataclass

from flask import Flask, abort
from werkzeug.serving import WSGIRequestHandler, make_server

from .bucket import LeakyBuckets
from .config import FakeShopifyConfig
from .faults import FaultPlan
from .graphql_api import handle_graphql, json_response
from .oauth import handle_token
from .schema import load_schema
from .store import FakeStore


@dataclass
class FakeRuntime:
    """Everything one running fake shares across requests."""

    config: FakeShopifyConfig
    store: FakeStore
    buckets: LeakyBuckets
    faults: FaultPlan
    schema: object = None


def create_fake_app(config: FakeShopifyConfig | None = None, store: FakeStore | None = None) -> Flask:
    """A Flask app serving Shopify's token and Admin GraphQL endpoints for any shop in `store`.

    The runtime (store, buckets, fault plan, schema) is at `app.extensions["devshop"]`.
    """
    config = config or FakeShopifyConfig()
    store = store if store is not None else FakeStore()
    # Load the schema now so a bad path fails at start-up, not on the first request.
    schema = load_schema(str(config.schema_path)) if config.schema_path else None
    rt = FakeRuntime(config, store, LeakyBuckets(config.bucket_max, config.restore_rate),
                     FaultPlan(config.fault_rate, config.fault_seed, config.fault_kinds), schema)
    app = Flask(__name__)
    app.extensions["devshop"] = rt

    @app.post("/<shop>/admin/oauth/access_token")
    def access_token(shop):
        body, status = handle_token(rt, shop)
        return json_response(body, status)

    @app.post("/<shop>/admin/api/<version>/graphql.json")
    def graphql(shop, version):
        return handle_graphql(rt, shop)

    @app.get("/_fake/<shop>/ledger")
    def ledger(shop):
        _known(store, shop)
        return json_response({"items": store.ledger_rows(shop)})

    @app.get("/_fake/<shop>/adjustments")
    def adjustments(shop):
        _known(store, shop)
        return json_response({"items": store.adjustments(shop)})

    @app.get("/_fake/<shop>/stats")
    def stats(shop):
        _known(store, shop)
        return json_response({"calls": store.calls(shop), "applied": store.applied(shop),
                              "throttleStatus": rt.buckets.status(shop)})

    return app


def _known(store: FakeStore, shop: str) -> None:
    if shop not in store.shops:
        abort(404)


class _QuietHandler(WSGIRequestHandler):
    """Drops the per-request access log line (benchmarks send thousands); errors still print."""

    def log_request(self, *args, **kwargs):
        pass


class FakeShopify:
    """Serve the fake on 127.0.0.1 in a background thread; also a context manager.

    `origin_template` (`http://127.0.0.1:<port>/{shop}`) is what SHOPIFY_ADMIN_ORIGIN takes.
    """

    def __init__(self, config: FakeShopifyConfig | None = None, store: FakeStore | None = None, *,
                 host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
        self.config = config or FakeShopifyConfig()
        self.store = store if store is not None else FakeStore()
        self.app = create_fake_app(self.config, self.store)
        self.runtime: FakeRuntime = self.app.extensions["devshop"]
        self.host, self._port, self._quiet = host, port, quiet
        self._server = None
        self._thread = None

    def start(self) -> "FakeShopify":
        """Bind (port 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            return self
        handler = _QuietHandler if self._quiet else WSGIRequestHandler
        self._server = make_server(self.host, self._port, self.app, threaded=True, request_handler=handler)
        # A short poll interval: stop() waits for the loop to notice, and tests start and stop many fakes.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-shopify:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeShopify":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the requested one before start())."""
        return self._server.server_port if self._server is not None else self._port

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def origin_template(self) -> str:
        """`http://127.0.0.1:<port>/{shop}`: the app's SHOPIFY_ADMIN_ORIGIN setting."""
        return self.origin + "/{shop}"

    def token_url(self, shop: str) -> str:
        """The shop's OAuth token endpoint on this fake."""
        return f"{self.origin}/{shop}/admin/oauth/access_token"

    def graphql_url(self, shop: str, version: str = "2026-10") -> str:
        """The shop's Admin GraphQL endpoint on this fake."""
        return f"{self.origin}/{shop}/admin/api/{version}/graphql.json"
