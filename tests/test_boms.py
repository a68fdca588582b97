"""Bills of materials (SPEC §1 BOM, §3 /api/boms, issue #6) and adding a BOM's output to an order.

Every test runs on SQLite and on PostgreSQL: PostgreSQL enforces string lengths, NUL-free text and
the (bom, variant) unique constraint at once, so a rule that only the database enforces would be a
500 there. A refused request is checked against a dump of every row of every table (both shops).
"""

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from shopify_app.extensions import db

from .builders import LOCATION, OTHER_SHOP, installed_shop
from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .conftest import AuthedClient

BOMS = "/api/boms"
ORDERS = "/api/production-orders"
CANDLE, WAX, WICK, JAR, LID = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8003, 8004, 8005))

CANDLE_BOM = {
    "name": "Beeswax candle",
    "outputVariantId": CANDLE, "outputTitle": "Candle", "outputSku": "CNDL-1",
    "lines": [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25},
              {"variantId": WICK, "title": "Wick", "quantityPerUnit": 1}],
}
BOM_LINES = [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25},
             {"variantId": WICK, "title": "Wick", "quantityPerUnit": 1}]
# A row's materials: the BOM's lines, with each material's SKU filled in from Shopify (the fake catalogue).
CANDLE_MATERIALS = [{"variantId": WAX, "title": "Wax", "sku": "SKU-8002", "quantityPerUnit": 0.25},
                    {"variantId": WICK, "title": "Wick", "sku": "SKU-8003", "quantityPerUnit": 1}]


def with_sku(lines, sku=""):
    """BOM lines as the API answers them: each with its material's SKU (orders' materials carry none)."""
    return [{**line, "sku": sku} for line in lines]


# ------------------------------------------------------------------ fixtures: both databases


@pytest.fixture
def world(api, client):
    """A candle BOM, an inactive BOM, orders in every status, and another shop with its own BOM."""
    installed_shop(OTHER_SHOP)
    other = AuthedClient(client, OTHER_SHOP)
    bom = ok(api.post(BOMS, json=CANDLE_BOM), 201)
    inactive = ok(api.post(BOMS, json={**CANDLE_BOM, "name": "Old candle", "active": False}), 201)
    draft = create_order(api, "PO-1")
    in_progress = act(api, create_order(api, "PO-2", locationId=LOCATION, syncProductionOrderToShopify=False),
                      "start")
    completed = act(api, act(api, create_order(api, "PO-3", locationId=LOCATION,
                                               syncProductionOrderToShopify=False), "start"), "complete")
    cancelled = act(api, act(api, create_order(api, "PO-4", locationId=LOCATION,
                                               syncProductionOrderToShopify=False), "start"), "cancel")
    foreign_bom = ok(other.post(BOMS, json={**CANDLE_BOM, "name": "Soap bar", "outputVariantId": JAR,
                                            "lines": [{"variantId": LID, "quantityPerUnit": 2}]}), 201)
    foreign_order = create_order(other, "PO-9")
    return SimpleNamespace(api=api, other=other, bom=bom, inactive=inactive, draft=draft,
                           in_progress=in_progress, completed=completed, cancelled=cancelled,
                           foreign_bom=foreign_bom, foreign_order=foreign_order)


# ------------------------------------------------------------------ helpers


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    return response.get_json()


def create_order(client, reference, **fields):
    return ok(client.post(ORDERS, json={"reference": reference, **fields}), 201)


def act(client, order, action):
    return ok(client.post(f"{ORDERS}/{order['id']}/{action}"))


def bom_url(bom):
    return f"{BOMS}/{bom['id']}"


def components_url(order):
    return f"{ORDERS}/{order['id']}/components"


def get_order(client, order):
    return ok(client.get(f"{ORDERS}/{order['id']}"))


def events(client, order):
    return ok(client.get(f"{ORDERS}/{order['id']}/events"))["items"]


def send(client, method, url, body=None, headers=None):
    """A dict/list goes out as JSON; bytes or str verbatim as application/json."""
    if body is None:
        return client._call(method, url, headers=headers)
    if isinstance(body, (bytes, str)):
        return client._call(method, url, headers=headers, data=body, content_type="application/json")
    return client._call(method, url, headers=headers, json=body)


