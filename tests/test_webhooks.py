"""POST /webhooks (SPEC §6): raw-body HMAC, deduplication, delivery order, and each topic's effect.

Every delivery is signed here with hmac/hashlib/base64 over the exact bytes sent, and sent inside a
`responses` mock with no registered URL: a handler that called out to Shopify (or anything else)
would show up in `calls` and fail the test, which is how "answers fast" is checked without timing.
"""

import base64
import hashlib
import hmac
import http.client
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import responses
from responses import matchers
from sqlalchemy import func, select, text

from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.models import Shop
from shopify_app.webhooks.models import WebhookDelivery

from .both_databases import backend, client, shop  # noqa: F401
from .builders import (API_KEY, API_SECRET, LOCATION, OTHER_SHOP, PREVIOUS_SECRET, SCOPES, SHOP,
                       VARIANT_2, component, installed_shop, session_token)
from .conftest import AuthedClient

ORDERS = "/api/production-orders"


@pytest.fixture(autouse=True)
def shopify_origin(backend):
    backend.config["SHOPIFY_ADMIN_ORIGIN"] = ""  # Shopify itself, faked with `responses`
    return backend


# ------------------------------------------------------------------ helpers


def signature(body: bytes, secret: str = API_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_time(moment: datetime) -> str:
    """X-Shopify-Triggered-At as Shopify writes it: UTC, nanosecond precision, `Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def shop_resource(domain=SHOP) -> dict:
    """An app/uninstalled payload: the Shop resource, whose `domain` may be a custom domain."""
    return {"id": 954889, "name": "Candles", "domain": "candles.example", "myshopify_domain": domain}


def compact(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def shopify_headers(topic, body, *, shop=SHOP, webhook_id=None, event_id=None, triggered_at=None,
                    secret=API_SECRET, hmac_header=None) -> dict:
    """The headers Shopify sends with `body`: signed with `secret`, fresh ids, triggered now."""
    return {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": signature(body, secret) if hmac_header is None else hmac_header,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": shopify_time(utcnow()) if triggered_at is None else triggered_at,
    }


def deliver(client, topic, payload=None, *, body=None, replace=None, drop=(), **header_options):
    """POST one delivery the way Shopify does; assert that handling it made no outbound HTTP call.

    `replace` overrides header values after signing; `drop` removes headers.
    """
    body = compact(payload if payload is not None else {}) if body is None else body
    headers = {**shopify_headers(topic, body, **header_options), **(replace or {})}
    for name in drop:
        headers.pop(name)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = client.post("/webhooks", data=body, headers=headers, content_type="application/json")
        assert len(rsps.calls) == 0, f"webhook handler called out: {[c.request.url for c in rsps.calls]}"
    return response


def find_shop(domain=SHOP) -> Shop | None:
    db.session.expire_all()
    return db.session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()


def snapshot() -> dict:
    """Every row of every table (webhook bookkeeping aside), to prove a delivery changed nothing."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name == WebhookDelivery.__tablename__:
            continue
        state[table.name] = sorted(tuple(map(repr, row)) for row in db.session.execute(select(table)).all())
    return state


def deliveries() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookDelivery))


def assert_json_error(response, status, code):
    assert response.status_code == status, response.data
    assert response.is_json, response.data
    assert response.get_json()["error"]["code"] == code
    assert "Traceback" not in response.get_data(as_text=True)


def grant_body(access="shpat_reinstalled", refresh="shprt_reinstalled"):
    return {"access_token": access, "scope": SCOPES, "expires_in": 3600, "refresh_token": refresh,
            "refresh_token_expires_in": 7_776_000}


def exchange_params(subject_token):
    return {
        "client_id": API_KEY,
        "client_secret": API_SECRET,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": "1",
    }


# ------------------------------------------------------------------ authenticity: the raw body


def test_a_correctly_signed_delivery_is_accepted(client, shop):
    response = deliver(client, "app/scopes_update", {"previous": [], "current": ["read_products"]})
    assert response.status_code == 200
    assert response.is_json


