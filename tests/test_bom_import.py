"""BOM import from CSV (SPEC §11, issue #17): SKUs resolved through the fake Shopify in batched
queries, every bad line reported by number with nothing imported, hostile files refused fast, and
the round trip: BOMs exported from one shop import into another whose variants share the SKUs.

Both databases; Shopify is the loopback fake (`shopify_app/devshop`), validating every document
against the Admin schema.
"""

import csv
import io
import time

import pytest

from shopify_app.boms.importing import MAX_ROWS, MAX_SKUS
from shopify_app.devshop import FakeShopify, FakeShopifyConfig, FakeStore

from .builders import API_KEY, API_SECRET, OTHER_SHOP, SCOPES, SHOP, installed_shop
from .both_databases import backend, client  # noqa: F401  (SQLite, then PostgreSQL)
from .conftest import AuthedClient

BOMS = "/api/boms"
IMPORT = "/api/boms/import"
CSV = {"Content-Type": "text/csv"}
# Same SKUs in both shops, different variant ids: a GID means nothing in another shop.
CATALOGUE = {SHOP: {"CNDL-1": 8001, "WAX-1": 8002, "WICK-1": 8003, "JAR-1": 8004},
             OTHER_SHOP: {"CNDL-1": 9101, "WAX-1": 9102, "WICK-1": 9103, "JAR-1": 9104}}
TITLES = {"CNDL-1": "Beeswax candle", "WAX-1": "Beeswax pellets", "WICK-1": "Cotton wick", "JAR-1": "Amber jar"}


def gid(number) -> str:
    return f"gid://shopify/ProductVariant/{number}"


@pytest.fixture
def fake(admin_schema_path):
    fake = FakeShopify(FakeShopifyConfig(api_key=API_KEY, api_secret=API_SECRET, schema_path=admin_schema_path),
                       FakeStore()).start()
    yield fake
    fake.stop()


def install(fake, domain):
    """`domain` installed with a token the fake knows, and its catalogue in the fake."""
    for sku, number in CATALOGUE[domain].items():
        fake.store.add_variant(domain, number, TITLES[sku], sku=sku)
    grant = fake.store.tokens.issue(domain, SCOPES, expiring=True)
    installed_shop(domain, access_token=grant["access_token"], refresh_token=grant["refresh_token"])


@pytest.fixture
def api(backend, client, fake):  # noqa: F811
    backend.config["SHOPIFY_ADMIN_ORIGIN"] = fake.origin_template
    install(fake, SHOP)
    return AuthedClient(client, SHOP)


@pytest.fixture
def other(api, client, fake):  # noqa: F811
    install(fake, OTHER_SHOP)
    return AuthedClient(client, OTHER_SHOP)


def post_csv(client, text, path=IMPORT, **kw):
    return client.post(path, data=text.encode() if isinstance(text, str) else text,
                       headers=kw.pop("headers", CSV), **kw)


