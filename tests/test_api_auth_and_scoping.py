"""Who may call the API (SPEC §3, §4): real session tokens, one shop's data only, the actor is `sub`."""

import base64
import json
import re
import time
import warnings

import jwt
import pytest
import responses
from sqlalchemy import select

from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.production.models import OrderEvent, ProductionOrder
from shopify_app.shops.models import Shop

from .builders import (API_KEY, API_SECRET, LOCATION, OTHER_SHOP, PREVIOUS_SECRET, SHOP, VARIANT_2, auth_headers,
                       component, installed_shop, session_token)
from .conftest import AuthedClient

ORDERS = "/api/production-orders"


# ------------------------------------------------------------------ helpers


def create(client, reference, **fields):
    response = client.post(ORDERS, json={"reference": reference, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, order, action):
    response = client.post(f"{ORDERS}/{order['id']}/{action}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def state(client, order) -> tuple:
    """An order as its own shop sees it, with its history."""
    return (client.get(f"{ORDERS}/{order['id']}").get_json(),
            client.get(f"{ORDERS}/{order['id']}/events").get_json())


def assert_error(response, status, code) -> dict:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    assert "Traceback" not in text
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"].strip()
    return body["error"]


def claims(**overrides) -> dict:
    """The claims of a valid session token for SHOP, with `overrides` (None removes a claim)."""
    payload = jwt.decode(session_token(SHOP), options={"verify_signature": False})
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


def signed(payload: dict, key: str, algorithm: str) -> str:
    """A token signed as an attacker or a misconfigured client would (short keys are the point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(payload, key, algorithm=algorithm)


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_token() -> str:
    """`alg: none`: a header, the claims and an empty signature."""
    return f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(claims())}."


def tampered_token() -> str:
    """A valid token whose payload was swapped for another shop's, keeping the original signature."""
    header, _, signature = session_token(SHOP).split(".")
    forged = b64url(claims(iss=f"https://{OTHER_SHOP}/admin", dest=f"https://{OTHER_SHOP}"))
    return f"{header}.{forged}.{signature}"


# ------------------------------------------------------------------ (a) another shop's data


@pytest.fixture
def other(client):
    installed_shop(OTHER_SHOP)
    return AuthedClient(client, OTHER_SHOP)


@pytest.fixture
def foreign(other):
    """An order of the other shop, in progress, with one component row."""
    order = create(other, "SOAP-1", locationId=LOCATION, syncProductionOrderToShopify=False,
                   components=[component()])
    return act(other, order, "start")


def foreign_component(order):
    return f"{ORDERS}/{order['id']}/components/{order['components'][0]['id']}"


ENDPOINTS = {
    "reading the order": ("GET", lambda o: f"{ORDERS}/{o['id']}", None),
    "editing the order": ("PATCH", lambda o: f"{ORDERS}/{o['id']}", {"notes": "mine now"}),
    "starting the order": ("POST", lambda o: f"{ORDERS}/{o['id']}/start", None),
    "completing the order": ("POST", lambda o: f"{ORDERS}/{o['id']}/complete", None),
    "cancelling the order": ("POST", lambda o: f"{ORDERS}/{o['id']}/cancel", None),
    "reading its history": ("GET", lambda o: f"{ORDERS}/{o['id']}/events", None),
    "retrying its sync": ("POST", lambda o: f"{ORDERS}/{o['id']}/sync", None),
    "adding a component": ("POST", lambda o: f"{ORDERS}/{o['id']}/components", component(VARIANT_2)),
    "editing a component": ("PATCH", foreign_component, {"quantityProduced": 3}),
    "removing a component": ("DELETE", foreign_component, None),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_shops_order_is_not_found_and_stays_unchanged(api, other, foreign, endpoint):
    method, url, body = ENDPOINTS[endpoint]
    before = state(other, foreign)
    response = api._call(method, url(foreign), json=body)
    assert_error(response, 404, "not_found")
    assert foreign["reference"] not in response.get_data(as_text=True)
    assert state(other, foreign) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_shops_order_is_not_found_even_with_its_current_version_in_if_match(api, other, foreign, endpoint):
    method, url, body = ENDPOINTS[endpoint]
    before = state(other, foreign)
    response = api._call(method, url(foreign), json=body, headers={"If-Match": f'"{foreign["version"]}"'})
    assert_error(response, 404, "not_found")
    assert state(other, foreign) == before


def test_another_shops_orders_never_appear_in_the_list_or_the_search(api, other, foreign):
    mine = create(api, "CANDLE-1")
    listing = api.get(ORDERS).get_json()
    assert [item["id"] for item in listing["items"]] == [mine["id"]] and listing["total"] == 1
    for query in ("q=SOAP", "q=soap-1", "q=Beeswax", "q=CNDL", "status=in_progress"):
        found = api.get(f"{ORDERS}?{query}").get_json()
        assert foreign["id"] not in [item["id"] for item in found["items"]], query


def test_the_shop_comes_from_the_token_never_from_the_query(api, other, foreign):
    listing = api.get(f"{ORDERS}?shop={OTHER_SHOP}").get_json()
    assert listing["total"] == 0
    assert_error(api.get(f"{ORDERS}/{foreign['id']}?shop={OTHER_SHOP}"), 404, "not_found")


def test_settings_are_per_shop(api, other):
    settings = {"syncProductionOrdersToShopifyByDefault": True, "defaultLocationId": LOCATION, "syncMode": "live"}
    assert api.put("/api/settings", json=settings).status_code == 200
    assert other.get("/api/settings").get_json() == {
        "syncProductionOrdersToShopifyByDefault": False, "defaultLocationId": None, "syncMode": "on_complete",
        "costUpdate": "off", "shortagePolicy": "warn", "plannedOutputAsIncoming": False}


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"quantityPlanned": 1}), ("DELETE", None)],
                         ids=["editing it", "removing it"])