def snapshot() -> dict:
    """Every row of every table, both shops included."""
    db.session.expire_all()
    dump = {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}
    db.session.rollback()
    return dump


def assert_error(response, status, code) -> dict:
    """SPEC §3's error shape, with no trace of the server's internals."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:1000]
    assert "Traceback" not in text and 'File "' not in text
    assert response.is_json, response.content_type
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def refused(client, method, url, body, status, code, headers=None) -> dict:
    """The request is refused with `status`/`code` and no row of any table changes."""
    before = snapshot()
    error = assert_error(send(client, method, url, body, headers), status, code)
    assert snapshot() == before
    return error


def bom_rows(bom_id):
    db.session.expire_all()
    rows = db.session.execute(db.text(
        "SELECT position, variant_id, title, quantity_per_unit FROM bom_lines WHERE bom_id = :id ORDER BY position"),
        {"id": bom_id}).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


# ------------------------------------------------------------------ the BOM resource


def test_a_created_bom_is_answered_and_read_back_exactly(world):
    bom = world.bom
    assert set(bom) == {"id", "name", "outputVariantId", "outputTitle", "outputSku", "active", "holdDays", "lines",
                        "createdAt", "updatedAt", "estimatedUnitCost", "costCurrency"}
    assert (bom["estimatedUnitCost"], bom["costCurrency"]) == (None, None)  # no cost read from Shopify yet
    assert (bom["name"], bom["outputVariantId"], bom["outputTitle"], bom["outputSku"], bom["active"]) == \
        ("Beeswax candle", CANDLE, "Candle", "CNDL-1", True)
    assert bom["lines"] == with_sku(BOM_LINES) and bom["holdDays"] == 0
    assert bom["createdAt"].endswith("Z") and bom["updatedAt"].endswith("Z")
    assert ok(world.api.get(bom_url(bom))) == bom
    # Stored exactly (thousandths), in the order sent.
    assert bom_rows(bom["id"]) == [(0, WAX, "Wax", 250), (1, WICK, "Wick", 1000)]


def test_three_decimals_and_defaults_are_accepted(world):
    body = {"name": "Tealight", "outputVariantId": JAR,
            "lines": [{"variantId": WAX, "quantityPerUnit": 0.001},
                      {"variantId": LID, "quantityPerUnit": 999999999.999}]}
    bom = ok(world.api.post(BOMS, json=body), 201)
    assert bom["name"] == "Tealight"
    assert (bom["outputTitle"], bom["outputSku"], bom["active"]) == ("", "", True)
    assert bom["lines"] == with_sku([{"variantId": WAX, "title": "", "quantityPerUnit": 0.001},
                                     {"variantId": LID, "title": "", "quantityPerUnit": 999999999.999}])
    assert ok(world.api.post(BOMS, json={**CANDLE_BOM, "name": "n" * 128}), 201)["name"] == "n" * 128


def test_the_list_is_scoped_to_the_shop_and_active_only_filters(world):
    api, other = world.api, world.other
    listed = ok(api.get(BOMS))["items"]
    assert [b["id"] for b in listed] == [world.bom["id"], world.inactive["id"]]  # by name
    assert listed[0] == world.bom
    assert [b["id"] for b in ok(api.get(f"{BOMS}?activeOnly=true"))["items"]] == [world.bom["id"]]
    assert [b["id"] for b in ok(api.get(f"{BOMS}?activeOnly=false"))["items"]] == \
        [world.bom["id"], world.inactive["id"]]
    assert [b["id"] for b in ok(other.get(BOMS))["items"]] == [world.foreign_bom["id"]]
    # Deactivating moves a BOM out of the active list; reactivating brings it back.
    ok(api.patch(bom_url(world.bom), json={"active": False}))
    assert ok(api.get(f"{BOMS}?activeOnly=true"))["items"] == []
    ok(api.patch(bom_url(world.inactive), json={"active": True}))
    assert [b["id"] for b in ok(api.get(f"{BOMS}?activeOnly=true"))["items"]] == [world.inactive["id"]]


def test_a_patch_changes_only_the_fields_sent(world):
    before = world.bom
    after = ok(world.api.patch(bom_url(before), json={"name": "Candle v2", "outputSku": "CNDL-2"}))
    assert after == {**before, "name": "Candle v2", "outputSku": "CNDL-2", "updatedAt": after["updatedAt"]}
    assert after["updatedAt"] >= before["updatedAt"]
    assert ok(world.api.get(bom_url(before))) == after


def test_a_patch_of_lines_replaces_every_line(world):
    api, bom = world.api, world.bom
    # WICK is kept with a new quantity (the unique (bom, variant) pair must not trip), WAX goes, JAR/LID arrive.
    lines = [{"variantId": JAR, "title": "Jar", "quantityPerUnit": 1},
             {"variantId": WICK, "title": "Wick", "quantityPerUnit": 2},
             {"variantId": LID, "title": "Lid", "quantityPerUnit": 0.5}]
    after = ok(api.patch(bom_url(bom), json={"lines": lines}))
    assert after["lines"] == with_sku(lines)
    assert ok(api.get(bom_url(bom)))["lines"] == with_sku(lines)
    assert bom_rows(bom["id"]) == [(0, JAR, "Jar", 1000), (1, WICK, "Wick", 2000), (2, LID, "Lid", 500)]
    # The same lines again, and then a single line: still exactly what was sent.
    assert ok(api.patch(bom_url(bom), json={"lines": lines}))["lines"] == with_sku(lines)
    assert ok(api.patch(bom_url(bom), json={"lines": [lines[1]]}))["lines"] == with_sku([lines[1]])
    assert bom_rows(bom["id"]) == [(0, WICK, "Wick", 2000)]
    # The other BOMs' lines are untouched.
    assert ok(api.get(bom_url(world.inactive)))["lines"] == with_sku(BOM_LINES)
    assert ok(world.other.get(bom_url(world.foreign_bom))) == world.foreign_bom


def test_changing_output_and_lines_together_is_checked_against_the_new_pair(world):
    # WAX becomes the output and leaves the lines; CANDLE (the old output) may now be a material.
    body = {"outputVariantId": WAX, "lines": [{"variantId": CANDLE, "quantityPerUnit": 1},
                                              {"variantId": WICK, "quantityPerUnit": 1}]}
    after = ok(world.api.patch(bom_url(world.bom), json=body))
    assert after["outputVariantId"] == WAX and [item["variantId"] for item in after["lines"]] == [CANDLE, WICK]


def test_delete_answers_204_and_orders_built_from_the_bom_keep_their_materials(world):
    api = world.api
    draft = ok(api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 4}), 201)
    in_progress = ok(api.post(components_url(world.in_progress), json={"bomId": world.bom["id"],
                                                                      "quantityPlanned": 2}), 201)
    history = (events(api, world.draft), events(api, world.in_progress))
    response = api.delete(bom_url(world.bom))
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(api.get(bom_url(world.bom)), 404, "not_found")
    assert_error(api.delete(bom_url(world.bom)), 404, "not_found")
    assert bom_rows(world.bom["id"]) == []
    assert [b["id"] for b in ok(api.get(BOMS))["items"]] == [world.inactive["id"]]
    assert get_order(api, world.draft) == draft
    assert get_order(api, world.in_progress) == in_progress
    assert draft["components"][0]["materials"] == CANDLE_MATERIALS
    assert (events(api, world.draft), events(api, world.in_progress)) == history
    # The order built from it still completes with its snapshot.
    done = act(api, in_progress, "complete")
    assert done["components"][0]["materials"] == CANDLE_MATERIALS


# ------------------------------------------------------------------ shop scoping and error order


@pytest.mark.parametrize("method, body", [("GET", None), ("PATCH", {"name": "Mine now"}),
                                          ("PATCH", {"active": False}), ("DELETE", None)])
def test_another_shops_bom_is_not_found_and_unchanged(world, method, body):
    foreign = world.foreign_bom
    error = refused(world.api, method, bom_url(foreign), body, 404, "not_found")
    assert "Soap bar" not in json.dumps(error)
    assert ok(world.other.get(bom_url(foreign))) == foreign
    # And the other way round.
    refused(world.other, method, bom_url(world.bom), body, 404, "not_found")
    assert ok(world.api.get(bom_url(world.bom))) == world.bom


@pytest.mark.parametrize("method, body", [("PATCH", b"not json"), ("PATCH", {"name": ""}),
                                          ("PATCH", {"lines": [{"variantId": LID, "quantityPerUnit": 0}]})])
def test_not_found_comes_before_malformed_json_and_validation(world, method, body):
    refused(world.api, method, bom_url(world.foreign_bom), body, 404, "not_found")


@pytest.mark.parametrize("bom_id", ["0", "999999", str(2**31), str(2**63), "99999999999999999999999"])
@pytest.mark.parametrize("method, body", [("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)])
def test_unknown_ids_are_not_found(world, bom_id, method, body):
    refused(world.api, method, f"{BOMS}/{bom_id}", body, 404, "not_found")


@pytest.mark.parametrize("method, url, body", [
    ("GET", BOMS, None), ("POST", BOMS, CANDLE_BOM), ("GET", "{bom}", None),
    ("PATCH", "{bom}", {"name": "x"}), ("DELETE", "{bom}", None)])
def test_every_bom_route_needs_a_session_token(world, client, method, url, body):
    url = url.format(bom=bom_url(world.bom))
    before = snapshot()
    response = client.open(url, method=method, json=body)
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("X-Shopify-Retry-Invalid-Session-Request") == "1"
    assert snapshot() == before


@pytest.mark.parametrize("body", [b"name=x", b"[]", b"null", b'{"name": "x"', b""])
@pytest.mark.parametrize("method, url", [("POST", BOMS), ("PATCH", "{bom}")])
def test_a_body_that_is_not_an_object_is_malformed_json(world, method, url, body):
    refused(world.api, method, url.format(bom=bom_url(world.bom)), body, 400, "malformed_json")


def test_the_shop_cannot_be_chosen_in_the_body(world):
    refused(world.api, "POST", BOMS, {**CANDLE_BOM, "shop": OTHER_SHOP}, 422, "validation_failed")
    refused(world.api, "POST", BOMS, {**CANDLE_BOM, "shopId": 2}, 422, "validation_failed")


# ------------------------------------------------------------------ validation table


def with_lines(*lines):
    return {**CANDLE_BOM, "lines": list(lines)}


def line(variant=WAX, quantity=0.25, **extra):
    return {"variantId": variant, "quantityPerUnit": quantity, **extra}


BAD_VARIANTS = {
    "a Product GID": "gid://shopify/Product/1",
    "a Location GID": "gid://shopify/Location/1",
    "non-digits": "gid://shopify/ProductVariant/abc",
    "no number": "gid://shopify/ProductVariant/",
    "a trailing newline": "gid://shopify/ProductVariant/1\n",
    "a trailing space": "gid://shopify/ProductVariant/1 ",
    "fullwidth digits": "gid://shopify/ProductVariant/\uff11",
    "a bare number string": "8001",
    "a JSON number": 8001,
    "null": None,
    "65 characters": "gid://shopify/ProductVariant/" + "1" * 36,
}

CREATE_CASES = {
    # quantities
    "quantityPerUnit 0": (with_lines(line(quantity=0)), "lines[0].quantityPerUnit"),
    "quantityPerUnit 0.000": ('{"name": "x", "outputVariantId": "%s", "lines": [{"variantId": "%s", '
                              '"quantityPerUnit": 0.000}]}' % (CANDLE, WAX), "lines[0].quantityPerUnit"),
    "quantityPerUnit negative": (with_lines(line(), line(WICK, -1)), "lines[1].quantityPerUnit"),
    "quantityPerUnit with 4 decimals": (with_lines(line(quantity=0.2505)), "lines[0].quantityPerUnit"),
    "quantityPerUnit 0.0001": (with_lines(line(quantity=0.0001)), "lines[0].quantityPerUnit"),
    "quantityPerUnit as a string": (with_lines(line(quantity="0.25")), "lines[0].quantityPerUnit"),
    "quantityPerUnit true": (with_lines(line(quantity=True)), "lines[0].quantityPerUnit"),
    "quantityPerUnit null": (with_lines(line(quantity=None)), "lines[0].quantityPerUnit"),
    "quantityPerUnit missing": (with_lines({"variantId": WAX}), "lines[0].quantityPerUnit"),
    "quantityPerUnit 1e12": (with_lines(line(quantity=1e12)), "lines[0].quantityPerUnit"),
    "quantityPerUnit 1e400": ('{"name": "x", "outputVariantId": "%s", "lines": [{"variantId": "%s", '
                              '"quantityPerUnit": 1e400}]}' % (CANDLE, WAX), "lines[0].quantityPerUnit"),
    # lines as a whole
    "a repeated material variant": (with_lines(line(), line(WICK, 1), line(WAX, 0.5)), "lines[2].variantId"),
    "the output as a material": (with_lines(line(), line(CANDLE, 1)), "lines[1].variantId"),
    "empty lines": (with_lines(), "lines"),
    "lines missing": ({k: v for k, v in CANDLE_BOM.items() if k != "lines"}, "lines"),
    "lines null": ({**CANDLE_BOM, "lines": None}, "lines"),
    "lines an object": ({**CANDLE_BOM, "lines": {"variantId": WAX, "quantityPerUnit": 1}}, "lines"),
    "251 lines": (with_lines(*(line(f"gid://shopify/ProductVariant/{9000 + n}", 1) for n in range(251))), "lines"),
    "a line with an unknown field": (with_lines(line(unit="kg")), "lines[0].unit"),
    "a line title with NUL": (with_lines(line(title="W\x00ax")), "lines[0].title"),
    "a line title of 256 characters": (with_lines(line(title="w" * 256)), "lines[0].title"),
    # the output
    "outputVariantId missing": ({k: v for k, v in CANDLE_BOM.items() if k != "outputVariantId"}, "outputVariantId"),
    **{f"outputVariantId: {name}": ({**CANDLE_BOM, "outputVariantId": value}, "outputVariantId")
       for name, value in BAD_VARIANTS.items()},
    **{f"a line variantId: {name}": (with_lines(line(value)), "lines[0].variantId")
       for name, value in BAD_VARIANTS.items()},
    "outputTitle a number": ({**CANDLE_BOM, "outputTitle": 5}, "outputTitle"),
    "outputSku with NUL": ({**CANDLE_BOM, "outputSku": "C\x00"}, "outputSku"),
    # the name
    "name empty": ({**CANDLE_BOM, "name": ""}, "name"),
    "name only spaces": ({**CANDLE_BOM, "name": "   "}, "name"),
    "name of 129 characters": ({**CANDLE_BOM, "name": "n" * 129}, "name"),
    "name with NUL": ({**CANDLE_BOM, "name": "Can\x00dle"}, "name"),
    "name null": ({**CANDLE_BOM, "name": None}, "name"),
    "name a number": ({**CANDLE_BOM, "name": 5}, "name"),
    "name missing": ({k: v for k, v in CANDLE_BOM.items() if k != "name"}, "name"),
    # other fields
    "active as a string": ({**CANDLE_BOM, "active": "true"}, "active"),
    "active as 1": ({**CANDLE_BOM, "active": 1}, "active"),
    "an unknown field": ({**CANDLE_BOM, "colour": "red"}, "colour"),
    "the id sent": ({**CANDLE_BOM, "id": 5}, "id"),
    "createdAt sent": ({**CANDLE_BOM, "createdAt": "2026-01-01T00:00:00Z"}, "createdAt"),
}


@pytest.mark.parametrize(("body", "path"), CREATE_CASES.values(), ids=CREATE_CASES.keys())
def test_an_invalid_bom_is_not_created(world, body, path):
    error = refused(world.api, "POST", BOMS, body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error


PATCH_CASES = {
    "quantityPerUnit 0": ({"lines": [line(quantity=0)]}, "lines[0].quantityPerUnit"),
    "quantityPerUnit negative": ({"lines": [line(quantity=-0.25)]}, "lines[0].quantityPerUnit"),
    "quantityPerUnit with 4 decimals": ({"lines": [line(quantity=1.0001)]}, "lines[0].quantityPerUnit"),
    "quantityPerUnit as a string": ({"lines": [line(quantity="1")]}, "lines[0].quantityPerUnit"),
    "a repeated material variant": ({"lines": [line(WICK, 1), line(WICK, 2)]}, "lines[1].variantId"),
    "the output introduced by the lines": ({"lines": [line(), line(CANDLE, 1)]}, "lines[1].variantId"),
    "the output introduced by outputVariantId": ({"outputVariantId": WICK}, "lines[1].variantId"),
    "a material's variant made the output, with a name change": (
        {"name": "Wax block", "outputVariantId": WAX}, "lines[0].variantId"),
    "empty lines": ({"lines": []}, "lines"),
    "lines null": ({"lines": None}, "lines"),
    "a bad output GID": ({"outputVariantId": "gid://shopify/Product/8001"}, "outputVariantId"),
    "outputVariantId null": ({"outputVariantId": None}, "outputVariantId"),
    "a bad line GID": ({"lines": [line("gid://shopify/ProductVariant/x")]}, "lines[0].variantId"),
    "name empty": ({"name": ""}, "name"),
    "name of 129 characters": ({"name": "n" * 129}, "name"),
    "name with NUL": ({"name": "\x00"}, "name"),
    "name null": ({"name": None}, "name"),
    "active null": ({"active": None}, "active"),
    "active as a string": ({"active": "false"}, "active"),
    "an unknown field": ({"colour": "red"}, "colour"),
    "the id sent": ({"id": 77}, "id"),
    "updatedAt sent": ({"updatedAt": "2026-01-01T00:00:00Z"}, "updatedAt"),
}


@pytest.mark.parametrize(("body", "path"), PATCH_CASES.values(), ids=PATCH_CASES.keys())
def test_an_invalid_patch_changes_nothing(world, body, path):
    error = refused(world.api, "PATCH", bom_url(world.bom), body, 422, "validation_failed")
    assert set(error["details"]) == {path}, error
    assert ok(world.api.get(bom_url(world.bom))) == world.bom


# ------------------------------------------------------------------ adding a BOM's output to an order


def test_adding_from_a_bom_snapshots_its_output_and_lines(world):
    api = world.api
    response = api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 12.5,
                                                           "unit": "kg"})
    order = ok(response, 201)
    assert response.headers["ETag"] == f'"{order["version"]}"'
    assert order["version"] == world.draft["version"] + 1
    [row] = order["components"]
    assert row == {"id": row["id"], "variantId": CANDLE, "title": "Candle", "sku": "CNDL-1", "unit": "kg",
                   "quantityPlanned": 12.5, "quantityProduced": 0, "materials": CANDLE_MATERIALS}
    assert with_sku(row["materials"]) == world.bom["lines"]
    assert get_order(api, world.draft) == order
    last = events(api, world.draft)[-1]
    assert last["type"] == "component_added" and last["actor"] == "7001"
    [(path, (old, new))] = last["changes"].items()
    assert path == f"components.{row['id']}" and old is None
    assert (new["variantId"], new["title"], new["sku"]) == (CANDLE, "Candle", "CNDL-1")
    assert [(m["variantId"], m["title"], Decimal(str(m["quantityPerUnit"]))) for m in new["materials"]] == [
        (WAX, "Wax", Decimal("0.25")), (WICK, "Wick", Decimal(1))]
    # The same BOM can be added again as a second row; unit defaults to pcs.
    order = ok(api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 3}), 201)
    assert [(c["variantId"], c["unit"], c["quantityPlanned"], c["materials"]) for c in order["components"]] == [
        (CANDLE, "kg", 12.5, CANDLE_MATERIALS), (CANDLE, "pcs", 3, CANDLE_MATERIALS)]


def test_the_history_of_a_bom_built_row_shows_material_quantities_as_json_numbers(world):
    """SPEC §3: decimals are JSON numbers everywhere, the history's row snapshot included."""
    order = ok(world.api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 2}),
               201)
    [(_, (_, new))] = events(world.api, world.draft)[-1]["changes"].items()
    assert new["quantityPlanned"] == 2
    assert new["materials"] == order["components"][0]["materials"] == CANDLE_MATERIALS


