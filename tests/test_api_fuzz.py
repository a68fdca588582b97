"""Fuzzing the API (issue #7): schemathesis drives every operation of /api/openapi.json.

Every operation gets the document's examples, schemathesis' coverage cases (boundaries, missing,
extra and wrong-typed fields, undeclared methods) and MAX_EXAMPLES generated requests, valid and
invalid, each with a session token minted just before it is sent. Every built-in check runs on
every response, among them: no 5xx, the status code is documented, the content type, headers and
body match the documented response, schema-valid input is accepted and invalid input refused.

Ids in paths are real about half of the time: the database is seeded with orders in every
status, with component rows, and BOMs, and restored to that seed before every request, so each
request is judged against the same data and any failure reproduces from the seed alone.

The seed and the generation are fixed (SEED, no example database): CI sends the same requests on
every run. To fuzz harder locally: FUZZ_MAX_EXAMPLES=500 FUZZ_SEED=$RANDOM pytest tests/test_api_fuzz.py
"""

import json
import os
import re
import shutil
import zlib

import pytest
import responses
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.generation.meta import TestPhase
from schemathesis.openapi.checks import RejectedPositiveData

from shopify_app import create_app
from shopify_app.extensions import db
from shopify_app.production.quantities import WHOLE_UNIT_MESSAGE
from shopify_app.production.shopify_ids import INACTIVE_LOCATION, NO_SUCH_LOCATION, NO_SUCH_VARIANT

from .builders import LOCATION, LOCATION_2, SHOP, auth_headers, component, session_token
from .conftest import base_config

ORDERS = "/api/production-orders"
WELL_FORMED_IF_MATCH = re.compile(r'^(?:W/)?"[0-9]{1,9}"$')  # what shopify_app/api/http.py reads
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 25))  # generated requests per operation
SEED = int(os.environ.get("FUZZ_SEED", 72026))

CONFIG = {
    "seed": SEED,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "mode": "all",  # schema-valid and schema-violating requests
        # Hypothesis' example database would replay earlier failures first: runs would differ.
        "database": "none",
    },
    # Every built-in check stays on (the default); one of them needs to know more about this API:
    "checks": {
        "negative_data_rejection": {
            # If-Match is evaluated before the body is read (RFC 9110 §13.2.2): an invalid body sent
            # with a stale If-Match gets 412, a refusal like the 4xx schemathesis expects.
            "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422",
                                  "428", "429", "5xx"],
        },
    },
}

# 422 refusals of schema-valid bodies that are not input errors: what the stored data allows at
# that moment (the order's status, its version, existing references and BOMs), or rules across
# fields a JSON Schema cannot state. Matched on the exact `details` text the API answers with.
STATE_OR_CROSS_FIELD_RULES = {
    # POST /api/boms, PATCH /api/boms/{id}: relations between fields of one body.
    "is the BOM's own output; a product cannot consume itself.",
    "repeats a material; list each variant once.",
    # The stored data: references are unique per shop, a BOM must exist and be active.
    "must be unique in this shop (ignoring case).",
    "does not exist in this shop.",
    "is inactive.",
    "too many component rows",
    # The order's status (a draft records nothing produced; the sync flag is fixed once started).
    "Start the order before recording what was produced.",
    "May be null only while the order is a draft.",
    "A location is required while syncProductionOrderToShopify is true.",
    "A location is required for an order that syncs to Shopify.",
    # A row's unit and its quantities: pieces are whole.
    WHOLE_UNIT_MESSAGE,
    # The whole-form save: its rows against the order's rows, and the order's status.
    "no such row on this order.", "names the same row twice.", "is required for a new row.",
    "can be recorded only once the order has started.",
    # What exists in the shop's Shopify.
    NO_SUCH_VARIANT, NO_SUCH_LOCATION, INACTIVE_LOCATION,
}
# The BOM import's body is a CSV file: its layout (a header, then lines of given columns and
# values) is not a JSON Schema's to state, so its 422s, keyed by line number, are content rules.
CSV_IMPORTS = {"/api/boms/import", "/api/boms/import/preview"}
# ...except where the status cannot vary: a new order is always a draft, so this is an input rule.
ALWAYS_DRAFT = {("POST", "/api/production-orders"): {"Start the order before recording what was produced."}}


# ------------------------------------------------------------------ seed data


def _call(client, method, path, json=None):
    response = client.open(path, method=method, json=json, headers=auth_headers(SHOP))
    assert response.status_code < 300, (method, path, response.status_code, response.get_json())
    return response.get_json()


