"""Client threads sending a weighted mix of list, detail, edit and transition requests with real
session tokens, every answer recorded with its time; and the per-operation table of what they saw."""

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

import requests

from http_drive import percentile_ms
from project import ORDERS
from shop_catalogue import LOCATION, MATERIALS, OUTPUTS
from tests.builders import session_token


@dataclass
class Sample:
    op: str
    start: float    # time.monotonic()
    end: float
    status: int     # 0: no HTTP answer (connection refused or reset, timeout)
    code: str | None = None  # error.code of a JSON error body, or the exception's class name
    json_error: bool = True  # False when a non-2xx answer was not the JSON error shape

    @property
    def seconds(self) -> float:
        return self.end - self.start


EXPECTED_STATUS = {"create": 201}
DEFAULT_WEIGHTS = {"list": 30, "detail": 40, "edit": 15, "transition": 15}


@dataclass
class OwnOrder:
    id: int
    version: int
    components: list[int]
    produced: bool = False


class Mix:
    """`clients` threads, each with its own requests.Session and session tokens, sending a weighted
    mix of list, detail, edit and transition requests to one shop until stopped.

    Reads go to `read_ids` (existing orders) and to the list's first `list_pages` pages, a third of
    them filtered by status. Writes go to orders each client created itself (create, start, record
    produced, complete; now and then a cancel), so clients never conflict with each other and any
    409/412/422 is unexpected. After a write that did not answer as expected the client no longer
    knows its order's state: it reads it again before touching it. Orders sync to Shopify
    (`syncProductionOrderToShopify: true`, one location), so completions queue pushes.
    """

    def __init__(self, base: str, domain: str, *, read_ids: list[int], clients: int, weights: dict | None = None,
                 list_pages: int = 20, seed: int = 1, timeout: float = 35.0, in_flight: int = 3):
        self.base, self.domain = base, domain
        self.read_ids = read_ids
        self.clients = clients
        self.weights = weights or DEFAULT_WEIGHTS
        self.list_pages = list_pages
        self.seed = seed
        self.timeout = timeout
        self.in_flight = in_flight
        self.samples: list[Sample] = []
        self.completed_ok: set[int] = set()  # orders whose /complete answered 200
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started_at = self.stopped_at = 0.0

    # --- running

    def start(self) -> "Mix":
        self._stop.clear()
        self.started_at = time.monotonic()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True, name=f"mix-{i}")
                         for i in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        self.stopped_at = time.monotonic()

    def run_for(self, seconds: float) -> float:
        self.start()
        self._stop.wait(seconds)
        self.stop()
        return self.stopped_at - self.started_at

    # --- one client

    def _client(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        state = {"draft": [], "in_progress": [], "unsure": [], "token": None, "token_at": 0.0}
        ops, weights = zip(*self.weights.items())
        with requests.Session() as session:
            while not self._stop.is_set():
                if state["unsure"]:
                    self._resync(session, state)
                    if self._stop.is_set():
                        break
                op = rng.choices(ops, weights)[0]
                getattr(self, f"_do_{op}")(session, state, rng, index)

    def _headers(self, state, extra=None) -> dict:
        now = time.monotonic()
        if state["token"] is None or now - state["token_at"] > 30:  # tokens live 60 s
            state["token"], state["token_at"] = session_token(self.domain), now
        return {"Authorization": f"Bearer {state['token']}", **(extra or {})}

    def _call(self, session, state, op: str, method: str, path: str, *, json_body=None, if_match=None):
        headers = self._headers(state, {"If-Match": f'"{if_match}"'} if if_match is not None else None)
        began = time.monotonic()
        body, code, json_error = None, None, True
        try:
            response = session.request(method, self.base + path, json=json_body, headers=headers,
                                       timeout=self.timeout)
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = None
            if status >= 300:
                error = body.get("error") if isinstance(body, dict) else None
                json_error = isinstance(error, dict) and isinstance(error.get("code"), str)
                code = error.get("code") if json_error else None
        except requests.RequestException as exc:
            status, code = 0, type(exc).__name__
        sample = Sample(op, began, time.monotonic(), status, code, json_error)
        with self._lock:
            self.samples.append(sample)
        ok = status == EXPECTED_STATUS.get(op, 200)
        return ok, body

    def _own(self, body) -> OwnOrder:
        return OwnOrder(body["id"], body["version"], [c["id"] for c in body.get("components", [])],
                        any(Decimal(str(c["quantityProduced"])) > 0 for c in body.get("components", [])))

    def _resync(self, session, state) -> None:
        order_id = state["unsure"].pop(0)
        ok, body = self._call(session, state, "detail", "GET", f"{ORDERS}/{order_id}")
        if not ok:
            state["unsure"].append(order_id)
            self._stop.wait(0.2)  # the server is not answering: do not spin
            return
        if body["status"] in ("draft", "in_progress"):
            state[body["status"]].append(self._own(body))
        if body["status"] == "completed":
            with self._lock:
                self.completed_ok.add(order_id)

    def _do_list(self, session, state, rng, index) -> None:
        query = f"?page={rng.randint(1, self.list_pages)}&perPage=50"
        if rng.random() < 1 / 3:
            query += "&status=" + rng.choice(("draft", "in_progress", "completed", "cancelled"))
        self._call(session, state, "list", "GET", ORDERS + query)

    def _do_detail(self, session, state, rng, index) -> None:
        own = state["draft"] + state["in_progress"]
        if own and rng.random() < 0.2:
            order_id = rng.choice(own).id
        else:
            order_id = rng.choice(self.read_ids)
        self._call(session, state, "detail", "GET", f"{ORDERS}/{order_id}")

    def _do_create(self, session, state, rng, index) -> None:
        components = []
        for output in rng.sample(OUTPUTS, rng.randint(1, 2)):
            materials = [{"variantId": m, "title": "Material", "quantityPerUnit": rng.randint(1, 3)}
                         for m in rng.sample(MATERIALS, rng.randint(0, 2))]
            components.append({"variantId": output, "title": "Product", "sku": "SKU", "quantityPlanned": 10,
                               "materials": materials})
        body = {"reference": f"MIX-{index}-{uuid.uuid4().hex[:12]}", "type": "assembly", "locationId": LOCATION,
                "syncProductionOrderToShopify": True, "components": components}
        ok, answer = self._call(session, state, "create", "POST", ORDERS, json_body=body)
        if ok:
            state["draft"].append(self._own(answer))

    def _write(self, session, state, op, order: OwnOrder, method, path, json_body=None):
        """A write to one of the client's orders; on anything unexpected the order is re-read later."""
        ok, body = self._call(session, state, op, method, path, json_body=json_body, if_match=order.version)
        if not ok:
            state["unsure"].append(order.id)
            return None
        return body

    def _do_edit(self, session, state, rng, index) -> None:
        if state["in_progress"]:
            order = state["in_progress"].pop(rng.randrange(len(state["in_progress"])))
            component = rng.choice(order.components)
            body = self._write(session, state, "edit", order, "PATCH", f"{ORDERS}/{order.id}/components/{component}",
                               {"quantityProduced": rng.randint(1, 20)})
        elif state["draft"]:
            order = state["draft"].pop(rng.randrange(len(state["draft"])))
            body = self._write(session, state, "edit", order, "PATCH", f"{ORDERS}/{order.id}",
                               {"notes": f"edited {uuid.uuid4().hex[:8]}"})
        else:
            return self._do_create(session, state, rng, index)
        if body is not None:
            state[body["status"]].append(self._own(body))

    def _do_transition(self, session, state, rng, index) -> None:
        if len(state["draft"]) + len(state["in_progress"]) < self.in_flight:
            return self._do_create(session, state, rng, index)
        ready = [o for o in state["in_progress"] if o.produced]
        if ready and (not state["draft"] or rng.random() < 0.6):
            order = ready[rng.randrange(len(ready))]
            state["in_progress"].remove(order)
            op = "cancel" if rng.random() < 0.1 else "complete"
            body = self._write(session, state, op, order, "POST", f"{ORDERS}/{order.id}/{op}")
            if body is not None and op == "complete":
                with self._lock:
                    self.completed_ok.add(order.id)
        elif state["draft"]:
            order = state["draft"].pop(rng.randrange(len(state["draft"])))
            op = "cancel" if rng.random() < 0.05 else "start"
            body = self._write(session, state, op, order, "POST", f"{ORDERS}/{order.id}/{op}")
            if body is not None and op == "start":
                state["in_progress"].append(self._own(body))
        else:  # only orders in progress with nothing produced yet: record something
            return self._do_edit(session, state, rng, index)

    # --- results

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)


