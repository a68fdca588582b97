"""The authorization code grant (SPEC §4 fallback install): /auth/install and /auth/callback.

Shopify is faked only at the HTTP boundary (`responses`). Callback queries are signed here with
hmac/hashlib over a canonical message built by this file's own form encoder (WHATWG rules: only
A-Z a-z 0-9 * - . _ raw, space as %20), never with the app's signing helpers.
"""

import base64
import hashlib
import hmac
import json
import math
import re
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
import responses
from responses import matchers
from sqlalchemy import func, select

from shopify_app import create_app
from shopify_app.db_types import utcnow
from shopify_app.extensions import db
from shopify_app.shops import tokens
from shopify_app.shops.models import Shop

from .builders import API_KEY, API_SECRET, OTHER_SHOP, PREVIOUS_SECRET, SCOPES, SHOP, installed_shop
from .conftest import base_config

APP_URL = "https://production-orders.example.com"
STATE_COOKIE = "shopify_app_state"
CALLBACK_PATH = "/auth/callback"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"
CODE = "0907a61c0c8d55e99db179b68161bc00"
# base64("admin.shopify.com/store/candles") is 31 bytes: standard base64 pads it with "==".
PADDED_HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FuZGxlcw=="
UNPADDED_HOST = PADDED_HOST.rstrip("=")  # how Shopify usually sends it
ADMIN_APP_URL = f"https://admin.shopify.com/store/candles/apps/{API_KEY}"
GRANT = {
    "access_token": "shpat_from_code_grant",
    "scope": SCOPES,
    "expires_in": 3600,
    "refresh_token": "shprt_from_code_grant",
    "refresh_token_expires_in": 7_776_000,
}
EXPECTED_EXCHANGE = {"client_id": API_KEY, "client_secret": API_SECRET, "code": CODE, "expiring": "1"}


@pytest.fixture(autouse=True)
def public_https_app(app):
    """The app as deployed: a public HTTPS URL, Shopify's real origin."""
    app.config["SHOPIFY_APP_URL"] = APP_URL
    app.config["SHOPIFY_ADMIN_ORIGIN"] = ""
    return app


# ------------------------------------------------------------------ helpers

_RAW = re.compile(rb"[A-Za-z0-9*\-._]")


def form_encode(text: str) -> str:
    """WHATWG application/x-www-form-urlencoded, with a space written as %20 (Shopify's JS library)."""
    return "".join(chr(b) if _RAW.fullmatch(bytes([b])) else f"%{b:02X}" for b in text.encode())


def shopify_hmac(params, secret: str = API_SECRET) -> str:
    message = "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in sorted(params))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed(params, secret: str = API_SECRET) -> str:
    """The query string Shopify would redirect with: the params plus their hmac."""
    return urlencode([*params, ("hmac", shopify_hmac(params, secret))])


def stamp(offset: int = 0) -> str:
    """`now + offset` as Shopify's integer timestamp, rounded so that the sub-second part and the
    test's own run time can only make a passing value pass more and a failing value fail more."""
    now = time.time()
    away_from_now = abs(offset) > 90
    if offset < 0:
        return str((math.floor(now) if away_from_now else math.ceil(now)) + offset)
    return str((math.ceil(now) if away_from_now else math.floor(now)) + offset)


def callback_params(state, *, shop=SHOP, host=UNPADDED_HOST, code=CODE, timestamp=None):
    return [("code", code), ("host", host), ("shop", shop), ("state", state),
            ("timestamp", timestamp if timestamp is not None else stamp())]


def begin_install(client, shop=SHOP):
    """Run /auth/install like a browser; the state Shopify will send back."""
    response = client.get("/auth/install", query_string={"shop": shop})
    assert response.status_code == 302, response.data
    return dict(parse_qsl(urlsplit(response.location).query, keep_blank_values=True))["state"]


def state_cookie_header(response) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(STATE_COOKIE + "="):
            return header
    return None


def cookie_attributes(header: str) -> tuple[str, dict]:
    first, *rest = [part.strip() for part in header.split(";")]
    attributes = {}
    for part in rest:
        name, _, value = part.partition("=")
        attributes[name.lower()] = value
    return first.partition("=")[2], attributes


def find_shop(domain=SHOP) -> Shop | None:
    db.session.expire_all()
    return db.session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()


def shop_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Shop))


def assert_error_page(response, status):
    """Browser routes answer with a human page: HTML, a message, no JSON, no traceback, no secret."""
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    with pytest.raises(ValueError):
        json.loads(body)
    assert "Traceback" not in body and 'File "' not in body
    assert API_SECRET not in body and PREVIOUS_SECRET not in body
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    assert heading and len(heading.group(1).strip()) > 10, body
    return heading.group(1).strip()