def seed(client) -> dict:
    """Orders in every status, with component rows, and two BOMs: the ids path parameters use.

    Most orders end at version 3, the document's If-Match example, some do not: cases sending the
    example unchanged meet both a current and a stale version.
    """
    wax, wick = "gid://shopify/ProductVariant/2001", "gid://shopify/ProductVariant/2002"
    bom = _call(client, "POST", "/api/boms", {
        "name": "Beeswax candle", "outputVariantId": "gid://shopify/ProductVariant/1001",
        "outputTitle": "Beeswax candle", "outputSku": "CNDL-1",
        "lines": [{"variantId": wax, "title": "Wax", "quantityPerUnit": 0.25},
                  {"variantId": wick, "title": "Wick", "quantityPerUnit": 1}]})
    inactive_bom = _call(client, "POST", "/api/boms", {
        "name": "Old soap", "outputVariantId": "gid://shopify/ProductVariant/1002", "active": False,
        "lines": [{"variantId": wax, "quantityPerUnit": 0.5}]})
    _call(client, "PUT", "/api/settings", {
        "syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": LOCATION, "syncMode": "on_complete"})

    def order(reference, *, components=(), **fields):
        return _call(client, "POST", ORDERS, {"reference": reference, "components": list(components), **fields})

    def act(order_, action):
        _call(client, "POST", f"{ORDERS}/{order_['id']}/{action}")

    materials = [{"variantId": wax, "title": "Wax", "quantityPerUnit": 0.25}]
    draft = order("PO-DRAFT", components=[component(materials=materials), component(planned=2.5, unit="kg")],
                  locationId=LOCATION, plannedStartDate="2026-12-01")
    _call(client, "POST", f"{ORDERS}/{draft['id']}/components", {"bomId": bom["id"], "quantityPlanned": 4})
    _call(client, "PATCH", f"{ORDERS}/{draft['id']}", {"notes": "First batch"})
    empty_draft = order("PO-EMPTY", syncProductionOrderToShopify=True, locationId=LOCATION_2)
    running = order("PO-RUNNING", components=[component(planned=10)], syncProductionOrderToShopify=True,
                    locationId=LOCATION)
    act(running, "start")
    row = _call(client, "GET", f"{ORDERS}/{running['id']}")["components"][0]
    _call(client, "PATCH", f"{ORDERS}/{running['id']}/components/{row['id']}", {"quantityProduced": 3})
    done = order("PO-DONE", components=[component(planned=6)], syncProductionOrderToShopify=True,
                 locationId=LOCATION)
    act(done, "start")
    act(done, "complete")  # its push waits for the worker
    cancelled_draft = order("PO-CANCELLED", components=[component()])
    act(cancelled_draft, "cancel")
    stopped = order("PO-STOPPED", components=[component()], syncProductionOrderToShopify=False)
    act(stopped, "start")
    act(stopped, "cancel")

    orders = [_call(client, "GET", f"{ORDERS}/{o['id']}")
              for o in (draft, empty_draft, running, done, cancelled_draft, stopped)]
    assert [o["status"] for o in orders] == ["draft", "draft", "in_progress", "completed", "cancelled", "cancelled"]
    return {
        "order_id": [o["id"] for o in orders],
        "component": [(o["id"], c["id"]) for o in orders for c in o["components"]],
        "bom_id": [bom["id"], inactive_bom["id"]],
        "version": {o["id"]: o["version"] for o in orders},
    }


# ------------------------------------------------------------------ fixtures


LOCATIONS_ANSWER = {"data": {"locations": {
    "nodes": [{"id": LOCATION, "name": "Workshop", "isActive": True},
              {"id": LOCATION_2, "name": "Shop front", "isActive": True}],
    "pageInfo": {"hasNextPage": False, "endCursor": None}}}}


@pytest.fixture
def shopify_locations(app, shopify_catalogue):
    """GET /api/locations and the id checks of writes ask Shopify: answered here, never over the network."""
    url = f"https://{SHOP}/admin/api/{app.config['SHOPIFY_API_VERSION']}/graphql.json"

    def answer(request):
        if json.loads(request.body).get("operationName") == "CatalogueIds":
            return shopify_catalogue.answer(request)
        return 200, {}, json.dumps(LOCATIONS_ANSWER)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, url, callback=answer)
        yield


class Database:
    """The seeded SQLite file, restored before every fuzzed request."""

    def __init__(self, app, tmp_path):
        self.path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        self.snapshot = tmp_path / "seeded.sqlite3"

    def _close(self):
        # With every connection closed SQLite has checkpointed its WAL into the main file.
        db.session.remove()
        db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)

    def save(self):
        self._close()
        shutil.copy(self.path, self.snapshot)

    def restore(self):
        self._close()
        shutil.copy(self.snapshot, self.path)


# Filled by `seeded`, read while examples are drawn and sent.
REAL_IDS: dict = {}


