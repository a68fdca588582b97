"""Issue #15 item 1 at the API: availability, the shortage policy at start, the list's shortage filter.
SQLite, then PostgreSQL.

Shopify is faked at its HTTP boundary (`responses`, tests/shopify_catalogue.py): `stock` holds the
`available` quantity per (variant, location) and `stock_requests` every InventoryAvailability call.
"""

import pytest

from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .builders import LOCATION, LOCATION_2, OTHER_SHOP, VARIANT, installed_shop
from .conftest import AuthedClient

ORDERS = "/api/production-orders"
CANDLE = VARIANT
WAX = "gid://shopify/ProductVariant/2001"
WICK = "gid://shopify/ProductVariant/2002"
JAR = "gid://shopify/ProductVariant/2003"
CANDLE_ROW = {"variantId": CANDLE, "title": "Candle in a jar", "quantityPlanned": 4, "materials": [
    {"variantId": WAX, "title": "Beeswax", "quantityPerUnit": 0.25},
    {"variantId": WICK, "title": "Wick", "quantityPerUnit": 0.1},
    {"variantId": JAR, "title": "Jar", "quantityPerUnit": 1}]}


@pytest.fixture
def api(client, shop):
    return AuthedClient(client, shop.domain)


def create(api, reference="PO-1", rows=(CANDLE_ROW,), **fields):
    response = api.post(ORDERS, json={"reference": reference, "locationId": LOCATION,
                                      "components": list(rows), **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def availability(api, order_id, status=200):
    response = api.get(f"{ORDERS}/{order_id}/availability")
    assert response.status_code == status, response.get_json()
    return response.get_json()


def set_policy(api, policy):
    response = api.put("/api/settings", json={"syncProductionOrdersToShopifyByDefault": False,
                                              "defaultLocationId": None, "syncMode": "on_complete",
                                              "shortagePolicy": policy})
    assert response.status_code == 200, response.get_json()


def stock(catalogue, location=LOCATION, **quantities):
    names = {"wax": WAX, "wick": WICK, "jar": JAR, "candle": CANDLE}
    for name, quantity in quantities.items():
        catalogue.stock[(names[name], location)] = quantity


# ------------------------------------------------------------------ GET …/availability


def test_a_draft_lists_each_material_it_needs_with_shopifys_stock_and_the_shortage(api, shopify_catalogue):
    order = create(api)
    stock(shopify_catalogue, wax=0, wick=10, jar=2)
    assert availability(api, order["id"]) == {"locationId": LOCATION, "items": [
        {"variantId": WAX, "title": "Beeswax", "required": 1, "available": 0, "shortage": 1},
        {"variantId": WICK, "title": "Wick", "required": 0.4, "available": 10, "shortage": 0},
        {"variantId": JAR, "title": "Jar", "required": 4, "available": 2, "shortage": 2}]}
    # One batched query for every material of the order, at its location.
    assert shopify_catalogue.stock_requests == [{"ids": [WAX, WICK, JAR], "locationId": LOCATION}]


def test_fractions_stay_exact_and_an_item_never_stocked_there_counts_as_none(api, shopify_catalogue):
    order = create(api, rows=[{**CANDLE_ROW, "quantityPlanned": 3}])
    stock(shopify_catalogue, wax=0)  # wick and jar have no inventory level at the location
    items = {i["variantId"]: i for i in availability(api, order["id"])["items"]}
    assert items[WAX]["required"] == 0.75 and items[WAX]["shortage"] == 0.75
    assert items[WICK] == {"variantId": WICK, "title": "Wick", "required": 0.3, "available": 0, "shortage": 0.3}


def test_an_untracked_item_is_never_short(api, shopify_catalogue):
    order = create(api)
    shopify_catalogue.untracked.add(JAR)
    items = {i["variantId"]: i for i in availability(api, order["id"])["items"]}
    assert items[JAR] == {"variantId": JAR, "title": "Jar", "required": 4, "available": None, "shortage": 0}


def test_in_progress_only_what_is_left_to_make_is_needed(api, shopify_catalogue):
    second = {"variantId": "gid://shopify/ProductVariant/1009", "title": "Pillar candle", "quantityPlanned": 2,
              "materials": [{"variantId": WAX, "title": "Beeswax", "quantityPerUnit": 0.5}]}
    order = create(api, rows=[{**CANDLE_ROW, "quantityPlanned": 10}, second])
    order = api.post(f"{ORDERS}/{order['id']}/start").get_json()
    rows = order["components"]
    patched = api.patch(f"{ORDERS}/{order['id']}/components/{rows[0]['id']}", json={"quantityProduced": 4})
    assert patched.status_code == 200
    # Produced beyond the plan: nothing more is needed for that row (never a negative need).
    assert api.patch(f"{ORDERS}/{order['id']}/components/{rows[1]['id']}", json={"quantityProduced": 3}).status_code == 200
    stock(shopify_catalogue, wax=1, wick=1, jar=6)
    items = {i["variantId"]: i for i in availability(api, order["id"])["items"]}
    assert items[WAX] == {"variantId": WAX, "title": "Beeswax", "required": 1.5, "available": 1, "shortage": 0.5}
    assert items[WICK]["required"] == 0.6 and items[WICK]["shortage"] == 0
    assert items[JAR]["required"] == 6 and items[JAR]["shortage"] == 0


def test_a_disassembly_needs_the_product_it_takes_apart(api, shopify_catalogue):
    order = create(api, type="disassembly")
    stock(shopify_catalogue, candle=3)
    assert availability(api, order["id"]) == {"locationId": LOCATION, "items": [
        {"variantId": CANDLE, "title": "Candle in a jar", "required": 4, "available": 3, "shortage": 1}]}


def test_a_variant_the_order_also_makes_is_needed_net_of_what_it_makes(api, shopify_catalogue):
    blend = "gid://shopify/ProductVariant/2010"
    make_blend = {"variantId": blend, "title": "Wax blend", "quantityPlanned": 2,
                  "materials": [{"variantId": WAX, "title": "Beeswax", "quantityPerUnit": 1}]}
    use_blend = {"variantId": CANDLE, "title": "Candle", "quantityPlanned": 10,
                 "materials": [{"variantId": blend, "title": "Wax blend", "quantityPerUnit": 0.5}]}
    order = create(api, rows=[make_blend, use_blend])
    stock(shopify_catalogue, wax=5)
    shopify_catalogue.stock[(blend, LOCATION)] = 1
    items = {i["variantId"]: i for i in availability(api, order["id"])["items"]}
    # 5 of blend used, 2 made by the order itself: 3 must come from stock.
    assert items[blend] == {"variantId": blend, "title": "Wax blend", "required": 3, "available": 1, "shortage": 2}
    assert CANDLE not in items  # only made, never consumed


def test_a_draft_without_a_location_is_read_at_the_shops_default(api, shopify_catalogue):
    order = create(api, locationId=None)
    assert availability(api, order["id"])["items"][0] == {
        "variantId": WAX, "title": "Beeswax", "required": 1, "available": None, "shortage": None}
    assert shopify_catalogue.stock_requests == []  # nowhere to ask about
    api.put("/api/settings", json={"syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": LOCATION_2,
                                   "syncMode": "on_complete"})
    stock(shopify_catalogue, location=LOCATION_2, wax=7)
    answer = availability(api, order["id"])
    assert answer["locationId"] == LOCATION_2 and answer["items"][0]["available"] == 7


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_a_completed_or_cancelled_order_needs_nothing_and_shopify_is_not_asked(api, shopify_catalogue, action):
    order = create(api)
    if action == "complete":
        api.post(f"{ORDERS}/{order['id']}/start")
    assert api.post(f"{ORDERS}/{order['id']}/{action}").status_code == 200
    assert availability(api, order["id"]) == {"locationId": LOCATION, "items": []}
    assert shopify_catalogue.stock_requests == []


def test_shopify_down_is_a_503_with_retry_after_never_a_500(api, backend, shopify_catalogue):
    backend.config["SYNC_HTTP_RETRIES"] = 0
    order = create(api)
    shopify_catalogue.stock_unavailable = True
    response = api.get(f"{ORDERS}/{order['id']}/availability")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert "in stock could not be read" in response.get_json()["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1


def test_another_shops_order_is_not_found(api, client, shopify_catalogue):
    order = create(api)
    other = AuthedClient(client, installed_shop(OTHER_SHOP).domain)
    assert availability(other, order["id"], 404)["error"]["code"] == "not_found"
    assert shopify_catalogue.stock_requests == []


# ------------------------------------------------------------------ shortagePolicy


def test_the_policy_is_warn_by_default_and_kept_when_a_put_leaves_it_out(api):
    assert api.get("/api/settings").get_json()["shortagePolicy"] == "warn"
    set_policy(api, "block")
    response = api.put("/api/settings", json={"syncProductionOrdersToShopifyByDefault": True,
                                              "defaultLocationId": None, "syncMode": "on_complete"})
    assert response.get_json()["shortagePolicy"] == "block"
    bad = api.put("/api/settings", json={"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": None,
                                         "syncMode": "on_complete", "shortagePolicy": "refuse"})
    assert bad.status_code == 422 and "shortagePolicy" in bad.get_json()["error"]["details"]


def test_warn_starts_an_order_that_is_short_and_still_shows_the_shortage(api, shopify_catalogue):
    order = create(api)
    stock(shopify_catalogue, wax=0, wick=10, jar=10)
    started = api.post(f"{ORDERS}/{order['id']}/start")
    assert started.status_code == 200 and started.get_json()["status"] == "in_progress"
    assert shopify_catalogue.stock_requests == []  # warn never asks at start
    assert availability(api, order["id"])["items"][0]["shortage"] == 1


def test_block_refuses_the_start_listing_each_shortage_and_changes_nothing(api, shopify_catalogue):
    set_policy(api, "block")
    order = create(api)
    stock(shopify_catalogue, wax=0, wick=10, jar=3)
    response = api.post(f"{ORDERS}/{order['id']}/start", headers={"If-Match": f'"{order["version"]}"'})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"] == {
        "components[0].materials[0].variantId": "short by 1: 1 needed, 0 available",
        "components[0].materials[2].variantId": "short by 1: 4 needed, 3 available"}
    assert "Beeswax (short by 1)" in error["message"] and "Jar (short by 1)" in error["message"]
    after = api.get(f"{ORDERS}/{order['id']}").get_json()
    assert (after["status"], after["version"], after["startedAt"]) == ("draft", order["version"], None)
    assert [e["type"] for e in api.get(f"{ORDERS}/{order['id']}/events").get_json()["items"]] == ["created"]
    stock(shopify_catalogue, wax=1, jar=4)  # stock arrives: the same order starts
    assert api.post(f"{ORDERS}/{order['id']}/start").get_json()["status"] == "in_progress"


def test_block_refuses_rather_than_start_blind_when_shopify_cannot_answer(api, backend, shopify_catalogue):
    backend.config["SYNC_HTTP_RETRIES"] = 0
    set_policy(api, "block")
    order = create(api)
    shopify_catalogue.stock_unavailable = True
    response = api.post(f"{ORDERS}/{order['id']}/start")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "service_unavailable"
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["status"] == "draft"
    set_policy(api, "warn")  # warn does not depend on the stock query
    assert api.post(f"{ORDERS}/{order['id']}/start").get_json()["status"] == "in_progress"


def test_block_needs_a_location_to_check_and_lets_an_order_needing_nothing_start(api, shopify_catalogue):
    set_policy(api, "block")
    order = create(api, locationId=None)
    error = api.post(f"{ORDERS}/{order['id']}/start").get_json()["error"]
    assert error["code"] == "validation_failed" and "locationId" in error["details"]
    plain = create(api, "PO-2", rows=[{"variantId": CANDLE, "title": "Candle", "quantityPlanned": 2}])
    assert api.post(f"{ORDERS}/{plain['id']}/start").get_json()["status"] == "in_progress"
    assert shopify_catalogue.stock_requests == []


def test_under_block_a_material_deleted_in_shopify_is_named_as_such_not_as_short(api, shopify_catalogue):
    set_policy(api, "block")
    order = create(api)
    stock(shopify_catalogue, wick=1, jar=4)
    shopify_catalogue.missing.add(WAX)
    error = api.post(f"{ORDERS}/{order['id']}/start").get_json()["error"]
    assert error["details"] == {"components[0].materials[0].variantId": "no such product variant in this shop"}


def test_block_checks_a_disassembly_against_the_product_it_takes_apart(api, shopify_catalogue):
    set_policy(api, "block")
    order = create(api, type="disassembly")
    stock(shopify_catalogue, candle=3)
    error = api.post(f"{ORDERS}/{order['id']}/start").get_json()["error"]
    assert error["details"] == {"components[0].variantId": "short by 1: 4 needed, 3 available"}


# ------------------------------------------------------------------ the list's filter


def test_the_list_filter_shows_only_drafts_that_are_short_asking_shopify_once_per_location(api, shopify_catalogue):
    short = create(api, "PO-SHORT")
    create(api, "PO-FINE", rows=[{**CANDLE_ROW, "quantityPlanned": 1}])
    elsewhere = create(api, "PO-ELSEWHERE", locationId=LOCATION_2)
    started = create(api, "PO-STARTED")
    api.post(f"{ORDERS}/{started['id']}/start")
    create(api, "PO-NOWHERE", locationId=None)  # no location, no default: nothing known
    stock(shopify_catalogue, wax=1, wick=1, jar=2)
    stock(shopify_catalogue, location=LOCATION_2, wax=0, wick=1, jar=9)
    answer = api.get(f"{ORDERS}?shortage=true").get_json()
    assert [o["reference"] for o in answer["items"]] == ["PO-ELSEWHERE", "PO-SHORT"]
    assert (answer["total"], answer["totalExact"]) == (2, True)
    assert sorted((r["locationId"], tuple(r["ids"])) for r in shopify_catalogue.stock_requests) == [
        (LOCATION, (WAX, WICK, JAR)), (LOCATION_2, (WAX, WICK, JAR))]
    assert [o["id"] for o in api.get(f"{ORDERS}?shortage=true&q=elsewhere").get_json()["items"]] == [elsewhere["id"]]
    assert api.get(f"{ORDERS}?shortage=true&status=in_progress").get_json()["items"] == []
    assert api.get(f"{ORDERS}?shortage=false").get_json()["total"] == 5
    assert short["id"] in [o["id"] for o in api.get(f"{ORDERS}?shortage=true&perPage=1&page=2").get_json()["items"]]


def test_the_list_filter_refuses_other_values_and_answers_503_when_shopify_is_down(api, backend, shopify_catalogue):
    backend.config["SYNC_HTTP_RETRIES"] = 0
    assert api.get(f"{ORDERS}?shortage=yes").status_code == 422
    create(api)
    shopify_catalogue.stock_unavailable = True
    response = api.get(f"{ORDERS}?shortage=true")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "service_unavailable"


def test_the_csv_export_takes_the_same_filter(api, shopify_catalogue):
    create(api, "PO-SHORT")
    create(api, "PO-FINE", rows=[{**CANDLE_ROW, "quantityPlanned": 1}])
    stock(shopify_catalogue, wax=1, wick=1, jar=2)
    text = api.get(f"{ORDERS}.csv?shortage=true").get_data(as_text=True)
    assert "PO-SHORT" in text and "PO-FINE" not in text
