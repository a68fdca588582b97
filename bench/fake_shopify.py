"""The loopback fake Shopify as the benches use it: in a thread of the bench, behind FakeFront (which
records GraphQL requests and can play Shopify down or a lost answer), and, for in-process benches,
the saves' id check answered at the HTTP boundary."""

import contextlib
import io
import json
import re
import socket
import threading
import time
from dataclasses import dataclass

from project import SCHEMA
from tests.builders import API_KEY, API_SECRET


@dataclass
class GraphQLCall:
    at: float
    shop: str
    operation: str | None
    key: str | None
    status: int


class FakeFront:
    """WSGI middleware in front of the fake Shopify (installed at `fake.app.wsgi_app`).

    - records every GraphQL request (operation, idempotency key, HTTP status);
    - `outage = True`: answers every request, OAuth included, with HTTP 503 (Shopify down);
    - `refuse = True`: closes the connection of every request without an answer. FakeShopify.stop()
      closes the listening socket only, and a client's keep-alive connections would otherwise
      still be served: set this while the fake is stopped;
    - `hold_next_adjust()`: the next `AdjustInventory` is handled by the fake (applied, its
      idempotency record stored) and only then is its answer held back, until `release()`:
      for the worker the mutation is still in flight, for Shopify it is done.
    """

    def __init__(self, fake):
        self.inner = fake.app.wsgi_app
        fake.app.wsgi_app = self
        self.outage = False
        self.refuse = False
        self.calls: list[GraphQLCall] = []
        self.outage_answers = 0
        self._lock = threading.Lock()
        self._hold = 0
        self.held = threading.Event()
        self.held_info: dict = {}
        self._release = threading.Event()

    def hold_next_adjust(self) -> None:
        with self._lock:
            self._hold = 1
            self.held.clear()
            self._release.clear()
            self.held_info = {}

    def release(self) -> None:
        self._release.set()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        operation = key = None
        if path.endswith("/graphql.json"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            try:
                payload = json.loads(raw)
                operation = payload.get("operationName")
                key = (payload.get("variables") or {}).get("idempotencyKey")
            except (ValueError, AttributeError):
                pass
        shop = path.strip("/").split("/")[0]
        if self.refuse:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Connection", "close")])
            return [b""]
        if self.outage:
            with self._lock:
                self.outage_answers += 1
                if operation:
                    self.calls.append(GraphQLCall(time.monotonic(), shop, operation, key, 503))
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"errors":"Service Unavailable"}']
        hold = False
        if operation == "AdjustInventory":
            with self._lock:
                hold, self._hold = self._hold > 0, max(0, self._hold - 1)
        seen = {}

        def record_start(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            if not hold:
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
            return lambda data: None

        answer = self.inner(environ, record_start)
        body = b"".join(answer)
        if hasattr(answer, "close"):
            answer.close()
        status = int(seen.get("status", "0 x").split()[0])
        if operation:
            with self._lock:
                self.calls.append(GraphQLCall(time.monotonic(), shop, operation, key, status))
        if hold:
            self.held_info = {"client_port": int(environ.get("REMOTE_PORT") or 0), "key": key, "shop": shop,
                              "status": status}
            self.held.set()
            self._release.wait(120)
            start_response(seen["status"], seen["headers"])
        return [body]

    def snapshot(self) -> list[GraphQLCall]:
        with self._lock:
            return list(self.calls)


def start_fake(*, port: int = 0, bucket: float = 2000.0, rate: float = 1000.0, schema: bool = False):
    """The loopback fake Shopify in a thread of this process, with a FakeFront; (fake, front).
    A fixed `port` lets the bench stop the fake and start it again at the same address."""
    from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore

    config = FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, bucket_max=bucket, restore_rate=rate,
                               schema_path=str(SCHEMA) if schema and SCHEMA.exists() else None)
    fake = FakeShopify(config, FakeStore(), port=port)
    front = FakeFront(fake)
    return fake.start(), front


@contextlib.contextmanager
def shopify_knows_every_id():
    """In-process benches: the saves' id check (`CatalogueIds`) answered at the HTTP boundary, every
    id existing; any other request passes through untouched. Adds no SQL to what is measured.
    Yields a list that gets the number of ids of each call, in order."""
    import responses

    calls: list[int] = []

    def answer(request):
        ids = json.loads(request.body)["variables"]["ids"]
        calls.append(len(ids))
        nodes = [{"__typename": "ProductVariant", "id": gid, "displayName": "Product", "sku": ""}
                 if "/ProductVariant/" in gid else {"__typename": "Location", "id": gid, "name": "Location",
                                                    "isActive": True} for gid in ids]
        return 200, {}, json.dumps({"data": {"nodes": nodes}})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"^(?!.*/graphql\.json$)"))
        mock.add_callback(responses.POST, re.compile(r".*/graphql\.json$"), callback=answer)
        yield calls