@pytest.fixture
def seeded(app, shop, tmp_path, shopify_locations):
    REAL_IDS.update(seed(app.test_client()))
    database = Database(app, tmp_path)
    database.save()
    yield database
    REAL_IDS.clear()


# ------------------------------------------------------------------ the schema, as the app serves it


def _load_schema():
    # Serving the document needs neither a database nor a token: a throwaway app answers it at
    # import time. The requests go to each test's own app and seeded database (`app=` below).
    document_app = create_app(base_config("sqlite://"))
    return schemathesis.openapi.from_wsgi("/api/openapi.json", document_app,
                                          config=schemathesis.Config.from_dict(CONFIG))


schema = _load_schema()
_MINTED: set[str] = set()


def _fresh_bearer() -> str:
    token = session_token(SHOP)
    _MINTED.add(token)
    return f"Bearer {token}"


@schema.auth(refresh_interval=None)
class SessionToken:
    """A real App Bridge session token on every request (the document's only security scheme)."""

    def get(self, case, context):
        return _fresh_bearer()

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": data}


def _refresh_token(case):
    """Coverage cases are built at collection and tokens live 60 s: mint the one sent now.

    Only our tokens are replaced; a case sent without one, or with a made-up one, keeps it.
    """
    headers = case.headers or {}
    value = headers.get("Authorization")
    if isinstance(value, str) and value.removeprefix("Bearer ") in _MINTED:
        headers["Authorization"] = _fresh_bearer()


def _is_id(value) -> bool:
    # Coverage cases carry path values already written out ("0"); generated ones are ints.
    return (type(value) is int and value >= 0) or (isinstance(value, str) and value.isascii() and value.isdigit())


def _real_ids_for(path_parameters) -> list[dict]:
    """Existing ids that could replace these, or [] to keep them (an invalid id stays invalid)."""
    if not path_parameters or not all(_is_id(v) for v in path_parameters.values()):
        return []
    names = set(path_parameters)
    if names == {"order_id", "component_id"}:
        return [{"order_id": o, "component_id": c} for o, c in REAL_IDS.get("component", [])]
    if names == {"order_id"}:
        return [{"order_id": o} for o in REAL_IDS.get("order_id", [])]
    if names == {"bom_id"}:
        return [{"bom_id": b} for b in REAL_IDS.get("bom_id", [])]
    return []


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Generated requests name an existing order, component row or BOM about half of the time."""
    real = _real_ids_for(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(real)) if real else st.just(path_parameters)


def _aim_at_real_ids(case):
    """Examples and coverage cases (built without the hook above) probe bodies and headers: send
    them to an existing resource, and most of those carrying a well-formed If-Match with the
    order's current version, so they get past the version check to the body. The choices are a
    stable hash of the case: every run sends the same requests."""
    if case.meta is None or case.meta.phase.name == TestPhase.FUZZING:
        return
    real = _real_ids_for(case.path_parameters)
    if not real:
        return
    headers = case.headers or {}
    body = None if isinstance(case.body, NotSet) else case.body  # NotSet's repr is its address
    key = repr((body, case.query, sorted((k, v) for k, v in headers.items() if k != "Authorization")))
    choice = zlib.crc32(key.encode())
    case.path_parameters = target = dict(real[choice % len(real)])
    if_match = headers.get("If-Match")
    if "order_id" in target and isinstance(if_match, str) and WELL_FORMED_IF_MATCH.match(if_match) and choice % 3:
        headers["If-Match"] = f'"{REAL_IDS["version"][int(target["order_id"])]}"'


@schema.hook
def filter_failure(context, failure, case, response):
    """Keep every failure except a schema-valid body refused for a reason that is not the input."""
    if not isinstance(failure, RejectedPositiveData):
        return True
    try:
        details = response.json()["error"]["details"]
    except Exception:  # not our error shape: keep the failure
        return True
    if response.status_code == 412:
        # A well-formed If-Match naming another version: the order changed, the input is fine.
        # (A malformed If-Match answers without currentVersion and stays a failure.)
        return "currentVersion" not in details
    if (response.status_code == 422 and case.operation.path in CSV_IMPORTS and details
            and all(key.startswith("line ") for key in details)):
        return False
    if response.status_code == 422 and details and all(isinstance(v, str) for v in details.values()):
        messages = set(details.values())
        input_rules = ALWAYS_DRAFT.get((case.method.upper(), case.operation.path), set())
        return not (messages <= STATE_OR_CROSS_FIELD_RULES and not messages & input_rules)
    return True


@schema.parametrize()
# `app` and `seeded` are made once per operation; the database is restored before each example.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_matches_its_openapi_document(case, app, seeded):
    seeded.restore()
    _aim_at_real_ids(case)
    _refresh_token(case)
    case.call_and_validate(app=app)
