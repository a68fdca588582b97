"""What a shop's myshopify.com domain looks like: one rule for every place a domain comes in."""

import re

from ..errors import BadRequest

# One DNS label before .myshopify.com (at most 63 characters, so it also fits the 255-character
# column). Used with fullmatch only: `$` would accept a trailing newline.
SHOP_DOMAIN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,62}\.myshopify\.com")


def is_shop_domain(value) -> bool:
    """True when `value` is exactly a shop's myshopify.com domain (any case)."""
    return isinstance(value, str) and SHOP_DOMAIN.fullmatch(value) is not None


def valid_shop_domain(value: str | None) -> str:
    """A lower-cased myshopify.com domain, or BadRequest (400) naming the parameter."""
    if not is_shop_domain(value):
        raise BadRequest("The shop parameter must be a shop's myshopify.com domain.", {"shop": (value or "")[:255]})
    return value.lower()