def test_adding_from_a_bom_while_in_progress_may_record_the_produced_quantity(world):
    order = ok(world.api.post(components_url(world.in_progress), json={
        "bomId": world.bom["id"], "quantityPlanned": 10, "quantityProduced": 7.125, "unit": "kg"}), 201)
    [row] = order["components"]
    assert (row["variantId"], row["quantityProduced"], row["materials"]) == (CANDLE, 7.125, CANDLE_MATERIALS)


def test_later_edits_deactivation_and_deletion_of_the_bom_do_not_change_orders(world):
    api = world.api
    draft = ok(api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 4}), 201)
    in_progress = ok(api.post(components_url(world.in_progress), json={"bomId": world.bom["id"],
                                                                      "quantityPlanned": 2}), 201)
    history = (events(api, world.draft), events(api, world.in_progress))

    def unchanged():
        assert get_order(api, world.draft) == draft
        assert get_order(api, world.in_progress) == in_progress
        assert (events(api, world.draft), events(api, world.in_progress)) == history

    ok(api.patch(bom_url(world.bom), json={"lines": [line(WAX, 0.5, title="Soy wax"), line(JAR, 1, title="Jar")]}))
    unchanged()
    ok(api.patch(bom_url(world.bom), json={"name": "Renamed", "outputVariantId": LID, "outputTitle": "Lid candle",
                                           "outputSku": "LID-1"}))
    unchanged()
    ok(api.patch(bom_url(world.bom), json={"active": False}))
    unchanged()
    assert draft["components"][0]["materials"] == CANDLE_MATERIALS
    assert (draft["components"][0]["variantId"], draft["components"][0]["sku"]) == (CANDLE, "CNDL-1")
    # A row added after the edit takes the BOM as it is now.
    ok(api.patch(bom_url(world.bom), json={"active": True}))
    order = ok(api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 1}), 201)
    assert order["components"][0] == draft["components"][0]
    assert (order["components"][1]["variantId"], order["components"][1]["title"], order["components"][1]["sku"],
            order["components"][1]["materials"]) == (
        LID, "Lid candle", "LID-1", [
            {"variantId": WAX, "title": "Soy wax", "sku": "SKU-8002", "quantityPerUnit": 0.5},
            {"variantId": JAR, "title": "Jar", "sku": f"SKU-{JAR.rsplit('/', 1)[1]}", "quantityPerUnit": 1}])


