"""In-memory state of the fake Shopify: shops, variants, locations, the inventory ledger, idempotency.

One re-entrant lock guards everything, so a mutation validates and applies all of its changes as
one atomic step, exactly as Shopify applies an adjustment group all-or-nothing.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from .tokens import TokenRegistry

IN_FLIGHT, SUCCEEDED, FAILED = "in_flight", "succeeded", "failed"


def gid(kind: str, value) -> str:
    """`gid://shopify/<kind>/<value>` for a number; a string that already is a GID is kept."""
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


@dataclass
class IdempotencyRecord:
    """What Shopify remembers about one idempotency key."""

    state: str
    fingerprint: str
    response: dict | None = None


@dataclass
class ShopState:
    """Everything the fake knows about one shop."""

    domain: str
    variants: dict = field(default_factory=dict)   # variant GID -> {displayName, inventoryItemId, tracked, mutable, sku}
    items: dict = field(default_factory=dict)      # inventory item GID -> variant GID
    locations: dict = field(default_factory=dict)  # location GID -> {name, isActive}
    ledger: dict = field(default_factory=dict)     # (inventory item GID, location GID) -> available
    # (inventory item GID, location GID, quantity name) -> quantity, for every name but `available`
    # (`incoming`, `quality_control`, …): a separate map, so `ledger` keeps its simple shape.
    states: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)     # applied adjustment groups, oldest first
    idempotency: dict = field(default_factory=dict)  # key -> IdempotencyRecord
    calls: Counter = field(default_factory=Counter)    # GraphQL operation name -> requests received
    applied: Counter = field(default_factory=Counter)  # idempotency key -> times applied (must stay <= 1)
    cost_writes: list = field(default_factory=list)    # (inventory item GID, cost) per inventoryItemUpdate applied


class FakeStore:
    """Thread-safe state for any number of shops, plus the tokens issued for them."""

    def __init__(self, clock=time.time):
        self.lock = threading.RLock()
        self.clock = clock
        self.shops: dict[str, ShopState] = {}
        self.tokens = TokenRegistry(self.lock, clock)
        self._next_id = 90_000_000_000

    def next_id(self) -> int:
        """A fresh numeric id for GIDs the fake creates (groups, items, locations)."""
        with self.lock:
            self._next_id += 1
            return self._next_id

    # --- shops, catalogue, locations -----------------------------------------------------------

    def add_shop(self, domain: str) -> ShopState:
        """Create `domain` if needed and return its state."""
        with self.lock:
            return self.shops.setdefault(domain, ShopState(domain))

    def shop(self, domain: str) -> ShopState:
        """The state of a known shop (KeyError otherwise)."""
        with self.lock:
            return self.shops[domain]

    def add_location(self, shop: str, location_id=None, name: str = "Warehouse", *, active: bool = True) -> str:
        """Add (or replace) a location; returns its GID."""
        with self.lock:
            location = gid("Location", location_id if location_id is not None else self.next_id())
            self.add_shop(shop).locations[location] = {"name": name, "isActive": active}
            return location

    def set_location_active(self, shop: str, location, active: bool) -> None:
        """Activate or deactivate a location (inactive ones reject adjustments)."""
        with self.lock:
            self.shop(shop).locations[gid("Location", location)]["isActive"] = active

    def add_variant(self, shop: str, variant_id, display_name: str, *, inventory_item_id=None,
                    tracked: bool = True, mutable: bool = True, sku: str | None = None,
                    available: dict | None = None, unit_cost: str | None = None) -> dict:
        """Add a variant with its inventory item; `available` maps location -> starting quantity,
        `unit_cost` is the item's cost in the shop's currency (a decimal string, or None)."""
        with self.lock:
            state = self.add_shop(shop)
            variant = gid("ProductVariant", variant_id)
            item = gid("InventoryItem", inventory_item_id if inventory_item_id is not None else self.next_id())
            state.variants[variant] = {"displayName": display_name, "inventoryItemId": item,
                                       "tracked": tracked, "mutable": mutable, "sku": sku,
                                       "unitCost": unit_cost}
            state.items[item] = variant
            for location, quantity in (available or {}).items():
                state.ledger[(item, gid("Location", location))] = int(quantity)
            return dict(state.variants[variant], id=variant)

    def unit_cost(self, shop: str, variant_or_item) -> str | None:
        """The item's cost per item (a decimal string) or None."""
        with self.lock:
            return self._variant_record(shop, variant_or_item).get("unitCost")

    def cost_writes(self, shop: str) -> list:
        """(inventory item GID, cost) of every applied inventoryItemUpdate, oldest first."""
        with self.lock:
            return list(self.shop(shop).cost_writes)

    def delete_variant(self, shop: str, variant) -> None:
        """Delete a variant; like Shopify, its inventory item and levels go with it."""
        with self.lock:
            state = self.shop(shop)
            record = state.variants.pop(gid("ProductVariant", variant))
            state.items.pop(record["inventoryItemId"], None)
            for key in [key for key in state.ledger if key[0] == record["inventoryItemId"]]:
                del state.ledger[key]
            for key in [key for key in state.states if key[0] == record["inventoryItemId"]]:
                del state.states[key]

    def set_tracked(self, shop: str, variant_or_item, tracked: bool) -> None:
        """Turn inventory tracking of a variant's item on or off."""
        with self.lock:
            self._variant_record(shop, variant_or_item)["tracked"] = tracked

    def set_mutable(self, shop: str, variant_or_item, mutable: bool) -> None:
        """Make an item non-adjustable through the API (Shopify's example: a bundle parent)."""
        with self.lock:
            self._variant_record(shop, variant_or_item)["mutable"] = mutable

    # --- inventory -----------------------------------------------------------------------------

    def item_id(self, shop: str, variant_or_item) -> str:
        """The inventory item GID for a variant GID/number or an inventory item GID."""
        with self.lock:
            text = str(variant_or_item)
            if "/InventoryItem/" in text:
                return text
            return self.shop(shop).variants[gid("ProductVariant", text)]["inventoryItemId"]

    def set_available(self, shop: str, variant_or_item, location, quantity: int) -> None:
        """Set the `available` quantity of an item at a location (test and demo setup)."""
        with self.lock:
            key = (self.item_id(shop, variant_or_item), gid("Location", location))
            self.shop(shop).ledger[key] = int(quantity)

    def available(self, shop: str, variant_or_item, location) -> int:
        """The current `available` quantity (0 when the item was never stocked there)."""
        with self.lock:
            key = (self.item_id(shop, variant_or_item), gid("Location", location))
            return self.shop(shop).ledger.get(key, 0)

    def quantity(self, shop: str, variant_or_item, location, name: str) -> int:
        """The current quantity of any name (`available`, `incoming`, `quality_control`, …)."""
        if name == "available":
            return self.available(shop, variant_or_item, location)
        with self.lock:
            key = (self.item_id(shop, variant_or_item), gid("Location", location), name)
            return self.shop(shop).states.get(key, 0)

    def add_quantity(self, shop: str, variant_or_item, location, name: str, delta: int) -> None:
        """Add to the quantity of any name (demo replay and test setup)."""
        with self.lock:
            item, location = self.item_id(shop, variant_or_item), gid("Location", location)
            state = self.shop(shop)
            if name == "available":
                state.ledger[(item, location)] = state.ledger.get((item, location), 0) + int(delta)
            else:
                state.states[(item, location, name)] = state.states.get((item, location, name), 0) + int(delta)

    def ledger(self, shop: str) -> dict:
        """A copy of the ledger: {(inventory item GID, location GID): available}."""
        with self.lock:
            return dict(self.shop(shop).ledger)

    def adjustments(self, shop: str) -> list:
        """Copies of the applied adjustment groups, oldest first."""
        with self.lock:
            return [dict(group, changes=[dict(c) for c in group["changes"]]) for group in self.shop(shop).groups]

    def ledger_rows(self, shop: str) -> list:
        """The ledger joined with variant and location names (for the demo and manual checks)."""
        with self.lock:
            state = self.shop(shop)
            rows = []
            slots = set(state.ledger) | {(item, location) for item, location, _ in state.states}
            for item, location in slots:
                variant = state.items.get(item)
                rows.append({
                    "variantId": variant, "inventoryItemId": item,
                    "displayName": state.variants[variant]["displayName"] if variant else None,
                    "sku": state.variants[variant]["sku"] if variant else None,
                    "unitCost": state.variants[variant].get("unitCost") if variant else None,
                    "locationId": location,
                    "locationName": state.locations.get(location, {}).get("name"),
                    "available": state.ledger.get((item, location), 0),
                    "incoming": state.states.get((item, location, "incoming"), 0),
                    "qualityControl": state.states.get((item, location, "quality_control"), 0)})
            return sorted(rows, key=lambda row: (row["displayName"] or "", row["locationName"] or ""))

    # --- counters --------------------------------------------------------------------------------

    def calls(self, shop: str | None = None) -> Counter:
        """GraphQL requests received per operation name, for one shop or all of them."""
        with self.lock:
            return self._sum("calls", shop)

    def applied(self, shop: str | None = None) -> Counter:
        """How many times each idempotency key was applied (exactly-once means every value is 1)."""
        with self.lock:
            return self._sum("applied", shop)

    def _sum(self, attribute: str, shop: str | None) -> Counter:
        states = [self.shop(shop)] if shop else list(self.shops.values())
        total = Counter()
        for state in states:
            total.update(getattr(state, attribute))
        return total

    def _variant_record(self, shop: str, variant_or_item) -> dict:
        state = self.shop(shop)
        text = str(variant_or_item)
        variant = state.items[text] if "/InventoryItem/" in text else gid("ProductVariant", text)
        return state.variants[variant]