def test_a_component_of_another_order_of_the_same_shop_is_not_found(api, method, body):
    first = create(api, "PO-1", components=[component()])
    second = create(api, "PO-2", components=[component()])
    before = (state(api, first), state(api, second))
    url = f"{ORDERS}/{first['id']}/components/{second['components'][0]['id']}"
    assert_error(api._call(method, url, json=body), 404, "not_found")
    assert (state(api, first), state(api, second)) == before


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"quantityProduced": 1}), ("DELETE", None)],
                         ids=["editing it", "removing it"])
def test_a_component_of_another_shops_order_is_not_found_through_my_own_order(api, other, foreign, method, body):
    mine = act(api, create(api, "PO-1", locationId=LOCATION, syncProductionOrderToShopify=False,
                           components=[component()]), "start")
    before = (state(api, mine), state(other, foreign))
    url = f"{ORDERS}/{mine['id']}/components/{foreign['components'][0]['id']}"
    assert_error(api._call(method, url, json=body), 404, "not_found")
    assert (state(api, mine), state(other, foreign)) == before


# ------------------------------------------------------------------ (b) session tokens

def now() -> int:
    """Evaluated when a case runs, not at import, so the leeway cases stay exact."""
    return int(time.time())


REFUSED = {
    "no Authorization header": lambda: {},
    "an empty Authorization header": lambda: {"Authorization": ""},
    "a Basic scheme": lambda: {"Authorization": "Basic dXNlcjpwYXNz"},
    "a token without the Bearer scheme": lambda: {"Authorization": session_token()},
    "Bearer with nothing after it": lambda: {"Authorization": "Bearer "},
    "a garbage token": lambda: {"Authorization": "Bearer not-a-jwt"},
    "three garbage segments": lambda: {"Authorization": "Bearer a.b.c"},
    "a token signed with the wrong secret": lambda: auth_headers(secret="not-the-app-secret-0123456789abcdef"),
    "a token signed with the API key": lambda: {"Authorization": "Bearer " + signed(claims(), API_KEY, "HS256")},
    "a token whose payload was swapped": lambda: {"Authorization": f"Bearer {tampered_token()}"},
    "a token whose signature was cut off": lambda: {"Authorization": "Bearer " + session_token().rsplit(".", 1)[0]
                                                    + "."},
    "an alg none token": lambda: {"Authorization": f"Bearer {unsigned_token()}"},
    "an HS512 token": lambda: {"Authorization": "Bearer " + signed(claims(), API_SECRET, "HS512")},
    "an HS384 token": lambda: {"Authorization": "Bearer " + signed(claims(), API_SECRET, "HS384")},
    "a token expired beyond the leeway": lambda: auth_headers(exp=now() - 30, nbf=now() - 90, iat=now() - 90),
    "a token expired an hour ago": lambda: auth_headers(exp=now() - 3600, nbf=now() - 3660, iat=now() - 3660),
    "a token not valid before a time beyond the leeway": lambda: auth_headers(nbf=now() + 30),
    "a token without exp": lambda: auth_headers(exp=None),
    "a token for another app": lambda: auth_headers(aud="another-apps-api-key"),
    "a token without aud": lambda: auth_headers(aud=None),
    "a token whose iss and dest name different shops": lambda: auth_headers(dest=f"https://{OTHER_SHOP}"),
    "a token whose iss is another shop": lambda: auth_headers(iss=f"https://{OTHER_SHOP}/admin"),
    "a token for a domain that is not myshopify": lambda: auth_headers(
        iss="https://candles.example.com/admin", dest="https://candles.example.com"),
    "a token for a myshopify look-alike": lambda: auth_headers(
        iss="https://candles-test.myshopify.com.evil.example/admin",
        dest="https://candles-test.myshopify.com.evil.example"),
    "a token without iss": lambda: auth_headers(iss=None),
    "a token without dest": lambda: auth_headers(dest=None),
    "a token without sid": lambda: auth_headers(sid=None),
    "a token without jti": lambda: auth_headers(jti=None),
    "a token without sub": lambda: auth_headers(sub=None),
}


