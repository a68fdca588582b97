"""Fuzzing every number the OpenAPI document lets a client send (issue #11): hypothesis, not schemathesis.

schemathesis writes bodies with Python's json, which cannot express `1e999999` or a 5000-digit
integer; these are the numbers that used to pin a worker or answer 500. So each operation of
/api/openapi.json is walked here: every number or integer in its request body, every integer
query parameter and every id in its path gets raw hostile text — huge and tiny exponents, long
digit strings, long fractions, other scripts' digits — with everything else real (a seeded order,
component row and BOM). Every answer must be SPEC §3's JSON error (never a 5xx), the refused
number named at its JSON path when the answer is 422, and nothing stored may change when the
number fits no field. The slowest
request is printed (`pytest -s`); speed figures belong to bench/hostile.py, not to assertions.
"""

import json
import os
import time
from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shopify_app.extensions import db

from .builders import VARIANT, component

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 25))
PLACEHOLDER = "\u0000number\u0000"
DIGITS = ["\u0660", "\u06f0", "\u0966", "\u09e6", "\uff10", "\u0e50"]  # zeros of other scripts

mantissas = st.sampled_from(["1", "-1", "9.5", "-0.001", "123456789", "0"])
exponents = st.one_of(st.integers(-1_200_000, 1_200_000), st.sampled_from([999999, 1000000, -1000000, 10**20]))
hostile_numbers = st.one_of(
    st.builds(lambda m, e, mark: f"{m}{mark}{'+' if e >= 0 and mark == 'e' else ''}{e}", mantissas, exponents,
              st.sampled_from(["e", "E"])),
    st.integers(1, 6000).map(lambda n: "9" * n),
    st.integers(1, 6000).map(lambda n: "-1" + "0" * n),
    st.integers(1, 6000).map(lambda n: "0." + "0" * n + "1"),
    st.integers(1, 3000).map(lambda n: "1." + "3" * n + "e" + str(n)),
    st.sampled_from(["2147483648", "9223372036854775808", "1e-400", "1e400", "4.9e-324", "1.7976931348623157e308"]),
)
# What a URL path or query string can carry instead of plain ASCII digits.
hostile_text_numbers = st.one_of(
    st.integers(1, 3000).map(lambda n: "9" * n),
    st.builds(lambda zero, n: "".join(chr(ord(zero) + int(d)) for d in str(n)), st.sampled_from(DIGITS),
              st.integers(1, 10**9)),
    st.builds(lambda m, e: f"{m}e{e}", mantissas, exponents),
    st.sampled_from(["+1", "1.0", "1_0", "-1", "0", "0x10", "%201", "1%00", "2147483648", "99999999999"]),
)


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def number_paths(schema: dict, components: dict, path: tuple = (), depth: int = 0):
    """The JSON paths of every number or integer a body schema has (0 stands for an array item)."""
    schema = _resolve(schema, components)
    if depth > 8:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            yield from number_paths(branch, components, path, depth + 1)
    if schema.get("type") in ("number", "integer"):
        yield path
    for name, prop in schema.get("properties", {}).items():
        yield from number_paths(prop, components, path + (name,), depth + 1)
    if schema.get("type") == "array":
        yield from number_paths(schema.get("items", {}), components, path + (0,), depth + 1)


def body_with(path: tuple, number: str) -> str:
    """The smallest body holding `number` at `path`, as raw JSON text."""
    value = PLACEHOLDER
    for part in reversed(path):
        value = [value] if part == 0 else {part: value}
    return json.dumps(value).replace(json.dumps(PLACEHOLDER), number)


def json_path(path: tuple) -> str:
    return "".join(f"[{p}]" if p == 0 else f".{p}" for p in path).lstrip(".")


def fits_no_field(text: str) -> bool:
    """Beyond every numeric field of the API: over 2**31 - 1 or more than 3 decimal places."""
    try:
        value = Decimal(text)  # exact, from text: no context rounding or overflow
    except InvalidOperation:
        return True  # an exponent beyond what Decimal itself can hold
    if value.copy_abs() > 2**31 - 1:
        return True
    _, digits, exponent = value.as_tuple()
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0 and exponent < 0:
        digits.pop()
        exponent += 1
    return exponent < -3 and any(digits)


def targets(document: dict) -> list[tuple]:
    """(method, path template, where, name) for every place a number enters an operation."""
    components = document["components"]["schemas"]
    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if _resolve(parameter.get("schema", {}), components).get("type") == "integer":
                    found.append((method.upper(), template, parameter["in"], parameter["name"]))
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                for path in dict.fromkeys(number_paths(content["schema"], components)):
                    found.append((method.upper(), template, "body", path))
    return found


@pytest.fixture
def world(app, api):
    """A draft order with a row, and a BOM: path ids that exist, so the number is what is judged."""
    order = api.post("/api/production-orders", json={"reference": "PO-1", "components": [component()]}).get_json()
    bom = api.post("/api/boms", json={"name": "Candle", "outputVariantId": VARIANT, "lines": [
        {"variantId": "gid://shopify/ProductVariant/2001", "quantityPerUnit": 0.25}]}).get_json()
    return {"order_id": order["id"], "component_id": order["components"][0]["id"], "bom_id": bom["id"]}


def stored_rows() -> dict:
    db.session.expire_all()
    dump = {t.name: db.session.execute(select(t).order_by(*t.primary_key.columns)).all()
            for t in db.metadata.sorted_tables}
    db.session.rollback()
    return dump


def test_the_document_has_numbers_in_bodies_queries_and_paths(client):
    kinds = {where for _, _, where, _ in targets(client.get("/api/openapi.json").get_json())}
    assert kinds == {"body", "query", "path"}


def test_hostile_numbers_anywhere_the_document_takes_one_are_refused_cleanly(client, api, world):
    document = client.get("/api/openapi.json").get_json()
    places = targets(document)
    slowest, sent = [0.0, None], []

    @settings(max_examples=MAX_EXAMPLES * len(places), deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(place=st.sampled_from(places), number=hostile_numbers, text=hostile_text_numbers)
    def send(place, number, text):
        method, template, where, name = place
        ids = {**world}
        if where == "path":
            ids[name] = text
        url = template
        for key, value in ids.items():
            url = url.replace("{" + key + "}", str(value))
        if where == "query":
            url += f"?{name}={text}"
        body = body_with(name, number) if where == "body" else None
        refused = where == "path" or (where == "body" and fits_no_field(number))
        before = stored_rows() if refused else None
        started = time.perf_counter()
        response = api._call(method, url, data=body, content_type="application/json" if body else None)
        elapsed = time.perf_counter() - started
        sent.append(elapsed)
        if elapsed > slowest[0]:
            slowest[:] = [elapsed, f"{method} {url[:80]} {(body or '')[:60]}"]
        described = f"{method} {url[:120]} {(body or '')[:120]} -> {response.status_code}"
        assert response.status_code < 500, described
        if response.status_code >= 400:
            error = response.get_json()["error"]
            assert set(error) == {"code", "message", "details"}, described
            if response.status_code == 422 and where == "query":
                assert name in error["details"], (described, error)
        if where == "body" and fits_no_field(number):
            assert response.status_code in (404, 409, 422), described
            if response.status_code == 422:
                assert json_path(name) in response.get_json()["error"]["details"], described
        if where == "path":
            assert response.status_code == 404, described
        if refused:
            assert stored_rows() == before, described

    send()
    print(f"\n{len(sent)} hostile-number requests over {len(places)} places; slowest "
          f"{slowest[0] * 1000:.1f} ms ({slowest[1]})")
