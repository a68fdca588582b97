"""Each lifecycle rule of SPEC §2, exercised through the HTTP API."""

import pytest

from shopify_app.extensions import db
from shopify_app.production.models import Component, OrderEvent

from .builders import LOCATION, LOCATION_2, VARIANT, VARIANT_2, component

ORDERS = "/api/production-orders"


def create(api, reference="PO-1", **fields):
    body = {"reference": reference, "components": [component(unit="kg"), component(VARIANT_2, planned=4.5, unit="kg")], **fields}
    response = api.post(ORDERS, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(api, order, action, expect=200, **kw):
    response = api.post(f"{ORDERS}/{order['id']}/{action}", **kw)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def started(api, **fields):
    order = create(api, locationId=LOCATION, syncProductionOrderToShopify=False, **fields)
    return act(api, order, "start")


def events(api, order):
    return api.get(f"{ORDERS}/{order['id']}/events").get_json()["items"]


def set_settings(api, sync=False, location=None, mode="on_complete"):
    response = api.put("/api/settings", json={
        "syncProductionOrdersToShopifyByDefault": sync, "defaultLocationId": location, "syncMode": mode})
    assert response.status_code == 200, response.get_json()


def record_produced(api, order, index, quantity, expect=200):
    component_id = order["components"][index]["id"]
    response = api.patch(f"{ORDERS}/{order['id']}/components/{component_id}", json={"quantityProduced": quantity})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


# ------------------------------------------------------------------ creating


def test_a_new_order_is_a_draft_at_version_1_with_one_created_event(api):
    order = create(api)
    assert (order["status"], order["version"], order["editable"]) == ("draft", 1, True)
    assert order["availableActions"] == ["start", "cancel"]
    assert order["syncProductionOrderToShopify"] is None
    assert [c["quantityProduced"] for c in order["components"]] == [0, 0]
    history = events(api, order)
    assert [(e["type"], e["actor"]) for e in history] == [("created", "7001")]


def test_create_answers_with_the_version_as_etag(api):
    response = api.post(ORDERS, json={"reference": "PO-9"})
    assert response.headers["ETag"] == '"1"'


def test_type_defaults_to_assembly_and_unit_to_pcs(api):
    order = create(api, components=[component()])
    assert order["type"] == "assembly"
    assert order["components"][0]["unit"] == "pcs"


def test_quantities_stay_exact_decimals(api):
    order = started(api)
    order = record_produced(api, order, 0, 0.1)
    order = record_produced(api, order, 1, 0.2)
    order = act(api, order, "complete")
    assert [c["quantityPlanned"] for c in order["components"]] == [0.1, 0.2]
    stored = db.session.query(Component.quantity_planned).order_by(Component.id).all()
    assert [str(q) for (q,) in stored] == ["0.1", "0.2"]


# ------------------------------------------------------------------ start


def test_start_moves_a_draft_in_progress_and_records_when(api):
    order = act(api, create(api, locationId=LOCATION), "start")
    assert order["status"] == "in_progress" and order["startedAt"].endswith("Z")
    assert order["availableActions"] == ["complete", "cancel"]
    assert [e["type"] for e in events(api, order)] == ["created", "started"]


def test_start_reads_the_shop_default_at_start_not_at_creation(api):
    set_settings(api, sync=False, location=LOCATION)
    order = create(api)
    set_settings(api, sync=True, location=LOCATION)  # the merchant changes the default afterwards
    order = act(api, order, "start")
    assert order["syncProductionOrderToShopify"] is True
    assert events(api, order)[-1]["changes"]["syncProductionOrderToShopify"] == [None, True]


def test_start_keeps_an_explicit_flag_whatever_the_default(api):
    set_settings(api, sync=True, location=LOCATION)
    order = act(api, create(api, syncProductionOrderToShopify=False), "start")
    assert order["syncProductionOrderToShopify"] is False


def test_start_applies_the_default_location_when_the_order_has_none(api):
    set_settings(api, sync=False, location=LOCATION_2)
    assert act(api, create(api), "start")["locationId"] == LOCATION_2
    assert act(api, create(api, "PO-2", locationId=LOCATION), "start")["locationId"] == LOCATION


def test_starting_an_order_that_would_sync_with_no_location_changes_nothing(api):
    set_settings(api, sync=True, location=None)
    order = create(api)
    refused = act(api, order, "start", expect=422)
    assert refused["error"]["code"] == "validation_failed"
    assert "location" in refused["error"]["message"].lower()
    after = api.get(f"{ORDERS}/{order['id']}").get_json()
    assert (after["status"], after["version"], after["syncProductionOrderToShopify"]) == ("draft", 1, None)
    assert len(events(api, order)) == 1


@pytest.mark.parametrize("setup", ["in_progress", "completed", "cancelled"])
def test_start_requires_a_draft(api, setup):
    order = started(api)
    if setup != "in_progress":
        order = act(api, order, "complete" if setup == "completed" else "cancel")
    refused = act(api, order, "start", expect=409)
    assert refused["error"]["code"] == "invalid_transition"


# ------------------------------------------------------------------ complete


def test_complete_overwrites_every_planned_quantity_with_the_produced_one(api):
    order = record_produced(api, started(api), 0, 7.125)
    order = act(api, order, "complete")
    assert order["status"] == "completed" and order["completedAt"].endswith("Z")
    assert [(c["quantityPlanned"], c["quantityProduced"]) for c in order["components"]] == [(7.125, 7.125), (0, 0)]
    changes = events(api, order)[-1]["changes"]
    ids = [c["id"] for c in order["components"]]
    assert changes[f"components.{ids[0]}.quantityPlanned"] == [10, 7.125]
    assert changes[f"components.{ids[1]}.quantityPlanned"] == [4.5, 0]
    assert changes["status"] == ["in_progress", "completed"]


@pytest.mark.parametrize("setup", ["draft", "completed", "cancelled"])
def test_complete_requires_an_order_in_progress(api, setup):
    order = create(api) if setup == "draft" else started(api)
    if setup != "draft":
        order = act(api, order, "complete" if setup == "completed" else "cancel")
    assert act(api, order, "complete", expect=409)["error"]["code"] == "invalid_transition"


# ------------------------------------------------------------------ cancel


def test_cancel_from_draft_deletes_every_component_and_records_them(api):
    order = create(api)
    order = act(api, order, "cancel")
    assert (order["status"], order["components"]) == ("cancelled", [])
    assert order["cancelledAt"].endswith("Z")
    assert db.session.query(Component).count() == 0
    old, new = events(api, order)[-1]["changes"]["components"]
    assert [row["variantId"] for row in old] == [VARIANT, VARIANT_2] and new == []


def test_cancel_from_in_progress_keeps_the_components(api):
    order = record_produced(api, started(api), 0, 3)
    order = act(api, order, "cancel")
    assert order["status"] == "cancelled"
    assert [(c["quantityPlanned"], c["quantityProduced"]) for c in order["components"]] == [(10, 3), (4.5, 0)]
    assert "components" not in events(api, order)[-1]["changes"]


@pytest.mark.parametrize("first", ["complete", "cancel"])
def test_cancel_is_refused_for_finished_orders(api, first):
    order = act(api, started(api), first)
    assert act(api, order, "cancel", expect=409)["error"]["code"] == "invalid_transition"


# ------------------------------------------------------------------ read-only


@pytest.mark.parametrize("finish", ["complete", "cancel"])
def test_every_write_to_a_finished_order_is_refused_and_changes_nothing(api, finish):
    order = act(api, started(api), finish)
    component_id = order["components"][0]["id"]
    base = f"{ORDERS}/{order['id']}"
    attempts = [
        api.patch(base, json={"notes": "late"}),
        api.post(f"{base}/components", json=component()),
        api.patch(f"{base}/components/{component_id}", json={"quantityPlanned": 1}),
        api.delete(f"{base}/components/{component_id}"),
    ]
    for response in attempts:
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "read_only"
    assert api.get(base).get_json() == order
    assert order["editable"] is False and order["availableActions"] == []


# ------------------------------------------------------------------ editing


def test_every_field_stays_editable_in_progress(api):
    order = started(api)
    changed = api.patch(f"{ORDERS}/{order['id']}", json={
        "reference": "PO-1b", "type": "disassembly", "locationId": LOCATION_2, "notes": "moved",
        "plannedStartDate": "2026-12-01", "syncProductionOrderToShopify": True,
    }).get_json()
    assert (changed["type"], changed["locationId"], changed["plannedStartDate"]) == ("disassembly", LOCATION_2, "2026-12-01")
    assert changed["version"] == order["version"] + 1
    added = api.post(f"{ORDERS}/{order['id']}/components", json=component(quantityProduced=2))
    assert added.status_code == 201 and added.get_json()["components"][-1]["quantityProduced"] == 2
    removed = api.delete(f"{ORDERS}/{order['id']}/components/{order['components'][0]['id']}")
    assert removed.status_code == 200 and len(removed.get_json()["components"]) == 2


def test_produced_quantity_cannot_be_recorded_on_a_draft(api):
    order = create(api)
    refused = record_produced(api, order, 0, 1, expect=422)
    assert "quantityProduced" in refused["error"]["details"]


def test_the_sync_flag_may_not_be_cleared_in_progress(api):
    order = started(api)
    refused = api.patch(f"{ORDERS}/{order['id']}", json={"syncProductionOrderToShopify": None})
    assert refused.status_code == 422


def test_an_order_in_progress_cannot_sync_without_a_location(api):
    set_settings(api, sync=False, location=None)
    order = act(api, create(api), "start")
    assert order["locationId"] is None
    refused = api.patch(f"{ORDERS}/{order['id']}", json={"syncProductionOrderToShopify": True})
    assert refused.status_code == 422 and "locationId" in refused.get_json()["error"]["details"]


def test_the_location_cannot_be_cleared_while_the_order_syncs(api):
    order = act(api, create(api, locationId=LOCATION, syncProductionOrderToShopify=True), "start")
    refused = api.patch(f"{ORDERS}/{order['id']}", json={"locationId": None})
    assert refused.status_code == 422
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["locationId"] == LOCATION


def test_a_draft_may_clear_its_sync_flag(api):
    order = create(api, syncProductionOrderToShopify=True)
    cleared = api.patch(f"{ORDERS}/{order['id']}", json={"syncProductionOrderToShopify": None})
    assert cleared.status_code == 200 and cleared.get_json()["syncProductionOrderToShopify"] is None


def test_an_edit_that_changes_nothing_keeps_the_version_and_writes_no_event(api):
    order = create(api, notes="same")
    unchanged = api.patch(f"{ORDERS}/{order['id']}", json={"notes": "same"}).get_json()
    assert unchanged["version"] == 1 and len(events(api, order)) == 1


def test_every_change_bumps_the_version_by_one_and_writes_one_event(api):
    order = create(api, locationId=LOCATION)
    steps = [
        lambda o: api.patch(f"{ORDERS}/{o['id']}", json={"notes": "a"}),
        lambda o: api.post(f"{ORDERS}/{o['id']}/start"),
        lambda o: api.patch(f"{ORDERS}/{o['id']}/components/{o['components'][0]['id']}", json={"quantityProduced": 1}),
        lambda o: api.post(f"{ORDERS}/{o['id']}/components", json=component()),
        lambda o: api.delete(f"{ORDERS}/{o['id']}/components/{o['components'][-1]['id']}"),
        lambda o: api.post(f"{ORDERS}/{o['id']}/complete"),
    ]
    for step in steps:
        response = step(order)
        assert response.status_code in (200, 201), response.get_json()
        assert response.get_json()["version"] == order["version"] + 1
        assert response.headers["ETag"] == f'"{order["version"] + 1}"'
        order = response.get_json()
    assert [e["type"] for e in events(api, order)] == [
        "created", "updated", "started", "component_updated", "component_added", "component_removed", "completed"]


def test_a_matching_if_match_is_accepted_and_a_stale_one_is_refused(api):
    order = create(api)
    ok = api.patch(f"{ORDERS}/{order['id']}", json={"notes": "x"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    stale = api.post(f"{ORDERS}/{order['id']}/start", headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.get_json()["error"]["code"] == "version_mismatch"
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["status"] == "draft"


def test_a_reference_is_unique_per_shop_ignoring_case(api):
    create(api, "PO-7")
    duplicate = api.post(ORDERS, json={"reference": "po-7"})
    assert duplicate.status_code == 422 and "reference" in duplicate.get_json()["error"]["details"]


def test_component_events_name_the_row_and_its_change(api):
    order = started(api)
    record_produced(api, order, 0, 2.5)
    row = order["components"][0]["id"]
    assert events(api, order)[-1]["changes"] == {f"components.{row}.quantityProduced": [0, 2.5]}


# ------------------------------------------------------------------ list, detail, history


def test_the_list_is_newest_first_and_filters_by_status_and_text(api):
    create(api, "PO-A")
    second = create(api, "PO-B")
    act(api, second, "cancel")
    create(api, "PO-C", components=[component(sku="WICK-9", title="Cotton wick")])
    everything = api.get(ORDERS).get_json()
    assert [o["reference"] for o in everything["items"]] == ["PO-C", "PO-B", "PO-A"]
    assert (everything["page"], everything["perPage"], everything["total"]) == (1, 50, 3)
    assert "components" not in everything["items"][0]
    assert [o["reference"] for o in api.get(f"{ORDERS}?status=cancelled").get_json()["items"]] == ["PO-B"]
    assert [o["reference"] for o in api.get(f"{ORDERS}?q=wick-").get_json()["items"]] == ["PO-C"]
    assert [o["reference"] for o in api.get(f"{ORDERS}?q=COTTON").get_json()["items"]] == ["PO-C"]
    assert [o["reference"] for o in api.get(f"{ORDERS}?q=po-b").get_json()["items"]] == ["PO-B"]
    assert api.get(f"{ORDERS}?q=%25").get_json()["total"] == 0  # % is a character, not a wildcard


def test_the_list_pages(api):
    for n in range(5):
        create(api, f"PO-{n}", components=[])
    page = api.get(f"{ORDERS}?page=2&perPage=2").get_json()
    assert [o["reference"] for o in page["items"]] == ["PO-2", "PO-1"]
    assert (page["page"], page["perPage"], page["total"]) == (2, 2, 5)


def test_history_is_oldest_first_with_timestamps(api):
    order = act(api, create(api, locationId=LOCATION), "start")
    history = events(api, order)
    assert [e["id"] for e in history] == sorted(e["id"] for e in history)
    assert all(e["createdAt"].endswith("Z") for e in history)
    assert db.session.query(OrderEvent).count() == 2


def test_settings_default_to_no_sync_and_round_trip(api):
    assert api.get("/api/settings").get_json() == {
        "syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": None, "syncMode": "on_complete",
        "costUpdate": "off", "shortagePolicy": "warn", "plannedOutputAsIncoming": False}
    set_settings(api, sync=True, location=LOCATION, mode="live")
    assert api.get("/api/settings").get_json() == {
        "syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": LOCATION, "syncMode": "live",
        "costUpdate": "off", "shortagePolicy": "warn", "plannedOutputAsIncoming": False}


def test_health_reports_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_html_pages_may_not_be_framed_without_a_verified_shop(client):
    response = client.get("/")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none';"