def problems(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    return response.get_json()["error"]["details"]


def boms(client) -> list[dict]:
    return client.get(BOMS).get_json()["items"]


def shape(bom) -> tuple:
    return (bom["name"], bom["outputVariantId"], bom["outputSku"], bom["holdDays"],
            [(line["variantId"], line["sku"], line["quantityPerUnit"]) for line in bom["lines"]])


def test_a_positional_file_creates_its_boms_with_variants_found_by_sku_or_gid(api, fake):
    text = ("BOM,Output,Material,Qty per unit,Hold days\r\n"
            "Candle,CNDL-1,WAX-1,0.250,2\r\n"
            f"Candle,CNDL-1,{gid(8003)},1,2\r\n"
            f"Jar set,{gid(8004)},WAX-1,3\n")

    response = post_csv(api, text)

    assert response.status_code == 201, response.get_json()
    created = response.get_json()["boms"]
    assert [shape(b) for b in created] == [shape(b) for b in boms(api)] == [
        ("Candle", gid(8001), "CNDL-1", 2, [(gid(8002), "WAX-1", 0.25), (gid(8003), "WICK-1", 1)]),
        ("Jar set", gid(8004), "JAR-1", 0, [(gid(8002), "WAX-1", 3)]),
    ]
    assert created[0]["outputTitle"] == "Beeswax candle" and created[0]["lines"][0]["title"] == "Beeswax pellets"
    # Batched: one search for every SKU and one `nodes` for every GID, not one call per line.
    calls = fake.store.calls(SHOP)
    assert (calls["VariantsBySku"], calls["VariantsById"]) == (1, 1)


def test_boms_exported_from_one_shop_import_into_another_by_sku(api, other):
    for name, hold in (("=Candle (formula-looking)", 3), ("Jar set", 0)):
        assert api.post(BOMS, json={
            "name": name, "outputVariantId": gid(8001 if hold else 8004), "outputSku": "CNDL-1" if hold else "JAR-1",
            "holdDays": hold, "lines": [{"variantId": gid(8002), "sku": "WAX-1", "quantityPerUnit": 0.125},
                                        {"variantId": gid(8003), "sku": "WICK-1", "quantityPerUnit": 2}]},
        ).status_code == 201
    exported = api.get("/api/boms.csv").get_data()
    assert b"'=Candle" in exported  # neutralised on the way out

    response = post_csv(other, exported)

    assert response.status_code == 201, response.get_json()
    mapped = {gid(a): gid(b) for a, b in zip(CATALOGUE[SHOP].values(), CATALOGUE[OTHER_SHOP].values())}
    expected = [(name, mapped[output], sku, hold, [(mapped[v], s, q) for v, s, q in lines])
                for name, output, sku, hold, lines in map(shape, boms(api))]
    assert [shape(b) for b in boms(other)] == expected
    assert boms(other)[0]["name"] == "=Candle (formula-looking)"  # its text again, not "'=…"


def test_a_file_saved_from_the_export_imports_back_into_the_same_shop_after_its_boms_are_gone(api):
    assert api.post(BOMS, json={"name": "Candle", "outputVariantId": gid(8001), "outputSku": "CNDL-1",
                                "lines": [{"variantId": gid(8002), "quantityPerUnit": 0.5}]}).status_code == 201
    before = [shape(b) for b in boms(api)]
    exported = api.get("/api/boms.csv").get_data()
    assert api.delete(f"{BOMS}/{boms(api)[0]['id']}").status_code == 204

    assert post_csv(api, exported).status_code == 201  # the material had no SKU: found by its GID
    assert [shape(b) for b in boms(api)] == [(n, o, s, h, [(v, "WAX-1", q) for v, _, q in lines])
                                            for n, o, s, h, lines in before]


def test_every_problem_of_every_line_is_reported_and_nothing_is_imported(api):
    assert api.post(BOMS, json={"name": "Taken", "outputVariantId": gid(8001),
                                "lines": [{"variantId": gid(8002), "quantityPerUnit": 1}]}).status_code == 201
    text = "\n".join([
        "name,output,material,quantity",
        "Good,CNDL-1,WAX-1,1",                      # line 2: fine, but nothing is imported
        "Bad qty,CNDL-1,WAX-1,=1+1",                # 3
        "Zero,CNDL-1,WAX-1,0",                      # 4
        "Places,CNDL-1,WAX-1,1.2345",               # 5
        "Ghost,NO-SUCH-SKU,gid://shopify/ProductVariant/777,1",  # 6: two problems on one line
        "Self,CNDL-1,CNDL-1,1",                     # 7
        "Taken,CNDL-1,WAX-1,1",                     # 8
        "Short,CNDL-1",                             # 9
        ",CNDL-1,WAX-1,1,400",                      # 10
        "Dup,CNDL-1,WAX-1,1",                       # 11
        f"Dup,CNDL-1,{gid(8002)},2",                # 12
        "Mixed,CNDL-1,WAX-1,1",                     # 13
        "Mixed,JAR-1,WICK-1,1",                     # 14
    ])

    details = problems(post_csv(api, text))

    assert details == {
        "line 3": ["quantity per unit must be a number like 0.25 (a dot for decimals, no formula)"],
        "line 4": ["quantity per unit must be greater than zero"],
        "line 5": ["quantity per unit may have at most 3 decimal places"],
        "line 6": ["output SKU 'NO-SUCH-SKU' matches no variant in this shop",
                   "material variant 'gid://shopify/ProductVariant/777' does not exist in this shop"],
        "line 7": ["material is the BOM's own output; a product cannot consume itself"],
        "line 8": ["a bill of materials named 'Taken' already exists in this shop"],
        "line 9": ["has 2 columns; expected 4 or 5"],
        "line 10": ["bom name is required", "hold days must be a whole number from 0 to 365"],
        "line 12": ["material repeats a material; list each variant once"],
        "line 14": ["names another output or hold days than line 13 of the same BOM"],
    }
    assert [b["name"] for b in boms(api)] == ["Taken"]


def test_the_preview_shows_what_would_be_created_and_creates_nothing(api):
    response = post_csv(api, "a,b,c,d\nCandle,CNDL-1,WAX-1,0.5\n", path=f"{IMPORT}/preview")

    assert response.status_code == 200, response.get_json()
    assert [(b["id"], b["name"], b["outputTitle"], b["lines"][0]["title"]) for b in response.get_json()["boms"]] == [
        (None, "Candle", "Beeswax candle", "Beeswax pellets")]
    assert boms(api) == []
    assert problems(post_csv(api, "a,b,c,d\nCandle,CNDL-1,NOPE,1\n", path=f"{IMPORT}/preview")) == {
        "line 2": ["material SKU 'NOPE' matches no variant in this shop"]}


@pytest.mark.parametrize("body, content_type, status, code", [
    (b"a,b,c,d\nCandle,CNDL-1,WAX-1,1\n", "application/json", 415, "unsupported_media_type"),
    (b"a,b,c,d\nCandle,CNDL-1,WAX-1,1\n", "text/csv; charset=latin-1", 415, "unsupported_media_type"),
    ("a,b,c,d\nBougie \u00e9t\u00e9,CNDL-1,WAX-1,1\n".encode("latin-1"), "text/csv", 400, "bad_request"),
    ("a,b,c,d\nCandle,CNDL-1,WAX-1,1\n".encode("utf-16"), "text/csv", 400, "bad_request"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary", "text/csv", 400, "bad_request"),
    (b"", "text/csv", 422, "validation_failed"),
    (b"a,b,c,d\n", "text/csv", 422, "validation_failed"),
    (b'a,b,c,d\n"unterminated,CNDL-1,WAX-1,1\n', "text/csv", 422, "validation_failed"),
])
def test_files_that_are_not_utf8_csv_get_a_clear_4xx_and_change_nothing(api, body, content_type, status, code):
    response = post_csv(api, body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert boms(api) == []


def test_a_latin1_file_is_refused_naming_the_line(api):
    body = "a,b,c,d\nCandle,CNDL-1,WAX-1,1\nBougie \u00e9t\u00e9,CNDL-1,WAX-1,1\n".encode("latin-1")
    error = post_csv(api, body).get_json()["error"]
    assert "UTF-8" in error["message"] and "line 3" in error["message"]


def test_a_utf8_file_with_a_byte_order_mark_imports(api):
    response = post_csv(api, "\ufeffa,b,c,d\r\nBougie d'\u00e9t\u00e9,CNDL-1,WAX-1,1\r\n".encode())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["boms"][0]["name"] == "Bougie d'\u00e9t\u00e9"


def test_hostile_sizes_are_refused_fast_without_asking_shopify(api, backend, fake):
    backend.config["BOM_IMPORT_MAX_BYTES"] = 64 * 1024
    huge = b"a,b,c,d\n" + b"Candle,CNDL-1,WAX-1,1\n" * 4000
    too_many = ("a,b,c,d\n" + "".join(f"B{n},CNDL-1,WAX-1,1\n" for n in range(MAX_ROWS + 1))).encode()
    too_many_skus = ("a,b,c,d\n" + "".join(f"B{n},CNDL-1,SKU-{n},1\n" for n in range(MAX_SKUS))).encode()
    wide = b"a,b,c,d\n" + b"=1," * 60_000 + b"\n"
    long_cell = b"a,b,c,d\n" + b"x" * 300 + b",CNDL-1,WAX-1,1\n"

    began = time.perf_counter()
    assert post_csv(api, huge).status_code == 413
    # No Content-Length (chunked, as a WSGI server hands it over): refused while reading.
    chunked = api.post(IMPORT, input_stream=io.BytesIO(huge), headers={**CSV, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413
    backend.config["BOM_IMPORT_MAX_BYTES"] = 2 * 1024 * 1024
    assert post_csv(api, too_many).status_code == 413
    assert post_csv(api, too_many_skus).status_code == 413  # 501 SKUs with CNDL-1
    assert problems(post_csv(api, wide)) == {"line 2": ["has 60001 columns; expected 4 or 5"]}
    assert problems(post_csv(api, long_cell)) == {"line 2": ["has a cell longer than 255 characters"]}
    elapsed = time.perf_counter() - began

    assert fake.store.calls(SHOP)["VariantsBySku"] == 0
    assert boms(api) == []
    print(f"five hostile files refused in {elapsed:.2f} s")


def test_a_shopify_outage_during_the_lookup_is_a_503_and_imports_nothing(api, fake):
    fake.stop()
    response = post_csv(api, "a,b,c,d\nCandle,CNDL-1,WAX-1,1\n")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert boms(api) == []


def test_the_exported_layout_is_recognised_by_its_header_whatever_its_case():
    from shopify_app.boms.importing import read_rows

    rows, plan = read_rows("Bom_Name,OUTPUT_VARIANT_ID,output_sku,material_variant_id,material_sku,"
                           "quantity_per_unit,hold_days\n'+Candle,gid://shopify/ProductVariant/1,,"
                           "gid://shopify/ProductVariant/2,'-WAX,1.5,4\n")
    assert not plan.problems
    assert [(r.name, r.output, r.material, str(r.quantity), r.hold_days) for r in rows] == [
        ("+Candle", "gid://shopify/ProductVariant/1", "-WAX", "1.5", 4)]


@pytest.mark.parametrize("text", ["=1+1", "+", "-", "@x", "\tx", "\rx", "'=already", "''-x", "plain", "'quoted",
                                  "it's", ""])
def test_every_text_survives_neutralising_a_csv_file_and_restoring(text):
    from shopify_app.csv_cells import neutralise, restore

    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralise(text)])
    [[cell]] = csv.reader(io.StringIO(buffer.getvalue(), newline=""))
    assert restore(cell) == text
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_skus_with_quotes_backslashes_and_spaces_are_searched_exactly(api, fake):
    awkward = 'WAX "blend" \\ 2 OR sku:CNDL-1'
    fake.store.add_variant(SHOP, 8010, "Blended wax", sku=awkward)
    text = 'a,b,c,d\nCandle,CNDL-1,"WAX ""blend"" \\ 2 OR sku:CNDL-1",1\n'

    response = post_csv(api, text)

    assert response.status_code == 201, response.get_json()
    assert [(line["variantId"], line["sku"]) for line in response.get_json()["boms"][0]["lines"]] == [
        (gid(8010), awkward)]
