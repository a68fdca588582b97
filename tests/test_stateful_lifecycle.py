"""Random sequences of API calls against a tiny reference model of SPEC §2/§3 (hypothesis stateful).

The model below is written from the SPEC alone; it does not import the app's lifecycle rules. Every
step sends one real HTTP request (signed session token, Flask test client, a freshly migrated SQLite
file per example), predicts its status code and effect, and afterwards every order the API knows is
compared with the model: status, version/ETag, editability, actions, sync flag, location, notes,
component quantities and the history.
"""

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import hypothesis
from flask_migrate import upgrade
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule,
)

from shopify_app import create_app
from shopify_app.extensions import db

from .builders import LOCATION, LOCATION_2, SHOP, VARIANT, VARIANT_2, auth_headers, installed_shop
from .conftest import base_config

MAX_ORDERS = 5
MISSING_ID = 987654  # never an order or component id in these small runs
API = "/api/production-orders"

# ---------------------------------------------------------------- the reference model (SPEC §2 table)

ACTIONS = {
    "draft": ["start", "cancel"], "in_progress": ["complete", "cancel"], "completed": [], "cancelled": [],
}
EDITABLE = {"draft", "in_progress"}
TRANSITIONS = {
    ("draft", "start"): "in_progress",
    ("draft", "cancel"): "cancelled",
    ("in_progress", "complete"): "completed",
    ("in_progress", "cancel"): "cancelled",
}
ERROR_CODES = {404: {"not_found"}, 412: {"version_mismatch"}, 409: {"invalid_transition", "read_only"},
               422: {"validation_failed"}}


@dataclass
class ModelOrder:
    status: str = "draft"
    version: int = 1
    components: dict = field(default_factory=dict)  # id -> [planned, produced] (Decimals)
    sync: bool | None = None
    location: str | None = None
    notes: str | None = None
    events: list = field(default_factory=lambda: ["created"])

    def changed(self, event_type: str) -> None:
        self.version += 1
        self.events.append(event_type)


@dataclass
class ModelSettings:
    sync_by_default: bool = False
    default_location: str | None = None
    sync_mode: str = "on_complete"


# ---------------------------------------------------------------- strategies

locations = st.sampled_from([None, LOCATION, LOCATION_2])
flags = st.sampled_from([None, True, False])
notes_values = st.sampled_from([None, "", "Rush job", "Use the blue wax"])
quantities = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False)
# Hypothesis favours the ends of a range, so odd cases sit in its middle to stay rare (~1 in 10).
rare = st.integers(0, 9).map(lambda n: n == 6)
# "none" sends no If-Match; "current" the right version; "stale"/"malformed" must give 412.
IF_MATCH_MODES = {1: "current", 2: "current", 4: "stale", 5: "current", 7: "malformed", 8: "current"}
if_matches = st.integers(0, 9).map(lambda n: IF_MATCH_MODES.get(n, "none"))
# Which component id a component call names: one of the order's rows, another order's row, or none.
component_picks = st.tuples(st.integers(0, 9).map(lambda n: {3: "other", 6: "missing"}.get(n, "own")),
                            st.integers(0, 5))
# Invalid quantities: too many places, negative, a number sent as a string. Each is the raw JSON text.
BAD_QUANTITIES = ["1.2345", "-1", '"5"']


class Raw(str):
    """JSON text to splice into a body verbatim (for invalid values json.dumps cannot express)."""


# Mostly a valid quantity, now and then one that must be refused with 422.
quantities_or_bad = st.tuples(quantities, rare, st.sampled_from(BAD_QUANTITIES)).map(
    lambda t: Raw(t[2]) if t[1] else t[0])