def test_the_hmac_covers_the_raw_bytes_not_the_parsed_json(client, shop):
    payload = {"id": 1, "previous": ["read_products"], "current": ["read_products", "write_inventory"]}
    original = compact(payload)
    reserialised = json.dumps(payload, indent=2).encode()  # equal JSON, different bytes
    assert json.loads(reserialised) == json.loads(original) and reserialised != original
    before = snapshot()
    response = deliver(client, "app/scopes_update", body=reserialised, hmac_header=signature(original))
    assert_json_error(response, 401, "unauthorized")
    assert snapshot() == before and deliveries() == 0
    # The same bytes that were signed pass (with any whitespace they happen to have).
    assert deliver(client, "app/scopes_update", body=reserialised).status_code == 200
    assert find_shop().scopes == "read_products,write_inventory"


@pytest.mark.parametrize("header", [
    pytest.param(None, id="missing"),
    pytest.param("", id="empty"),
    pytest.param("not base64 at all!!", id="garbled"),
    pytest.param("sha256=deadbeef", id="wrong-format"),
    pytest.param("HEX", id="hex-instead-of-base64"),
    pytest.param("WRONG_SECRET", id="wrong-secret"),
    pytest.param("TRUNCATED", id="truncated"),
    pytest.param("A" * 8000, id="over-long"),
])
def test_a_bad_or_missing_hmac_is_401_json_and_changes_nothing(client, shop, header):
    body = compact({"id": 1})
    if header == "HEX":
        header = hmac.new(API_SECRET.encode(), body, hashlib.sha256).hexdigest()
    elif header == "WRONG_SECRET":
        header = signature(body, "some-other-apps-secret")
    elif header == "TRUNCATED":
        header = signature(body)[:-4]
    before = snapshot()
    response = deliver(client, "app/uninstalled", body=body, hmac_header=header if header is not None else "",
                       drop=("X-Shopify-Hmac-Sha256",) if header is None else ())
    assert_json_error(response, 401, "unauthorized")
    assert "X-Shopify-Retry-Invalid-Session-Request" not in response.headers  # not a session token
    assert snapshot() == before
    assert find_shop().is_installed
    assert deliveries() == 0


def test_a_refused_delivery_is_not_remembered_and_its_genuine_retry_is_processed(client, shop):
    webhook_id = "retry-after-a-bad-signature"
    body = compact(shop_resource())
    assert deliver(client, "app/uninstalled", body=body, webhook_id=webhook_id,
                   hmac_header=signature(body, "forged")).status_code == 401
    response = deliver(client, "app/uninstalled", body=body, webhook_id=webhook_id)
    assert response.status_code == 200 and response.get_json()["status"] != "duplicate"
    assert not find_shop().is_installed


def test_the_previous_secret_is_accepted_during_a_rotation(client, shop):
    response = deliver(client, "app/scopes_update", {"current": ["read_products"]}, secret=PREVIOUS_SECRET)
    assert response.status_code == 200
    assert find_shop().scopes == "read_products"


def test_the_hmac_is_checked_before_the_body_is_parsed(client, shop):
    body = b'{"current": ['
    response = deliver(client, "app/scopes_update", body=body, hmac_header=signature(body, "forged"))
    assert_json_error(response, 401, "unauthorized")


def test_malformed_json_with_a_valid_hmac_is_400_and_changes_nothing(client, shop):
    before = snapshot()
    response = deliver(client, "app/uninstalled", body=b'{"id": 1,')
    assert_json_error(response, 400, "bad_request")
    assert snapshot() == before and deliveries() == 0


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id"])
def test_a_delivery_missing_its_topic_shop_or_id_header_is_400(client, shop, header):
    before = snapshot()
    response = deliver(client, "app/uninstalled", shop_resource(), drop=(header,))
    assert_json_error(response, 400, "bad_request")
    assert snapshot() == before and deliveries() == 0
    assert find_shop().is_installed


# ------------------------------------------------------------------ deduplication


