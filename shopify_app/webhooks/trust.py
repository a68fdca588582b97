"""How far a delivery's unsigned headers can be trusted: only as far as its signed body confirms them.

The HMAC covers the body, not the headers, so a genuine body can be replayed under another shop's
domain or another topic. A delivery is acted on only when its payload names the header's shop and
has the shape of the topic the header claims; otherwise it is acknowledged and ignored.
"""

# Where a payload names its shop, in order of precedence. A shop's `domain` may be its custom
# domain, so it counts only when neither of the others is there.
SHOP_FIELDS = ("shop_domain", "myshopify_domain", "domain")

# The field each topic's payload always has (app/uninstalled sends the Shop resource; the
# compliance topics name the shop in `shop_domain`). Its absence means another topic's body.
REQUIRED_SHOP_FIELD = {
    "app/uninstalled": "myshopify_domain",
    "shop/redact": "shop_domain",
    "customers/data_request": "shop_domain",
    "customers/redact": "shop_domain",
}
# A customers/* body names the shop exactly like shop/redact does; these keys tell them apart,
# so a customer's redact request can never be replayed as "erase the whole shop".
CUSTOMER_KEYS = frozenset({"customer", "orders_to_redact", "orders_requested", "data_request"})


def _names_another_shop(payload: dict, header_shop: str) -> bool:
    """The first of SHOP_FIELDS present decides; a payload with none of them names no shop."""
    for field in SHOP_FIELDS:
        if field in payload:
            named = payload[field]
            return not isinstance(named, str) or named.lower() != header_shop
    return False


def reason_to_ignore(topic: str, header_shop: str, payload: dict) -> str | None:
    """Why this delivery must be acknowledged and ignored, or None when its body confirms its headers."""
    if _names_another_shop(payload, header_shop):
        return "shop_mismatch"
    required = REQUIRED_SHOP_FIELD.get(topic)
    if required is not None and not isinstance(payload.get(required), str):
        return "payload_not_of_topic"
    if topic == "shop/redact" and CUSTOMER_KEYS & payload.keys():
        return "payload_not_of_topic"
    return None
