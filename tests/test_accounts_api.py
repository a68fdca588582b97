"""GET /api/accounts: the shop's own accounts only, filtered by variant and location; bad filters 422."""

from decimal import Decimal

import pytest

from shopify_app.extensions import db
from shopify_app.sync.models import SyncAccount

from .builders import LOCATION, LOCATION_2, OTHER_SHOP, VARIANT, VARIANT_2, installed_shop


def account(shop, variant, location, exact, whole):
    db.session.add(SyncAccount(shop_id=shop.id, variant_id=variant, location_id=location, name="available",
                               exact=Decimal(exact), whole=whole))


def test_accounts_are_listed_with_their_carried_fraction_and_never_another_shops(api, shop):
    other = installed_shop(OTHER_SHOP)
    account(shop, VARIANT, LOCATION, "2.75", 2)
    account(shop, VARIANT_2, LOCATION, "-0.25", -1)
    account(shop, VARIANT, LOCATION_2, "3", 3)
    account(other, VARIANT, LOCATION, "9.5", 9)
    db.session.commit()
    items = api.get("/api/accounts").get_json()["items"]
    assert [(a["variantId"], a["locationId"], a["exact"], a["whole"], a["remainder"]) for a in items] == [
        (VARIANT, LOCATION, 2.75, 2, 0.75), (VARIANT, LOCATION_2, 3, 3, 0), (VARIANT_2, LOCATION, -0.25, -1, 0.75)]
    assert items[0]["meaning"] == "0.75 made but not yet added to Shopify: the next 0.25 completes a whole unit."
    assert items[1]["meaning"] is None and items[2]["name"] == "available"
    assert api.get(f"/api/accounts?variantId={VARIANT}&locationId={LOCATION_2}").get_json()["items"] == [items[1]]
    assert api.get(f"/api/accounts?locationId={LOCATION}").get_json()["items"] == [items[0], items[2]]


@pytest.mark.parametrize("query, path", [
    ("variantId=123", "variantId"),
    ("locationId=gid://shopify/ProductVariant/1", "locationId"),
    ("variantId=gid://shopify/ProductVariant/1%00", "variantId"),
])
def test_a_bad_filter_is_a_422_naming_it(api, query, path):
    response = api.get(f"/api/accounts?{query}")
    assert response.status_code == 422
    assert path in response.get_json()["error"]["details"]
