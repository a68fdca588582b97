"""CSV export of the order list and the BOMs (SPEC §11, issue #17): columns, filters, formulas, streaming.

Both databases: the order export reads keyset batches and the BOM export a server-side cursor on
PostgreSQL, so each must give the same file on both.
"""

import csv
import io

import pytest

from shopify_app.boms.export import HEADER as BOM_HEADER
from shopify_app.production import export
from shopify_app.production.export import HEADER as ORDER_HEADER

from .builders import LOCATION, OTHER_SHOP, installed_shop
from .both_databases import backend, client, shop  # noqa: F401  (SQLite, then PostgreSQL)
from .conftest import AuthedClient

ORDERS = "/api/production-orders"
CANDLE, WAX, WICK = (f"gid://shopify/ProductVariant/{n}" for n in (8001, 8002, 8003))


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    return response.get_json()


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.fixture
def api(client, shop):  # noqa: F811
    return AuthedClient(client, shop.domain)


def order(api, reference, components=(), **fields):
    return ok(api.post(ORDERS, json={"reference": reference, "components": list(components), **fields}), 201)


def row(variant, planned, **fields):
    return {"variantId": variant, "quantityPlanned": planned, "title": "Beeswax candle", "sku": "CNDL-1", **fields}


def test_the_order_export_has_the_spec_header_and_one_row_per_component(api):
    first = order(api, "PO-1", [row(CANDLE, 12.5, unit="kg"), row(WAX, 3, title="Wax", sku="WAX-1")],
                  locationId=LOCATION, plannedStartDate="2026-12-24", syncProductionOrderToShopify=False)
    ok(api.post(f"{ORDERS}/{first['id']}/start"))
    order(api, "PO-2")  # no components: still one row, so no order is missing from the file

    header, *rows = rows_of(api.get(f"{ORDERS}.csv"))

    assert header == ORDER_HEADER == [
        "reference", "status", "type", "location_id", "planned_start_date", "started_at", "completed_at",
        "variant_id", "sku", "title", "unit", "quantity_planned", "quantity_produced", "sync_state"]
    assert rows[0] == ["PO-2", "draft", "assembly", "", "", "", "", "", "", "", "", "", "", "off"]
    started = rows[1][5]
    assert started.endswith("Z") and len(started) == 20
    assert rows[1:] == [
        ["PO-1", "in_progress", "assembly", LOCATION, "2026-12-24", started, "", CANDLE, "CNDL-1", "Beeswax candle",
         "kg", "12.5", "0", "off"],
        ["PO-1", "in_progress", "assembly", LOCATION, "2026-12-24", started, "", WAX, "WAX-1", "Wax",
         "pcs", "3", "0", "off"],
    ]


def test_the_order_export_takes_the_list_filters(api):
    order(api, "CANDLE-1", [row(CANDLE, 1)])
    order(api, "SOAP-1", [row(WAX, 1, title="Soap base", sku="SOAP")])
    cancelled = order(api, "CANDLE-2", [row(CANDLE, 1)])
    ok(api.post(f"{ORDERS}/{cancelled['id']}/cancel"))

    by_search = [r[0] for r in rows_of(api.get(f"{ORDERS}.csv?q=soap"))[1:]]
    by_status = [r[0] for r in rows_of(api.get(f"{ORDERS}.csv?status=draft&q=candle"))[1:]]
    listed = [o["reference"] for o in ok(api.get(f"{ORDERS}?status=draft&q=candle"))["items"]]

    assert by_search == ["SOAP-1"]
    assert by_status == listed == ["CANDLE-1"]


