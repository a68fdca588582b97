"""Issue #13 at the API: ids checked against Shopify (on save and at start), whole pieces, the
all-or-nothing whole-form save, and the list's outputs and search. SQLite, then PostgreSQL.

Shopify is faked at its HTTP boundary (`responses`, tests/shopify_catalogue.py): an id answers as
existing unless the test puts it in `shopify_catalogue.missing`.
"""

import pytest

from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .builders import LOCATION, VARIANT, VARIANT_2, component
from .conftest import AuthedClient

ORDERS = "/api/production-orders"
GHOST = "gid://shopify/ProductVariant/999000"
GHOST_LOCATION = "gid://shopify/Location/999001"


@pytest.fixture
def api(client, shop):
    return AuthedClient(client, shop.domain)


def create(api, reference="PO-1", **fields):
    response = api.post(ORDERS, json={"reference": reference, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refused(response, status=422):
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]


def order_count(api) -> int:
    return api.get(ORDERS).get_json()["total"]


# ------------------------------------------------------------------ ids checked against Shopify


def test_a_mistyped_variant_is_refused_when_the_order_is_saved_naming_the_row(api, shopify_catalogue):
    shopify_catalogue.missing.add(GHOST)
    error = refused(api.post(ORDERS, json={"reference": "PO-1", "components": [
        component(), component(GHOST, title="Amber jar")]}))
    assert error["code"] == "validation_failed"
    assert error["details"] == {"components[1].variantId": "no such product variant in this shop"}
    assert "Component 2 (Amber jar)" in error["message"]
    assert order_count(api) == 0
    assert shopify_catalogue.requests == [[VARIANT, GHOST]]  # one batched call for the request


def test_mistyped_materials_and_locations_are_named_too(api, shopify_catalogue):
    shopify_catalogue.missing.update({GHOST, GHOST_LOCATION})
    error = refused(api.post(ORDERS, json={"reference": "PO-1", "locationId": GHOST_LOCATION, "components": [
        component(materials=[{"variantId": VARIANT_2, "quantityPerUnit": 1}, {"variantId": GHOST, "quantityPerUnit": 2}])]}))
    assert error["details"] == {"locationId": "no such location in this shop",
                                "components[0].materials[1].variantId": "no such product variant in this shop"}
    order = create(api)
    shopify_catalogue.inactive.add(LOCATION)
    error = refused(api.patch(f"{ORDERS}/{order['id']}", json={"locationId": LOCATION}))
    assert error["details"] == {"locationId": "this location is deactivated in Shopify"}


def test_adding_or_editing_a_row_checks_its_variant(api, shopify_catalogue):
    order = create(api, components=[component()])
    shopify_catalogue.missing.add(GHOST)
    error = refused(api.post(f"{ORDERS}/{order['id']}/components", json=component(GHOST)))
    assert error["details"] == {"variantId": "no such product variant in this shop"}
    row = order["components"][0]["id"]
    error = refused(api.patch(f"{ORDERS}/{order['id']}/components/{row}", json={"variantId": GHOST}))
    assert error["details"] == {"variantId": "no such product variant in this shop"}
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["version"] == order["version"]


def test_a_variant_deleted_in_shopify_after_saving_stops_the_start(api, shopify_catalogue):
    order = create(api, locationId=LOCATION, components=[component(), component(VARIANT_2, title="Jar")])
    shopify_catalogue.missing.add(VARIANT_2)
    error = refused(api.post(f"{ORDERS}/{order['id']}/start"))
    assert error["details"] == {"components[1].variantId": "no such product variant in this shop"}
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["status"] == "draft"


def test_when_shopify_cannot_be_asked_nothing_is_saved(api, backend, shopify_catalogue):
    backend.config["SYNC_HTTP_RETRIES"] = 0
    shopify_catalogue.unavailable = True
    error = refused(api.post(ORDERS, json={"reference": "PO-1", "components": [component()]}), 503)
    assert error["code"] == "service_unavailable"
    assert "Nothing was saved" in error["message"]
    assert order_count(api) == 0


def test_a_row_typed_by_variant_id_gets_shopifys_title_and_sku(api):
    order = create(api, components=[{"variantId": VARIANT, "quantityPlanned": 2,
                                     "materials": [{"variantId": VARIANT_2, "quantityPerUnit": 1}]}])
    [row] = order["components"]
    assert (row["title"], row["sku"]) == ("Variant 1001", "SKU-1001")
    assert (row["materials"][0]["title"], row["materials"][0]["sku"]) == ("Variant 1002", "SKU-1002")


# ------------------------------------------------------------------ whole pieces


@pytest.mark.parametrize("request_kind", ["create", "add", "edit"])
def test_a_row_counted_in_pieces_refuses_fractions(api, request_kind):
    message = "must be a whole number: this row is counted in pieces (pcs). Choose a measured unit such as kg for fractions."
    if request_kind == "create":
        error = refused(api.post(ORDERS, json={"reference": "PO-1", "components": [component(planned=1.5)]}))
        assert error["details"] == {"components[0].quantityPlanned": message}
        return
    order = create(api, components=[component(planned=2.5, unit="kg")])
    if request_kind == "add":
        error = refused(api.post(f"{ORDERS}/{order['id']}/components", json=component(planned=0.5)))
        assert error["details"] == {"quantityPlanned": message}
    else:  # switching a row with a fraction to pieces
        row = order["components"][0]["id"]
        error = refused(api.patch(f"{ORDERS}/{order['id']}/components/{row}", json={"unit": "pcs"}))
        assert error["details"] == {"quantityPlanned": message}
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["version"] == order["version"]


# ------------------------------------------------------------------ the whole form in one save


def test_one_save_that_fails_on_a_row_changes_nothing_at_all(api):
    order = create(api, notes="before", components=[component()])
    row = order["components"][0]["id"]
    error = refused(api.patch(f"{ORDERS}/{order['id']}", headers={"If-Match": f'"{order["version"]}"'}, json={
        "notes": "after", "components": [{"id": row, "quantityPlanned": 3}, component(VARIANT_2, planned=1.5)]}))
    assert error["details"] == {"components[1].quantityPlanned": error["details"]["components[1].quantityPlanned"]}
    after = api.get(f"{ORDERS}/{order['id']}").get_json()
    assert (after["notes"], after["version"], after["components"]) == ("before", order["version"], order["components"])
    assert len(api.get(f"{ORDERS}/{order['id']}/events").get_json()["items"]) == 1


def test_one_save_adds_changes_and_removes_rows_with_one_event(api):
    order = create(api, components=[component(), component(VARIANT_2, planned=4)])
    keep, drop = (row["id"] for row in order["components"])
    response = api.patch(f"{ORDERS}/{order['id']}", headers={"If-Match": f'"{order["version"]}"'}, json={
        "notes": "Market stall", "components": [
            {"id": keep, "quantityPlanned": 12},
            {"variantId": "gid://shopify/ProductVariant/1003", "title": "Wick", "quantityPlanned": 0.5, "unit": "kg"}]})
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()
    assert saved["version"] == order["version"] + 1 and saved["notes"] == "Market stall"
    assert [(c["id"] == keep, c["variantId"], c["quantityPlanned"]) for c in saved["components"]] == [
        (True, VARIANT, 12), (False, "gid://shopify/ProductVariant/1003", 0.5)]
    [event] = api.get(f"{ORDERS}/{order['id']}/events").get_json()["items"][1:]
    added = saved["components"][1]["id"]
    assert event["type"] == "updated"
    assert set(event["changes"]) == {"notes", f"components.{keep}.quantityPlanned", f"components.{drop}",
                                     f"components.{added}"}
    # A stale copy of the form cannot overwrite it.
    stale = api.patch(f"{ORDERS}/{order['id']}", headers={"If-Match": f'"{order["version"]}"'},
                      json={"components": []})
    assert stale.status_code == 412


def test_one_save_refuses_rows_that_are_not_on_the_order(api):
    order = create(api, components=[component()])
    row = order["components"][0]["id"]
    error = refused(api.patch(f"{ORDERS}/{order['id']}", json={"components": [
        {"id": row}, {"id": row}, {"id": 987654}, {"title": "no variant"}]}))
    assert error["details"] == {"components[1].id": "names the same row twice.",
                                "components[2].id": "no such row on this order.",
                                "components[3].variantId": "is required for a new row.",
                                "components[3].quantityPlanned": "is required for a new row."}


# ------------------------------------------------------------------ the list


def test_the_list_shows_what_each_order_makes_and_search_finds_notes_and_material_skus(api):
    create(api, "PO-1", notes="For the Christmas market", components=[
        component(planned=10, materials=[{"variantId": VARIANT_2, "sku": "WAX-BAG", "quantityPerUnit": 1}])])
    create(api, "PO-2", components=[component("gid://shopify/ProductVariant/1003", planned=3, title="Wick")])
    items = api.get(ORDERS).get_json()["items"]
    assert [(i["reference"], i["componentCount"], [(o["title"], o["quantityPlanned"], o["quantityProduced"])
                                                   for o in i["outputs"]]) for i in items] == [
        ("PO-2", 1, [("Wick", 3, 0)]), ("PO-1", 1, [("Beeswax candle", 10, 0)])]
    assert [i["reference"] for i in api.get(f"{ORDERS}?q=christmas").get_json()["items"]] == ["PO-1"]
    assert [i["reference"] for i in api.get(f"{ORDERS}?q=wax-bag").get_json()["items"]] == ["PO-1"]
    # The materials' JSON keys are not searchable words.
    assert api.get(f"{ORDERS}?q=quantityPerUnit").get_json()["items"] == []
