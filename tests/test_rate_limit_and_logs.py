"""The per-shop request budget, and structured logs with a request id, the shop and no secrets."""

import json
import logging

import pytest

from shopify_app.logs import RedactingJsonFormatter, RequestContextFilter

from .builders import OTHER_SHOP, SHOP, auth_headers, installed_shop


@pytest.fixture
def limited(app):
    app.config["RATE_LIMIT_PER_SHOP"] = "3/minute"
    return app


def test_a_shop_over_its_budget_gets_429_with_retry_after_and_other_shops_are_unaffected(limited, client, shop):
    installed_shop(OTHER_SHOP)
    answers = [client.get("/api/settings", headers=auth_headers(SHOP)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/settings", headers=auth_headers(OTHER_SHOP)).status_code == 200


def test_requests_with_invalid_tokens_do_not_spend_a_shops_budget(limited, client, shop):
    forged = {"Authorization": "Bearer " + "eyJhbGciOiJIUzI1NiJ9.eyJkZXN0IjoiaHR0cHM6Ly9jYW5kbGVzLXRlc3QubXlzaG9waWZ5LmNvbSJ9.x"}
    for _ in range(10):
        assert client.get("/api/settings", headers=forged).status_code == 401
    assert client.get("/api/settings", headers=auth_headers(SHOP)).status_code == 200


def test_every_response_carries_a_request_id_and_keeps_a_sane_one_it_was_given(client):
    assert len(client.get("/healthz").headers["X-Request-Id"]) == 32
    assert client.get("/healthz", headers={"X-Request-Id": "lb-1234"}).headers["X-Request-Id"] == "lb-1234"
    injected = client.get("/healthz", headers={"X-Request-Id": "x forged <log> line"}).headers["X-Request-Id"]
    assert injected != "x forged <log> line" and len(injected) == 32


def _json_line(record: logging.LogRecord) -> dict:
    RequestContextFilter().filter(record)
    return json.loads(RedactingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(shop)s").format(record))


def test_log_lines_are_json_with_the_request_id_and_shop(app, client, shop, caplog):
    caplog.set_level(logging.INFO, logger="shopify_app.access")
    client.get("/api/settings", headers={**auth_headers(SHOP), "X-Request-Id": "req-42"})
    access = [r for r in caplog.records if r.name == "shopify_app.access"][-1]
    line = _json_line(access)
    assert line["message"] == "GET /api/settings 200"
    assert (line["request_id"], line["shop"], line["status"]) == ("req-42", SHOP, 200)


def test_tokens_are_masked_even_if_code_logs_them_by_mistake():
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "token shpat_abc123 refresh shprt_def456 jwt eyJhbGc.eyJzdWIi.c2ln", None, None)
    text = json.dumps(_json_line(record))
    assert "shpat_abc123" not in text and "shprt_def456" not in text and "eyJhbGc.eyJzdWIi" not in text
    assert text.count("[redacted]") == 3


def test_the_access_log_never_contains_the_query_string(app, client, caplog):
    caplog.set_level(logging.INFO, logger="shopify_app.access")
    client.get("/?id_token=eyJsecret.eyJsecret.sig&shop=x.myshopify.com")
    assert all("id_token" not in r.getMessage() for r in caplog.records)
