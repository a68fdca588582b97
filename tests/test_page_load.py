"""Embedded page loads (SPEC §4, §7): `id_token`, the session-token bounce page, frame-ancestors.

The Shopify admin loads `/` in its iframe with `id_token` (a session token) in the query. A valid
one names the shop (installing it by token exchange if needed); a missing or stale one on an
embedded load goes through the bounce page, where App Bridge fetches a fresh token and reloads the
original URL. A load from outside the admin goes to the code-grant install. Every HTML response
says who may frame it: the verified shop's admin, or nobody — never a wildcard.

Every request runs in its own thread, so it gets its own app context and `g` (the CSP shop lives in
`g`), as it would in a real server.
"""

import base64
import re
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from responses import matchers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shopify_app.extensions import db
from shopify_app.shops.models import Shop

from .both_databases import backend  # noqa: F401
from .builders import API_KEY, API_SECRET, PREVIOUS_SECRET, SCOPES, SHOP, OTHER_SHOP, installed_shop, session_token

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
NEW_SHOP = "new-candles.myshopify.com"
HOST = base64.b64encode(f"admin.shopify.com/store/{SHOP.split('.')[0]}".encode()).decode().rstrip("=")
# What the admin puts on an embedded load (without id_token), including values that need escaping.
EMBEDDED_QUERY = [("embedded", "1"), ("hmac", "0f1e2d3c"), ("host", HOST), ("locale", "en"),
                  ("session", "a+b/c=d e"), ("shop", SHOP), ("timestamp", "1739775272")]