@pytest.mark.parametrize("target", ["draft", "in_progress"])
def test_an_inactive_bom_cannot_be_added(world, target):
    order = getattr(world, target)
    error = refused(world.api, "POST", components_url(order), {"bomId": world.inactive["id"], "quantityPlanned": 1},
                    422, "validation_failed")
    assert set(error["details"]) == {"bomId"}
    after = get_order(world.api, order)
    assert after["version"] == order["version"] and after["components"] == order["components"] == []


def test_a_bom_deactivated_by_patch_cannot_be_added_and_can_again_once_reactivated(world):
    api = world.api
    ok(api.patch(bom_url(world.bom), json={"active": False}))
    refused(api, "POST", components_url(world.draft), {"bomId": world.bom["id"], "quantityPlanned": 1},
            422, "validation_failed")
    assert get_order(api, world.draft)["version"] == world.draft["version"]
    ok(api.patch(bom_url(world.bom), json={"active": True}))
    ok(api.post(components_url(world.draft), json={"bomId": world.bom["id"], "quantityPlanned": 1}), 201)


@pytest.mark.parametrize("which", ["another shop's BOM", "a deleted BOM", "an id never used", "id 0",
                                   "a negative id", "id 2**31", "id 2**63"])
def test_a_bom_that_is_not_this_shops_is_refused_and_nothing_added(world, which):
    if which == "a deleted BOM":
        assert world.api.delete(bom_url(world.inactive)).status_code == 204
    bom_id = {"another shop's BOM": world.foreign_bom["id"], "a deleted BOM": world.inactive["id"],
              "an id never used": 999999, "id 0": 0, "a negative id": -1, "id 2**31": 2**31,
              "id 2**63": 2**63}[which]
    error = refused(world.api, "POST", components_url(world.draft), {"bomId": bom_id, "quantityPlanned": 1},
                    422, "validation_failed")
    assert set(error["details"]) == {"bomId"}
    assert "Soap" not in json.dumps(error) and LID not in json.dumps(error)
    assert get_order(world.api, world.draft) == world.draft


