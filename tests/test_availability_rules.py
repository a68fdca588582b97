"""What an order still needs and what it is short of (pure rules), and the batched Shopify read of its
stock, with Shopify faked at the HTTP boundary (`responses`: the exact query and variables sent)."""

from decimal import Decimal

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from responses import matchers

from shopify_app.admin_api import graphql as graphql_module
from shopify_app.admin_api import throttle as throttle_module
from shopify_app.admin_api.documents import INVENTORY_AVAILABILITY
from shopify_app.errors import ServiceUnavailable
from shopify_app.production import availability
from shopify_app.production.availability_rules import Material, Row, lines, needs, remaining, shortage, shortages

from .builders import LOCATION, SHOP

D = Decimal
GRAPHQL_URL = f"https://{SHOP}/admin/api/2026-10/graphql.json"
CANDLE, WAX, WICK = "gid://shopify/ProductVariant/1", "gid://shopify/ProductVariant/2", "gid://shopify/ProductVariant/3"
CANDLES = Row(CANDLE, "Candle", D("4"), D("0"), (Material(WAX, "Wax", D("0.25")), Material(WICK, "Wick", D("0.1"))))


# ------------------------------------------------------------------ the rules


def test_assembly_needs_its_materials_for_what_is_left_to_make():
    assert [(n.variant_id, n.required, n.path) for n in needs("assembly", [CANDLES])] == [
        (WAX, D("1"), "components[0].materials[0].variantId"),
        (WICK, D("0.4"), "components[0].materials[1].variantId")]
    half_done = Row(CANDLE, "Candle", D("4"), D("3"), CANDLES.materials)
    assert [n.required for n in needs("assembly", [half_done])] == [D("0.25"), D("0.1")]


@pytest.mark.parametrize("planned, produced, left", [("4", "0", "4"), ("4", "4", "0"), ("4", "5.5", "0"),
                                                     ("0.001", "0", "0.001")])
def test_what_is_left_never_goes_below_zero(planned, produced, left):
    assert remaining(D(planned), D(produced)) == D(left)


def test_disassembly_needs_the_product_it_takes_apart_and_not_its_materials():
    assert [(n.variant_id, n.required, n.path) for n in needs("disassembly", [CANDLES])] == [
        (CANDLE, D("4"), "components[0].variantId")]


def test_the_same_material_in_two_rows_adds_up_and_is_named_where_it_first_appears():
    pillars = Row("gid://shopify/ProductVariant/9", "Pillar", D("2"), D("0"), (Material(WAX, "", D("0.5")),))
    [wax, wick] = needs("assembly", [CANDLES, pillars])
    assert (wax.variant_id, wax.title, wax.required, wax.path) == (WAX, "Wax", D("2"), "components[0].materials[0].variantId")
    assert wick.required == D("0.4")


def test_an_intermediate_the_order_makes_is_needed_net_and_stays_listed_at_zero():
    blend = "gid://shopify/ProductVariant/7"
    make = Row(blend, "Blend", D("6"), D("0"), (Material(WAX, "Wax", D("1")),))
    use = Row(CANDLE, "Candle", D("10"), D("0"), (Material(blend, "Blend", D("0.5")),))
    assert [(n.variant_id, n.required) for n in needs("assembly", [make, use])] == [(WAX, D("6")), (blend, D("0"))]


def test_shortage_is_what_is_missing_and_untracked_items_or_unknown_locations_are_never_short():
    order_needs = needs("assembly", [CANDLES])
    assert [(l.available, l.shortage) for l in lines(order_needs, {WAX: 0, WICK: 10})] == [(0, D("1")), (10, D("0"))]
    assert [(l.available, l.shortage) for l in lines(order_needs, {WAX: None})] == [(None, D("0")), (0, D("0.4"))]
    assert [(l.available, l.shortage) for l in lines(order_needs, None)] == [(None, None), (None, None)]
    assert [l.variant_id for l in shortages(lines(order_needs, {WAX: -2, WICK: 1}))] == [WAX]
    assert shortage(D("1"), -2) == D("3")  # an oversold item is short by more than the need


quantities = st.decimals(min_value=0, max_value=10_000, places=3)


@given(st.lists(st.tuples(quantities, quantities, st.lists(st.tuples(st.sampled_from([WAX, WICK, CANDLE]),
                                                                   quantities.filter(bool)), max_size=3)),
                max_size=4),
       st.sampled_from(["assembly", "disassembly"]), st.integers(-50, 50))