def exchange_mock(rsps, **response):
    rsps.post(TOKEN_URL, match=[matchers.json_params_matcher(EXPECTED_EXCHANGE)],
              **(response or {"json": GRANT}))


# ------------------------------------------------------------------ /auth/install


@pytest.mark.parametrize("shop", [
    "evil.com",
    "x.myshopify.com.evil.com",
    "-x.myshopify.com",
    "",
    "myshopify.com",
    ".myshopify.com",
    "x.myshopify.com/evil",
    "x.myshopify.com:443",
    "https://x.myshopify.com",
    "x_y.myshopify.com",
    "<script>alert(1)</script>.myshopify.com",
])
def test_install_refuses_anything_but_a_myshopify_domain(client, shop):
    response = client.get("/auth/install", query_string={"shop": shop})
    assert_error_page(response, 400)
    assert "Location" not in response.headers
    assert state_cookie_header(response) is None
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_install_without_a_shop_parameter_is_400(client):
    assert_error_page(client.get("/auth/install"), 400)


def test_install_redirects_to_the_shops_authorize_page_with_every_parameter(client, app):
    response = client.get("/auth/install", query_string={"shop": SHOP})
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert (location.scheme, location.netloc, location.path) == ("https", SHOP, "/admin/oauth/authorize")
    query = parse_qsl(location.query, keep_blank_values=True)
    assert sorted(k for k, _ in query) == sorted(["client_id", "scope", "redirect_uri", "state", "grant_options[]"])
    args = dict(query)
    assert args["client_id"] == API_KEY
    assert args["scope"] == app.config["SHOPIFY_SCOPES"] == SCOPES
    assert args["redirect_uri"] == f"{APP_URL}/auth/callback"
    assert args["grant_options[]"] == ""  # offline token, not per-user
    # A URL-safe alphanumeric nonce: nothing in it that encodings could disagree on.
    assert re.fullmatch(r"[A-Za-z0-9]{16,}", args["state"])


def test_install_redirect_uri_has_no_double_slash_when_the_app_url_ends_with_one(client, app):
    app.config["SHOPIFY_APP_URL"] = APP_URL + "/"
    args = dict(parse_qsl(urlsplit(client.get(f"/auth/install?shop={SHOP}").location).query))
    assert args["redirect_uri"] == f"{APP_URL}/auth/callback"


def test_install_lower_cases_the_shop(client):
    response = client.get("/auth/install", query_string={"shop": "Candles-Test.myshopify.com"})
    assert response.status_code == 302
    assert urlsplit(response.location).netloc == SHOP


def test_install_sets_a_signed_httponly_lax_state_cookie_scoped_to_the_callback(client):
    response = client.get("/auth/install", query_string={"shop": SHOP})
    state = dict(parse_qsl(urlsplit(response.location).query))["state"]
    header = state_cookie_header(response)
    assert header is not None
    value, attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "lax"
    assert attributes.get("path") == CALLBACK_PATH
    assert "secure" in attributes  # the app is served over HTTPS
    assert 0 < int(attributes["max-age"]) <= 3600  # short-lived
    assert value and value != state  # signed, not the bare nonce


def test_each_install_gets_its_own_state(client):
    assert begin_install(client) != begin_install(client)


def test_install_inside_the_admin_iframe_answers_with_an_exit_iframe_page(client):
    params = [("embedded", "1"), ("host", UNPADDED_HOST), ("shop", SHOP), ("timestamp", stamp())]
    response = client.get("/auth/install?" + signed(params))
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert state_cookie_header(response) is None  # the state is set by the top-level request
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    # App Bridge is loaded, first script, blocking, with our API key.
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts and 'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"' in scripts[0]
    assert "async" not in scripts[0] and "defer" not in scripts[0]
    assert re.search(rf'<meta name="shopify-api-key" content="{re.escape(API_KEY)}"', body)
    # It opens the top-level install URL in the admin's top window.
    opened = re.search(r'window\.open\(\s*("(?:[^"\\]|\\.)*")\s*,\s*["\']_top["\']\s*\)', body)
    assert opened, body
    target = urlsplit(json.loads(opened.group(1)))
    assert (target.scheme, target.netloc, target.path) == ("https", "production-orders.example.com", "/auth/install")
    target_args = dict(parse_qsl(target.query))
    assert target_args["shop"] == SHOP
    assert target_args.get("embedded") != "1"  # would loop back into this page
    # The page may be framed by this shop's admin (and nobody else).
    assert response.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP} https://admin.shopify.com;")