@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
def test_a_missing_or_invalid_session_token_is_refused_with_401_and_the_retry_header(client, shop, headers):
    response = client.get(ORDERS, headers=headers())
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("X-Shopify-Retry-Invalid-Session-Request") == "1"


@pytest.mark.parametrize("headers", [REFUSED["an alg none token"], REFUSED["a token signed with the wrong secret"],
                                     REFUSED["a token expired beyond the leeway"]],
                         ids=["alg none", "wrong secret", "expired"])
def test_a_refused_token_writes_nothing(client, shop, headers):
    response = client.post(ORDERS, headers=headers(), json={"reference": "PO-1"})
    assert_error(response, 401, "unauthorized")
    assert db.session.scalars(select(ProductionOrder)).all() == []
    assert db.session.scalars(select(OrderEvent)).all() == []


@pytest.fixture
def failing_token_exchange():
    """Shopify refuses the token exchange (SPEC §4), so a shop without a usable token stays out."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as shopify:
        for domain in (SHOP, NEVER_INSTALLED):
            shopify.add(responses.POST, f"https://{domain}/admin/oauth/access_token", status=400,
                        json={"error": "invalid_subject_token"})
        yield shopify


NEVER_INSTALLED = "never-installed.myshopify.com"
NOT_INSTALLED = {
    "the app was uninstalled": (SHOP, lambda shop: setattr(shop, "uninstalled_at", utcnow())),
    "the shop row has no install time": (SHOP, lambda shop: setattr(shop, "installed_at", None)),
    "the shop has no row at all": (NEVER_INSTALLED, lambda shop: None),
}


@pytest.mark.parametrize(("domain", "uninstall"), NOT_INSTALLED.values(), ids=NOT_INSTALLED.keys())
def test_a_token_for_a_shop_without_the_app_installed_is_refused(client, shop, failing_token_exchange,
                                                                 domain, uninstall):
    uninstall(shop)
    db.session.commit()
    shops_before = [(s.domain, s.installed_at, s.uninstalled_at) for s in db.session.scalars(select(Shop))]
    response = client.get(ORDERS, headers=auth_headers(domain))
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("X-Shopify-Retry-Invalid-Session-Request") == "1"
    assert_error(client.post(ORDERS, headers=auth_headers(domain), json={"reference": "PO-1"}), 401, "unauthorized")
    # SPEC §4: the app tried to install itself by token exchange, Shopify said no, nothing was kept.
    assert [call.request.url for call in failing_token_exchange.calls][:1] == [
        f"https://{domain}/admin/oauth/access_token"]
    db.session.expire_all()
    assert [(s.domain, s.installed_at, s.uninstalled_at) for s in db.session.scalars(select(Shop))] == shops_before
    assert db.session.scalars(select(ProductionOrder)).all() == []


ACCEPTED = {
    "a fresh token": lambda: auth_headers(),
    "a token signed with the previous secret during a rotation": lambda: auth_headers(secret=PREVIOUS_SECRET),
    "a token expired within the leeway": lambda: auth_headers(exp=now() - 4, nbf=now() - 60, iat=now() - 60),
    "a token not valid before a time within the leeway": lambda: auth_headers(nbf=now() + 4, iat=now() + 4),
}


@pytest.mark.parametrize("headers", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_valid_session_token_is_accepted(client, shop, headers):
    response = client.get(ORDERS, headers=headers())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == 0


def test_once_the_rotation_is_over_a_token_signed_with_the_old_secret_is_refused(app, client, shop):
    app.config["SHOPIFY_API_SECRET_PREVIOUS"] = ""
    assert_error(client.get(ORDERS, headers=auth_headers(secret=PREVIOUS_SECRET)), 401, "unauthorized")
    assert client.get(ORDERS, headers=auth_headers()).status_code == 200


def test_the_previous_secret_opens_only_its_own_shop(client, shop, other, foreign):
    response = client.get(f"{ORDERS}/{foreign['id']}", headers=auth_headers(SHOP, secret=PREVIOUS_SECRET))
    assert_error(response, 404, "not_found")


def api_routes(app):
    """Every (method, URL) the app serves under /api, with ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        url = re.sub(r"<(?:id:)?\w+>", "1", rule.rule)
        assert "<" not in url, f"a path parameter this test does not know: {rule.rule}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url, rule.endpoint))
    return routes


