"""A small candle workshop to fill a fake shop with, for demo mode and manual runs."""

from .store import FakeStore

DEMO_SHOP = "demo-candles.myshopify.com"


# name, number, title, stock per location, unit cost (EUR): two products the workshop makes and the
# materials they consume, so a completed order visibly adds products and takes materials away.
CATALOGUE = [
    ("candle", 8001, "Beeswax candle - Large", {"workshop": 12, "shop_front": 4}, "4.80"),
    ("wax", 8002, "Beeswax pellets - 1 kg", {"workshop": 40}, "14.00"),
    ("wick", 8003, "Cotton wick - 10 pack", {"workshop": 25}, "2.50"),
    ("jar", 8004, "Amber glass jar", {"workshop": 60, "shop_front": 5}, "1.20"),
    ("jar_candle", 8005, "Beeswax candle in a jar", {"workshop": 6, "shop_front": 2}, "6.30"),
]


def seed_demo_shop(store: FakeStore, shop: str = DEMO_SHOP) -> dict:
    """Add two locations and a few variants with stock and unit costs; returns their GIDs by short name.

    Fixed numeric ids, so the demo's orders and the printed GIDs stay the same across restarts.
    """
    ids = {"workshop": store.add_location(shop, 7001, "Workshop"),
           "shop_front": store.add_location(shop, 7002, "Shop front")}
    for name, number, title, stock, cost in CATALOGUE:
        variant = store.add_variant(shop, number, title, inventory_item_id=number + 1000, sku=f"DEMO-{number}",
                                    available={ids[loc]: qty for loc, qty in stock.items()}, unit_cost=cost)
        ids[name] = variant["id"]
    return ids