def test_another_shop_cannot_add_this_shops_bom_to_its_order(world):
    refused(world.other, "POST", components_url(world.foreign_order), {"bomId": world.bom["id"],
                                                                      "quantityPlanned": 1},
            422, "validation_failed")
    # ...nor add anything to this shop's orders.
    refused(world.other, "POST", components_url(world.draft), {"bomId": world.foreign_bom["id"],
                                                              "quantityPlanned": 1}, 404, "not_found")


ADD_CASES = {
    "quantityProduced on a draft": ({"quantityPlanned": 1, "quantityProduced": 1}, "quantityProduced"),
    "quantityProduced 0 on a draft": ({"quantityPlanned": 1, "quantityProduced": 0}, "quantityProduced"),
    "quantityPlanned missing": ({}, "quantityPlanned"),
    "quantityPlanned as a string": ({"quantityPlanned": "1"}, "quantityPlanned"),
    "quantityPlanned with 4 decimals": ({"quantityPlanned": 1.0001}, "quantityPlanned"),
    "quantityPlanned negative": ({"quantityPlanned": -1}, "quantityPlanned"),
    "a unit not in the list": ({"quantityPlanned": 1, "unit": "g"}, "unit"),
    "materials next to the bomId": ({"quantityPlanned": 1, "materials": []}, "materials"),
    "a title next to the bomId": ({"quantityPlanned": 1, "title": "Mine"}, "title"),
}


