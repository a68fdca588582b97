"""shopify.app.toml, .env.example and the code agree (SPEC §6, §8; fact sheet §6).

The TOML is what Shopify CLI deploys; .env.example is what a developer copies; config.py is what
the app reads. A topic subscribed without a handler, a handler nobody subscribes to, a webhook URI
the app does not serve, or a setting missing from .env.example would each break a real install.
"""

import ast
import base64
import hashlib
import hmac
import json
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from shopify_app import config as config_module
from shopify_app.webhooks.handlers import HANDLERS

from .builders import API_SECRET

ROOT = Path(__file__).resolve().parent.parent
COMPLIANCE_TOPICS = {"customers/data_request", "customers/redact", "shop/redact"}
REQUIRED_TOPICS = {"app/uninstalled", "app/scopes_update"} | COMPLIANCE_TOPICS


@pytest.fixture(scope="module")
def toml() -> dict:
    with open(ROOT / "shopify.app.toml", "rb") as handle:
        return tomllib.load(handle)


def parse_env_example() -> tuple[dict, dict]:
    """KEY=VALUE lines of .env.example, and for each key the comment above it.

    Consecutive KEY lines share the comment above the first of them (e.g. API key and secret).
    """
    values, comments, pending, previous_was_key = {}, {}, [], False
    for line in (ROOT / ".env.example").read_text().splitlines():
        stripped = line.strip()
        if not stripped:
            pending, previous_was_key = [], False
        elif stripped.startswith("#"):
            if previous_was_key:
                pending = []
            pending.append(stripped)
            previous_was_key = False
        else:
            key, sep, value = stripped.partition("=")
            assert sep, f".env.example line is not KEY=VALUE: {line!r}"
            key = key.strip()
            assert key not in values, f"{key} is listed twice in .env.example"
            values[key] = value.strip().strip('"').strip("'")
            comments[key], previous_was_key = list(pending), True
    return values, comments


@pytest.fixture(scope="module")
def env_example() -> dict:
    return parse_env_example()[0]


def subscribed_topics(toml) -> list[str]:
    topics = []
    for subscription in toml["webhooks"]["subscriptions"]:
        topics += subscription.get("topics", []) + subscription.get("compliance_topics", [])
    return topics


def split_scopes(value: str) -> list[str]:
    return sorted(scope.strip() for scope in value.split(",") if scope.strip())


def route_for(app, url: str, method: str) -> str:
    """The endpoint serving `url` (relative, or absolute under application_url) for `method`."""
    path = urlsplit(url).path or "/"
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method=method)
    except (NotFound, MethodNotAllowed) as exc:
        pytest.fail(f"{method} {path} is not served by the app ({type(exc).__name__})")
    return endpoint


# ------------------------------------------------------------------ top level


def test_the_app_is_embedded(toml):
    assert toml["embedded"] is True


def test_client_id_and_name_are_present(toml):
    assert isinstance(toml["client_id"], str) and toml["client_id"].strip()
    assert isinstance(toml["name"], str) and toml["name"].strip()


def test_application_url_is_the_env_example_app_url(toml, env_example):
    assert toml["application_url"] == env_example["SHOPIFY_APP_URL"]
    assert urlsplit(toml["application_url"]).scheme == "https"


def test_the_handle_is_the_env_example_app_handle(toml, env_example):
    # The handle names the app in referenceDocumentUri (gid://<app-handle>/ProductionOrder/<id>).
    assert toml.get("handle", env_example["SHOPIFY_APP_HANDLE"]) == env_example["SHOPIFY_APP_HANDLE"]


# ------------------------------------------------------------------ access scopes and install


def test_scopes_match_env_example_and_the_config_default(toml, env_example):
    scopes = toml["access_scopes"]["scopes"]
    assert split_scopes(scopes) == split_scopes(env_example["SHOPIFY_SCOPES"])
    assert split_scopes(scopes) == split_scopes(config_module.DEFAULT_SCOPES)
    assert split_scopes(scopes) == sorted(["read_products", "read_locations", "write_inventory", "read_inventory"])


def test_installation_is_shopify_managed(toml):
    assert "use_legacy_install_flow" in toml["access_scopes"]
    assert toml["access_scopes"]["use_legacy_install_flow"] is False


def test_redirect_urls_contain_the_callback_the_app_serves(toml, app):
    redirect_urls = toml["auth"]["redirect_urls"]
    expected = toml["application_url"].rstrip("/") + "/auth/callback"
    assert expected in redirect_urls
    assert route_for(app, expected, "GET") == "auth.callback"
    # The URL the install actually sends as redirect_uri is the registered one.
    app.config["SHOPIFY_APP_URL"] = toml["application_url"]
    location = app.test_client().get("/auth/install?shop=candles-test.myshopify.com").location
    assert dict(parse_qsl(urlsplit(location).query))["redirect_uri"] == expected


def test_every_redirect_url_is_a_valid_url_of_the_app(toml, app):
    base = toml["application_url"].rstrip("/")
    for url in toml["auth"]["redirect_urls"]:
        assert url.startswith(base + "/"), url
        route_for(app, url, "GET")


# ------------------------------------------------------------------ webhooks


def test_the_webhook_api_version_matches_env_example_and_config(toml, env_example):
    version = toml["webhooks"]["api_version"]
    assert version == env_example["SHOPIFY_API_VERSION"] == config_module.DEFAULT_API_VERSION


