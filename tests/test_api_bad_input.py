"""Bad input gets SPEC §3's error answer, in SPEC §3's order, and changes nothing.

Every case runs on SQLite and on PostgreSQL: only PostgreSQL enforces integer ranges, string
lengths and "no NUL in text", so a case that is harmless on SQLite can be a 500 in production.
After each refused request the test compares every row of every table — both shops' orders
with their components, versions and histories, the shops and their settings — with a dump taken
just before it.
"""

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from shopify_app.extensions import db

from .builders import LOCATION, OTHER_SHOP, VARIANT, VARIANT_2, component, installed_shop
from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .conftest import AuthedClient

ORDERS = "/api/production-orders"
SETTINGS = "/api/settings"
ONE_MIB = 1024 * 1024


# ------------------------------------------------------------------ fixtures: both databases


@pytest.fixture
def world(api, client):
    """One order in every status for SHOP, and an order of another installed shop."""
    installed_shop(OTHER_SHOP)
    other = AuthedClient(client, OTHER_SHOP)
    draft = create(api, "PO-1", components=[component(), component(VARIANT_2, planned=4.5, unit="kg")])
    in_progress = act(api, create(api, "PO-2", locationId=LOCATION, syncProductionOrderToShopify=False,
                                  components=[component()]), "start")
    completed = act(api, act(api, create(api, "PO-3", locationId=LOCATION, syncProductionOrderToShopify=False,
                                         components=[component()]), "start"), "complete")
    cancelled = act(api, create(api, "PO-4", components=[component()]), "cancel")
    foreign = create(other, "PO-9", components=[component()])
    return SimpleNamespace(api=api, other=other, draft=draft, in_progress=in_progress, completed=completed,
                           cancelled=cancelled, foreign=foreign)


# ------------------------------------------------------------------ helpers