def is_ok(sample: Sample) -> bool:
    return sample.status == EXPECTED_STATUS.get(sample.op, 200)


def op_table(samples: list[Sample], seconds: float) -> list[list]:
    """Rows per operation and a total: requests, req/s, p50/p95/p99 of answered requests, errors."""
    rows = []
    order = ["list", "detail", "edit", "create", "start", "complete", "cancel"]
    by_op = defaultdict(list)
    for sample in samples:
        by_op[sample.op].append(sample)
    for op in sorted(by_op, key=lambda o: order.index(o) if o in order else len(order)):
        rows.append(_op_row(op, by_op[op], seconds))
    rows.append(_op_row("all", samples, seconds))
    return rows


def _op_row(name: str, samples: list[Sample], seconds: float) -> list:
    answered = [s.seconds for s in samples if s.status]
    errors = sum(not is_ok(s) for s in samples)
    return [name, len(samples), f"{len(samples) / seconds:.1f}" if seconds else "-",
            f"{percentile_ms(answered, 50):.1f}", f"{percentile_ms(answered, 95):.1f}",
            f"{percentile_ms(answered, 99):.1f}", errors]


def error_summary(samples: list[Sample]) -> Counter:
    """(op, status, code) of every request that did not answer as expected."""
    return Counter((s.op, s.status, s.code) for s in samples if not is_ok(s))
