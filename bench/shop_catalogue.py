"""One shop's world in the fake Shopify: a location, finished goods and materials with fixed
inventory item ids; and its installation by token exchange, as Shopify does it."""

import requests

import project  # noqa: F401  (the project root on sys.path, for tests)
from cli import BenchError
from tests.builders import session_token


LOCATION_NUMBER = 501
LOCATION = f"gid://shopify/Location/{LOCATION_NUMBER}"
OUTPUTS = [f"gid://shopify/ProductVariant/{n}" for n in range(810_001, 810_021)]    # 20 finished goods
MATERIALS = [f"gid://shopify/ProductVariant/{n}" for n in range(820_001, 820_011)]  # 10 materials


def item_for(variant: str) -> str:
    return f"gid://shopify/InventoryItem/{int(variant.rsplit('/', 1)[1]) + 1_000_000}"


def catalogue_shop(store, domain: str) -> None:
    """The shop's location and variants in the fake (fixed inventory item ids)."""
    store.add_location(domain, LOCATION_NUMBER, "Workshop")
    for variant in OUTPUTS + MATERIALS:
        store.add_variant(domain, variant, f"Item {variant.rsplit('/', 1)[1]}",
                          inventory_item_id=item_for(variant).rsplit("/", 1)[1])


def install_shop(base: str, domain: str, timeout: float = 20.0) -> None:
    """Install the app the way Shopify does: the first API request carries a session token and the
    app exchanges it (with the fake) for an offline token."""
    response = requests.get(base + "/api/settings", headers={"Authorization": f"Bearer {session_token(domain)}"},
                            timeout=timeout)
    if response.status_code != 200:
        raise BenchError(f"installing {domain} answered {response.status_code}: {response.text[:300]}")