def test_every_api_route_but_the_openapi_document_needs_a_session_token(app, client, shop):
    routes = api_routes(app)
    assert len(routes) >= 12
    for method, url, endpoint in routes:
        response = client.open(url, method=method, json={})
        if endpoint == "api.openapi_document":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.get_json()["error"]["code"] == "unauthorized", (method, url)
        assert response.headers.get("X-Shopify-Retry-Invalid-Session-Request") == "1", (method, url)


def test_a_missing_token_is_answered_before_an_unknown_id(client, shop):
    assert_error(client.get(f"{ORDERS}/987654"), 401, "unauthorized")
    assert_error(client.open(f"{ORDERS}/987654", method="PATCH", data=b"{not json",
                             content_type="application/json"), 401, "unauthorized")


# ------------------------------------------------------------------ (c) public endpoints


def test_the_openapi_document_needs_no_session_token(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.")
    assert f"{ORDERS}/{{order_id}}" in document["paths"]
    assert "X-Shopify-Retry-Invalid-Session-Request" not in response.headers


def test_the_openapi_document_is_served_even_with_a_bad_token(client):
    response = client.get("/api/openapi.json", headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.")


def test_the_health_check_needs_no_session_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


# ------------------------------------------------------------------ (d) the actor is the token's `sub`


def test_every_event_records_the_shopify_user_of_the_token_as_its_actor(client, shop):
    alice = {"Authorization": f"Bearer {session_token(sub='424242')}"}
    bob = {"Authorization": f"Bearer {session_token(sub='515151')}"}

    def call(headers, method, url, body=None):
        response = client.open(url, method=method, headers=headers, json=body)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    order = call(alice, "POST", ORDERS, {"reference": "PO-1", "components": [component()]})
    url = f"{ORDERS}/{order['id']}"
    call(bob, "PATCH", url, {"notes": "bob was here"})
    call(alice, "POST", url + "/components", component(VARIANT_2))
    call(bob, "POST", url + "/start")
    row = order["components"][0]["id"]
    call(alice, "PATCH", f"{url}/components/{row}", {"quantityProduced": 2})
    call(bob, "DELETE", f"{url}/components/{row}")
    call(alice, "POST", url + "/complete")

    history = call(bob, "GET", url + "/events")["items"]
    assert [(e["type"], e["actor"]) for e in history] == [
        ("created", "424242"), ("updated", "515151"), ("component_added", "424242"), ("started", "515151"),
        ("component_updated", "424242"), ("component_removed", "515151"), ("completed", "424242"),
    ]


def test_the_actor_cannot_be_chosen_in_the_body(client, shop):
    headers = {"Authorization": f"Bearer {session_token(sub='424242')}"}
    response = client.post(ORDERS, headers=headers, json={"reference": "PO-1", "actor": "system"})
    assert set(assert_error(response, 422, "validation_failed")["details"]) == {"actor"}