def create(client, reference, **fields):
    response = client.post(ORDERS, json={"reference": reference, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, order, action):
    response = client.post(f"{ORDERS}/{order['id']}/{action}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def send(client, method, url, body=None, headers=None):
    """`body` as a dict/list goes out as JSON; bytes or str go out verbatim as application/json."""
    if body is None:
        return client._call(method, url, headers=headers)
    if isinstance(body, (bytes, str)):
        return client._call(method, url, headers=headers, data=body, content_type="application/json")
    return client._call(method, url, headers=headers, json=body)


def snapshot(world) -> dict:
    """Every row of every table, both shops included: what a refused request must leave alone."""
    db.session.expire_all()
    dump = {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}
    db.session.rollback()  # end the read transaction; nothing is pending
    assert dump["production_orders"] and dump["order_events"], "the world fixture made no rows"
    return dump


def assert_error(response, status: int, code: str) -> dict:
    """SPEC §3's error shape, with no trace of the server's internals."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    assert "Traceback" not in text and 'File "' not in text
    assert response.is_json, response.content_type
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def refused_and_nothing_changed(world, method, url, body, status, code, headers=None) -> dict:
    before = snapshot(world)
    error = assert_error(send(world.api, method, url, body, headers), status, code)
    assert snapshot(world) == before
    return error


# Where a body is sent: (method, URL) built from the world.
def order_url(order):
    return f"{ORDERS}/{order['id']}"


def component_url(order, index=0):
    return f"{ORDERS}/{order['id']}/components/{order['components'][index]['id']}"


WRITE_TARGETS = {
    "creating an order": lambda w: ("POST", ORDERS),
    "editing a draft": lambda w: ("PATCH", order_url(w.draft)),
    "editing an order in progress": lambda w: ("PATCH", order_url(w.in_progress)),
    "adding a component to a draft": lambda w: ("POST", order_url(w.draft) + "/components"),
    "adding a component in progress": lambda w: ("POST", order_url(w.in_progress) + "/components"),
    "editing a component of a draft": lambda w: ("PATCH", component_url(w.draft)),
    "editing a component in progress": lambda w: ("PATCH", component_url(w.in_progress)),
    "replacing the settings": lambda w: ("PUT", SETTINGS),
}


# ------------------------------------------------------------------ 400 malformed_json

MALFORMED_BODIES = {
    "text that is not JSON": b"reference=PO-10&type=assembly",
    "a JSON array": b'[{"reference": "PO-10"}]',
    "a JSON string": b'"PO-10"',
    "a JSON number": b"42",
    "JSON null": b"null",
    "JSON true": b"true",
    "an empty body": b"",
    "only whitespace": b"   \n",
    "truncated JSON": b'{"reference": "PO-10"',
    "JSON with trailing garbage": b'{"reference": "PO-10"} trailing',
    "single-quoted pseudo JSON": b"{'reference': 'PO-10'}",
    "a NaN literal": b'{"reference": "PO-10", "notes": NaN}',
    "an Infinity literal": b'{"components": [{"variantId": "gid://shopify/ProductVariant/1", "quantityPlanned": Infinity}]}',
    "a minus Infinity literal": b'{"quantityPlanned": -Infinity}',
    "bytes that are not UTF-8": b'{"reference": "PO-\xff\xfe"}',
    "arrays nested a hundred thousand deep": b'{"notes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "objects nested a hundred thousand deep": b'{"notes": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}",
}


@pytest.mark.parametrize("target", WRITE_TARGETS)
@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_a_body_that_is_not_a_json_object_is_refused_as_malformed_json(world, target, body):
    method, url = WRITE_TARGETS[target](world)
    refused_and_nothing_changed(world, method, url, body, 400, "malformed_json")


# ------------------------------------------------------------------ 422 validation_failed: creating

BAD_VARIANTS = {
    "a Product GID as variantId": "gid://shopify/Product/1",
    "a Location GID as variantId": "gid://shopify/Location/1",
    "a variantId with non-digits": "gid://shopify/ProductVariant/abc",
    "a variantId with trailing junk": "gid://shopify/ProductVariant/1001x",
    "a variantId with a trailing slash": "gid://shopify/ProductVariant/1001/",
    "a variantId with a trailing newline": "gid://shopify/ProductVariant/1001\n",
    "a variantId with a query string": "gid://shopify/ProductVariant/1001?x=1",
    "a variantId of another app's namespace": "gid://other/ProductVariant/1001",
    "a variantId in lower case": "gid://shopify/productvariant/1001",
    "a bare numeric variantId": "1001",
    "a variantId with no number": "gid://shopify/ProductVariant/",
    "a variantId with fullwidth digits": "gid://shopify/ProductVariant/\uff11\uff10\uff10\uff11",
    "a variantId with Arabic-Indic digits": "gid://shopify/ProductVariant/\u0661\u0660\u0660\u0661",
    "a variantId that is a number": 1001,
    "a null variantId": None,
}

BAD_LOCATIONS = {
    "a ProductVariant GID as locationId": "gid://shopify/ProductVariant/501",
    "a locationId with non-digits": "gid://shopify/Location/main",
    "a locationId with trailing junk": "gid://shopify/Location/501 ",
    "a locationId with a leading space": " gid://shopify/Location/501",
    "a locationId with fullwidth digits": "gid://shopify/Location/\uff15\uff10\uff11",
    "a locationId that is a number": 501,
    "a locationId that is an object": {"id": LOCATION},
}

# A number JSON can say but Python's float cannot: sent as raw text.
def raw_component_quantity(text: str) -> str:
    return ('{"reference": "PO-10", "components": [{"variantId": "%s", "quantityPlanned": %s}]}'
            % (VARIANT, text))


CREATE_CASES = {
    # reference
    "the reference is missing": ({}, "reference"),
    "the reference is a number": ({"reference": 5}, "reference"),
    "the reference is null": ({"reference": None}, "reference"),
    "the reference is empty": ({"reference": ""}, "reference"),
    "the reference is only whitespace": ({"reference": " \t "}, "reference"),
    "the reference is 65 characters": ({"reference": "R" * 65}, "reference"),
    "the reference is a list": ({"reference": ["PO-10"]}, "reference"),
    "the reference is taken in another case": ({"reference": "po-1"}, "reference"),
    "the reference is taken with surrounding spaces": ({"reference": "  PO-1  "}, "reference"),
    # type
    "the type is not in the enum": ({"reference": "PO-10", "type": "kit"}, "type"),
    "the type is in the wrong case": ({"reference": "PO-10", "type": "Assembly"}, "type"),
    "the type is a number": ({"reference": "PO-10", "type": 1}, "type"),
    "the type is null": ({"reference": "PO-10", "type": None}, "type"),
    # booleans
    "the sync flag is 1": ({"reference": "PO-10", "syncProductionOrderToShopify": 1}, "syncProductionOrderToShopify"),
    "the sync flag is 0": ({"reference": "PO-10", "syncProductionOrderToShopify": 0}, "syncProductionOrderToShopify"),
    "the sync flag is the string true": ({"reference": "PO-10", "syncProductionOrderToShopify": "true"},
                                         "syncProductionOrderToShopify"),
    "the sync flag is the string false": ({"reference": "PO-10", "syncProductionOrderToShopify": "false"},
                                          "syncProductionOrderToShopify"),
    # dates
    "the planned start date is February 30th": ({"reference": "PO-10", "plannedStartDate": "2026-02-30"},
                                                "plannedStartDate"),
    "the planned start date is the word tomorrow": ({"reference": "PO-10", "plannedStartDate": "tomorrow"},
                                                    "plannedStartDate"),
    "the planned start date is a number": ({"reference": "PO-10", "plannedStartDate": 20260101}, "plannedStartDate"),
    "the planned start date has no leading zeros": ({"reference": "PO-10", "plannedStartDate": "2026-1-1"},
                                                    "plannedStartDate"),
    "the planned start date is a timestamp": ({"reference": "PO-10", "plannedStartDate": "2026-01-01T00:00:00Z"},
                                              "plannedStartDate"),
    "the planned start date is month 13": ({"reference": "PO-10", "plannedStartDate": "2026-13-01"},
                                           "plannedStartDate"),
    # notes
    "the notes are 5001 characters": ({"reference": "PO-10", "notes": "n" * 5001}, "notes"),
    "the notes are a number": ({"reference": "PO-10", "notes": 5}, "notes"),
    # unknown and server-controlled fields
    "an unknown field is sent": ({"reference": "PO-10", "colour": "red"}, "colour"),
    "the shop is sent in the body": ({"reference": "PO-10", "shop": OTHER_SHOP}, "shop"),
    "a snake_case field is sent": ({"reference": "PO-10", "location_id": LOCATION}, "location_id"),
    **{f"the server-controlled {name} is sent": ({"reference": "PO-10", name: value}, name)
       for name, value in [("id", 77), ("status", "completed"), ("version", 9), ("createdAt", "2026-01-01T00:00:00Z"),
                           ("updatedAt", "2026-01-01T00:00:00Z"), ("startedAt", "2026-01-01T00:00:00Z"),
                           ("completedAt", "2026-01-01T00:00:00Z"), ("cancelledAt", "2026-01-01T00:00:00Z"),
                           ("editable", False), ("availableActions", []), ("sync", {"state": "synced"})]},
    # components
    "components is an object": ({"reference": "PO-10", "components": {}}, "components"),
    "a component is a string": ({"reference": "PO-10", "components": ["row"]}, "components[0]"),
    "a component has no variantId": ({"reference": "PO-10", "components": [{"quantityPlanned": 1}]},
                                     "components[0].variantId"),
    "a component has no planned quantity": ({"reference": "PO-10", "components": [{"variantId": VARIANT}]},
                                            "components[0].quantityPlanned"),
    "the second component's quantity is a string": (
        {"reference": "PO-10", "components": [component(), component(planned="5")]}, "components[1].quantityPlanned"),
    "a planned quantity is negative": ({"reference": "PO-10", "components": [component(planned=-1)]},
                                       "components[0].quantityPlanned"),
    "a planned quantity has four decimals": ({"reference": "PO-10", "components": [component(planned=1.0001)]},
                                             "components[0].quantityPlanned"),
    "a planned quantity is true": ({"reference": "PO-10", "components": [component(planned=True)]},
                                   "components[0].quantityPlanned"),
    "a planned quantity is null": ({"reference": "PO-10", "components": [component(planned=None)]},
                                   "components[0].quantityPlanned"),
    "a planned quantity is 1e12": ({"reference": "PO-10", "components": [component(planned=1e12)]},
                                   "components[0].quantityPlanned"),
    "a planned quantity is 1e400": (raw_component_quantity("1e400"), "components[0].quantityPlanned"),
    "a planned quantity is 1e-400": (raw_component_quantity("1e-400"), "components[0].quantityPlanned"),
    "a planned quantity is a 5000 digit integer": (raw_component_quantity("1" + "0" * 5000),
                                                   "components[0].quantityPlanned"),
    "a quantity produced is sent in a draft": ({"reference": "PO-10", "components": [component(quantityProduced=1)]},
                                               "components[0].quantityProduced"),
    "the unit is not in the enum": ({"reference": "PO-10", "components": [component(unit="dozen")]},
                                    "components[0].unit"),
    "the unit is in the wrong case": ({"reference": "PO-10", "components": [component(unit="PCS")]},
                                      "components[0].unit"),
    "a component title is 256 characters": ({"reference": "PO-10", "components": [component(title="t" * 256)]},
                                            "components[0].title"),
    "a component sku is a number": ({"reference": "PO-10", "components": [component(sku=123)]}, "components[0].sku"),
    "a component sends its own id": ({"reference": "PO-10", "components": [component(id=1)]}, "components[0].id"),
    "a component has an unknown field": ({"reference": "PO-10", "components": [component(colour="red")]},
                                         "components[0].colour"),
    "materials is not a list": ({"reference": "PO-10", "components": [component(materials="wax")]},
                                "components[0].materials"),
    "a material quantity per unit is zero": (
        {"reference": "PO-10", "components": [component(materials=[{"variantId": VARIANT_2, "quantityPerUnit": 0}])]},
        "components[0].materials[0].quantityPerUnit"),
    "a material quantity per unit is negative": (
        {"reference": "PO-10", "components": [component(materials=[{"variantId": VARIANT_2, "quantityPerUnit": -2}])]},
        "components[0].materials[0].quantityPerUnit"),
    "a material quantity per unit is a string": (
        {"reference": "PO-10", "components": [component(materials=[{"variantId": VARIANT_2, "quantityPerUnit": "2"}])]},
        "components[0].materials[0].quantityPerUnit"),
    "a material quantity per unit has four decimals": (
        {"reference": "PO-10",
         "components": [component(materials=[{"variantId": VARIANT_2, "quantityPerUnit": 0.0001}])]},
        "components[0].materials[0].quantityPerUnit"),
    **{f"{name} as a material": (
        {"reference": "PO-10", "components": [component(materials=[{"variantId": gid, "quantityPerUnit": 1}])]},
        "components[0].materials[0].variantId")
       for name, gid in BAD_VARIANTS.items()},
    **{f"{name} on a component": ({"reference": "PO-10", "components": [component(variant=gid)]},
                                  "components[0].variantId")
       for name, gid in BAD_VARIANTS.items()},
    **{name: ({"reference": "PO-10", "locationId": gid}, "locationId") for name, gid in BAD_LOCATIONS.items()},
}


@pytest.mark.parametrize(("body", "path"), CREATE_CASES.values(), ids=CREATE_CASES.keys())
def test_creating_an_order_with_invalid_fields_is_refused_with_details_keyed_by_json_path(world, body, path):
    error = refused_and_nothing_changed(world, "POST", ORDERS, body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


# ------------------------------------------------------------------ 422: editing an order

PATCH_DRAFT_CASES = {
    "the reference is a number": ({"reference": 5}, "reference"),
    "the reference is null": ({"reference": None}, "reference"),
    "the reference is emptied": ({"reference": ""}, "reference"),
    "the reference is only whitespace": ({"reference": "   "}, "reference"),
    "the reference is 65 characters": ({"reference": "R" * 65}, "reference"),
    "the reference of another order in another case": ({"reference": "po-2"}, "reference"),
    "the reference of a cancelled order": ({"reference": "PO-4"}, "reference"),
    "the type is not in the enum": ({"type": "repair"}, "type"),
    "the type is null": ({"type": None}, "type"),
    "the sync flag is 1": ({"syncProductionOrderToShopify": 1}, "syncProductionOrderToShopify"),
    "the sync flag is the string true": ({"syncProductionOrderToShopify": "true"}, "syncProductionOrderToShopify"),
    "the planned start date is February 30th": ({"plannedStartDate": "2026-02-30"}, "plannedStartDate"),
    "the planned start date is a number": ({"plannedStartDate": 20260101}, "plannedStartDate"),
    "the notes are 5001 characters": ({"notes": "n" * 5001}, "notes"),
    "an unknown field is sent": ({"colour": "red"}, "colour"),
    "a component row that is not on the order is sent": ({"components": [{"id": 999999}]}, "components[0].id"),
    "the status is sent": ({"status": "completed"}, "status"),
    "the version is sent": ({"version": 1}, "version"),
    "the id is sent": ({"id": 1}, "id"),
    "createdAt is sent": ({"createdAt": "2026-01-01T00:00:00Z"}, "createdAt"),
    "completedAt is sent": ({"completedAt": "2026-01-01T00:00:00Z"}, "completedAt"),
    **{name: ({"locationId": gid}, "locationId") for name, gid in BAD_LOCATIONS.items()},
}


@pytest.mark.parametrize(("body", "path"), PATCH_DRAFT_CASES.values(), ids=PATCH_DRAFT_CASES.keys())
def test_editing_a_draft_with_invalid_fields_is_refused_with_details_keyed_by_json_path(world, body, path):
    error = refused_and_nothing_changed(world, "PATCH", order_url(world.draft), body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


PATCH_IN_PROGRESS_CASES = {
    "the sync flag is set to null": ({"syncProductionOrderToShopify": None}, "syncProductionOrderToShopify"),
    "the sync flag is turned on with the location cleared": (
        {"syncProductionOrderToShopify": True, "locationId": None}, "locationId"),
    "the reference of a draft is taken": ({"reference": "PO-1"}, "reference"),
    "the status is sent": ({"status": "completed"}, "status"),
}


@pytest.mark.parametrize(("body", "path"), PATCH_IN_PROGRESS_CASES.values(), ids=PATCH_IN_PROGRESS_CASES.keys())
def test_editing_an_order_in_progress_with_invalid_fields_is_refused(world, body, path):
    error = refused_and_nothing_changed(world, "PATCH", order_url(world.in_progress), body, 422,
                                        "validation_failed")
    assert path in error["details"], error


def test_clearing_the_location_of_an_order_in_progress_that_syncs_is_refused(world):
    api = world.api
    order = act(api, create(api, "PO-5", locationId=LOCATION, syncProductionOrderToShopify=True), "start")
    error = refused_and_nothing_changed(world, "PATCH", order_url(order), {"locationId": None}, 422,
                                        "validation_failed")
    assert "locationId" in error["details"]


# ------------------------------------------------------------------ 422: component rows

COMPONENT_ADD_CASES = {
    "the quantity produced is sent in a draft": ({**component(), "quantityProduced": 1}, "quantityProduced"),
    "a zero quantity produced is sent in a draft": ({**component(), "quantityProduced": 0}, "quantityProduced"),
    "the planned quantity is the string 5": (component(planned="5"), "quantityPlanned"),
    "the planned quantity is true": (component(planned=True), "quantityPlanned"),
    "the planned quantity is negative": (component(planned=-0.5), "quantityPlanned"),
    "the planned quantity has four decimals": (component(planned=1.0001), "quantityPlanned"),
    "the planned quantity is 1e12": (component(planned=1e12), "quantityPlanned"),
    "the planned quantity is 1e400": ('{"variantId": "%s", "quantityPlanned": 1e400}' % VARIANT, "quantityPlanned"),
    "the planned quantity is missing": ({"variantId": VARIANT}, "quantityPlanned"),
    "the unit is not in the enum": (component(unit="each"), "unit"),
    "the row sends its own id": (component(id=5), "id"),
    "an unknown field is sent": (component(colour="red"), "colour"),
    "a bomId that is a string": ({"bomId": "x", "quantityPlanned": 1}, "bomId"),
    "a bomId sent with a variantId": ({"bomId": 1, "variantId": VARIANT, "quantityPlanned": 1}, "variantId"),
    "a material has no variantId": (component(materials=[{"quantityPerUnit": 1}]), "materials[0].variantId"),
    "a material has a Product GID": (
        component(materials=[{"variantId": "gid://shopify/Product/1", "quantityPerUnit": 1}]), "materials[0].variantId"),
    **{name: (component(variant=gid), "variantId") for name, gid in BAD_VARIANTS.items()},
}


@pytest.mark.parametrize(("body", "path"), COMPONENT_ADD_CASES.values(), ids=COMPONENT_ADD_CASES.keys())
def test_adding_an_invalid_component_to_a_draft_is_refused(world, body, path):
    error = refused_and_nothing_changed(world, "POST", order_url(world.draft) + "/components", body, 422,
                                        "validation_failed")
    assert set(error["details"]) == {path}, error


COMPONENT_ADD_IN_PROGRESS_CASES = {
    "the quantity produced is negative": ({**component(), "quantityProduced": -1}, "quantityProduced"),
    "the quantity produced is the string 3": ({**component(), "quantityProduced": "3"}, "quantityProduced"),
    "the quantity produced has four decimals": ({**component(), "quantityProduced": 0.0005}, "quantityProduced"),
    "the quantity produced is true": ({**component(), "quantityProduced": True}, "quantityProduced"),
}


@pytest.mark.parametrize(("body", "path"), COMPONENT_ADD_IN_PROGRESS_CASES.values(),
                         ids=COMPONENT_ADD_IN_PROGRESS_CASES.keys())
def test_adding_an_invalid_component_in_progress_is_refused(world, body, path):
    error = refused_and_nothing_changed(world, "POST", order_url(world.in_progress) + "/components", body, 422,
                                        "validation_failed")
    assert set(error["details"]) == {path}, error


COMPONENT_PATCH_DRAFT_CASES = {
    "the quantity produced is recorded in a draft": ({"quantityProduced": 1}, "quantityProduced"),
    "the planned quantity is null": ({"quantityPlanned": None}, "quantityPlanned"),
    "the planned quantity is the string 5": ({"quantityPlanned": "5"}, "quantityPlanned"),
    "the planned quantity is negative": ({"quantityPlanned": -1}, "quantityPlanned"),
    "the planned quantity has four decimals": ({"quantityPlanned": 2.0001}, "quantityPlanned"),
    "the variantId is null": ({"variantId": None}, "variantId"),
    "the variantId is a Product GID": ({"variantId": "gid://shopify/Product/1"}, "variantId"),
    "the unit is not in the enum": ({"unit": "dozen"}, "unit"),
    "the title is null": ({"title": None}, "title"),
    "the row's id is sent": ({"id": 1}, "id"),
    "an unknown field is sent": ({"colour": "red"}, "colour"),
    "a material quantity per unit is zero": (
        {"materials": [{"variantId": VARIANT_2, "quantityPerUnit": 0}]}, "materials[0].quantityPerUnit"),
    "a material has a variantId with trailing junk": (
        {"materials": [{"variantId": VARIANT_2 + "x", "quantityPerUnit": 1}]}, "materials[0].variantId"),
}


@pytest.mark.parametrize(("body", "path"), COMPONENT_PATCH_DRAFT_CASES.values(),
                         ids=COMPONENT_PATCH_DRAFT_CASES.keys())
def test_editing_a_component_of_a_draft_with_invalid_fields_is_refused(world, body, path):
    error = refused_and_nothing_changed(world, "PATCH", component_url(world.draft), body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


COMPONENT_PATCH_IN_PROGRESS_CASES = {
    "the quantity produced is true": ({"quantityProduced": True}, "quantityProduced"),
    "the quantity produced is the string 5": ({"quantityProduced": "5"}, "quantityProduced"),
    "the quantity produced is negative": ({"quantityProduced": -0.5}, "quantityProduced"),
    "the quantity produced has four decimals": ({"quantityProduced": 1.0001}, "quantityProduced"),
    "the quantity produced is null": ({"quantityProduced": None}, "quantityProduced"),
    "the quantity produced is 1e400": ('{"quantityProduced": 1e400}', "quantityProduced"),
    "the quantity produced is 1e12": ({"quantityProduced": 1e12}, "quantityProduced"),
}


@pytest.mark.parametrize(("body", "path"), COMPONENT_PATCH_IN_PROGRESS_CASES.values(),
                         ids=COMPONENT_PATCH_IN_PROGRESS_CASES.keys())
def test_recording_an_invalid_quantity_produced_is_refused(world, body, path):
    error = refused_and_nothing_changed(world, "PATCH", component_url(world.in_progress), body, 422,
                                        "validation_failed")
    assert set(error["details"]) == {path}, error


# ------------------------------------------------------------------ 422: settings

GOOD_SETTINGS = {"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": LOCATION, "syncMode": "live"}
SETTINGS_CASES = {
    **{f"{name} is left out": ({k: v for k, v in GOOD_SETTINGS.items() if k != name}, name) for name in GOOD_SETTINGS},
    "the default sync flag is 1": ({**GOOD_SETTINGS, "syncProductionOrdersToShopifyByDefault": 1},
                                   "syncProductionOrdersToShopifyByDefault"),
    "the default sync flag is 0": ({**GOOD_SETTINGS, "syncProductionOrdersToShopifyByDefault": 0},
                                   "syncProductionOrdersToShopifyByDefault"),
    "the default sync flag is the string true": ({**GOOD_SETTINGS, "syncProductionOrdersToShopifyByDefault": "true"},
                                                 "syncProductionOrdersToShopifyByDefault"),
    "the default sync flag is null": ({**GOOD_SETTINGS, "syncProductionOrdersToShopifyByDefault": None},
                                      "syncProductionOrdersToShopifyByDefault"),
    "the sync mode is not in the enum": ({**GOOD_SETTINGS, "syncMode": "hourly"}, "syncMode"),
    "the sync mode is null": ({**GOOD_SETTINGS, "syncMode": None}, "syncMode"),
    "an unknown field is sent": ({**GOOD_SETTINGS, "colour": "red"}, "colour"),
    **{name.replace("locationId", "default location"): ({**GOOD_SETTINGS, "defaultLocationId": gid},
                                                         "defaultLocationId")
       for name, gid in BAD_LOCATIONS.items()},
}


@pytest.mark.parametrize(("body", "path"), SETTINGS_CASES.values(), ids=SETTINGS_CASES.keys())
def test_replacing_the_settings_with_invalid_fields_is_refused(world, body, path):
    error = refused_and_nothing_changed(world, "PUT", SETTINGS, body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


# ------------------------------------------------------------------ 422: list query

LIST_QUERY_CASES = {
    "perPage is 251": ("perPage=251", "perPage"),
    "perPage is 0": ("perPage=0", "perPage"),
    "perPage is negative": ("perPage=-1", "perPage"),
    "perPage is a word": ("perPage=all", "perPage"),
    "page is 0": ("page=0", "page"),
    "page is negative": ("page=-3", "page"),
    "page is abc": ("page=abc", "page"),
    "page is astronomically large": ("page=" + "9" * 30, "page"),
    "status is bogus": ("status=bogus", "status"),
    "status is in the wrong case": ("status=Draft", "status"),
    "the search text is 201 characters": ("q=" + "x" * 201, "q"),
}


@pytest.mark.parametrize(("query", "path"), LIST_QUERY_CASES.values(), ids=LIST_QUERY_CASES.keys())
def test_listing_with_an_invalid_query_is_refused(world, query, path):
    error = refused_and_nothing_changed(world, "GET", f"{ORDERS}?{query}", None, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


def test_the_limits_themselves_are_accepted(world):
    """The refusals above sit exactly at SPEC's limits, not below them."""
    api = world.api
    assert api.get(f"{ORDERS}?perPage=250&page=1").status_code == 200
    order = create(api, "R" * 64, notes="n" * 5000, plannedStartDate="2028-02-29",
                   components=[component(planned=999999999.999, unit="kg"), component(VARIANT_2, planned=0.001, unit="kg",
                                                                          materials=[{"variantId": VARIANT,
                                                                                      "quantityPerUnit": 0.001}])])
    assert order["reference"] == "R" * 64 and len(order["notes"]) == 5000
    assert [c["quantityPlanned"] for c in order["components"]] == [999999999.999, 0.001]


# ------------------------------------------------------------------ text the database must be able to store

TEXT_CASES = {
    "a NUL character in the reference": (ORDERS, "POST", '{"reference": "PO-\\u0000"}', "reference"),
    "a NUL character in the notes": (ORDERS, "POST", '{"reference": "PO-10", "notes": "a\\u0000b"}', "notes"),
    "a NUL character in a component title": (
        ORDERS, "POST",
        '{"reference": "PO-10", "components": [{"variantId": "%s", "quantityPlanned": 1, "title": "a\\u0000"}]}'
        % VARIANT, "components[0].title"),
    "a lone surrogate in the reference": (ORDERS, "POST", '{"reference": "PO-\\ud800"}', "reference"),
}


@pytest.mark.parametrize(("url", "method", "body", "path"), TEXT_CASES.values(), ids=TEXT_CASES.keys())
def test_text_the_database_cannot_store_is_refused_as_invalid_not_a_500(world, url, method, body, path):
    error = refused_and_nothing_changed(world, method, url, body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


def test_a_nul_character_in_the_search_text_is_not_a_500(world):
    response = world.api.get(f"{ORDERS}?q=PO%00")
    if response.status_code == 200:
        assert response.get_json()["total"] == 0
    else:
        assert set(assert_error(response, 422, "validation_failed")["details"]) == {"q"}


def test_a_64_character_reference_whose_lowercase_is_longer_is_accepted(world):
    # "İ".lower() is two code points: the case-insensitive key must still fit.
    order = create(world.api, "\u0130" * 64)
    assert order["reference"] == "\u0130" * 64


# ------------------------------------------------------------------ 413: too large


@pytest.mark.parametrize("target", ["creating an order", "editing a draft", "adding a component to a draft",
                                    "replacing the settings"])
def test_a_body_over_one_mebibyte_is_refused_with_a_json_413(world, target):
    method, url = WRITE_TARGETS[target](world)
    body = json.dumps({"reference": "PO-10", "notes": "n" * ONE_MIB})
    assert len(body) > ONE_MIB
    refused_and_nothing_changed(world, method, url, body, 413, "payload_too_large")


# ------------------------------------------------------------------ ids out of range

HUGE_IDS = {"2**31": 2**31, "99999999999": 99_999_999_999, "2**63": 2**63, "10**20": 10**20}
ORDER_ENDPOINTS = {
    "reading the order": ("GET", "", None),
    "editing the order": ("PATCH", "", {"notes": "x"}),
    "starting the order": ("POST", "/start", None),
    "completing the order": ("POST", "/complete", None),
    "cancelling the order": ("POST", "/cancel", None),
    "reading its history": ("GET", "/events", None),
    "retrying its sync": ("POST", "/sync", None),
    "adding a component": ("POST", "/components", component()),
}


@pytest.mark.parametrize("endpoint", ORDER_ENDPOINTS)
@pytest.mark.parametrize("order_id", HUGE_IDS.values(), ids=HUGE_IDS.keys())
def test_an_order_id_beyond_the_integer_range_is_not_found(world, endpoint, order_id):
    method, suffix, body = ORDER_ENDPOINTS[endpoint]
    refused_and_nothing_changed(world, method, f"{ORDERS}/{order_id}{suffix}", body, 404, "not_found")


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"quantityPlanned": 1}), ("DELETE", None)],
                         ids=["editing the component", "removing the component"])
