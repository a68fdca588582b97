"""Costing in the API (SPEC §9): the order's cost block to the cent, labour and overhead as money,
the frozen final cost, BOM estimates and the costUpdate setting, on SQLite and PostgreSQL."""

import pytest

from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .builders import LOCATION
from .conftest import AuthedClient

ORDERS = "/api/production-orders"
CANDLE, WAX, WICK, JAR = (f"gid://shopify/ProductVariant/{n}" for n in (8005, 8002, 8003, 8004))
MATERIALS = [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25},
             {"variantId": WICK, "title": "Wick", "quantityPerUnit": 0.1},
             {"variantId": JAR, "title": "Jar", "quantityPerUnit": 1}]
SETTINGS = {"syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": None, "syncMode": "on_complete"}


@pytest.fixture
def api(client, shop, shopify_catalogue):  # noqa: F811
    shopify_catalogue.costs.update({WAX: "14.00", WICK: "2.50", JAR: "1.20"})
    return AuthedClient(client, shop.domain)


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def new_order(api, planned=4, **fields):
    body = {"reference": "PO-COST", "locationId": LOCATION, "syncProductionOrderToShopify": False,
            "components": [{"variantId": CANDLE, "title": "Candle in a jar", "quantityPlanned": planned,
                            "materials": MATERIALS}], **fields}
    return ok(api.post(ORDERS, json=body), 201)


def test_a_draft_is_estimated_from_the_costs_shopify_answered(api):
    order = new_order(api, labourCost=10, overheadCost=2.5)
    assert (order["labourCost"], order["overheadCost"]) == (10, 2.5)
    cost = ok(api.get(f"{ORDERS}/{order['id']}"))["cost"]
    assert cost == {
        "currency": "EUR", "state": "estimated",
        "materials": [{"variantId": WAX, "quantity": 1, "unitCost": 14, "total": 14},
                      {"variantId": WICK, "quantity": 0.4, "unitCost": 2.5, "total": 1},
                      {"variantId": JAR, "quantity": 4, "unitCost": 1.2, "total": 4.8}],
        "materialsTotal": 19.8, "labourCost": 10, "overheadCost": 2.5, "total": 32.3,
        "outputs": [{"componentId": order["components"][0]["id"], "variantId": CANDLE, "quantity": 4,
                     "unitCost": 8.075}],
        "shopifyCostUpdates": []}  # none before a completion push (SPEC §9)


def test_completion_freezes_the_unit_costs_and_uses_produced_quantities(api, shopify_catalogue):
    order = new_order(api, labourCost=10)
    order = ok(api.post(f"{ORDERS}/{order['id']}/start"))
    row = order["components"][0]["id"]
    ok(api.patch(f"{ORDERS}/{order['id']}/components/{row}", json={"quantityProduced": 3}))
    done = ok(api.post(f"{ORDERS}/{order['id']}/complete"))
    assert done["cost"]["state"] == "final"
    # 3 × 4.95 = 14.85 of materials, + 10 labour = 24.85; ÷ 3 = 8.28333…
    assert (done["cost"]["materialsTotal"], done["cost"]["total"]) == (14.85, 24.85)
    assert done["cost"]["outputs"][0]["unitCost"] == 8.2833
    # Shopify's costs move on (a later order's check reads them); the completed order keeps its own.
    shopify_catalogue.costs[WAX] = "20.00"
    ok(api.post(ORDERS, json={"reference": "PO-LATER", "components": [
        {"variantId": CANDLE, "quantityPlanned": 1, "materials": MATERIALS}]}), 201)
    again = ok(api.get(f"{ORDERS}/{order['id']}"))["cost"]
    assert again == done["cost"]


def test_a_material_without_a_cost_makes_the_cost_incomplete(api, shopify_catalogue):
    shopify_catalogue.costs[WICK] = None
    cost = ok(api.get(f"{ORDERS}/{new_order(api)['id']}"))["cost"]
    assert cost["state"] == "incomplete"
    assert [m["unitCost"] for m in cost["materials"]] == [14, None, 1.2]
    assert cost["outputs"][0]["unitCost"] is None and cost["materialsTotal"] == 18.8


def test_disassembly_is_not_costed(api):
    assert new_order(api, type="disassembly")["cost"]["state"] == "not_applicable"


@pytest.mark.parametrize(("value", "why"), [
    (-1, "zero or more"), (1.005, "2 decimal places"), (100000000, "at most"), ("10", "JSON number"),
    (True, "JSON number")])
def test_labour_and_overhead_refuse_bad_money_and_change_nothing(api, value, why):
    order = new_order(api, labourCost=5)
    for field in ("labourCost", "overheadCost"):
        response = api.patch(f"{ORDERS}/{order['id']}", json={field: value})
        body = response.get_json()
        assert response.status_code == 422 and why in body["error"]["details"][field], body
    after = ok(api.get(f"{ORDERS}/{order['id']}"))
    assert (after["labourCost"], after["overheadCost"], after["version"]) == (5, None, order["version"])
    assert api.post(ORDERS, json={"reference": "PO-BAD", "labourCost": -0.01}).status_code == 422


def test_labour_is_editable_in_progress_and_recorded_in_the_history(api):
    order = ok(api.post(f"{ORDERS}/{new_order(api)['id']}/start"))
    changed = ok(api.patch(f"{ORDERS}/{order['id']}", json={"labourCost": 12.5, "overheadCost": 0}))
    assert (changed["labourCost"], changed["overheadCost"], changed["cost"]["total"]) == (12.5, 0, 32.3)
    events = ok(api.get(f"{ORDERS}/{order['id']}/events"))["items"]
    assert events[-1]["changes"]["labourCost"] == [None, 12.5]


def test_a_bom_shows_its_estimated_cost_per_output_unit(api):
    bom = ok(api.post("/api/boms", json={"name": "Jar candle", "outputVariantId": CANDLE, "lines": MATERIALS}), 201)
    assert (bom["estimatedUnitCost"], bom["costCurrency"]) == (None, None)  # nothing read from Shopify yet
    new_order(api)  # the order's id check reads the materials' costs
    [listed] = ok(api.get("/api/boms"))["items"]
    assert (listed["estimatedUnitCost"], listed["costCurrency"]) == (4.95, "EUR")


def test_cost_update_is_optional_kept_when_left_out_and_checked(api):
    assert ok(api.get("/api/settings"))["costUpdate"] == "off"
    assert ok(api.put("/api/settings", json={**SETTINGS, "costUpdate": "weighted_average"}))["costUpdate"] == \
        "weighted_average"
    assert ok(api.put("/api/settings", json=SETTINGS))["costUpdate"] == "weighted_average"
    response = api.put("/api/settings", json={**SETTINGS, "costUpdate": "fifo"})
    assert response.status_code == 422 and "costUpdate" in response.get_json()["error"]["details"]
    assert ok(api.get("/api/settings"))["costUpdate"] == "weighted_average"