def test_a_replayed_webhook_id_is_processed_once(client, shop):
    first = deliver(client, "app/scopes_update", {"current": ["read_products"]}, webhook_id="wh-1")
    assert first.status_code == 200 and first.get_json()["status"] != "duplicate"
    later = deliver(client, "app/scopes_update", {"current": ["read_products", "write_inventory"]},
                    webhook_id="wh-2")
    assert later.status_code == 200
    # Shopify retries the first delivery (same id, same body) after the later change.
    replay = deliver(client, "app/scopes_update", {"current": ["read_products"]}, webhook_id="wh-1")
    assert replay.status_code == 200
    assert replay.get_json()["status"] == "duplicate"
    assert find_shop().scopes == "read_products,write_inventory"  # not reverted
    assert deliveries() == 2


def test_a_replayed_uninstall_after_a_reinstall_does_not_uninstall_again(client, shop):
    webhook_id = "uninstall-1"
    triggered = shopify_time(utcnow())
    assert deliver(client, "app/uninstalled", shop_resource(), webhook_id=webhook_id,
                   triggered_at=triggered).status_code == 200
    shop_row = find_shop()
    assert not shop_row.is_installed
    # The merchant re-installs (a new token pair), then Shopify retries the old delivery.
    tokens.store_grant(shop_row, tokens.TokenGrant(**grant_body()))
    shop_row.installed_at, shop_row.uninstalled_at = utcnow(), None
    db.session.commit()
    replay = deliver(client, "app/uninstalled", shop_resource(), webhook_id=webhook_id, triggered_at=triggered)
    assert replay.status_code == 200 and replay.get_json()["status"] == "duplicate"
    assert find_shop().is_installed and tokens.access_token(find_shop()) == "shpat_reinstalled"


# ------------------------------------------------------------------ app/uninstalled


def test_uninstall_forgets_the_tokens_and_marks_the_shop_uninstalled(client, shop):
    installed_at = find_shop().installed_at
    response = deliver(client, "app/uninstalled", {"id": 1, "myshopify_domain": SHOP})
    assert response.status_code == 200
    shop_row = find_shop()
    assert shop_row is not None  # the data stays until shop/redact
    assert shop_row.uninstalled_at is not None and not shop_row.is_installed
    assert shop_row.installed_at == installed_at
    assert (shop_row.access_token_encrypted, shop_row.refresh_token_encrypted) == (None, None)
    assert (shop_row.access_token_expires_at, shop_row.refresh_token_expires_at) == (None, None)
    assert not tokens.has_usable_offline_token(shop_row)