@pytest.mark.parametrize("component_id", HUGE_IDS.values(), ids=HUGE_IDS.keys())
def test_a_component_id_beyond_the_integer_range_is_not_found(world, method, body, component_id):
    url = f"{order_url(world.draft)}/components/{component_id}"
    refused_and_nothing_changed(world, method, url, body, 404, "not_found")


# ------------------------------------------------------------------ absurd numbers (issue #11)
# A huge exponent or digit count is refused on its text, before any arithmetic: `{"bomId": 1e999999}`
# used to pin a worker for seconds (int() of it) and a quantity of 1e1000000 answered 500.

ABSURD_NUMBERS = {
    "1e999999": "1e999999",
    "-1e999999": "-1e999999",
    "1e1000000": "1e1000000",
    "1E-1000000": "1E-1000000",
    "an exponent of 20 digits": "1.5e+99999999999999999999",
    "5000 digits": "9" * 5000,
    "a fraction of 5000 digits": "0." + "0" * 4998 + "1",
    "2**31": "2147483648",
}
# Where a number can land: (method, URL, body with %s for the raw number, JSON path of the problem).
NUMBER_TARGETS = {
    "bomId of a new row": (lambda w: ("POST", order_url(w.draft) + "/components"),
                           '{"bomId": %s, "quantityPlanned": 1}', "bomId"),
    "planned quantity of a new row": (lambda w: ("POST", order_url(w.in_progress) + "/components"),
                                      '{"variantId": "%s", "quantityPlanned": %%s}' % VARIANT, "quantityPlanned"),
    "planned quantity in a new order": (lambda w: ("POST", ORDERS), raw_component_quantity("%s"),
                                        "components[0].quantityPlanned"),
    "a material's quantity per unit": (
        lambda w: ("POST", ORDERS),
        '{"reference": "PO-10", "components": [{"variantId": "%s", "quantityPlanned": 1, "materials": '
        '[{"variantId": "%s", "quantityPerUnit": %%s}]}]}' % (VARIANT, VARIANT_2),
        "components[0].materials[0].quantityPerUnit"),
    "quantity produced in progress": (lambda w: ("PATCH", component_url(w.in_progress)),
                                      '{"quantityProduced": %s}', "quantityProduced"),
    "planned quantity of a draft's row": (lambda w: ("PATCH", component_url(w.draft)),
                                          '{"quantityPlanned": %s}', "quantityPlanned"),
    "a BOM line's quantity per unit": (
        lambda w: ("POST", "/api/boms"),
        '{"name": "Candle", "outputVariantId": "%s", "lines": [{"variantId": "%s", "quantityPerUnit": %%s}]}'
        % (VARIANT, VARIANT_2), "lines[0].quantityPerUnit"),
    "the reference": (lambda w: ("POST", ORDERS), '{"reference": %s}', "reference"),
    "an unknown field": (lambda w: ("PATCH", order_url(w.draft)), '{"colour": %s}', "colour"),
    "the default sync flag": (lambda w: ("PUT", SETTINGS),
                              '{"syncProductionOrdersToShopifyByDefault": %%s, "defaultLocationId": "%s", '
                              '"syncMode": "live"}' % LOCATION, "syncProductionOrdersToShopifyByDefault"),
}


