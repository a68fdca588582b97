"""What Shopify should hold after the pushes, computed from the orders independently of the app's
arithmetic (SPEC §5), beside what the fake holds, what the app recorded, and the pushes' states."""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import bindparam, text


def whole_units(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))  # floor(-0.25) = -1: an opened unit is gone


def expected_totals(engine, shop: int, sync_mode: str = "on_complete") -> Counter:
    """The `available` change every (variant, location) should have had in Shopify, computed here
    from the orders as the database holds them at the end (SPEC §5: per account, the floor of the
    exact decimal sum over every order, at each order's location), independently of the app's own
    arithmetic and of its record of what it pushed."""
    pushing = ("completed",) if sync_mode == "on_complete" else ("in_progress", "completed", "cancelled")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT o.id, o.type, o.location_id, c.variant_id, c.quantity_produced, c.materials "
            "FROM production_orders o JOIN components c ON c.order_id = o.id "
            "WHERE o.shop_id = :shop AND o.sync_to_shopify IS TRUE AND o.status IN :statuses "
            "AND o.started_at IS NOT NULL AND o.location_id IS NOT NULL").bindparams(
                bindparam("statuses", expanding=True)),
            {"shop": shop, "statuses": list(pushing)}).all()
    legs = defaultdict(Decimal)
    for order_id, kind, location, variant, produced, materials in rows:
        sign = 1 if kind == "assembly" else -1
        produced = Decimal(produced) / 1000  # stored as thousandths
        legs[(order_id, variant, location)] += sign * produced
        for material in materials or []:
            legs[(order_id, material["variantId"], location)] -= sign * produced * Decimal(material["quantityPerUnit"])
    exact = defaultdict(Decimal)
    for (_, variant, location), value in legs.items():
        exact[(variant, location)] += value
    return Counter({k: whole_units(v) for k, v in exact.items() if whole_units(v)})


def pushed_totals(engine, shop: int) -> Counter:
    """What the app's accounts say Shopify holds (whole units frozen; all applied once drained)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT variant_id, location_id, whole FROM sync_accounts WHERE shop_id = :s "
                                 "AND name = 'available'"), {"s": shop}).all()
    return Counter({(v, loc): int(total) for v, loc, total in rows if total})


def fake_totals(store, domain: str) -> Counter:
    """The fake's ledger by (variant, location); every level starts at 0 in these benches."""
    with store.lock:
        state = store.shop(domain)
        return Counter({(state.items.get(item, item), location): quantity
                        for (item, location), quantity in state.ledger.items() if quantity})


def push_states(engine, shop: int) -> Counter:
    with engine.connect() as conn:
        return Counter(dict(conn.execute(text("SELECT status, count(*) FROM sync_pushes WHERE shop_id = :s "
                                              "GROUP BY status"), {"s": shop}).all()))


def wait_for_pushes(engine, shop: int, timeout: float, *, on_tick=None) -> tuple[bool, float]:
    """Wait until no push of the shop is pending or sending; (drained, seconds waited)."""
    began = time.monotonic()
    while True:
        try:
            states = push_states(engine, shop)
        except Exception:  # the database may be coming back
            states = Counter(pending=1)
        if not states["pending"] and not states["sending"]:
            return True, time.monotonic() - began
        if on_tick is not None:
            on_tick()
        if time.monotonic() - began > timeout:
            return False, time.monotonic() - began
        time.sleep(0.25)


@dataclass
class LedgerCheck:
    expected: Counter
    fake: Counter
    recorded: Counter
    applied: Counter
    states: Counter

    @property
    def doubled_keys(self) -> list[str]:
        return [key for key, times in self.applied.items() if times > 1]

    @property
    def fake_matches(self) -> bool:
        return self.fake == self.expected

    @property
    def recorded_matches(self) -> bool:
        return self.recorded == self.expected

    @property
    def all_done(self) -> bool:
        return not (self.states["pending"] or self.states["sending"] or self.states["failed"])

    @property
    def ok(self) -> bool:
        return self.fake_matches and self.recorded_matches and not self.doubled_keys and self.all_done

    def differences(self, limit: int = 8) -> list[str]:
        lines = []
        for leg in sorted(set(self.expected) | set(self.fake) | set(self.recorded)):
            e, f, r = self.expected[leg], self.fake[leg], self.recorded[leg]
            if not e == f == r:
                lines.append(f"{leg[0]} @ {leg[1]}: expected {e}, fake Shopify {f}, app recorded {r}")
        return lines[:limit] + ([f"... {len(lines) - limit} more"] if len(lines) > limit else [])

    def rows(self) -> list[list]:
        return [
            ["pushes by state", ", ".join(f"{k} {v}" for k, v in sorted(self.states.items())) or "none"],
            ["legs expected (from the orders) / units moved", f"{len(self.expected)} / "
                                                            f"{sum(abs(v) for v in self.expected.values())}"],
            ["fake Shopify ledger == expected", "yes" if self.fake_matches else "NO"],
            ["app's accounts == expected", "yes" if self.recorded_matches else "NO"],
            ["idempotency keys applied / applied more than once",
             f"{len(self.applied)} / {len(self.doubled_keys)}"],
        ]


def check_ledger(engine, shop: int, store, domain: str, sync_mode: str = "on_complete") -> LedgerCheck:
    return LedgerCheck(expected_totals(engine, shop, sync_mode), fake_totals(store, domain),
                       pushed_totals(engine, shop), store.applied(domain), push_states(engine, shop))