def test_after_an_uninstall_the_next_api_call_runs_a_token_exchange(client, shop):
    assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    token = session_token(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(f"https://{SHOP}/admin/oauth/access_token",
                  match=[matchers.json_params_matcher(exchange_params(token))], json=grant_body())
        response = client.get(ORDERS, headers={"Authorization": f"Bearer {token}"})
        assert len(rsps.calls) == 1
    assert response.status_code == 200, response.get_json()
    shop_row = find_shop()
    assert shop_row.is_installed and shop_row.uninstalled_at is None
    assert tokens.access_token(shop_row) == "shpat_reinstalled"
    assert tokens.refresh_token(shop_row) == "shprt_reinstalled"


def test_after_an_uninstall_a_failed_token_exchange_means_401(client, shop):
    assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    token = session_token(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(f"https://{SHOP}/admin/oauth/access_token",
                  match=[matchers.json_params_matcher(exchange_params(token))],
                  status=400, json={"error": "invalid_subject_token"})
        response = client.get(ORDERS, headers={"Authorization": f"Bearer {token}"})
    assert_json_error(response, 401, "unauthorized")
    assert not find_shop().is_installed


def test_an_uninstall_triggered_before_the_latest_install_is_ignored(client, shop):
    # Nanosecond precision: .123456789 is earlier than .123457 (truncating, not rounding, gets it right).
    shop.installed_at = datetime(2026, 11, 27, 5, 0, 0, 123457, tzinfo=timezone.utc)
    db.session.commit()
    before = snapshot()
    response = deliver(client, "app/uninstalled", shop_resource(), triggered_at="2026-11-27T05:00:00.123456789Z")
    assert response.status_code == 200
    assert snapshot() == before
    assert find_shop().is_installed and tokens.access_token(find_shop()) == "shpat_test_access"


def test_an_uninstall_triggered_after_the_latest_install_is_applied(client, shop):
    shop.installed_at = datetime(2026, 11, 27, 5, 0, 0, 123457, tzinfo=timezone.utc)
    db.session.commit()
    response = deliver(client, "app/uninstalled", shop_resource(), triggered_at="2026-11-27T05:00:00.123457001Z")
    assert response.status_code == 200
    assert not find_shop().is_installed


def test_a_late_uninstall_from_a_previous_installation_keeps_the_reinstalled_shop(client, shop):
    """The realistic race: uninstall, quick re-install, and only then the old delivery arrives."""
    uninstall_time = utcnow() - timedelta(minutes=5)
    shop.installed_at = utcnow() - timedelta(minutes=1)  # re-installed after the uninstall
    db.session.commit()
    response = deliver(client, "app/uninstalled", shop_resource(), triggered_at=shopify_time(uninstall_time))
    assert response.status_code == 200
    assert find_shop().is_installed and tokens.has_usable_offline_token(find_shop())


def test_an_uninstall_for_an_unknown_shop_is_acknowledged(client):
    unknown = "never-installed.myshopify.com"
    response = deliver(client, "app/uninstalled", shop_resource(unknown), shop=unknown)
    assert response.status_code == 200
    assert find_shop("never-installed.myshopify.com") is None


# ------------------------------------------------------------------ app/scopes_update


def test_scopes_update_stores_the_current_scopes(client, shop):
    payload = {"id": 1234, "previous": SCOPES.split(","), "current": ["read_products", "read_locations"],
               "updated_at": "2026-11-27T05:00:00.000Z", "shop_id": 954889}
    response = deliver(client, "app/scopes_update", payload)
    assert response.status_code == 200
    assert find_shop().scopes == "read_products,read_locations"
    assert tokens.access_token(find_shop()) == "shpat_test_access"  # tokens untouched


@pytest.mark.parametrize("current", [
    pytest.param(["read_products", "bad\u0000scope"], id="nul"),
    pytest.param(["read_products", {"nested": ["x"]}], id="object"),
    pytest.param(["read_products", "x" * 101], id="over-long"),
    pytest.param("read_products", id="not-a-list"),
])
def test_scopes_update_with_anything_but_scope_names_changes_nothing(client, shop, current):
    before = snapshot()
    response = deliver(client, "app/scopes_update", {"previous": [], "current": current})
    assert response.status_code == 200 and response.get_json() == {"status": "ignored"}
    assert snapshot() == before


# ------------------------------------------------------------------ compliance topics


@pytest.mark.parametrize("topic, payload", [
    ("customers/data_request", {"shop_id": 954889, "shop_domain": SHOP, "orders_requested": [299938, 280263],
                                "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                                "data_request": {"id": 9999}}),
    ("customers/redact", {"shop_id": 954889, "shop_domain": SHOP,
                          "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"},
                          "orders_to_redact": [299938, 280263, 220458]}),
])
def test_customer_compliance_topics_are_acknowledged_and_change_nothing(client, api, topic, payload):
    assert api.post(ORDERS, json={"reference": "PO-1", "components": [component()]}).status_code == 201
    before = snapshot()
    response = deliver(client, topic, payload)
    assert response.status_code == 200
    assert snapshot() == before


def test_an_unknown_topic_is_acknowledged_and_logged(client, shop, caplog):
    caplog.set_level(logging.INFO)
    before = snapshot()
    response = deliver(client, "orders/create", {"id": 1})
    assert response.status_code == 200
    assert snapshot() == before
    assert any("orders/create" in record.getMessage() for record in caplog.records)


def make_some_rows(client, domain):
    """Orders (draft and started), components, events and settings of `domain`, through the API."""
    api = AuthedClient(client, domain)
    draft = api.post(ORDERS, json={"reference": "PO-1", "components": [component(), component(VARIANT_2)]})
    assert draft.status_code == 201, draft.get_json()
    other = api.post(ORDERS, json={"reference": "PO-2", "locationId": LOCATION,
                                   "syncProductionOrderToShopify": False, "components": [component()]})
    assert other.status_code == 201, other.get_json()
    started = api.post(f"{ORDERS}/{other.get_json()['id']}/start")
    assert started.status_code == 200, started.get_json()
    settings = api.put("/api/settings", json={"syncProductionOrdersToShopifyByDefault": True,
                                              "defaultLocationId": LOCATION, "syncMode": "live"})
    assert settings.status_code == 200, settings.get_json()
    return api


def rows_of(shop_id: int) -> dict:
    """For every table with a shop_id column (and `shops` itself), that shop's rows."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        column = table.c.id if table.name == "shops" else table.c.get("shop_id")
        if column is not None:
            rows[table.name] = sorted(tuple(map(repr, row))
                                      for row in db.session.execute(select(table).where(column == shop_id)))
    return rows


def test_shop_redact_erases_every_row_of_the_shop_and_nothing_of_another(client, shop):
    other = installed_shop(OTHER_SHOP)
    make_some_rows(client, SHOP)
    make_some_rows(client, OTHER_SHOP)
    shop_id, other_id = shop.id, other.id
    mine = rows_of(shop_id)
    for table in ("shops", "shop_settings", "production_orders", "components", "order_events"):
        assert mine[table], f"the test should have created {table} rows"
    theirs = rows_of(other_id)

    assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    response = deliver(client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    assert response.status_code == 200

    assert find_shop() is None
    assert rows_of(shop_id) == {name: [] for name in mine}
    assert rows_of(other_id) == theirs  # the other shop's rows are exactly what they were
    assert find_shop(OTHER_SHOP).is_installed
    # Nothing left pointing at a deleted row (tables without a shop_id column included).
    if db.engine.dialect.name == "sqlite":  # PostgreSQL enforces them on every statement
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    # Only the redact delivery itself may remain (it keeps a retry from being processed twice).
    remaining = db.session.scalars(select(WebhookDelivery.topic).where(WebhookDelivery.shop_domain == SHOP)).all()
    assert remaining == ["shop/redact"]


def test_the_other_shop_keeps_working_after_a_redact(client, shop):
    installed_shop(OTHER_SHOP)
    make_some_rows(client, SHOP)
    other_api = make_some_rows(client, OTHER_SHOP)
    assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    assert deliver(client, "shop/redact", {"shop_domain": SHOP}).get_json() == {"status": "redacted"}
    listing = other_api.get(ORDERS).get_json()
    assert listing["total"] == 2
    assert other_api.get("/api/settings").get_json()["syncMode"] == "live"


def test_a_shop_redact_triggered_before_the_latest_install_is_ignored(client, shop):
    make_some_rows(client, SHOP)
    shop.installed_at = datetime(2026, 11, 27, 5, 0, 0, 123457, tzinfo=timezone.utc)
    db.session.commit()
    before = snapshot()
    response = deliver(client, "shop/redact", {"shop_domain": SHOP}, triggered_at="2026-11-27T05:00:00.123456789Z")
    assert response.status_code == 200
    assert snapshot() == before
    assert find_shop().is_installed


def test_a_replayed_shop_redact_after_a_reinstall_erases_nothing_new(client, shop):
    assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    assert deliver(client, "shop/redact", {"shop_domain": SHOP}, webhook_id="redact-1").status_code == 200
    assert find_shop() is None
    installed_shop(SHOP)  # the merchant installs again
    make_some_rows(client, SHOP)
    before = snapshot()
    replay = deliver(client, "shop/redact", {"shop_domain": SHOP}, webhook_id="redact-1")
    assert replay.status_code == 200 and replay.get_json()["status"] == "duplicate"
    assert snapshot() == before


def test_a_shop_redact_for_an_unknown_shop_is_acknowledged(client, shop):
    before = snapshot()
    assert deliver(client, "shop/redact", {"shop_domain": "gone.myshopify.com"},
                   shop="gone.myshopify.com").status_code == 200
    assert snapshot() == before


# ------------------------------------------------------------------ no outbound calls, any topic


@pytest.mark.parametrize("topic", ["app/uninstalled", "app/scopes_update", "customers/data_request",
                                   "customers/redact", "shop/redact", "orders/create"])
def test_no_webhook_handler_calls_out(client, shop, topic):
    make_some_rows(client, SHOP)
    # `deliver` runs the request inside a responses mock with nothing registered and asserts no calls.
    assert deliver(client, topic, {"id": 1, "current": ["read_products"], "shop_domain": SHOP}).status_code == 200


# ------------------------------------------------------------------ the body confirms the headers


def test_an_uninstall_body_replayed_as_another_shops_redact_deletes_nothing(client, shop):
    """The attack of issue #11: a signed app/uninstalled body, topic and shop headers changed."""
    other = installed_shop(OTHER_SHOP)
    make_some_rows(client, OTHER_SHOP)
    assert deliver(client, "app/uninstalled", shop_resource(OTHER_SHOP), shop=OTHER_SHOP).status_code == 200
    theirs = rows_of(other.id)
    before = snapshot()
    stolen = compact(shop_resource(SHOP))  # genuinely signed by Shopify, for SHOP
    response = deliver(client, "shop/redact", body=stolen, shop=OTHER_SHOP)
    assert response.status_code == 200 and response.get_json() == {"status": "shop_mismatch"}
    assert snapshot() == before and rows_of(other.id) == theirs
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.topic == "shop/redact")) == 0  # not even remembered


@pytest.mark.parametrize("payload", [
    pytest.param({"shop_domain": OTHER_SHOP, "myshopify_domain": SHOP}, id="shop_domain-first"),
    pytest.param({"myshopify_domain": OTHER_SHOP, "domain": SHOP}, id="myshopify_domain-before-domain"),
    pytest.param({"domain": OTHER_SHOP}, id="domain-when-alone"),
    pytest.param({"shop_domain": None}, id="null"),
    pytest.param({"shop_domain": ["candles-test.myshopify.com"]}, id="not-a-string"),
])
def test_a_payload_naming_another_shop_is_acknowledged_and_ignored(client, shop, payload):
    before = snapshot()
    response = deliver(client, "app/scopes_update", {**payload, "current": ["read_products"]})
    assert response.status_code == 200 and response.get_json() == {"status": "shop_mismatch"}
    assert snapshot() == before and deliveries() == 0


def test_a_custom_domain_does_not_count_when_the_myshopify_domain_is_there(client, shop):
    payload = {**shop_resource(), "domain": "www.candles.example", "myshopify_domain": "Candles-Test.myshopify.com"}
    response = deliver(client, "app/uninstalled", payload)
    assert response.get_json() == {"status": "uninstalled"}
    assert not find_shop().is_installed


@pytest.mark.parametrize("topic, payload", [
    pytest.param("shop/redact", shop_resource(), id="uninstall-body-as-redact"),
    pytest.param("shop/redact", {"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": 191167},
                                 "orders_to_redact": [299938]}, id="customer-redact-as-shop-redact"),
    pytest.param("shop/redact", {"shop_id": 954889, "shop_domain": SHOP, "orders_requested": [299938],
                                 "customer": {"id": 191167}, "data_request": {"id": 9999}},
                 id="data-request-as-shop-redact"),
    pytest.param("app/uninstalled", {"shop_id": 954889, "shop_domain": SHOP}, id="redact-body-as-uninstall"),
    pytest.param("app/uninstalled", {"id": 1, "previous": [], "current": []}, id="scopes-body-as-uninstall"),
])
def test_a_body_of_another_topic_under_a_changed_topic_header_changes_nothing(client, shop, topic, payload):
    make_some_rows(client, SHOP)
    if topic == "shop/redact":  # the app is uninstalled, so a genuine redact would erase everything
        assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    before = snapshot()
    response = deliver(client, topic, payload)
    assert response.status_code == 200 and response.get_json() == {"status": "payload_not_of_topic"}
    assert snapshot() == before


