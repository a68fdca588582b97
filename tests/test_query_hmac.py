"""The `hmac` of Shopify's redirect queries (SPEC §4, fact sheet §3).

The signed message is the query without `hmac` and `signature`, keys sorted, form-encoded the way
Shopify's JS and Ruby libraries do it (WHATWG form encoding: only A-Z a-z 0-9 * - . _ stay raw).
Every expected message below is written out by hand; every signature is computed here with
hmac/hashlib from that hand-written message, never with the app's own signing helper.
"""

import hashlib
import hmac

import pytest
import shopify

from shopify_app.auth.query_hmac import canonical_query, query_is_authentic, timestamp_is_recent

from .builders import API_SECRET, PREVIOUS_SECRET, SHOP

SECRETS = [API_SECRET, PREVIOUS_SECRET]
# base64("admin.shopify.com/store/candles"): 31 bytes, so standard base64 ends with "==".
PADDED_HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FuZGxlcw=="
CODE = "0907a61c0c8d55e99db179b68161bc00"


def sign(message: str, secret: str = API_SECRET) -> str:
    """Lower-case hex HMAC-SHA256, what Shopify puts in `hmac`."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def with_hmac(params: list[tuple[str, str]], message: str, secret: str = API_SECRET) -> list[tuple[str, str]]:
    return [*params, ("hmac", sign(message, secret))]


# ------------------------------------------------------------------ the canonical message, by hand

# (value, how the JS/Ruby form encoding writes it in the signed message)
CHARACTER_VECTORS = [
    pytest.param("a+b", "a%2Bb", id="plus"),
    pytest.param("a/b", "a%2Fb", id="slash"),
    pytest.param("a=b", "a%3Db", id="equals"),
    pytest.param("a%b", "a%25b", id="percent"),
    pytest.param("a%2Bb", "a%252Bb", id="already-percent-encoded"),
    pytest.param("a&b", "a%26b", id="ampersand"),
    pytest.param("a*b", "a*b", id="star-stays-raw"),
    pytest.param("a-b.c_d", "a-b.c_d", id="dash-dot-underscore-stay-raw"),
    pytest.param("a~b", "a%7Eb", id="tilde"),
    pytest.param("a b", "a%20b", id="space-as-%20"),
    pytest.param("a:b", "a%3Ab", id="colon"),
    pytest.param("a!'()b", "a%21%27%28%29b", id="bang-quote-parens"),
    pytest.param("é", "%C3%A9", id="non-ascii-as-utf8"),
]


@pytest.mark.parametrize("value, encoded", CHARACTER_VECTORS)
def test_each_character_is_encoded_as_shopify_js_and_ruby_libraries_do(value, encoded):
    assert canonical_query([("state", value)]) == f"state={encoded}"


@pytest.mark.parametrize("value, encoded", CHARACTER_VECTORS)
def test_a_query_signed_over_the_form_encoded_value_is_accepted(value, encoded):
    params = [("shop", SHOP), ("state", value), ("timestamp", "1700000000")]
    message = f"shop=candles-test.myshopify.com&state={encoded}&timestamp=1700000000"
    assert query_is_authentic(with_hmac(params, message), SECRETS)


def test_the_brief_vector_state_with_plus_slash_equals_percent_ampersand():
    assert canonical_query([("state", "a+b/c=d%e&f")]) == "state=a%2Bb%2Fc%3Dd%25e%26f"


def test_the_fact_sheet_vector_checked_against_urlsearchparams():
    # Verified with Node's URLSearchParams + .replace(/\+/g, '%20') (fact sheet §3).
    assert canonical_query([("v", "a b+c/d=e%f&g*h~i:j")]) == "v=a%20b%2Bc%2Fd%3De%25f%26g*h%7Ei%3Aj"


def test_a_full_callback_query_keys_sorted_hmac_and_signature_left_out():
    params = [
        ("timestamp", "1337178173"),
        ("state", "a+b/c=d%e&f"),
        ("signature", "not-part-of-the-message"),
        ("shop", SHOP),
        ("hmac", "not-part-of-the-message-either"),
        ("host", PADDED_HOST),
        ("code", CODE),
    ]
    assert canonical_query(params) == (
        "code=0907a61c0c8d55e99db179b68161bc00"
        "&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FuZGxlcw%3D%3D"
        "&shop=candles-test.myshopify.com"
        "&state=a%2Bb%2Fc%3Dd%25e%26f"
        "&timestamp=1337178173"
    )


def test_a_full_callback_query_is_authentic_under_the_hand_written_message():
    params = [("timestamp", "1337178173"), ("state", "a+b/c=d%e&f"), ("shop", SHOP),
              ("host", PADDED_HOST), ("code", CODE)]
    message = ("code=0907a61c0c8d55e99db179b68161bc00&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FuZGxlcw%3D%3D"
               "&shop=candles-test.myshopify.com&state=a%2Bb%2Fc%3Dd%25e%26f&timestamp=1337178173")
    assert query_is_authentic(with_hmac(params, message), SECRETS)


def test_extra_parameters_are_signed_too():
    params = [("shop", SHOP), ("embedded", "1"), ("locale", "en"), ("timestamp", "1337178173")]
    message = "embedded=1&locale=en&shop=candles-test.myshopify.com&timestamp=1337178173"
    assert query_is_authentic(with_hmac(params, message), SECRETS)
    # The same hmac with one of the extra parameters dropped no longer matches.
    signed = with_hmac(params, message)
    assert not query_is_authentic([p for p in signed if p[0] != "locale"], SECRETS)


def test_a_signature_param_is_left_out_of_the_message():
    params = [("shop", SHOP), ("signature", "abc"), ("timestamp", "1337178173")]
    message = "shop=candles-test.myshopify.com&timestamp=1337178173"
    assert query_is_authentic(with_hmac(params, message), SECRETS)


def test_an_uppercase_hex_hmac_is_the_same_digest():
    params = [("shop", SHOP), ("timestamp", "1337178173")]
    digest = sign("shop=candles-test.myshopify.com&timestamp=1337178173").upper()
    assert query_is_authentic([*params, ("hmac", digest)], SECRETS)


# ------------------------------------------------------------------ what must be refused


@pytest.mark.parametrize("value, raw_message_value", [
    pytest.param("a+b", "a+b", id="plus"),
    pytest.param("a/b", "a/b", id="slash"),
    pytest.param("ab/cd+ef==", "ab/cd+ef==", id="base64-with-padding"),
])
def test_a_signature_over_raw_values_shopifyapi_python_style_is_refused(value, raw_message_value):
    # ShopifyAPI for Python leaves + and / raw (escapes only %, & and =-in-keys).
    params = [("shop", SHOP), ("state", value), ("timestamp", "1337178173")]
    raw_message = f"shop=candles-test.myshopify.com&state={raw_message_value}&timestamp=1337178173"
    assert not query_is_authentic(with_hmac(params, raw_message), SECRETS)


def test_shopifyapi_pythons_own_calculate_hmac_is_refused_for_a_padded_host(monkeypatch):
    """The real ShopifyAPI function, not a re-implementation, signs something the app must refuse."""
    monkeypatch.setattr(shopify.Session, "secret", API_SECRET)
    query = {"code": CODE, "host": PADDED_HOST, "shop": SHOP, "state": "a+b/c", "timestamp": "1337178173"}
    python_style = shopify.Session.calculate_hmac(query)
    assert not query_is_authentic([*query.items(), ("hmac", python_style)], SECRETS)
    # ... and for a query with nothing to escape, both styles agree and it is accepted.
    plain = {"code": CODE, "shop": SHOP, "state": "0123abcd", "timestamp": "1337178173"}
    assert query_is_authentic([*plain.items(), ("hmac", shopify.Session.calculate_hmac(plain))], SECRETS)


def test_the_previous_secret_is_accepted_during_a_rotation():
    params = [("shop", SHOP), ("timestamp", "1337178173")]
    message = "shop=candles-test.myshopify.com&timestamp=1337178173"
    assert query_is_authentic(with_hmac(params, message, PREVIOUS_SECRET), SECRETS)


def test_an_unknown_secret_is_refused():
    params = [("shop", SHOP), ("timestamp", "1337178173")]
    message = "shop=candles-test.myshopify.com&timestamp=1337178173"
    assert not query_is_authentic(with_hmac(params, message, "some-other-apps-secret"), SECRETS)


def test_an_empty_previous_secret_does_not_make_an_empty_key_valid():
    params = [("shop", SHOP), ("timestamp", "1337178173")]
    message = "shop=candles-test.myshopify.com&timestamp=1337178173"
    assert not query_is_authentic(with_hmac(params, message, ""), [API_SECRET, ""])


@pytest.mark.parametrize("hmac_value", ["", None])
def test_a_missing_or_empty_hmac_is_refused(hmac_value):
    params = [("shop", SHOP), ("timestamp", "1337178173")]
    if hmac_value is not None:
        params.append(("hmac", hmac_value))
    assert not query_is_authentic(params, SECRETS)


BASE = [("code", CODE), ("host", PADDED_HOST), ("shop", SHOP), ("state", "0123abcd"), ("timestamp", "1337178173")]
BASE_MESSAGE = ("code=0907a61c0c8d55e99db179b68161bc00&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvY2FuZGxlcw%3D%3D"
                "&shop=candles-test.myshopify.com&state=0123abcd&timestamp=1337178173")


def test_the_untampered_base_query_is_accepted():
    assert query_is_authentic(with_hmac(BASE, BASE_MESSAGE), SECRETS)


@pytest.mark.parametrize("key, value", [
    ("code", CODE[:-1] + "1"),
    ("host", PADDED_HOST.rstrip("=")),
    ("shop", "soap-test.myshopify.com"),
    ("state", "0123abce"),
    ("timestamp", "1337178174"),
])
def test_tampering_any_parameter_fails(key, value):
    tampered = [(k, value if k == key else v) for k, v in with_hmac(BASE, BASE_MESSAGE)]
    assert not query_is_authentic(tampered, SECRETS)


def test_adding_or_removing_a_parameter_fails():
    signed = with_hmac(BASE, BASE_MESSAGE)
    assert not query_is_authentic([*signed, ("admin", "1")], SECRETS)
    assert not query_is_authentic([p for p in signed if p[0] != "code"], SECRETS)


def test_a_tampered_hmac_fails():
    digest = sign(BASE_MESSAGE)
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert not query_is_authentic([*BASE, ("hmac", flipped)], SECRETS)


# ------------------------------------------------------------------ the ±90 s timestamp window

NOW = 1_800_000_000.0


@pytest.mark.parametrize("offset, recent", [
    (-91, False), (-90, True), (-89, True), (0, True), (89, True), (90, True), (91, False),
    (-86_400, False), (86_400, False),
])
def test_the_timestamp_must_be_within_90_seconds_either_way(offset, recent):
    assert timestamp_is_recent(str(int(NOW) + offset), now=NOW) is recent


@pytest.mark.parametrize("value", [None, "", "soon", "1.8e9", "0x6B49D200"])
def test_a_missing_or_non_numeric_timestamp_is_not_recent(value):
    assert timestamp_is_recent(value, now=NOW) is False
