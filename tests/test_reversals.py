"""Reversals of completed orders (SPEC §11): the pure arithmetic, then the API on both databases."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopify_app.production import reversal_rules
from shopify_app.production.reversal_rules import Cover

from .both_databases import backend, client, shop  # noqa: F401
from .builders import auth_headers, installed_shop

ORDERS = "/api/production-orders"
CANDLE, WAX, JAR = (f"gid://shopify/ProductVariant/{n}" for n in (501, 502, 503))
WORKSHOP = "gid://shopify/Location/71"
D = Decimal


# ------------------------------------------------------------------ pure


@pytest.mark.parametrize("status, planned, produced, expected", [
    ("draft", "3", "0", "3"),
    ("in_progress", "3", "1", "3"),
    ("in_progress", "1", "2.5", "2.5"),
    ("completed", "2", "2", "2"),
    ("cancelled", "3", "1", "1"),  # cancelled in progress: what was taken apart stays taken apart
    ("cancelled", "0", "0", "0"),
])
def test_a_reversal_row_covers_by_its_status(status, planned, produced, expected):
    assert reversal_rules.covered(status, D(planned), D(produced)) == D(expected)


def test_what_is_left_is_produced_less_every_reversal_per_row():
    covers = [Cover(1, "completed", D(2), D(2)), Cover(1, "draft", D("0.5"), D(0)), Cover(2, "cancelled", D(0), D(0))]
    left = reversal_rules.remaining({1: D(4), 2: D("1.5")}, covers)
    assert left == {1: D("1.5"), 2: D("1.5")}
    assert reversal_rules.overdrawn(left, {1: D("1.5"), 2: D(2)}) == {2: D("1.5")}
    assert reversal_rules.reversible(left)
    assert not reversal_rules.reversible(reversal_rules.remaining({1: D(4)}, [Cover(1, "completed", D(4), D(4))]))


STATUSES = st.sampled_from(["draft", "in_progress", "completed", "cancelled"])
AMOUNTS = st.decimals(min_value=0, max_value=20, places=3)


@given(produced=AMOUNTS, attempts=st.lists(st.tuples(STATUSES, AMOUNTS, AMOUNTS), max_size=12))
def test_accepting_only_what_is_not_overdrawn_never_covers_more_than_was_produced(produced, attempts):
    """Reversals proposed one after another, each kept only when `overdrawn` allows it: the kept
    ones never cover more than the row produced, and what is left is exactly the rest."""
    kept = []
    for status, planned, made in attempts:
        left = reversal_rules.remaining({1: produced}, kept)
        wanted = reversal_rules.covered(status, planned, made)
        if not reversal_rules.overdrawn(left, {1: wanted}):
            kept.append(Cover(1, status, planned, made))
    total = sum((reversal_rules.covered(c.status, c.planned, c.produced) for c in kept), D(0))
    assert total <= produced
    assert reversal_rules.remaining({1: produced}, kept) == {1: produced - total}
    assert reversal_rules.reversible(reversal_rules.remaining({1: produced}, kept)) == (total < produced)


def test_the_reference_gets_its_number_and_stays_within_64_characters():
    assert reversal_rules.reversal_reference("PO-7", 2) == "PO-7-R2"
    long = reversal_rules.reversal_reference("x" * 64, 12)
    assert len(long) == 64 and long.endswith("-R12")


# ------------------------------------------------------------------ API


def call(client, method, path, expect=200, headers=None, **kw):
    response = client.open(path, method=method, headers={**auth_headers(), **(headers or {})}, **kw)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def completed_order(client, produced=(4, "2.5"), *, sync=True, reference="PO-1"):
    rows = [{"variantId": CANDLE, "quantityPlanned": produced[0], "title": "Candle",
             "materials": [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25}]},
            {"variantId": JAR, "quantityPlanned": 3, "unit": "kg", "title": "Jar"}][:len(produced)]
    order = call(client, "POST", ORDERS, 201, json={"reference": reference, "locationId": WORKSHOP,
                                                    "syncProductionOrderToShopify": sync, "components": rows})
    order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    order = call(client, "PATCH", f"{ORDERS}/{order['id']}", json={"components": [
        {"id": row["id"], "quantityProduced": float(D(str(p)))} for row, p in zip(order["components"], produced)]})
    return call(client, "POST", f"{ORDERS}/{order['id']}/complete")


def test_reversing_a_completed_order_creates_a_linked_draft_of_what_it_produced(client, shop):
    original = completed_order(client)
    assert original["reversible"] is True and original["reversedBy"] == []
    reversal = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    assert reversal["status"] == "draft" and reversal["type"] == "disassembly"
    assert reversal["reference"] == "PO-1-R1" and reversal["reversalOf"] == original["id"]
    assert reversal["reversalOfReference"] == "PO-1"
    assert reversal["locationId"] == WORKSHOP and reversal["syncProductionOrderToShopify"] is True
    assert [(r["variantId"], r["quantityPlanned"], r["quantityProduced"], r["unit"]) for r in reversal["components"]] == [
        (CANDLE, 4, 0, "pcs"), (JAR, 2.5, 0, "kg")]
    assert reversal["components"][0]["materials"] == original["components"][0]["materials"]
    again = call(client, "GET", f"{ORDERS}/{original['id']}")
    assert again["reversedBy"] == [{"id": reversal["id"], "reference": "PO-1-R1", "status": "draft"}]
    assert again["version"] == original["version"] + 1 and again["status"] == "completed"
    assert again["reversible"] is False  # the draft covers everything
    assert original["leftToReverse"] == [{"componentId": original["components"][0]["id"], "quantity": 4},
                                         {"componentId": original["components"][1]["id"], "quantity": 2.5}]
    assert again["leftToReverse"] == []
    events = call(client, "GET", f"{ORDERS}/{original['id']}/events")["items"]
    assert events[-1]["type"] == "reversed"
    assert events[-1]["changes"]["reversedBy"] == [None, {"id": reversal["id"], "reference": "PO-1-R1"}]
    created = call(client, "GET", f"{ORDERS}/{reversal['id']}/events")["items"]
    assert [e["type"] for e in created] == ["created"] and created[0]["changes"]["reversalOf"] == [None, original["id"]]


@pytest.mark.parametrize("status", ["draft", "in_progress", "cancelled"])
def test_only_a_completed_order_can_be_reversed(client, shop, status):
    order = call(client, "POST", ORDERS, 201, json={"reference": "PO-9", "components": [
        {"variantId": CANDLE, "quantityPlanned": 1}]})
    if status != "draft":
        order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    if status == "cancelled":
        order = call(client, "POST", f"{ORDERS}/{order['id']}/cancel")
    body = call(client, "POST", f"{ORDERS}/{order['id']}/reverse", 409)
    assert body["error"]["code"] == "invalid_transition"
    assert call(client, "GET", f"{ORDERS}/{order['id']}")["reversible"] is False


def test_partial_reversals_share_what_is_left_and_never_exceed_it(client, shop):
    original = completed_order(client)
    first = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    candle, jar = first["components"]
    # Raising above what is left: 422 naming the row, nothing saved.
    refused = call(client, "PATCH", f"{ORDERS}/{first['id']}", 422, json={"components": [
        {"id": candle["id"], "quantityPlanned": 5}, {"id": jar["id"]}]})
    assert set(refused["error"]["details"]) == {"components[0].quantityPlanned"}
    assert "at most 4 pcs of “Candle”" in refused["error"]["details"]["components[0].quantityPlanned"]
    assert call(client, "GET", f"{ORDERS}/{first['id']}")["version"] == first["version"]
    # Lowering is fine: reverse 2 of the 4 candles, and none of the jar.
    first = call(client, "PATCH", f"{ORDERS}/{first['id']}", json={"components": [
        {"id": candle["id"], "quantityPlanned": 2}]})
    assert [r["quantityPlanned"] for r in first["components"]] == [2]
    assert call(client, "GET", f"{ORDERS}/{original['id']}")["reversible"] is True
    second = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    assert second["reference"] == "PO-1-R2"
    assert [(r["variantId"], r["quantityPlanned"]) for r in second["components"]] == [(CANDLE, 2), (JAR, 2.5)]
    # The first may not take back what the second now covers, through either kind of edit.
    refused = call(client, "PATCH", f"{ORDERS}/{first['id']}/components/{candle['id']}", 422,
                   json={"quantityPlanned": 3})
    assert set(refused["error"]["details"]) == {"quantityPlanned"}
    call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 409)  # nothing left
    # Cancelling the second (a draft) frees what it covered.
    call(client, "POST", f"{ORDERS}/{second['id']}/cancel")
    third = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    assert third["reference"] == "PO-1-R3"
    assert [r["quantityPlanned"] for r in third["components"]] == [2, 2.5]


def test_produced_quantities_of_a_reversal_in_progress_are_bounded_too(client, shop):
    original = completed_order(client, produced=(4,))
    reversal = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    row = reversal["components"][0]
    call(client, "PATCH", f"{ORDERS}/{reversal['id']}", json={"components": [{"id": row["id"], "quantityPlanned": 1}]})
    other = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    assert other["components"][0]["quantityPlanned"] == 3
    call(client, "POST", f"{ORDERS}/{reversal['id']}/start")
    refused = call(client, "PATCH", f"{ORDERS}/{reversal['id']}/components/{row['id']}", 422,
                   json={"quantityProduced": 2})
    assert set(refused["error"]["details"]) == {"quantityProduced"}
    done = call(client, "PATCH", f"{ORDERS}/{reversal['id']}/components/{row['id']}", json={"quantityProduced": 1})
    done = call(client, "POST", f"{ORDERS}/{done['id']}/complete")
    assert done["components"][0]["quantityPlanned"] == 1 and done["reversible"] is True  # reversing a reversal is allowed


@pytest.mark.parametrize("patch, path", [
    ({"type": "assembly"}, "type"),
    ({"locationId": "gid://shopify/Location/72"}, "locationId"),
    ({"syncProductionOrderToShopify": False}, "syncProductionOrderToShopify"),
])
def test_a_reversal_keeps_what_makes_it_the_opposite_of_its_original(client, shop, patch, path):
    original = completed_order(client, produced=(4,))
    reversal = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    refused = call(client, "PATCH", f"{ORDERS}/{reversal['id']}", 422, json=patch)
    assert set(refused["error"]["details"]) == {path}


def test_a_reversal_takes_no_new_rows_nor_other_variants_or_materials(client, shop):
    original = completed_order(client, produced=(4,))
    reversal = call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201)
    row = reversal["components"][0]
    call(client, "POST", f"{ORDERS}/{reversal['id']}/components", 422, json={"variantId": JAR, "quantityPlanned": 1})
    refused = call(client, "PATCH", f"{ORDERS}/{reversal['id']}", 422, json={"components": [
        {"id": row["id"]}, {"variantId": JAR, "quantityPlanned": 1}]})
    assert "components" in refused["error"]["details"]
    refused = call(client, "PATCH", f"{ORDERS}/{reversal['id']}/components/{row['id']}", 422,
                   json={"materials": []})
    assert set(refused["error"]["details"]) == {"materials"}
    refused = call(client, "PATCH", f"{ORDERS}/{reversal['id']}", 422, json={"components": [
        {"id": row["id"], "variantId": JAR}]})
    assert set(refused["error"]["details"]) == {"components[0].variantId"}
    # Reference, notes and date remain the merchant's.
    renamed = call(client, "PATCH", f"{ORDERS}/{reversal['id']}", json={"reference": "Undo 40 candles", "notes": "typo"})
    assert renamed["reference"] == "Undo 40 candles"
    assert call(client, "GET", f"{ORDERS}/{original['id']}")["reversedBy"][0]["reference"] == "Undo 40 candles"


def test_reverse_checks_if_match_and_another_shop_sees_nothing(client, shop):
    original = completed_order(client, produced=(4,))
    call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 412, headers={"If-Match": '"1"'})
    installed_shop("other-shop.myshopify.com")
    response = client.post(f"{ORDERS}/{original['id']}/reverse", headers=auth_headers("other-shop.myshopify.com"))
    assert response.status_code == 404
    call(client, "POST", f"{ORDERS}/{original['id']}/reverse", 201, headers={"If-Match": f'"{original["version"]}"'})