def test_a_shop_redact_while_the_app_is_installed_erases_nothing(client, shop):
    """Shopify asks 48 hours after an uninstall; with the app installed it can only be a replay."""
    make_some_rows(client, SHOP)
    before = snapshot()
    response = deliver(client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP})
    assert response.get_json() == {"status": "still_installed"}
    assert snapshot() == before


# ------------------------------------------------------------------ duplicates: either id


def test_the_same_event_under_a_new_webhook_id_is_a_duplicate(client, shop):
    first = deliver(client, "app/scopes_update", {"current": ["read_products"]}, webhook_id="wh-a", event_id="ev-1")
    assert first.get_json() == {"status": "scopes_updated"}
    again = deliver(client, "app/scopes_update", {"current": ["read_locations"]}, webhook_id="wh-b", event_id="ev-1")
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert find_shop().scopes == "read_products"
    assert deliveries() == 1


def test_a_repeated_webhook_id_under_a_new_event_id_is_a_duplicate(client, shop):
    deliver(client, "app/scopes_update", {"current": ["read_products"]}, webhook_id="wh-a", event_id="ev-1")
    again = deliver(client, "app/scopes_update", {"current": ["read_locations"]}, webhook_id="wh-a", event_id="ev-2")
    assert again.get_json() == {"status": "duplicate"}
    assert find_shop().scopes == "read_products" and deliveries() == 1