@pytest.mark.parametrize(("extra", "path"), ADD_CASES.values(), ids=ADD_CASES.keys())
def test_an_invalid_row_from_a_bom_is_refused(world, extra, path):
    error = refused(world.api, "POST", components_url(world.draft), {"bomId": world.bom["id"], **extra},
                    422, "validation_failed")
    assert path in error["details"], error


@pytest.mark.parametrize("bom_id", ["1", 1.5, True, None])
def test_a_bom_id_that_is_not_a_whole_number_is_refused(world, bom_id):
    error = refused(world.api, "POST", components_url(world.draft), {"bomId": bom_id, "quantityPlanned": 1},
                    422, "validation_failed")
    assert "bomId" in error["details"]


@pytest.mark.parametrize("target", ["completed", "cancelled"])
@pytest.mark.parametrize("bom", ["active", "inactive", "foreign", "invalid body"])
def test_a_read_only_order_answers_409_even_with_a_bom_id(world, target, bom):
    order = getattr(world, target)
    body = {"active": {"bomId": world.bom["id"], "quantityPlanned": 1},
            "inactive": {"bomId": world.inactive["id"], "quantityPlanned": 1},
            "foreign": {"bomId": world.foreign_bom["id"], "quantityPlanned": 1},
            "invalid body": {"bomId": world.bom["id"], "quantityPlanned": "x", "quantityProduced": 1}}[bom]
    refused(world.api, "POST", components_url(order), body, 409, "read_only")
    assert get_order(world.api, order)["version"] == order["version"]