def test_the_exit_iframe_target_starts_the_top_level_install(client):
    params = [("embedded", "1"), ("shop", SHOP), ("timestamp", stamp())]
    body = client.get("/auth/install?" + signed(params)).get_data(as_text=True)
    target = json.loads(re.search(r'window\.open\(\s*("(?:[^"\\]|\\.)*")', body).group(1))
    parts = urlsplit(target)
    follow = client.get(parts.path + "?" + parts.query)
    assert follow.status_code == 302
    assert urlsplit(follow.location).netloc == SHOP
    assert state_cookie_header(follow) is not None


def test_an_embedded_install_with_a_bad_shop_is_still_refused(client):
    assert_error_page(client.get("/auth/install", query_string={"shop": "evil.com", "embedded": "1"}), 400)


# ------------------------------------------------------------------ /auth/callback: success


def test_callback_exchanges_the_code_stores_the_tokens_and_enters_the_admin(client):
    state = begin_install(client)
    assert find_shop() is None
    before = utcnow()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state)))
        assert rsps.calls[0].request.headers["Content-Type"].startswith("application/json")
    after = utcnow()
    assert response.status_code == 302, response.data
    assert response.location == ADMIN_APP_URL

    shop = find_shop()
    assert shop is not None and shop.is_installed
    assert before <= shop.installed_at <= after and shop.uninstalled_at is None
    assert tokens.access_token(shop) == "shpat_from_code_grant"
    assert tokens.refresh_token(shop) == "shprt_from_code_grant"
    assert "shpat_from_code_grant" not in shop.access_token_encrypted  # encrypted at rest
    assert "shprt_from_code_grant" not in shop.refresh_token_encrypted
    assert before + timedelta(seconds=3600) <= shop.access_token_expires_at <= after + timedelta(seconds=3600)
    assert (before + timedelta(seconds=7_776_000) <= shop.refresh_token_expires_at
            <= after + timedelta(seconds=7_776_000))
    assert shop.scopes == SCOPES


def test_callback_deletes_the_single_use_state_cookie(client):
    state = begin_install(client)
    assert client.get_cookie(STATE_COOKIE, path=CALLBACK_PATH) is not None
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state)))
    assert response.status_code == 302
    value, attributes = cookie_attributes(state_cookie_header(response))
    assert value == ""
    assert attributes.get("path") == CALLBACK_PATH
    assert attributes.get("max-age") == "0" or "1970" in attributes.get("expires", "")
    assert client.get_cookie(STATE_COOKIE, path=CALLBACK_PATH) is None


def test_callback_with_a_hand_written_message_and_a_padded_host(client):
    """The signed message spelt out: keys sorted, the host's '=' padding as %3D."""
    state = begin_install(client)
    timestamp = stamp()
    message = (f"code={CODE}&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FuZGxlcw%3D%3D"
               f"&shop=candles-test.myshopify.com&state={state}&timestamp={timestamp}")
    digest = hmac.new(API_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    query = urlencode([("timestamp", timestamp), ("hmac", digest), ("shop", SHOP), ("state", state),
                       ("host", PADDED_HOST), ("code", CODE)])
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?{query}")
    assert response.status_code == 302, response.data
    assert response.location == ADMIN_APP_URL


def test_callback_signed_with_the_previous_secret_is_accepted(client):
    state = begin_install(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state), PREVIOUS_SECRET))
    assert response.status_code == 302
    assert find_shop().is_installed


def test_callback_also_accepts_extra_signed_parameters(client):
    state = begin_install(client)
    params = [*callback_params(state), ("locale", "en"), ("note", "a+b/c=d%e&f *")]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(params))
    assert response.status_code == 302, response.data


def test_callback_reinstalls_a_shop_that_had_uninstalled(client):
    old = installed_shop(SHOP, access_token="shpat_old", refresh_token="shprt_old")
    old.installed_at = utcnow() - timedelta(days=30)
    old.uninstalled_at = utcnow() - timedelta(days=1)
    tokens.clear_tokens(old)
    db.session.commit()
    state = begin_install(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        assert client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state))).status_code == 302
    shop = find_shop()
    assert shop.is_installed and shop.uninstalled_at is None
    assert shop.installed_at > utcnow() - timedelta(minutes=1)  # the latest install orders late webhooks
    assert tokens.access_token(shop) == "shpat_from_code_grant"
    assert shop_count() == 1