def test_a_delivery_without_an_event_id_is_deduplicated_on_its_webhook_id(client, shop):
    assert deliver(client, "app/scopes_update", {"current": ["read_products"]}, webhook_id="wh-a",
                   drop=("X-Shopify-Event-Id",)).get_json() == {"status": "scopes_updated"}
    assert deliver(client, "app/scopes_update", {"current": ["read_products"]}, webhook_id="wh-b",
                   drop=("X-Shopify-Event-Id",)).get_json() == {"status": "scopes_updated"}
    assert deliver(client, "app/scopes_update", {"current": []}, webhook_id="wh-a",
                   drop=("X-Shopify-Event-Id",)).get_json() == {"status": "duplicate"}
    assert deliveries() == 2


# ------------------------------------------------------------------ trigger time


@pytest.mark.parametrize("triggered_at", [
    pytest.param(None, id="missing"),
    pytest.param("yesterday", id="not-a-time"),
    pytest.param("2026-13-45T00:00:00Z", id="impossible-date"),
    pytest.param("2026-11-27T05:00:00", id="no-timezone"),
])
@pytest.mark.parametrize("topic, payload", [("app/uninstalled", shop_resource()),
                                            ("shop/redact", {"shop_id": 954889, "shop_domain": SHOP})],
                         ids=["uninstall", "redact"])