def as_json_number(value: Decimal):
    """A ≤3-place Decimal as a JSON number (int, or a float whose repr is the same decimal)."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    assert Decimal(repr(number)) == value  # round-trips: at most 9 significant digits here
    return number


def dumps(body: dict) -> str:
    """json.dumps, except Raw values are inserted as written."""
    placeholders = {}

    def encode(value):
        if isinstance(value, Raw):
            key = f"__raw_{len(placeholders)}__"
            placeholders[f'"{key}"'] = str(value)
            return key
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        return value

    text = json.dumps(encode(body))
    for key, raw in placeholders.items():
        text = text.replace(key, raw)
    return text


def dec(value) -> Decimal:
    return Decimal(str(value))


# ---------------------------------------------------------------- one migrated template per process


@lru_cache(maxsize=1)
def template_database() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="po-stateful-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "template.sqlite3"
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


# ---------------------------------------------------------------- the machine


class ProductionOrderLifecycle(RuleBasedStateMachine):
    orders = Bundle("orders")
    # Mostly a created order, now and then an id that does not exist.
    order_ids = st.tuples(orders, rare).map(lambda pair: MISSING_ID if pair[1] else pair[0])

    def __init__(self):
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="po-stateful-"))
        path = self.directory / "test.sqlite3"
        shutil.copy(template_database(), path)
        self.app = create_app(base_config(f"sqlite:///{path}"))
        self.ctx = self.app.app_context()
        self.ctx.push()
        installed_shop(SHOP)
        self.client = self.app.test_client()
        self.model: dict[int, ModelOrder] = {}
        self.settings = ModelSettings()
        self.references = 0
        self.seen_updated_at: dict[int, tuple[int, str]] = {}  # id -> (version, updatedAt) last observed

    def teardown(self):
        try:
            db.session.remove()
            db.engine.dispose()
        finally:
            self.ctx.pop()
            shutil.rmtree(self.directory, ignore_errors=True)

    # ------------------------------------------------------------ HTTP helpers

    def call(self, method, path, body=None, headers=None):
        all_headers = {**auth_headers(SHOP), **(headers or {})}
        kwargs = {}
        if body is not None:
            kwargs = {"data": dumps(body), "content_type": "application/json"}
        response = self.client.open(path, method=method, headers=all_headers, **kwargs)
        assert response.status_code < 500, (method, path, body, response.status_code,
                                            response.get_data(as_text=True))
        return response

    def if_match_header(self, order_id, mode) -> dict:
        order = self.model.get(order_id)
        version = order.version if order else 1
        if mode == "none":
            return {}
        if mode == "current":
            return {"If-Match": f'"{version}"'}
        if mode == "stale":
            return {"If-Match": f'"{version - 1 if version > 1 else version + 1}"'}
        return {"If-Match": f"v{version}"}  # malformed: not a quoted number

    def check_answer(self, response, expected_status, order_id=None, codes=None):
        """The status code is the predicted one; errors carry the right code; successes the whole order."""
        text = response.get_data(as_text=True)
        assert response.status_code == expected_status, (
            f"expected {expected_status}, got {response.status_code}: {text}")
        body = response.get_json()
        assert isinstance(body, dict), text
        if expected_status >= 400:
            assert body["error"]["code"] in (codes or ERROR_CODES[expected_status]), text
            assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        elif order_id is not None:
            self.check_order_json(order_id, body, response.headers.get("ETag"))
        return body

    def expect(self, response, expected_status, order_id=None, codes=None) -> None:
        """check_answer for rules, which must return None."""
        self.check_answer(response, expected_status, order_id, codes)

    def check_order_json(self, order_id, body, etag):
        order = self.model[order_id]
        assert body["id"] == order_id
        assert body["status"] == order.status, (body["status"], order)
        assert body["version"] == order.version, (body["version"], order)
        assert etag == f'"{order.version}"', (etag, order.version)
        assert body["editable"] is (order.status in EDITABLE)
        assert sorted(body["availableActions"]) == sorted(ACTIONS[order.status])
        assert len(body["availableActions"]) == len(set(body["availableActions"]))
        assert body["syncProductionOrderToShopify"] == order.sync, (body, order)
        assert body["locationId"] == order.location, (body["locationId"], order)
        assert body["notes"] == order.notes
        if order.sync is False:
            assert body["sync"]["state"] == "off"
        elif order.sync is True:
            assert body["sync"]["state"] != "off"
        actual = {c["id"]: [dec(c["quantityPlanned"]), dec(c["quantityProduced"])]
                  for c in body["components"]}
        assert len(actual) == len(body["components"])
        assert actual == order.components, (actual, order.components)
        # A refused request or a no-op leaves the row untouched: same version, same updatedAt.
        seen = self.seen_updated_at.get(order_id)
        if seen is not None and seen[0] == order.version:
            assert body["updatedAt"] == seen[1], (seen, body["updatedAt"])
        self.seen_updated_at[order_id] = (order.version, body["updatedAt"])

    def pick_component(self, order_id, pick):
        """('own', i) -> one of this order's rows; ('other', i) -> a row of another order; else missing."""
        kind, index = pick
        own = list(self.model[order_id].components) if order_id in self.model else []
        if kind == "own" and own:
            return own[index % len(own)]
        if kind == "other":
            others = [cid for oid, o in self.model.items() if oid != order_id for cid in o.components]
            if others:
                return others[index % len(others)]
        return MISSING_ID

    # ------------------------------------------------------------ rules

    # A handful of orders, so that each one lives through many steps.
    @precondition(lambda self: len(self.model) < MAX_ORDERS)
    @rule(target=orders,
          rows=st.integers(0, 3).flatmap(lambda n: st.lists(
              st.tuples(st.sampled_from([VARIANT, VARIANT_2]), quantities), min_size=n, max_size=n)),
          produced_in_draft=rare, sync=flags, location=locations, notes=notes_values)
    def create(self, rows, produced_in_draft, sync, location, notes):
        self.references += 1
        body = {"reference": f"PO-{self.references}", "components": [
            # kg: a measured unit, so any 3-place quantity is valid (pieces refuse fractions)
            {"variantId": variant, "quantityPlanned": as_json_number(planned), "title": "Candle", "unit": "kg"}
            for variant, planned in rows
        ]}
        if produced_in_draft and rows:
            body["components"][-1]["quantityProduced"] = 1  # a draft records nothing produced -> 422
        optional = {"syncProductionOrderToShopify": sync, "locationId": location, "notes": notes}
        body.update({key: value for key, value in optional.items() if value is not None})
        response = self.call("POST", API, body)
        if produced_in_draft and rows:
            self.check_answer(response, 422)
            return multiple()
        created = self.check_answer(response, 201)
        order_id = created["id"]
        assert order_id not in self.model
        ids = [c["id"] for c in created["components"]]
        assert ids == sorted(ids) and len(ids) == len(rows)
        self.model[order_id] = ModelOrder(
            components={cid: [planned, Decimal(0)] for cid, (_, planned) in zip(ids, rows)},
            sync=sync, location=location, notes=notes,
        )
        self.check_order_json(order_id, created, response.headers.get("ETag"))
        return order_id

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids,
          fields=st.fixed_dictionaries({}, optional={
              "notes": notes_values, "locationId": locations, "syncProductionOrderToShopify": flags}),
          if_match=if_matches)
    def patch_order(self, order_id, fields, if_match):
        response = self.call("PATCH", f"{API}/{order_id}", fields, self.if_match_header(order_id, if_match))
        order = self.model.get(order_id)
        if order is None:
            return self.expect(response, 404)
        if if_match in ("stale", "malformed"):
            return self.expect(response, 412)
        if order.status not in EDITABLE:
            return self.expect(response, 409, codes={"read_only"})
        sync = fields.get("syncProductionOrderToShopify", order.sync)
        location = fields.get("locationId", order.location)
        if order.status == "in_progress" and (sync is None or (sync and location is None)):
            return self.expect(response, 422)
        new = {"sync": sync, "location": location, "notes": fields.get("notes", order.notes)}
        if any(getattr(order, name) != value for name, value in new.items()):
            for name, value in new.items():
                setattr(order, name, value)
            order.changed("updated")
        self.check_answer(response, 200, order_id)

    def transition(self, order_id, action, if_match):
        response = self.call("POST", f"{API}/{order_id}/{action}", None,
                             self.if_match_header(order_id, if_match))
        order = self.model.get(order_id)
        if order is None:
            return self.expect(response, 404)
        if if_match in ("stale", "malformed"):
            return self.expect(response, 412)
        new_status = TRANSITIONS.get((order.status, action))
        if new_status is None:
            return self.expect(response, 409, codes={"invalid_transition"})
        if action == "start":
            sync = self.settings.sync_by_default if order.sync is None else order.sync
            location = order.location if order.location is not None else self.settings.default_location
            if sync and location is None:
                return self.expect(response, 422)
            order.sync, order.location = sync, location
        elif action == "complete":
            for row in order.components.values():
                row[0] = row[1]
        elif order.status == "draft":  # cancel from draft deletes every row
            order.components.clear()
        order.status = new_status
        order.changed({"start": "started", "complete": "completed", "cancel": "cancelled"}[action])
        self.check_answer(response, 200, order_id)

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids, if_match=if_matches)
    def start(self, order_id, if_match):
        self.transition(order_id, "start", if_match)

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids, if_match=if_matches)
    def complete(self, order_id, if_match):
        self.transition(order_id, "complete", if_match)

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids, if_match=if_matches)
    def cancel(self, order_id, if_match):
        self.transition(order_id, "cancel", if_match)

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids,
          planned=quantities_or_bad, produced=st.one_of(st.none(), quantities), if_match=if_matches)
    def add_component(self, order_id, planned, produced, if_match):
        body = {"variantId": VARIANT_2, "title": "Soap", "sku": "S-1", "unit": "kg",
                "quantityPlanned": planned if isinstance(planned, Raw) else as_json_number(planned)}
        if produced is not None:
            body["quantityProduced"] = as_json_number(produced)
        response = self.call("POST", f"{API}/{order_id}/components", body,
                             self.if_match_header(order_id, if_match))
        order = self.model.get(order_id)
        if order is None:
            return self.expect(response, 404)
        if if_match in ("stale", "malformed"):
            return self.expect(response, 412)
        if order.status not in EDITABLE:
            return self.expect(response, 409, codes={"read_only"})
        if isinstance(planned, Raw) or (produced is not None and order.status != "in_progress"):
            return self.expect(response, 422)
        answer = response.get_json() or {}
        new_ids = [c["id"] for c in answer.get("components", []) if c["id"] not in order.components]
        assert len(new_ids) == 1, answer
        order.components[new_ids[0]] = [planned, produced if produced is not None else Decimal(0)]
        order.changed("component_added")
        self.check_answer(response, 201, order_id)

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids,
          pick=component_picks,
          fields=st.fixed_dictionaries({}, optional={
              "quantityPlanned": quantities_or_bad, "quantityProduced": quantities_or_bad,
          }),
          reuse_current=rare, if_match=if_matches)
    def patch_component(self, order_id, pick, fields, reuse_current, if_match):
        component_id = self.pick_component(order_id, pick)
        order = self.model.get(order_id)
        if reuse_current and order is not None and component_id in order.components:
            # Send the values the row already has: a no-op (when otherwise allowed).
            planned, produced = order.components[component_id]
            fields = {"quantityPlanned": planned}
            if order.status == "in_progress":
                fields["quantityProduced"] = produced
        body = {k: v if isinstance(v, Raw) else as_json_number(v) for k, v in fields.items()}
        response = self.call("PATCH", f"{API}/{order_id}/components/{component_id}", body,
                             self.if_match_header(order_id, if_match))
        if order is None or component_id not in order.components:
            return self.expect(response, 404)
        if if_match in ("stale", "malformed"):
            return self.expect(response, 412)
        if order.status not in EDITABLE:
            return self.expect(response, 409, codes={"read_only"})
        if any(isinstance(v, Raw) for v in fields.values()) or (
                "quantityProduced" in fields and order.status != "in_progress"):
            return self.expect(response, 422)
        row = order.components[component_id]
        new = [fields.get("quantityPlanned", row[0]), fields.get("quantityProduced", row[1])]
        if new != row:
            order.components[component_id] = new
            order.changed("component_updated")
        self.check_answer(response, 200, order_id)

    @precondition(lambda self: self.model)
    @rule(order_id=order_ids,
          pick=component_picks,
          if_match=if_matches)
    def delete_component(self, order_id, pick, if_match):
        component_id = self.pick_component(order_id, pick)
        response = self.call("DELETE", f"{API}/{order_id}/components/{component_id}", None,
                             self.if_match_header(order_id, if_match))
        order = self.model.get(order_id)
        if order is None or component_id not in order.components:
            return self.expect(response, 404)
        if if_match in ("stale", "malformed"):
            return self.expect(response, 412)
        if order.status not in EDITABLE:
            return self.expect(response, 409, codes={"read_only"})
        del order.components[component_id]
        order.changed("component_removed")
        self.check_answer(response, 200, order_id)

    # Every example starts from random shop settings, and they change again later now and then.
    @initialize(sync_by_default=st.booleans(), default_location=locations,
                sync_mode=st.sampled_from(["on_complete", "live"]))
    def initial_settings(self, sync_by_default, default_location, sync_mode):
        self.put_settings(sync_by_default, default_location, sync_mode)

    @rule(sync_by_default=st.booleans(), default_location=locations,
          sync_mode=st.sampled_from(["on_complete", "live"]))
    def put_settings(self, sync_by_default, default_location, sync_mode):
        body = {"syncProductionOrdersToShopifyByDefault": sync_by_default,
                "defaultLocationId": default_location, "syncMode": sync_mode}
        response = self.call("PUT", "/api/settings", body)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json() == {**body, "costUpdate": "off", "shortagePolicy": "warn", "plannedOutputAsIncoming": False}  # optional, left out: kept
        # Settings are read at start only; no order changes (no version, no event) because of them.
        self.settings = ModelSettings(sync_by_default, default_location, sync_mode)

    # ------------------------------------------------------------ invariants

    @invariant()
    def api_agrees_with_the_model(self):
        for order_id, order in self.model.items():
            response = self.call("GET", f"{API}/{order_id}")
            self.check_answer(response, 200, order_id)
            events = self.call("GET", f"{API}/{order_id}/events")
            assert events.status_code == 200
            types = [e["type"] for e in events.get_json()["items"]]
            assert types == order.events, (types, order.events)
        listing = self.call("GET", f"{API}?perPage=250")
        assert listing.status_code == 200
        items = listing.get_json()["items"]
        assert listing.get_json()["total"] == len(self.model)
        assert {i["id"]: (i["status"], i["version"]) for i in items} == {
            oid: (o.status, o.version) for oid, o in self.model.items()}
        self.check_answer(self.call("GET", f"{API}/{MISSING_ID}"), 404)


TestProductionOrderLifecycle = ProductionOrderLifecycle.TestCase
TestProductionOrderLifecycle.settings = hypothesis.settings(
    max_examples=40, stateful_step_count=30, deadline=None,
)