@pytest.mark.parametrize("decoded_host", [
    "evil.com/store/candles",
    "admin.shopify.com.evil.com/store/candles",
    "admin.shopify.com@evil.com/store/candles",
    "evil.com?.myshopify.com",
    "evil.com#.myshopify.com",
    "evil.com\\.myshopify.com",
    "evil.com/.myshopify.com",
    "//evil.com/admin.shopify.com",
])
def test_a_host_that_decodes_to_another_site_is_not_an_open_redirect(client, decoded_host):
    state = begin_install(client)
    host = base64.b64encode(decoded_host.encode()).decode().rstrip("=")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state, host=host)))
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.scheme == "https"
    # A plain DNS name a browser cannot read differently (no \ ? # @ in the authority) ...
    assert re.fullmatch(r"[a-z0-9.-]+", target.netloc), response.location
    # ... that is Shopify's admin or this shop.
    assert target.hostname in {"admin.shopify.com", SHOP}, response.location


@pytest.mark.parametrize("host", ["", "!!not-base64!!", base64.b64encode(b"\xff\xfe").decode()])
def test_a_missing_or_garbled_host_still_lands_in_the_shops_admin(client, host):
    state = begin_install(client)
    params = [p for p in callback_params(state, host=host) if host or p[0] != "host"]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(params))
    assert response.status_code == 302
    assert urlsplit(response.location).hostname in {"admin.shopify.com", SHOP}


# ------------------------------------------------------------------ /auth/callback: refused, nothing stored