def test_an_uninstall_or_redact_without_a_valid_trigger_time_changes_nothing(client, shop, triggered_at,
                                                                            topic, payload):
    make_some_rows(client, SHOP)
    if topic == "shop/redact":
        assert deliver(client, "app/uninstalled", shop_resource()).status_code == 200
    before = snapshot()
    response = deliver(client, topic, payload, triggered_at=triggered_at or "",
                       drop=("X-Shopify-Triggered-At",) if triggered_at is None else ())
    assert response.status_code == 200 and response.get_json() == {"status": "stale"}
    assert snapshot() == before


def test_a_token_exchange_moves_the_install_time_so_a_late_uninstall_cannot_undo_it(client, shop):
    """Uninstall, re-open before the uninstall webhook arrives: the exchange is the latest install."""
    uninstalled_at = utcnow()
    tokens.clear_tokens(shop)  # Shopify revoked the pair; the webhook saying so is still on its way
    db.session.commit()
    token = session_token(SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(f"https://{SHOP}/admin/oauth/access_token",
                  match=[matchers.json_params_matcher(exchange_params(token))], json=grant_body())
        assert client.get(ORDERS, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert find_shop().installed_at > uninstalled_at
    late = deliver(client, "app/uninstalled", shop_resource(), triggered_at=shopify_time(uninstalled_at))
    assert late.get_json() == {"status": "stale"}
    assert find_shop().is_installed and tokens.access_token(find_shop()) == "shpat_reinstalled"


# ------------------------------------------------------------------ hostile input: 4xx, never 5xx


def test_deeply_nested_json_is_400(client, shop):
    depth = 200_000
    body = b'{"current":' + b"[" * depth + b"]" * depth + b"}"
    assert len(body) < 1024 * 1024
    before = snapshot()
    assert_json_error(deliver(client, "app/scopes_update", body=body), 400, "bad_request")
    assert snapshot() == before and deliveries() == 0


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"\xff\xfe{}", b"null"],
                         ids=["array", "string", "not-utf8", "null"])