BOUNCE_PATH = "/auth/session-token"
SHOP_SOURCE = re.compile(r"^https://[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def csp_for(shop: str) -> str:
    return f"frame-ancestors https://{shop} https://admin.shopify.com;"


CSP_NONE = "frame-ancestors 'none';"


def send(app, path: str, query=None, headers=None):
    """One GET in a thread of its own: its own app context, session and `g`, like a real server."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(lambda: app.test_client().get(path, query_string=query, headers=headers or {}))
        return future.result(timeout=60)


def shop_count(domain: str) -> int:
    with Session(db.engine) as session:
        return session.scalar(select(func.count()).select_from(Shop).where(Shop.domain == domain))


class HeadParser(HTMLParser):
    """The tags of <head> in order, with their attributes."""

    def __init__(self):
        super().__init__()
        self.in_head, self.head_tags, self.scripts = False, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        elif self.in_head:
            self.head_tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def assert_loads_app_bridge(response):
    """SPEC §7: the API-key meta, then App Bridge as the first script in <head>, not async/defer."""
    parser = HeadParser()
    parser.feed(response.get_data(as_text=True))
    head = parser.head_tags
    metas = [i for i, (tag, attrs) in enumerate(head) if tag == "meta" and attrs.get("name") == "shopify-api-key"]
    scripts = [i for i, (tag, _) in enumerate(head) if tag == "script"]
    assert metas and scripts, head
    assert head[metas[0]][1].get("content") == API_KEY
    first_script = head[scripts[0]][1]
    assert first_script.get("src") == APP_BRIDGE, head
    assert "async" not in first_script and "defer" not in first_script, first_script
    assert parser.scripts[0] == first_script  # no script anywhere before it
    assert metas[0] < scripts[0], "App Bridge reads the API key meta when it runs: the meta must come first"


def assert_bounce(response, expected_query: list[tuple[str, str]], path: str = "/"):
    """302 to the bounce page with the query minus id_token, and shopify-reload = path?query minus id_token."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    location = urlsplit(response.headers["Location"])
    assert location.scheme in ("", "http") and location.netloc in ("", "localhost")
    assert location.path == BOUNCE_PATH
    params = parse_qsl(location.query, keep_blank_values=True)
    reloads = [value for key, value in params if key == "shopify-reload"]
    assert len(reloads) == 1, params
    assert sorted((k, v) for k, v in params if k != "shopify-reload") == sorted(expected_query)
    target = urlsplit(reloads[0])
    assert not target.scheme and not target.netloc and target.path == path, reloads[0]
    assert sorted(parse_qsl(target.query, keep_blank_values=True)) == sorted(expected_query)
    assert "id_token" not in response.headers["Location"]
    return response.headers["Location"]


def assert_csp_is_safe(response):
    """An HTML response has exactly one frame-ancestors policy: 'none', or one shop plus the admin."""
    values = response.headers.getlist("Content-Security-Policy")
    assert len(values) == 1, (response.request.url, values)
    match = re.fullmatch(r"frame-ancestors ([^;]+);", values[0])
    assert match, values[0]
    sources = match.group(1).split()
    assert "*" not in values[0] and "https:" not in sources and "http:" not in sources, values[0]
    assert sources == ["'none'"] or (len(sources) == 2 and SHOP_SOURCE.match(sources[0])
                                      and sources[1] == "https://admin.shopify.com"), values[0]


def token_url(domain: str) -> str:
    return f"https://{domain}/admin/oauth/access_token"


def exchange_match(id_token: str) -> list:
    return [matchers.json_params_matcher({
        "client_id": API_KEY, "client_secret": API_SECRET,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": id_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": "1"})]


GRANT = {"access_token": "shpat_page_load", "scope": SCOPES, "expires_in": 3600,
         "refresh_token": "shprt_page_load", "refresh_token_expires_in": 7776000}


# ------------------------------------------------------------------ no or stale id_token: bounce


def test_an_in_app_link_without_id_token_renders_the_shell_at_once_with_no_bounce(app):
    """One document load per navigation (SPEC §7): the shell needs no token; its API calls carry App Bridge's."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(app, "/", EMBEDDED_QUERY)  # the shop is not even installed: the shell holds no shop data
        assert len(rsps.calls) == 0
    assert response.status_code == 200, response.headers.get("Location")
    assert response.mimetype == "text/html"
    assert_loads_app_bridge(response)
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)
    assert shop_count(SHOP) == 0


def test_the_bounce_page_still_serves_app_bridge_framed_by_the_shop(app):
    location = assert_bounce(send(app, "/", EMBEDDED_QUERY + [("id_token", "not.a.jwt")]), EMBEDDED_QUERY)
    bounce = send(app, location)
    assert bounce.status_code == 200
    assert bounce.mimetype == "text/html"
    assert_loads_app_bridge(bounce)
    assert bounce.headers["Content-Security-Policy"] == csp_for(SHOP)


@pytest.mark.parametrize("id_token", [
    pytest.param(lambda: session_token(SHOP, exp=int(time.time()) - 120, nbf=int(time.time()) - 180,
                                       iat=int(time.time()) - 180), id="expired"),
    pytest.param(lambda: session_token(SHOP, secret="not-the-app-secret-0123456789abcdef"), id="wrong-secret"),
    pytest.param(lambda: session_token(SHOP, aud="another-app"), id="other-app"),
    pytest.param(lambda: session_token(SHOP, nbf=int(time.time()) + 120), id="not-yet-valid"),
    pytest.param(lambda: "not.a.jwt", id="garbage"),
])
def test_a_stale_or_invalid_id_token_bounces_without_it(app, id_token):
    installed_shop(SHOP)
    query = EMBEDDED_QUERY[:2] + [("id_token", id_token())] + EMBEDDED_QUERY[2:]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(app, "/", query)
        assert len(rsps.calls) == 0
    assert_bounce(response, EMBEDDED_QUERY)


def test_the_bounce_page_loads_app_bridge_first_with_the_shops_csp(app):
    response = send(app, BOUNCE_PATH, [("shop", SHOP), ("embedded", "1"), ("host", HOST),
                                       ("shopify-reload", "/?shop=" + SHOP + "&embedded=1")])
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert_loads_app_bridge(response)
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)


@pytest.mark.parametrize("query", [
    pytest.param([("shopify-reload", "/")], id="no-shop"),
    pytest.param([("shop", ""), ("shopify-reload", "/")], id="empty-shop"),
    pytest.param([("shop", "evil.example.com"), ("shopify-reload", "/")], id="not-myshopify"),
    pytest.param([("shop", f"{SHOP}.evil.example"), ("shopify-reload", "/")], id="myshopify-prefix"),
    pytest.param([("shop", "-candles.myshopify.com"), ("shopify-reload", "/")], id="leading-dash"),
    pytest.param([("shop", SHOP)], id="no-reload"),
    pytest.param([("shop", SHOP), ("shopify-reload", "")], id="empty-reload"),
    pytest.param([("shop", SHOP), ("shopify-reload", "https://evil.example/")], id="absolute-url"),
    pytest.param([("shop", SHOP), ("shopify-reload", "//evil.example/")], id="protocol-relative"),
    pytest.param([("shop", SHOP), ("shopify-reload", "/\\evil.example/")], id="backslash"),
    pytest.param([("shop", SHOP), ("shopify-reload", "javascript:alert(1)")], id="javascript"),
    pytest.param([("shop", SHOP), ("shopify-reload", "evil.example/")], id="relative-host"),
])
def test_the_bounce_page_refuses_a_bad_shop_or_a_reload_target_off_this_app(app, query):
    response = send(app, BOUNCE_PATH, query)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert APP_BRIDGE not in response.get_data(as_text=True)
    assert_csp_is_safe(response)


@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/"],
                         ids=["tab", "newline", "carriage-return"])
def test_the_bounce_page_refuses_paths_that_browsers_turn_into_another_host(app, target):
    """The URL standard strips ASCII tab/newline before parsing: `/<TAB>/evil.example` is `//evil.example`."""
    response = send(app, BOUNCE_PATH, [("shop", SHOP), ("shopify-reload", target)])
    assert response.status_code == 400


# ------------------------------------------------------------------ a valid id_token


def test_a_valid_id_token_of_an_installed_shop_renders_the_app_framed_by_that_shop(app):
    installed_shop(SHOP)
    query = EMBEDDED_QUERY + [("id_token", session_token(SHOP))]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(app, "/", query)
        assert len(rsps.calls) == 0  # installed: no exchange
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)
    assert_loads_app_bridge(response)
    assert SHOP in response.get_data(as_text=True)


def test_a_token_signed_with_the_previous_secret_is_accepted_on_page_load(app):
    installed_shop(SHOP)
    response = send(app, "/", EMBEDDED_QUERY + [("id_token", session_token(SHOP, secret=PREVIOUS_SECRET))])
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)


def test_the_csp_names_the_shop_of_the_verified_token_not_the_query(app):
    installed_shop(SHOP)
    installed_shop(OTHER_SHOP)
    query = [("embedded", "1"), ("shop", OTHER_SHOP), ("id_token", session_token(SHOP))]
    response = send(app, "/", query)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == csp_for(SHOP)
    assert OTHER_SHOP not in response.get_data(as_text=True)


def test_a_valid_id_token_of_an_unknown_shop_installs_it_by_exchange_and_renders(app):
    id_token = session_token(NEW_SHOP)
    query = [("embedded", "1"), ("host", HOST), ("shop", NEW_SHOP), ("id_token", id_token)]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(NEW_SHOP), json=GRANT, match=exchange_match(id_token))
        response = send(app, "/", query)
        assert len(rsps.calls) == 1
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Security-Policy"] == csp_for(NEW_SHOP)
    assert_loads_app_bridge(response)
    with Session(db.engine) as session:
        shop = session.scalars(select(Shop).where(Shop.domain == NEW_SHOP)).one()
        assert shop.is_installed and shop.access_token_encrypted is not None

    # The next load of the same shop does not exchange again.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        again = send(app, "/", query[:-1] + [("id_token", session_token(NEW_SHOP))])
        assert len(rsps.calls) == 0
    assert again.status_code == 200


def test_a_refused_exchange_on_page_load_stores_nothing_and_never_renders_the_app(app):
    id_token = session_token(NEW_SHOP)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.post(token_url(NEW_SHOP), status=400, match=exchange_match(id_token),
                  json={"error": "invalid_subject_token", "error_description": "stale"})
        response = send(app, "/", [("embedded", "1"), ("shop", NEW_SHOP), ("id_token", id_token)])
    # SPEC §4: 401 when the exchange fails (a bounce for a fresh token would also be acceptable).
    assert response.status_code in (401, 302), response.status_code
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == BOUNCE_PATH
    assert shop_count(NEW_SHOP) == 0
    assert "shpat_" not in response.get_data(as_text=True)
    assert_csp_is_safe(response)


# ------------------------------------------------------------------ outside the admin


@pytest.mark.parametrize("shop", [SHOP, "Candles-Test.myshopify.com"], ids=["lower", "mixed-case"])
def test_a_load_with_a_shop_but_not_embedded_goes_to_the_code_grant_install(app, shop):
    response = send(app, "/", [("shop", shop)])
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/install"
    assert parse_qsl(location.query) == [("shop", SHOP)]


def test_a_load_with_nothing_renders_a_page_nobody_may_frame(app):
    response = send(app, "/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CSP_NONE
    assert APP_BRIDGE not in response.get_data(as_text=True)  # outside Shopify: no App Bridge, no CDN


@pytest.mark.parametrize("query", [[("shop", "evil.example.com")], [("shop", "evil.example.com"), ("embedded", "1")],
                                   [("embedded", "1")]], ids=["bad-shop", "bad-shop-embedded", "embedded-no-shop"])
def test_a_load_with_an_invalid_shop_is_never_framed_by_it(app, query):
    response = send(app, "/", query)
    assert response.status_code in (200, 400)
    assert response.headers["Content-Security-Policy"] == CSP_NONE
    assert "evil.example.com" not in response.headers.get("Location", "")


# ------------------------------------------------------------------ every HTML response


def test_every_html_response_carries_a_frame_ancestors_policy_and_never_a_wildcard(app):
    installed_shop(SHOP)
    seen = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(token_url(NEW_SHOP), status=400, json={"error": "invalid_subject_token"})
        requests_ = [
            ("/", None),
            ("/", [("shop", "evil.example.com")]),
            ("/", [("shop", SHOP)]),
            ("/", EMBEDDED_QUERY),
            ("/", EMBEDDED_QUERY + [("id_token", session_token(SHOP))]),
            ("/", EMBEDDED_QUERY + [("id_token", "not.a.jwt")]),
            ("/", [("embedded", "1"), ("shop", NEW_SHOP), ("id_token", session_token(NEW_SHOP))]),
            (BOUNCE_PATH, [("shop", SHOP), ("shopify-reload", "/")]),
            (BOUNCE_PATH, [("shop", "evil.example.com"), ("shopify-reload", "/")]),
            (BOUNCE_PATH, [("shop", SHOP), ("shopify-reload", "https://evil.example")]),
            ("/auth/install", [("shop", SHOP), ("embedded", "1")]),
            ("/auth/install", [("shop", "evil.example.com")]),
            ("/auth/callback", [("shop", SHOP)]),
            ("/no-such-page", None),
        ]
        for path, query in requests_:
            seen.append(send(app, path, query))
    html = [r for r in seen if r.mimetype == "text/html"]
    assert len(html) >= 12, [(r.request.url, r.mimetype) for r in seen]
    for response in html:
        assert_csp_is_safe(response)
    # The verified or validated shop where there is one; 'none' where there is not.
    assert seen[0].headers["Content-Security-Policy"] == CSP_NONE
    assert seen[1].headers["Content-Security-Policy"] == CSP_NONE
    assert seen[3].headers["Content-Security-Policy"] == csp_for(SHOP)  # the shell of an in-app link
    assert seen[4].headers["Content-Security-Policy"] == csp_for(SHOP)
    assert seen[7].headers["Content-Security-Policy"] == csp_for(SHOP)
    assert seen[8].headers["Content-Security-Policy"] == CSP_NONE
    assert seen[13].headers["Content-Security-Policy"] == CSP_NONE


def test_api_calls_never_take_the_session_token_from_the_url(client, shop):
    """A bearer token in a query string ends up in access logs and browser history."""
    response = client.get(f"/api/settings?id_token={session_token()}")
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


# ------------------------------------------------------------------ a failed exchange on a page load


def exchange_failure(rsps, failure: str):
    """Shopify's token endpoint refusing (or failing) the exchange in one of several ways."""
    if failure == "invalid_subject_token":
        rsps.post(token_url(NEW_SHOP), status=400, json={"error": "invalid_subject_token"})
    elif failure == "invalid_client":
        rsps.post(token_url(NEW_SHOP), status=401, json={"error": "invalid_client"})
    elif failure == "shopify_down":
        rsps.post(token_url(NEW_SHOP), status=503, body="Service Unavailable")
    else:
        rsps.post(token_url(NEW_SHOP), body=requests.exceptions.ConnectionError("connection reset"))


def assert_frameable_error_page(response, shop: str):
    """Never a blank frame: a page the shop's admin may frame, with App Bridge, and no token in it."""
    assert response.status_code == 401, response.status_code
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == csp_for(shop)
    parser = HeadParser()
    parser.feed(response.get_data(as_text=True))
    assert parser.head_tags[0] == ("meta", {"charset": "utf-8"})
    assert [tag for tag, _ in parser.head_tags[1:3]] == ["meta", "script"], parser.head_tags
    response.status_code = 200  # assert_loads_app_bridge checks the head of a page that rendered
    assert_loads_app_bridge(response)
    text = response.get_data(as_text=True)
    assert "shpat_" not in text and "Traceback" not in text
    assert "did not grant this app access" in text


def test_a_first_invalid_subject_token_bounces_for_a_fresh_token_marked_as_a_retry(backend):
    query = [("embedded", "1"), ("host", HOST), ("id_token", session_token(NEW_SHOP))]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_failure(rsps, "invalid_subject_token")
        response = send(backend, "/orders/new", query)
    location = assert_bounce(response, [("embedded", "1"), ("host", HOST), ("shop", NEW_SHOP),
                                        ("exchange_retried", "1")], path="/orders/new")
    assert shop_count(NEW_SHOP) == 0
    bounce = send(backend, location)  # the bounce page accepts the marked reload target
    assert bounce.status_code == 200
    assert_loads_app_bridge(bounce)
    assert bounce.headers["Content-Security-Policy"] == csp_for(NEW_SHOP)


def test_an_invalid_subject_token_after_the_retry_renders_a_frameable_error_page(backend):
    """The bounce happens once: a second refusal must not loop the admin's frame forever."""
    query = [("embedded", "1"), ("shop", NEW_SHOP), ("exchange_retried", "1"), ("id_token", session_token(NEW_SHOP))]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_failure(rsps, "invalid_subject_token")
        response = send(backend, "/", query)
    assert_frameable_error_page(response, NEW_SHOP)
    assert shop_count(NEW_SHOP) == 0


@pytest.mark.parametrize("failure", ["invalid_client", "shopify_down", "connection_error"])
def test_any_other_failed_exchange_renders_a_frameable_error_page_with_app_bridge(backend, failure):
    query = [("embedded", "1"), ("shop", NEW_SHOP), ("host", HOST), ("id_token", session_token(NEW_SHOP))]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_failure(rsps, failure)
        response = send(backend, "/", query)
    assert_frameable_error_page(response, NEW_SHOP)
    assert shop_count(NEW_SHOP) == 0


def test_an_api_call_whose_exchange_is_refused_gets_401_with_the_retry_header(backend):
    """A fetch is not bounced: App Bridge retries it with a fresh token when it sees the header."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        exchange_failure(rsps, "invalid_subject_token")
        response = send(backend, "/api/settings", headers={"Authorization": f"Bearer {session_token(NEW_SHOP)}"})
    assert response.status_code == 401 and response.is_json
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert shop_count(NEW_SHOP) == 0


# ------------------------------------------------------------------ a shop parameter that is not one


NEWLINE_SHOP = SHOP + "\n"


@pytest.mark.parametrize("path, extra", [
    ("/", []),
    ("/", [("embedded", "1")]),
    ("/", [("embedded", "1"), ("id_token", "valid")]),
    ("/orders/new", [("embedded", "1")]),
    ("/settings", []),
    ("/auth/install", []),
    ("/auth/install", [("embedded", "1")]),
    ("/auth/callback", [("code", "abc"), ("state", "s"), ("timestamp", "1"), ("hmac", "00")]),
    (BOUNCE_PATH, [("shopify-reload", "/")]),
], ids=["home", "home-embedded", "with-valid-id-token", "page-embedded", "settings", "install",
        "install-embedded", "callback", "bounce"])
@pytest.mark.parametrize("shop", [NEWLINE_SHOP, SHOP + "\r\n", SHOP + "\x00", "a" * 64 + ".myshopify.com"],
                         ids=["newline", "crlf", "nul", "label-too-long"])
def test_a_shop_parameter_that_is_not_exactly_a_shop_domain_is_400_everywhere(backend, path, extra, shop):
    installed_shop(SHOP)
    query = [("shop", shop)] + [(k, session_token(SHOP) if v == "valid" else v) for k, v in extra]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        response = send(backend, path, query)
        assert len(rsps.calls) == 0
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:200])
    assert response.headers["Content-Security-Policy"] == CSP_NONE
    assert "Location" not in response.headers
    with Session(db.engine) as session:
        assert session.scalars(select(Shop.domain)).all() == [SHOP]  # nothing created or renamed