@pytest.mark.parametrize("query", ["status=shipped", "perPage=0", "q=" + "x" * 201, "q=%00"])
def test_a_bad_filter_is_refused_like_the_list_refuses_it(api, query):
    response = api.get(f"{ORDERS}.csv?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_the_exports_show_only_the_shops_own_rows_and_need_a_session_token(api, client):
    installed_shop(OTHER_SHOP)
    other = AuthedClient(client, OTHER_SHOP)
    order(other, "THEIRS", [row(CANDLE, 1)])
    ok(other.post("/api/boms", json={"name": "Theirs", "outputVariantId": CANDLE,
                                     "lines": [{"variantId": WAX, "quantityPerUnit": 1}]}), 201)

    assert rows_of(api.get(f"{ORDERS}.csv")) == [ORDER_HEADER]
    assert rows_of(api.get("/api/boms.csv")) == [BOM_HEADER]
    for path in (f"{ORDERS}.csv", "/api/boms.csv"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_a_text_cell_that_a_spreadsheet_would_run_is_prefixed_with_a_quote(api, text):
    order(api, "PO-" + str(len(text)), [row(CANDLE, 1, title=text, sku=text)])
    ok(api.post("/api/boms", json={"name": "Candle", "outputVariantId": CANDLE, "outputSku": text,
                                   "lines": [{"variantId": WAX, "sku": text, "quantityPerUnit": 1}]}), 201)

    order_row = rows_of(api.get(f"{ORDERS}.csv"))[1]
    bom_row = rows_of(api.get("/api/boms.csv"))[1]

    assert order_row[8] == order_row[9] == "'" + text
    assert bom_row[2] == bom_row[4] == "'" + text
    assert order_row[11] == "1"  # numbers are numbers, never prefixed


def test_the_bom_export_has_one_row_per_line_with_skus_and_hold_days(api):
    ok(api.post("/api/boms", json={"name": "Beeswax candle", "outputVariantId": CANDLE, "outputSku": "CNDL-1",
                                   "holdDays": 2,
                                   "lines": [{"variantId": WAX, "sku": "WAX-1", "quantityPerUnit": 0.25},
                                             {"variantId": WICK, "quantityPerUnit": 1}]}), 201)
    ok(api.post("/api/boms", json={"name": "Amber jar", "outputVariantId": WICK, "active": False,
                                   "lines": [{"variantId": WAX, "quantityPerUnit": 100}]}), 201)

    assert rows_of(api.get("/api/boms.csv")) == [
        ["bom_name", "output_variant_id", "output_sku", "material_variant_id", "material_sku", "quantity_per_unit",
         "hold_days"],
        ["Amber jar", WICK, "", WAX, "", "100", "0"],
        ["Beeswax candle", CANDLE, "CNDL-1", WAX, "WAX-1", "0.25", "2"],
        ["Beeswax candle", CANDLE, "CNDL-1", WICK, "", "1", "2"],
    ]


def test_a_line_keeps_its_sku_when_an_edit_resends_it_without_one(api):
    bom = ok(api.post("/api/boms", json={"name": "Candle", "outputVariantId": CANDLE,
                                         "lines": [{"variantId": WAX, "sku": "WAX-1", "quantityPerUnit": 1}]}), 201)
    edited = ok(api.patch(f"/api/boms/{bom['id']}", json={"lines": [
        {"variantId": WAX, "quantityPerUnit": 2}, {"variantId": WICK, "quantityPerUnit": 1}]}))
    assert [(line["sku"], line["quantityPerUnit"]) for line in edited["lines"]] == [("WAX-1", 2), ("", 1)]


def test_the_order_export_streams_in_batches_across_many_orders(api, monkeypatch):
    monkeypatch.setattr(export, "ORDERS_PER_BATCH", 2)  # a keyset batch boundary every two orders
    for n in range(5):
        order(api, f"PO-{n}", [row(CANDLE, n + 1), row(WAX, 1)])

    response = api.get(f"{ORDERS}.csv", buffered=False)
    assert response.is_streamed
    references = [r[0] for r in rows_of(response)[1:]]

    assert references == [f"PO-{n}" for n in (4, 4, 3, 3, 2, 2, 1, 1, 0, 0)]
