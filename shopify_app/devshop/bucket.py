"""Shopify's calculated-cost leaky bucket, one per shop, on real monotonic time."""

import threading
import time

THROTTLED_ERROR = {"message": "Throttled",
                   "extensions": {"code": "THROTTLED",
                                  "documentation": "https://shopify.dev/api/usage/rate-limits"}}


class LeakyBuckets:
    """Per-shop buckets holding up to `maximum` points, refilled at `restore_rate` points per second."""

    def __init__(self, maximum: float, restore_rate: float, clock=time.monotonic):
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._level: dict[str, tuple[float, float]] = {}  # shop -> (points, at)

    def _current(self, shop: str) -> float:
        points, at = self._level.get(shop, (self.maximum, self._clock()))
        now = self._clock()
        points = min(self.maximum, points + (now - at) * self.restore_rate)
        self._level[shop] = (points, now)
        return points

    def take(self, shop: str, cost: float) -> tuple[bool, dict]:
        """Charge `cost` if the bucket holds it; returns (charged, throttleStatus after the attempt)."""
        with self._lock:
            points = self._current(shop)
            charged = points >= cost
            if charged:
                points -= cost
                self._level[shop] = (points, self._clock())
            return charged, self._status(points)

    def status(self, shop: str) -> dict:
        """The throttleStatus object for `shop` right now."""
        with self._lock:
            return self._status(self._current(shop))

    def set_level(self, shop: str, points: float) -> None:
        """Force the bucket level (tests: start from an empty bucket without spending requests)."""
        with self._lock:
            self._level[shop] = (max(0.0, min(self.maximum, float(points))), self._clock())

    def _status(self, points: float) -> dict:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": int(points),
                "restoreRate": self.restore_rate}


def cost_extension(requested: int, actual: int | None, status: dict) -> dict:
    """`extensions.cost` as Shopify returns it (actualQueryCost is null when throttled)."""
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}}