def test_a_body_that_is_not_a_json_object_is_400(client, shop, body):
    assert_json_error(deliver(client, "app/uninstalled", body=body), 400, "bad_request")
    assert find_shop().is_installed and deliveries() == 0


@pytest.mark.parametrize("header, value", [
    ("X-Shopify-Webhook-Id", "w" * 101),
    ("X-Shopify-Event-Id", "e" * 101),
    ("X-Shopify-Topic", "app/" + "u" * 97),
    ("X-Shopify-Triggered-At", "2026-11-27T05:00:00." + "1" * 60 + "Z"),
    ("X-Shopify-Webhook-Id", "x" * 8000),
    ("X-Shopify-Webhook-Id", "two words"),
    ("X-Shopify-Event-Id", "caf\u00e9"),
    ("X-Shopify-Shop-Domain", "a" * 64 + ".myshopify.com"),
    ("X-Shopify-Shop-Domain", "candles.example.com"),
    ("X-Shopify-Shop-Domain", SHOP + ".evil.example"),
], ids=["webhook-id-101", "event-id-101", "topic-101", "triggered-at-long", "webhook-id-8000", "space",
        "non-ascii", "domain-label-64", "not-myshopify", "myshopify-prefix"])
def test_an_over_long_or_odd_header_is_400_and_changes_nothing(client, shop, header, value):
    before = snapshot()
    # Header values travel as bytes: send the UTF-8 of the value, as a client could.
    response = deliver(client, "app/uninstalled", shop_resource(),
                       replace={header: value.encode("utf-8").decode("latin-1")})
    assert_json_error(response, 400, "bad_request")
    assert snapshot() == before and deliveries() == 0 and find_shop().is_installed


def padded_scopes_body(size: int) -> bytes:
    """A valid app/scopes_update body of exactly `size` bytes."""
    head, tail = b'{"current":["read_products"],"pad":"', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_body_over_one_mib_is_413_and_one_of_exactly_one_mib_is_accepted(client, shop):
    limit = 1024 * 1024
    assert_json_error(deliver(client, "app/scopes_update", body=padded_scopes_body(limit + 1)),
                      413, "payload_too_large")
    assert deliveries() == 0
    response = deliver(client, "app/scopes_update", body=padded_scopes_body(limit))
    assert response.get_json() == {"status": "scopes_updated"}


@pytest.fixture
def live_server(backend):
    """The app behind werkzeug's real HTTP server (it de-chunks bodies as gunicorn does)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, backend, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


def post_chunked(port: int, body: bytes, headers: dict) -> tuple[int, dict]:
    """POST `body` with Transfer-Encoding: chunked and no Content-Length; the status and JSON answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("POST", "/webhooks")
        for name, value in {**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"}.items():
            connection.putheader(name, value)
        connection.endheaders()
        for start in range(0, len(body), 65_536):
            chunk = body[start:start + 65_536]
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("size, status", [(1024 * 1024 + 10, 413), (1024 * 1024, 200), (2_000, 200)],
                         ids=["over", "exactly-the-limit", "small"])
def test_a_chunked_body_without_content_length_is_read_whole_or_refused(live_server, shop, size, status):
    """Through a real server: the body is never silently cut at the limit."""
    body = padded_scopes_body(size)
    code, answer = post_chunked(live_server, body, shopify_headers("app/scopes_update", body))
    assert code == status, answer
    if status == 413:
        assert answer["error"]["code"] == "payload_too_large"
        assert deliveries() == 0
    else:  # the HMAC matched, so every byte arrived
        assert answer == {"status": "scopes_updated"}
        assert find_shop().scopes == "read_products"


def test_one_event_arriving_under_several_webhook_ids_at_once_is_processed_once(backend, shop):
    """The unique event id decides when the dedup read raced: one commit wins, the others are duplicates."""
    body = compact({"current": ["read_products"]})

    def post(index):
        headers = shopify_headers("app/scopes_update", body, webhook_id=f"wh-{index}", event_id="ev-race")
        return backend.test_client().post("/webhooks", data=body, headers=headers,
                                          content_type="application/json").get_json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, range(4)))
    assert sorted(answer["status"] for answer in answers) == ["duplicate"] * 3 + ["scopes_updated"]
    assert deliveries() == 1
