"""Inventory states through the API (SPEC §10), on SQLite and PostgreSQL: holdDays, the hold block,
POST …/release, the "curing" list filter and the plannedOutputAsIncoming setting."""

from datetime import datetime, timedelta

import pytest

from .both_databases import backend, client, shop  # noqa: F401
from .builders import auth_headers, installed_shop

ORDERS = "/api/production-orders"
CANDLE, WAX = "gid://shopify/ProductVariant/501", "gid://shopify/ProductVariant/502"
WORKSHOP = "gid://shopify/Location/71"
SETTINGS = {"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": WORKSHOP, "syncMode": "on_complete"}


def call(client, method, path, expect=200, headers=None, **kw):
    response = client.open(path, method=method, headers={**auth_headers(), **(headers or {})}, **kw)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def order_with_hold(client, hold_days=2, reference="PO-1", **fields):
    return call(client, "POST", ORDERS, 201, json={
        "reference": reference, "locationId": WORKSHOP, "holdDays": hold_days, **fields,
        "components": [{"variantId": CANDLE, "quantityPlanned": 3, "title": "Candle",
                        "materials": [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.25}]}]})


def complete(client, order, produced=3):
    order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    component = order["components"][0]["id"]
    call(client, "PATCH", f"{ORDERS}/{order['id']}/components/{component}", json={"quantityProduced": produced})
    return call(client, "POST", f"{ORDERS}/{order['id']}/complete")


def test_hold_days_are_kept_and_the_hold_starts_at_completion(client, shop):
    order = order_with_hold(client, 3)
    assert order["holdDays"] == 3 and order["hold"] is None
    order = call(client, "PATCH", f"{ORDERS}/{order['id']}", json={"holdDays": 5})
    assert order["holdDays"] == 5
    done = complete(client, order)
    assert done["hold"]["releasedAt"] is None
    until, completed = (datetime.fromisoformat(done[k] if k == "completedAt" else done["hold"]["until"])
                        for k in ("until", "completedAt"))
    assert until - completed == timedelta(days=5)
    events = call(client, "GET", f"{ORDERS}/{order['id']}/events")["items"]
    assert events[-1]["type"] == "completed" and events[-1]["changes"]["hold"][1]["until"] == done["hold"]["until"]


def test_release_ends_the_hold_once_and_writes_one_released_event(client, shop):
    done = complete(client, order_with_hold(client))
    released = call(client, "POST", f"{ORDERS}/{done['id']}/release", headers={"If-Match": f'"{done["version"]}"'})
    assert released["hold"]["releasedAt"] is not None and released["version"] == done["version"] + 1
    again = call(client, "POST", f"{ORDERS}/{done['id']}/release", 409)
    assert again["error"]["code"] == "invalid_transition" and again["error"]["details"] == {"hold": "released"}
    events = call(client, "GET", f"{ORDERS}/{done['id']}/events")["items"]
    assert [e["type"] for e in events].count("released") == 1
    assert events[-1]["changes"]["hold"][1]["releasedAt"] == released["hold"]["releasedAt"]


@pytest.mark.parametrize("state", ["draft", "in_progress", "completed_without_hold", "cancelled"])
def test_release_is_409_when_nothing_is_held(client, shop, state):
    order = order_with_hold(client, 0 if state == "completed_without_hold" else 2)
    if state == "in_progress":
        order = call(client, "POST", f"{ORDERS}/{order['id']}/start")
    if state == "completed_without_hold":
        order = complete(client, order)
    if state == "cancelled":
        order = call(client, "POST", f"{ORDERS}/{order['id']}/cancel")
    body = call(client, "POST", f"{ORDERS}/{order['id']}/release", 409)
    assert body["error"]["code"] == "invalid_transition" and body["error"]["details"] == {"hold": "none"}
    assert call(client, "GET", f"{ORDERS}/{order['id']}")["version"] == order["version"]


def test_release_checks_if_match_and_another_shop_or_an_unknown_id_is_404(client, shop):
    done = complete(client, order_with_hold(client))
    call(client, "POST", f"{ORDERS}/{done['id']}/release", 412, headers={"If-Match": '"1"'})
    installed_shop("other-shop.myshopify.com")
    response = client.post(f"{ORDERS}/{done['id']}/release", headers=auth_headers("other-shop.myshopify.com"))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    call(client, "POST", f"{ORDERS}/999999/release", 404)
    assert call(client, "GET", f"{ORDERS}/{done['id']}")["hold"]["releasedAt"] is None