def test_the_required_and_compliance_topics_are_subscribed(toml):
    assert REQUIRED_TOPICS <= set(subscribed_topics(toml))


def test_compliance_topics_are_declared_as_compliance_topics(toml):
    for subscription in toml["webhooks"]["subscriptions"]:
        assert not COMPLIANCE_TOPICS & set(subscription.get("topics", [])), subscription
        assert set(subscription.get("compliance_topics", [])) <= COMPLIANCE_TOPICS, subscription
    compliance = {t for s in toml["webhooks"]["subscriptions"] for t in s.get("compliance_topics", [])}
    assert compliance == COMPLIANCE_TOPICS


def test_no_topic_is_subscribed_twice(toml):
    topics = subscribed_topics(toml)
    assert len(topics) == len(set(topics))


def test_every_subscribed_topic_has_a_handler_and_every_handler_is_subscribed(toml):
    assert set(subscribed_topics(toml)) == set(HANDLERS)


def test_every_subscription_uri_is_a_post_route_of_the_app(toml, app):
    base = toml["application_url"].rstrip("/")
    for subscription in toml["webhooks"]["subscriptions"]:
        uri = subscription["uri"]
        assert uri.startswith("/") or uri.startswith(base + "/"), uri
        assert route_for(app, uri, "POST") == "webhooks.receive"


def test_every_subscription_uri_answers_a_signed_delivery_of_its_topics(toml, app):
    client = app.test_client()
    body = json.dumps({"shop_domain": "unknown.myshopify.com"}).encode()
    digest = base64.b64encode(hmac.new(API_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    for index, subscription in enumerate(toml["webhooks"]["subscriptions"]):
        for topic in subscription.get("topics", []) + subscription.get("compliance_topics", []):
            response = client.post(urlsplit(subscription["uri"]).path or "/", data=body, content_type="application/json",
                                   headers={"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": digest,
                                            "X-Shopify-Shop-Domain": "unknown.myshopify.com",
                                            "X-Shopify-Webhook-Id": f"toml-{index}-{topic}"})
            assert response.status_code == 200, (topic, response.data)


# ------------------------------------------------------------------ .env.example vs config.py


GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def keys_gunicorn_reads() -> set[str]:
    """Settings gunicorn.conf.py reads from the environment (the process manager's, not the app's)."""
    return _environment_reads(GUNICORN_CONF) - _environment_reads(Path(config_module.__file__))


def keys_config_reads() -> set[str]:
    """Names config.py and gunicorn.conf.py read from the environment."""
    return _environment_reads(Path(config_module.__file__)) | _environment_reads(GUNICORN_CONF)


def _environment_reads(path: Path) -> set[str]:
    """Names a module reads from the environment: env("X"...), os.environ.get/[...], os.getenv."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = (func.id if isinstance(func, ast.Name) else
                      func.attr if isinstance(func, ast.Attribute) else "")
            if called in {"env", "getenv"} or (called == "get" and "environ" in ast.unparse(func)):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def test_the_config_source_parser_finds_what_it_should():
    # Guards the test below against a parser that finds nothing.
    assert {"SHOPIFY_API_KEY", "DATABASE_URL", "PORT"} <= keys_config_reads()


def test_env_example_lists_exactly_the_settings_config_reads(env_example):
    read = keys_config_reads()
    assert set(env_example) == read, (
        f"missing from .env.example: {sorted(read - set(env_example))}; "
        f"listed but never read: {sorted(set(env_example) - read)}")


def test_spec_settings_are_all_in_env_example(env_example):
    spec_settings = {"SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_API_SECRET_PREVIOUS", "SHOPIFY_APP_URL",
                     "SHOPIFY_APP_HANDLE", "SHOPIFY_SCOPES", "SHOPIFY_API_VERSION", "SHOPIFY_ADMIN_ORIGIN",
                     "DATABASE_URL", "TOKEN_ENCRYPTION_KEY", "SECRET_KEY", "LOG_LEVEL"}
    assert spec_settings <= set(env_example)


def test_every_env_example_setting_has_a_comment():
    _, comments = parse_env_example()
    assert [key for key, lines in comments.items() if not lines] == []


def test_env_example_holds_no_real_secret(env_example):
    for key in ("SHOPIFY_API_SECRET", "SHOPIFY_API_SECRET_PREVIOUS", "TOKEN_ENCRYPTION_KEY", "SECRET_KEY"):
        assert env_example[key] == "", f"{key} must be empty in .env.example"


@pytest.mark.parametrize("key", sorted(set(parse_env_example()[0]) - keys_gunicorn_reads()))
def test_each_env_example_setting_really_reaches_the_config(key, monkeypatch, tmp_path):
    """Setting one variable of .env.example alone changes load_config's answer."""
    examples = parse_env_example()[0]
    for name in examples:
        monkeypatch.delenv(name, raising=False)
    if key == "DATABASE_URL":
        sentinel = "sqlite:////tmp/sentinel-database-url.sqlite3"
    elif examples[key].replace(".", "", 1).isdigit():  # a number (port, seconds, retries)
        sentinel = "98765"
    else:
        sentinel = f"sentinel-for-{key.lower()}"
    monkeypatch.setenv(key, sentinel)
    if key in ("SHOPIFY_API_KEY",):  # production mode requires the keys from the environment
        monkeypatch.setenv("SECRET_KEY", "x")
        monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", "y")
    loaded = config_module.load_config(str(tmp_path))
    assert any(sentinel in str(value) for value in loaded.values()), f"{key} is not read by load_config"
