"""GET /api/openapi.json describes the API the code serves, and what is served matches it."""

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .builders import LOCATION, component

ORDERS = "/api/production-orders"


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _validator(document, schema):
    registry = Registry().with_resource("urn:api", Resource(contents=document, specification=DRAFT202012))
    schema = {**schema, "$ref": "urn:api" + schema["$ref"]} if "$ref" in schema else schema
    return Draft202012Validator(schema, registry=registry)


def test_the_document_is_valid_openapi_and_needs_no_session_token(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_api_route_of_the_app_is_documented(app, document):
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi_document":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented


def _schema_for(document, path, method, status):
    return document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_served_responses_match_their_documented_schemas(api, document):
    created = api.post(ORDERS, json={"reference": "PO-1", "locationId": LOCATION, "components": [component(
        materials=[{"variantId": "gid://shopify/ProductVariant/9", "title": "Wax", "quantityPerUnit": 0.25}])]})
    order = created.get_json()
    order_path = "/api/production-orders/{order_id}"
    started = api.post(f"{ORDERS}/{order['id']}/start")
    checks = [
        (created, "/api/production-orders", "post", 201),
        (started, order_path + "/start", "post", 200),
        (api.get(ORDERS), "/api/production-orders", "get", 200),
        (api.get(f"{ORDERS}/{order['id']}"), order_path, "get", 200),
        (api.get(f"{ORDERS}/{order['id']}/events"), order_path + "/events", "get", 200),
        (api.get("/api/settings"), "/api/settings", "get", 200),
        (api.post(f"{ORDERS}/{order['id']}/start"), order_path + "/start", "post", 409),
        (api.get(f"{ORDERS}/999"), order_path, "get", 404),
        (api.post(ORDERS, json={"reference": ""}), "/api/production-orders", "post", 422),
    ]
    for response, path, method, status in checks:
        assert response.status_code == status, (path, response.get_json())
        errors = list(_validator(document, _schema_for(document, path, method, status)).iter_errors(response.get_json()))
        assert errors == [], (path, status, [e.message for e in errors])


def test_documented_request_schemas_refuse_what_the_api_refuses(document):
    schema = document["paths"]["/api/production-orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = _validator(document, schema)
    assert validator.is_valid({"reference": "PO-1", "components": [{"variantId": "gid://shopify/ProductVariant/1", "quantityPlanned": 2}]})
    assert not validator.is_valid({"reference": "PO-1", "status": "completed"})
    assert not validator.is_valid({"reference": "PO-1", "components": [{"variantId": "gid://shopify/Product/1", "quantityPlanned": 2}]})