def test_needs_and_shortages_are_exact_and_never_negative(rows, order_type, available):
    order_rows = [Row(f"gid://shopify/ProductVariant/{100 + i}", "", planned, produced,
                      tuple(Material(v, "", q) for v, q in materials))
                  for i, (planned, produced, materials) in enumerate(rows)]
    order_needs = needs(order_type, order_rows)
    for line in lines(order_needs, {need.variant_id: available for need in order_needs}):
        assert line.required >= 0 and line.shortage >= 0
        assert line.shortage == max(D(0), line.required - available)
    if order_type == "assembly" and not any(r.variant_id in (WAX, WICK, CANDLE) for r in order_rows):
        expected: dict[str, Decimal] = {}
        for row in order_rows:
            for material in row.materials:
                left = max(D(0), row.planned - row.produced)
                expected[material.variant_id] = expected.get(material.variant_id, D(0)) + left * material.quantity_per_unit
        assert {n.variant_id: n.required for n in order_needs} == expected


# ------------------------------------------------------------------ the Shopify read


@pytest.fixture(autouse=True)
def fresh_estimates(monkeypatch):
    """The bucket estimate and per-operation cost memory are process-wide: each test starts clean."""
    monkeypatch.setattr(throttle_module.throttle, "_memory", throttle_module.MemoryBudget())
    monkeypatch.setattr(graphql_module, "_unit_cost", {})


def answer(nodes, available=1990.0) -> dict:
    return {"data": {"nodes": nodes}, "extensions": {"cost": {
        "requestedQueryCost": 4 * len(nodes), "actualQueryCost": 4 * len(nodes),
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": available, "restoreRate": 100.0}}}}


def variant_node(gid, quantity=None, tracked=True):
    level = None if quantity is None else {"quantities": [{"name": "available", "quantity": quantity}]}
    return {"__typename": "ProductVariant", "id": gid, "inventoryItem": {"tracked": tracked, "inventoryLevel": level}}


def query(ids) -> list:
    return [matchers.json_params_matcher({"query": INVENTORY_AVAILABILITY, "operationName": "InventoryAvailability",
                                          "variables": {"ids": ids, "locationId": LOCATION}})]


def test_one_query_per_hundred_variants_reads_available_untracked_unstocked_and_deleted(app, shop):
    ids = [f"gid://shopify/ProductVariant/{n}" for n in range(1, 251)]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as shopify:
        for start in (0, 100, 200):
            chunk = ids[start:start + 100]
            nodes = [variant_node(gid, 5) for gid in chunk]
            if start == 0:
                nodes[0], nodes[1], nodes[2] = variant_node(ids[0], None), variant_node(ids[1], 9, tracked=False), None
            shopify.post(GRAPHQL_URL, json=answer(nodes), match=query(chunk))
        stock = availability.read_stock(shop, {LOCATION: ids + ids[:5]})  # repeats are asked once
        assert len(shopify.calls) == 3
    assert stock[(ids[0], LOCATION)] == 0  # never stocked at the location
    assert stock[(ids[1], LOCATION)] is None  # Shopify does not count it
    assert (ids[2], LOCATION) not in stock  # deleted in Shopify: not known at all
    assert stock[(ids[249], LOCATION)] == 5 and len(stock) == 249


def test_a_throttled_answer_is_waited_out_and_asked_again(app, shop):
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": {"cost": {"requestedQueryCost": 8, "actualQueryCost": None, "throttleStatus": {
                     "maximumAvailable": 2000.0, "currentlyAvailable": 2000, "restoreRate": 100.0}}}}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as shopify:
        shopify.post(GRAPHQL_URL, json=throttled, match=query([WAX, WICK]))
        shopify.post(GRAPHQL_URL, json=answer([variant_node(WAX, 3), variant_node(WICK, 1)]), match=query([WAX, WICK]))
        stock = availability.read_stock(shop, {LOCATION: [WAX, WICK]})
        assert len(shopify.calls) == 2
    assert stock == {(WAX, LOCATION): 3, (WICK, LOCATION): 1}


@pytest.mark.parametrize("status, retry_after, expected", [(503, None, "5"), (429, "2", "2")])
def test_shopify_failing_is_a_503_with_retry_after(app, shop, status, retry_after, expected):
    app.config["SYNC_HTTP_RETRIES"] = 0
    headers = {"Retry-After": retry_after} if retry_after else {}
    with responses.RequestsMock() as shopify:
        shopify.post(GRAPHQL_URL, status=status, body="unavailable", headers=headers)
        with pytest.raises(ServiceUnavailable) as error:
            availability.read_stock(shop, {LOCATION: [WAX]})
    assert error.value.headers == {"Retry-After": expected}
    assert "shpat" not in error.value.message