@pytest.mark.parametrize("value", ["3", 366, -1, 1.5, None, True])
def test_hold_days_must_be_a_whole_number_of_days_from_0_to_365(client, shop, value):
    body = call(client, "POST", ORDERS, 422, json={"reference": "PO-X", "holdDays": value})
    assert body["error"]["code"] == "validation_failed" and "holdDays" in body["error"]["details"]
    order = order_with_hold(client, 1, reference="PO-Y")
    body = call(client, "PATCH", f"{ORDERS}/{order['id']}", 422, json={"holdDays": value})
    assert "holdDays" in body["error"]["details"]


def test_hold_is_set_by_the_server_only(client, shop):
    body = call(client, "POST", ORDERS, 422, json={"reference": "PO-X", "hold": {"until": "2030-01-01T00:00:00Z"}})
    assert "hold" in body["error"]["details"]


def test_a_bom_brings_its_hold_days_to_the_order(client, shop):
    bom = call(client, "POST", "/api/boms", 201, json={
        "name": "Cured soap", "outputVariantId": CANDLE, "holdDays": 28,
        "lines": [{"variantId": WAX, "title": "Wax", "quantityPerUnit": 0.5}]})
    order = call(client, "POST", ORDERS, 201, json={"reference": "PO-B"})
    order = call(client, "POST", f"{ORDERS}/{order['id']}/components", 201, json={"bomId": bom["id"], "quantityPlanned": 2})
    assert order["holdDays"] == 28
    events = call(client, "GET", f"{ORDERS}/{order['id']}/events")["items"]
    assert events[-1]["changes"]["holdDays"] == [0, 28]


def test_the_list_filters_orders_whose_output_is_curing(client, shop):
    curing = complete(client, order_with_hold(client, 2, reference="CURING"))
    released = complete(client, order_with_hold(client, 2, reference="RELEASED"))
    call(client, "POST", f"{ORDERS}/{released['id']}/release")
    complete(client, order_with_hold(client, 0, reference="NO-HOLD"))
    order_with_hold(client, 2, reference="DRAFT")
    body = call(client, "GET", f"{ORDERS}?hold=curing")
    assert [item["reference"] for item in body["items"]] == ["CURING"] and body["total"] == 1
    assert body["items"][0]["hold"]["until"] == curing["hold"]["until"]
    bad = call(client, "GET", f"{ORDERS}?hold=soon", 422)
    assert bad["error"]["code"] == "validation_failed"


def test_planned_output_as_incoming_is_a_setting_decided_per_order_at_start(client, shop):
    assert call(client, "GET", "/api/settings")["plannedOutputAsIncoming"] is False
    settings = call(client, "PUT", "/api/settings", json={**SETTINGS, "plannedOutputAsIncoming": True})
    assert settings["plannedOutputAsIncoming"] is True
    # Omitted, it keeps its stored value (SPEC §1: the later settings are optional).
    assert call(client, "PUT", "/api/settings", json=SETTINGS)["plannedOutputAsIncoming"] is True
    started = call(client, "POST", f"{ORDERS}/{order_with_hold(client, 0)['id']}/start")
    assert started["plannedOutputAsIncoming"] is True
    call(client, "PUT", "/api/settings", json={**SETTINGS, "plannedOutputAsIncoming": False})
    assert call(client, "GET", f"{ORDERS}/{started['id']}")["plannedOutputAsIncoming"] is True


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_planned_output_as_incoming_must_be_a_boolean(client, shop, value):
    body = call(client, "PUT", "/api/settings", 422, json={**SETTINGS, "plannedOutputAsIncoming": value})
    assert "plannedOutputAsIncoming" in body["error"]["details"]


def test_an_order_whose_output_is_curing_is_reversed_only_after_release(client, shop):
    # A reversal takes from `available`; while the output cures it is in `quality_control` instead.
    done = complete(client, order_with_hold(client, 2))
    assert done["reversible"] is False
    refused = call(client, "POST", f"{ORDERS}/{done['id']}/reverse", 409)
    assert refused["error"]["code"] == "invalid_transition" and refused["error"]["details"] == {"hold": "curing"}
    assert call(client, "GET", f"{ORDERS}?q=PO-1-R")["items"] == []  # nothing was created
    released = call(client, "POST", f"{ORDERS}/{done['id']}/release")
    assert released["reversible"] is True
    reversal = call(client, "POST", f"{ORDERS}/{done['id']}/reverse", 201)
    assert reversal["reversalOf"] == done["id"]