@pytest.mark.parametrize("target", NUMBER_TARGETS)
@pytest.mark.parametrize("number", ABSURD_NUMBERS.values(), ids=ABSURD_NUMBERS.keys())
def test_an_absurd_number_anywhere_in_a_body_is_refused_at_its_path(world, target, number):
    url, template, path = NUMBER_TARGETS[target]
    method, url = url(world)
    error = refused_and_nothing_changed(world, method, url, template % number, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


def test_a_bom_id_of_1e999999_gets_a_message_about_its_range(world):
    error = refused_and_nothing_changed(world, "POST", order_url(world.draft) + "/components",
                                        '{"bomId": 1e999999, "quantityPlanned": 1}', 422, "validation_failed")
    assert error["details"] == {"bomId": "must be a whole number from 1 to 2147483647"}


def test_a_quantity_of_1e1000000_gets_a_message_about_its_size(world):
    error = refused_and_nothing_changed(world, "PATCH", component_url(world.draft), '{"quantityPlanned": 1e1000000}',
                                        422, "validation_failed")
    assert error["details"] == {"quantityPlanned": "has too many digits or too large an exponent."}


FOREIGN_DIGITS = {"Arabic-Indic": "\u0660", "Extended Arabic-Indic": "\u06f0", "Devanagari": "\u0966",
                  "fullwidth": "\uff10", "Bengali": "\u09e6"}


def foreign(number: int, zero: str) -> str:
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


@pytest.mark.parametrize("endpoint", ORDER_ENDPOINTS)
@pytest.mark.parametrize("zero", FOREIGN_DIGITS.values(), ids=FOREIGN_DIGITS.keys())
def test_an_order_id_in_another_scripts_digits_is_not_found(world, endpoint, zero):
    method, suffix, body = ORDER_ENDPOINTS[endpoint]
    url = f"{ORDERS}/{foreign(world.draft['id'], zero)}{suffix}"
    refused_and_nothing_changed(world, method, url, body, 404, "not_found")


NOT_ASCII_IDS = {
    "a plus sign": lambda n: f"+{n}", "a leading space": lambda n: f"%20{n}", "a decimal point": lambda n: f"{n}.0",
    "an exponent": lambda n: f"{n}e0", "an underscore": lambda n: f"{n}_0", "5000 digits": lambda n: "9" * 5000,
    "11 digits": lambda n: "0" * 10 + str(n), "zero": lambda n: "0", "a negative id": lambda n: f"-{n}",
}


@pytest.mark.parametrize("spelling", NOT_ASCII_IDS.values(), ids=NOT_ASCII_IDS.keys())
def test_a_path_id_that_is_not_plain_ascii_digits_is_not_found(world, spelling):
    order, row = world.draft["id"], world.draft["components"][0]["id"]
    for url in (f"{ORDERS}/{spelling(order)}", f"{ORDERS}/{order}/components/{spelling(row)}",
                f"/api/boms/{spelling(1)}"):
        refused_and_nothing_changed(world, "PATCH", url, {"notes": "x"}, 404, "not_found")


@pytest.mark.parametrize("zero", FOREIGN_DIGITS.values(), ids=FOREIGN_DIGITS.keys())
def test_a_component_id_in_another_scripts_digits_is_not_found(world, zero):
    url = f"{order_url(world.draft)}/components/{foreign(world.draft['components'][0]['id'], zero)}"
    refused_and_nothing_changed(world, "PATCH", url, {"quantityPlanned": 1}, 404, "not_found")
    refused_and_nothing_changed(world, "DELETE", url, None, 404, "not_found")


def test_every_number_in_a_url_path_goes_through_the_id_converter(backend):
    # werkzeug's own int/float converters take other scripts' digits and any length.
    rules = [rule.rule for rule in backend.url_map.iter_rules()]
    assert not [rule for rule in rules if "<int:" in rule or "<float:" in rule]
    assert any("<id:" in rule for rule in rules)


ODD_QUERY_NUMBERS = {
    "an exponent": "1e999999", "Arabic-Indic digits": "\u0661", "a plus sign": "%2B5", "an underscore": "5_0",
    "a decimal point": "5.0", "a leading space": "%205", "5000 digits": "9" * 5000,
}


@pytest.mark.parametrize("name", ["page", "perPage"])
@pytest.mark.parametrize("value", ODD_QUERY_NUMBERS.values(), ids=ODD_QUERY_NUMBERS.keys())
def test_a_page_number_that_is_not_plain_ascii_digits_is_refused(world, name, value):
    error = refused_and_nothing_changed(world, "GET", f"{ORDERS}?{name}={value}", None, 422, "validation_failed")
    assert set(error["details"]) == {name}, error


# ------------------------------------------------------------------ 412: If-Match

MALFORMED_IF_MATCH = {
    "a bare word": "abc",
    "a quoted word": '"x"',
    "the version without quotes": "1",
    "an unclosed quote": '"1',
    "empty quotes": '""',
    "a negative version": '"-1"',
    "a decimal version": '"1.0"',
    "an empty header": "",
}
WRITES = {
    "editing the order": ("PATCH", lambda w: order_url(w.draft), {"notes": "changed"}),
    "starting it": ("POST", lambda w: order_url(w.draft) + "/start", None),
    "cancelling it": ("POST", lambda w: order_url(w.draft) + "/cancel", None),
    "completing an order in progress": ("POST", lambda w: order_url(w.in_progress) + "/complete", None),
    "adding a component": ("POST", lambda w: order_url(w.draft) + "/components", component()),
    "editing a component": ("PATCH", lambda w: component_url(w.draft), {"quantityPlanned": 3}),
    "removing a component": ("DELETE", lambda w: component_url(w.draft), None),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("if_match", MALFORMED_IF_MATCH.values(), ids=MALFORMED_IF_MATCH.keys())
def test_a_malformed_if_match_is_refused_with_412(world, write, if_match):
    method, url, body = WRITES[write]
    refused_and_nothing_changed(world, method, url(world), body, 412, "version_mismatch",
                                headers={"If-Match": if_match})


def current_version(world, write) -> int:
    return (world.in_progress if write == "completing an order in progress" else world.draft)["version"]


STALE = {"an older version": lambda v: v - 1, "the next version": lambda v: v + 1,
         "a far future version": lambda v: 999_999_999}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("stale", STALE.values(), ids=STALE.keys())
def test_a_stale_if_match_is_refused_with_412(world, write, stale):
    method, url, body = WRITES[write]
    error = refused_and_nothing_changed(world, method, url(world), body, 412, "version_mismatch",
                                        headers={"If-Match": f'"{stale(current_version(world, write))}"'})
    assert error["details"].get("currentVersion") == current_version(world, write)


@pytest.mark.parametrize("write", WRITES)
def test_the_current_version_in_if_match_is_accepted(world, write):
    method, url, body = WRITES[write]
    version = current_version(world, write)
    response = send(world.api, method, url(world), body, headers={"If-Match": f'"{version}"'})
    assert response.status_code in (200, 201), response.get_json()
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert response.get_json()["version"] == version + 1


# ------------------------------------------------------------------ one request, one answer (SPEC §3's order)

MALFORMED = b"{not json"
INVALID = {"quantityPlanned": "5"}
INVALID_ORDER = {"type": "kit"}

ORDER_OF_CHECKS = {
    "no token beats another shop's id": (
        lambda w: ("PATCH", order_url(w.foreign), MALFORMED, {"Authorization": ""}), 401, "unauthorized"),
    "another shop's id beats a malformed body": (
        lambda w: ("PATCH", order_url(w.foreign), MALFORMED, {}), 404, "not_found"),
    "another shop's id beats a stale If-Match": (
        lambda w: ("PATCH", order_url(w.foreign), {"notes": "x"}, {"If-Match": '"7"'}), 404, "not_found"),
    "an unknown id beats a malformed body and a stale If-Match": (
        lambda w: ("PATCH", f"{ORDERS}/987654", MALFORMED, {"If-Match": '"7"'}), 404, "not_found"),
    "an unknown component beats a malformed body": (
        lambda w: ("PATCH", order_url(w.draft) + "/components/987654", MALFORMED, {}), 404, "not_found"),
    "another order's component beats a malformed body": (
        lambda w: ("PATCH", f"{order_url(w.draft)}/components/{w.in_progress['components'][0]['id']}", MALFORMED, {}),
        404, "not_found"),
    "a malformed body beats a stale If-Match": (
        lambda w: ("PATCH", order_url(w.draft), MALFORMED, {"If-Match": '"7"'}), 400, "malformed_json"),
    "a malformed body beats a malformed If-Match": (
        lambda w: ("PATCH", order_url(w.draft), MALFORMED, {"If-Match": "abc"}), 400, "malformed_json"),
    "a malformed body beats a completed order": (
        lambda w: ("PATCH", order_url(w.completed), MALFORMED, {}), 400, "malformed_json"),
    "a malformed component body beats a cancelled order": (
        lambda w: ("POST", order_url(w.cancelled) + "/components", MALFORMED, {}), 400, "malformed_json"),
    "a stale If-Match beats a completed order": (
        lambda w: ("PATCH", order_url(w.completed), {"notes": "x"}, {"If-Match": '"1"'}), 412, "version_mismatch"),
    "a stale If-Match beats a completed order and an invalid body": (
        lambda w: ("PATCH", order_url(w.completed), INVALID_ORDER, {"If-Match": '"1"'}), 412, "version_mismatch"),
    "a stale If-Match beats an invalid transition": (
        lambda w: ("POST", order_url(w.completed) + "/start", None, {"If-Match": '"1"'}), 412, "version_mismatch"),
    "a stale If-Match beats an invalid body": (
        lambda w: ("PATCH", component_url(w.draft), INVALID, {"If-Match": '"7"'}), 412, "version_mismatch"),
    "a completed order beats an invalid body": (
        lambda w: ("PATCH", order_url(w.completed), INVALID_ORDER, {}), 409, "read_only"),
    "a cancelled order beats an invalid body": (
        lambda w: ("PATCH", order_url(w.cancelled), INVALID_ORDER, {}), 409, "read_only"),
    "a completed order beats an invalid component": (
        lambda w: ("POST", order_url(w.completed) + "/components", INVALID, {}), 409, "read_only"),
    "a completed order beats an invalid component edit": (
        lambda w: ("PATCH", component_url(w.completed), INVALID, {}), 409, "read_only"),
    "a completed order beats a quantity produced": (
        lambda w: ("PATCH", component_url(w.completed), {"quantityProduced": 1}, {}), 409, "read_only"),
    "a completed order refuses a removal": (
        lambda w: ("DELETE", component_url(w.completed), None, {}), 409, "read_only"),
    "starting a completed order is an invalid transition": (
        lambda w: ("POST", order_url(w.completed) + "/start", None, {}), 409, "invalid_transition"),
    "cancelling a cancelled order is an invalid transition": (
        lambda w: ("POST", order_url(w.cancelled) + "/cancel", None, {}), 409, "invalid_transition"),
    "an invalid body on an editable order with the current If-Match": (
        lambda w: ("PATCH", component_url(w.draft), INVALID, {"If-Match": f'"{w.draft["version"]}"'}),
        422, "validation_failed"),
}


@pytest.mark.parametrize(("request_", "status", "code"), ORDER_OF_CHECKS.values(), ids=ORDER_OF_CHECKS.keys())
def test_checks_run_in_the_order_spec_section_3_gives(world, request_, status, code):
    method, url, body, headers = request_(world)
    refused_and_nothing_changed(world, method, url, body, status, code, headers=headers)
