"""SPEC §12 for the API: the list pages by keyset with a maintained total (its plan proven with
EXPLAIN on PostgreSQL), and the order detail served from a per-version cache that never shows a
stale sync state or another shop's order."""

import json

import pytest
from sqlalchemy import event, text, update

from shopify_app.extensions import db
from shopify_app.production import listing
from shopify_app.production.representations import order_json
from shopify_app.production.models import ProductionOrder
from shopify_app.sync.models import SUCCEEDED, SyncPush

from .both_databases import backend, client, shop  # noqa: F401
from .builders import LOCATION, OTHER_SHOP, VARIANT, VARIANT_2, auth_headers, component, installed_shop

ORDERS = "/api/production-orders"


def create(api, reference: str, **fields) -> dict:
    response = api.post(ORDERS, json={"reference": reference, "components": [component()], **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def listed(api, query: str = "") -> dict:
    response = api.get(f"{ORDERS}?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# ------------------------------------------------------------------ keyset pages and totals


def test_following_next_cursor_visits_every_order_once_newest_first(api):
    ids = [create(api, f"PO-{n}")["id"] for n in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        body = listed(api, "perPage=3" + (f"&cursor={cursor}" if cursor else ""))
        pages += 1
        assert body["total"] == 7 and body["totalExact"] is True and body["perPage"] == 3
        seen += [item["id"] for item in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))


def test_any_well_formed_cursor_is_a_position_in_the_list(api):
    ids = [create(api, f"PO-{n}")["id"] for n in range(3)]
    assert [i["id"] for i in listed(api, "cursor=9999999999999999.9999999999")["items"]] == list(reversed(ids))
    assert listed(api, "cursor=0.0")["items"] == [] and listed(api, "cursor=0.0")["nextCursor"] is None


def test_page_numbers_still_work_and_agree_with_the_cursor(api):
    for n in range(5):
        create(api, f"PO-{n}")
    first = listed(api, "perPage=2")
    by_page = listed(api, "perPage=2&page=2")
    by_cursor = listed(api, f"perPage=2&page=2&cursor={first['nextCursor']}")
    assert by_page["items"] == by_cursor["items"] and by_cursor["page"] == 2
    assert listed(api, "perPage=2&page=3")["nextCursor"] is None


def test_a_cursor_continues_within_a_status_filter(api):
    drafts = [create(api, f"D-{n}")["id"] for n in range(3)]
    started = create(api, "S-1", locationId=LOCATION)
    assert api.post(f"{ORDERS}/{started['id']}/start").status_code == 200
    first = listed(api, "status=draft&perPage=2")
    second = listed(api, f"status=draft&perPage=2&cursor={first['nextCursor']}")
    assert [i["id"] for i in first["items"] + second["items"]] == list(reversed(drafts))
    assert first["total"] == second["total"] == 3


@pytest.mark.parametrize("cursor", ["nonsense", "1764748800000000", "1.2.3", "-1.5", "1.-5", "١٢.٣",
                                    "12345678901234567.1", "1.12345678901", "x" * 201, "%00", ""])
def test_a_string_that_is_not_a_cursor_is_a_422_on_cursor(api, cursor):
    response = api.get(f"{ORDERS}?cursor={cursor}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"]["code"] == "validation_failed" and "cursor" in body["error"]["details"]


def test_the_total_follows_creates_transitions_and_cancels_per_status_and_per_shop(api, client):
    orders = [create(api, f"PO-{n}", locationId=LOCATION) for n in range(4)]
    api.post(f"{ORDERS}/{orders[0]['id']}/start")
    api.post(f"{ORDERS}/{orders[1]['id']}/start")
    api.post(f"{ORDERS}/{orders[1]['id']}/complete")
    api.post(f"{ORDERS}/{orders[2]['id']}/cancel")
    installed_shop(OTHER_SHOP)
    other = client.post(ORDERS, json={"reference": "OTHER", "components": [component()]},
                        headers=auth_headers(OTHER_SHOP))
    assert other.status_code == 201
    expected = {"": 4, "status=draft": 1, "status=in_progress": 1, "status=completed": 1, "status=cancelled": 1}
    assert {query: listed(api, query)["total"] for query in expected} == expected


def test_the_list_reads_the_maintained_count_and_never_counts_the_orders(api, backend):
    create(api, "PO-1")
    statements = []

    def capture(_conn, _cursor, statement, *_):
        statements.append(statement)

    with backend.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        listed(api)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert any("FROM shop_order_counts" in s for s in statements), statements
    assert not [s for s in statements if "count(" in s.lower() and "production_orders" in s], statements


def test_a_search_counts_up_to_the_cap_and_says_when_the_total_is_a_lower_bound(api, monkeypatch):
    for n in range(3):
        create(api, f"WICK-{n}")
    create(api, "SOAP-1")
    assert (listed(api, "q=wick")["total"], listed(api, "q=wick")["totalExact"]) == (3, True)
    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 2)
    body = listed(api, "q=wick&perPage=1")
    assert (body["total"], body["totalExact"], len(body["items"])) == (2, False, 1)


# ------------------------------------------------------------------ EXPLAIN on PostgreSQL


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.postgres
def test_every_list_page_is_an_index_range_scan_on_a_large_shop(pg_app):
    """20,000 orders in one shop (and 500 in another), analysed: page 1, a deep cursor page and a
    filtered page each read one index in order (no Seq Scan, no Sort), and the total is read from
    the maintained counts."""
    from shopify_app.production.counts import recount

    big, small = installed_shop("big-shop.myshopify.com"), installed_shop("small-shop.myshopify.com")
    with db.engine.begin() as conn:
        for shop, count in ((big, 20_000), (small, 500)):
            conn.execute(text(
                "INSERT INTO production_orders (shop_id, reference, reference_key, type, status, version, "
                "created_at, updated_at) SELECT :shop, 'B-' || g, 'b-' || g, 'assembly', "
                "(ARRAY['draft','in_progress','completed','cancelled'])[1 + g % 4], 1, "
                "now() - make_interval(secs => g), now() FROM generate_series(1, :count) AS g"),
                {"shop": shop.id, "count": count})
            recount(conn, shop.id)
        conn.execute(text("ANALYZE production_orders"))
    client = pg_app.test_client()
    headers = auth_headers("big-shop.myshopify.com")
    deep = client.get(f"{ORDERS}?perPage=250&page=60", headers=headers).get_json()  # through OFFSET, once
    queries = ["perPage=50", "status=completed&perPage=50", f"perPage=50&cursor={deep['nextCursor']}"]
    for query in queries:
        captured = []

        def capture(_conn, _cursor, statement, parameters, _context, _many):
            if "FROM production_orders" in statement and "ORDER BY" in statement:
                captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            body = client.get(f"{ORDERS}?{query}", headers=headers).get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        expected_total = 20_000 if "status" not in query else 5_000
        assert body["total"] == expected_total and len(body["items"]) == 50
        (statement, parameters), = captured
        with db.engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0][0]["Plan"]
        nodes = list(_plan_nodes(plan))
        kinds = [node["Node Type"] for node in nodes]
        assert "Seq Scan" not in kinds and "Sort" not in kinds and "Incremental Sort" not in kinds, (query, kinds)
        scans = [n for n in nodes if n["Node Type"] in ("Index Scan", "Index Only Scan") and
                 n.get("Relation Name") == "production_orders"]
        assert scans and scans[0]["Index Name"].startswith("ix_production_orders_shop_"), (query, kinds)


# ------------------------------------------------------------------ the detail and its cache


def test_the_cached_detail_is_exactly_the_representation(api, backend):
    order = create(api, "PO-1", components=[component(), component(VARIANT_2, planned=2.5, unit="kg", materials=[
        {"variantId": VARIANT, "title": "Wax “pure”", "quantityPerUnit": 0.125}])], notes="Ünïcode ✓")
    first = api.get(f"{ORDERS}/{order['id']}")
    second = api.get(f"{ORDERS}/{order['id']}")
    assert first.data == second.data and first.headers["ETag"] == f'"{order["version"]}"'
    with backend.app_context():
        expected = order_json(db.session.get(ProductionOrder, order["id"]))
    assert json.loads(second.data) == expected
    assert list(json.loads(second.data)) == list(expected)  # same key order too


def test_a_change_is_visible_at_once_because_it_makes_a_new_version(api):
    order = create(api, "PO-1", locationId=LOCATION)
    api.get(f"{ORDERS}/{order['id']}")
    row = order["components"][0]["id"]
    api.patch(f"{ORDERS}/{order['id']}/components/{row}", json={"quantityPlanned": 42})
    after = api.get(f"{ORDERS}/{order['id']}").get_json()
    assert after["components"][0]["quantityPlanned"] == 42 and after["version"] == order["version"] + 1


def test_sync_bookkeeping_shows_although_the_version_did_not_change(api, backend):
    order = create(api, "PO-1", locationId=LOCATION, syncProductionOrderToShopify=True)
    api.post(f"{ORDERS}/{order['id']}/start")
    completed = api.post(f"{ORDERS}/{order['id']}/complete").get_json()
    assert api.get(f"{ORDERS}/{order['id']}").get_json()["sync"]["state"] == "pending"  # cached now
    with backend.app_context():  # what the worker writes: the push's outcome, not the order
        db.session.execute(update(SyncPush).where(SyncPush.order_id == order["id"]).values(status=SUCCEEDED))
        db.session.commit()
    after = api.get(f"{ORDERS}/{order['id']}").get_json()
    assert after["version"] == completed["version"] and after["sync"]["state"] == "synced"


def test_another_shops_cached_order_is_still_not_found(api, client):
    order = create(api, "PO-1")
    assert api.get(f"{ORDERS}/{order['id']}").status_code == 200  # cached
    installed_shop(OTHER_SHOP)
    response = client.get(f"{ORDERS}/{order['id']}", headers=auth_headers(OTHER_SHOP))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