def refused(client, query, status=401):
    """The callback is refused with an error page, without asking Shopify for a token or storing anything."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = client.get(f"{CALLBACK_PATH}?{query}")
        assert len(rsps.calls) == 0, "the code must not be exchanged"
    assert_error_page(response, status)
    assert find_shop() is None and shop_count() == 0
    return response


def test_a_bad_hmac_is_refused(client):
    state = begin_install(client)
    refused(client, signed(callback_params(state), "not-our-secret"))


def test_a_missing_hmac_is_refused(client):
    state = begin_install(client)
    refused(client, urlencode(callback_params(state)))


def test_a_raw_value_signature_shopifyapi_python_style_is_refused_for_a_padded_host(client):
    state = begin_install(client)
    params = callback_params(state, host=PADDED_HOST)
    raw_message = "&".join(f"{k}={v}" for k, v in sorted(params))  # '=' padding left raw
    digest = hmac.new(API_SECRET.encode(), raw_message.encode(), hashlib.sha256).hexdigest()
    refused(client, urlencode([*params, ("hmac", digest)]))


@pytest.mark.parametrize("key, value", [
    ("code", "1111a61c0c8d55e99db179b68161bc00"),
    ("host", PADDED_HOST),
    ("shop", OTHER_SHOP),
    ("state", "0" * 32),
    ("timestamp", None),
])
def test_tampering_any_parameter_is_refused(client, key, value):
    state = begin_install(client)
    params = callback_params(state)
    query = parse_qsl(signed(params))
    if key == "timestamp":
        value = str(int(dict(query)["timestamp"]) - 1)
    tampered = [(k, value if k == key else v) for k, v in query]
    refused(client, urlencode(tampered))


def test_adding_an_unsigned_parameter_is_refused(client):
    state = begin_install(client)
    refused(client, signed(callback_params(state)) + "&embedded=1")


@pytest.mark.parametrize("offset", [-91, 91, -3600])
def test_a_timestamp_outside_90_seconds_is_refused(client, offset):
    state = begin_install(client)
    refused(client, signed(callback_params(state, timestamp=stamp(offset))))


@pytest.mark.parametrize("offset", [-89, 89])
def test_a_timestamp_within_90_seconds_is_accepted(client, offset):
    state = begin_install(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state, timestamp=stamp(offset))))
    assert response.status_code == 302, response.data


def test_a_callback_without_a_state_cookie_is_refused(client):
    state = begin_install(client)
    client.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
    refused(client, signed(callback_params(state)))


def test_a_callback_in_a_browser_that_never_started_the_install_is_refused(app):
    state = begin_install(app.test_client())  # someone else's browser
    refused(app.test_client(), signed(callback_params(state)))


def test_a_state_that_does_not_match_the_cookie_is_refused(client):
    begin_install(client)
    refused(client, signed(callback_params("0123456789abcdef0123456789abcdef")))


def test_a_state_cookie_issued_for_another_shop_is_refused(client):
    state = begin_install(client, OTHER_SHOP)
    refused(client, signed(callback_params(state, shop=SHOP)))


def test_a_state_cookie_signed_by_another_app_is_refused(client, app):
    # Another deployment (another SECRET_KEY) issues a cookie for the same nonce flow.
    other = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"]), "SECRET_KEY": "another-key"})
    other.config["SHOPIFY_APP_URL"] = APP_URL
    other_client = other.test_client()
    state = begin_install(other_client)
    foreign = other_client.get_cookie(STATE_COOKIE, path=CALLBACK_PATH).value
    client.set_cookie(STATE_COOKIE, foreign, path=CALLBACK_PATH)
    refused(client, signed(callback_params(state)))


def test_a_tampered_state_cookie_is_refused(client):
    state = begin_install(client)
    value = client.get_cookie(STATE_COOKIE, path=CALLBACK_PATH).value
    tampered = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
    client.set_cookie(STATE_COOKIE, tampered, path=CALLBACK_PATH)
    refused(client, signed(callback_params(state)))


def issued_at(client, monkeypatch, seconds_ago):
    """A state cookie issued `seconds_ago`, put back in the browser as it was (cookie jar untouched)."""
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - seconds_ago)
    try:
        state = begin_install(client)
    finally:
        monkeypatch.setattr(time, "time", real_time)
    value = client.get_cookie(STATE_COOKIE, path=CALLBACK_PATH).value
    client.set_cookie(STATE_COOKIE, value, path=CALLBACK_PATH)
    return state


def test_an_expired_state_cookie_is_refused(client, monkeypatch):
    state = issued_at(client, monkeypatch, seconds_ago=2 * 3600)
    refused(client, signed(callback_params(state)))


def test_a_state_cookie_issued_half_a_minute_ago_is_accepted(client, monkeypatch):
    """The control for the test above: the same procedure with a young cookie succeeds."""
    state = issued_at(client, monkeypatch, seconds_ago=30)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        assert client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state))).status_code == 302


def test_replaying_a_successful_callback_fails(client):
    state = begin_install(client)
    query = signed(callback_params(state))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps)
        assert client.get(f"{CALLBACK_PATH}?{query}").status_code == 302
        stored = find_shop().access_token_encrypted
        replay = client.get(f"{CALLBACK_PATH}?{query}")
        assert len(rsps.calls) == 1, "the replay must not exchange the code again"
    assert_error_page(replay, 401)
    assert find_shop().access_token_encrypted == stored


def test_a_callback_for_an_invalid_shop_domain_is_400(client):
    state = begin_install(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state, shop="evil.com")))
        assert len(rsps.calls) == 0
    assert_error_page(response, 400)
    assert shop_count() == 0


def test_a_callback_without_a_code_is_refused_without_storing_anything(client):
    state = begin_install(client)
    params = [p for p in callback_params(state) if p[0] != "code"]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = client.get(f"{CALLBACK_PATH}?" + signed(params))
        assert len(rsps.calls) == 0
    assert response.status_code in (400, 401)
    assert_error_page(response, response.status_code)
    assert shop_count() == 0


@pytest.mark.parametrize("shopify_answer", [
    pytest.param({"status": 400, "json": {"error": "invalid_request",
                                          "error_description": "The authorization code was not found or was already used"}},
                 id="400-invalid_request"),
    pytest.param({"status": 500, "body": "Internal Server Error"}, id="500"),
    pytest.param({"body": requests.exceptions.ReadTimeout("read timed out")}, id="read-timeout"),
    pytest.param({"body": requests.exceptions.ConnectTimeout("connect timed out")}, id="connect-timeout"),
    pytest.param({"status": 200, "json": {"scope": SCOPES}}, id="200-without-access-token"),
])
def test_a_failed_code_exchange_is_a_401_page_and_stores_nothing(client, shopify_answer):
    state = begin_install(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps, **shopify_answer)
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state)))
    assert_error_page(response, 401)
    assert "Location" not in response.headers
    assert find_shop() is None and shop_count() == 0


def test_a_failed_code_exchange_leaves_an_installed_shops_tokens_alone(client):
    installed_shop(SHOP, access_token="shpat_kept", refresh_token="shprt_kept")
    state = begin_install(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_mock(rsps, status=400, json={"error": "invalid_request"})
        response = client.get(f"{CALLBACK_PATH}?" + signed(callback_params(state)))
    assert_error_page(response, 401)
    shop = find_shop()
    assert (tokens.access_token(shop), tokens.refresh_token(shop)) == ("shpat_kept", "shprt_kept")
    assert shop.is_installed