def test_if_match_guards_adding_from_a_bom(world):
    body = {"bomId": world.bom["id"], "quantityPlanned": 1}
    url = components_url(world.draft)
    refused(world.api, "POST", url, body, 412, "version_mismatch", headers={"If-Match": '"99"'})
    refused(world.api, "POST", url, body, 412, "version_mismatch", headers={"If-Match": "garbage"})
    response = world.api.post(url, json=body, headers={"If-Match": f'"{world.draft["version"]}"'})
    assert ok(response, 201)["version"] == world.draft["version"] + 1


def test_the_order_of_an_unknown_shop_is_not_found_before_the_bom_is_looked_at(world):
    refused(world.api, "POST", components_url(world.foreign_order), {"bomId": world.bom["id"],
                                                                    "quantityPlanned": 1}, 404, "not_found")
    refused(world.api, "POST", f"{ORDERS}/999999/components", {"bomId": world.bom["id"],
                                                               "quantityPlanned": 1}, 404, "not_found")


def test_a_bom_built_row_is_exact_in_the_database(world):
    """Quantities reach the JSON snapshot as exact decimal strings, not floats."""
    api = world.api
    bom = ok(api.post(BOMS, json={"name": "Precise", "outputVariantId": JAR,
                                  "lines": [{"variantId": WAX, "quantityPerUnit": 0.1},
                                            {"variantId": LID, "quantityPerUnit": 123456.789}]}), 201)
    order = ok(api.post(components_url(world.draft), json={"bomId": bom["id"], "quantityPlanned": 3}), 201)
    db.session.expire_all()
    stored = db.session.execute(db.text("SELECT materials FROM components WHERE id = :id"),
                                {"id": order["components"][0]["id"]}).scalar_one()
    db.session.rollback()
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert [(m["variantId"], Decimal(str(m["quantityPerUnit"]))) for m in stored] == [
        (WAX, Decimal("0.1")), (LID, Decimal("123456.789"))]
    assert [m["quantityPerUnit"] for m in order["components"][0]["materials"]] == [0.1, 123456.789]
