"""Client-side view of Shopify's leaky bucket, per shop, so we wait instead of being THROTTLED.

Every GraphQL answer reports `extensions.cost.throttleStatus` (bucket size, points available,
restore rate). Before a call we estimate how full the bucket is now and sleep just long enough
for the call's cost to fit; a THROTTLED answer updates the estimate and we wait again.
"""

import threading
import time
from dataclasses import dataclass


@dataclass
class BucketState:
    maximum: float
    available: float
    restore_rate: float
    observed_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.observed_at) * self.restore_rate)


class Throttle:
    """Bucket estimates for every shop this process talks to."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._buckets: dict[str, BucketState] = {}
        self._lock = threading.Lock()

    def delay_for(self, shop: str, cost: float) -> float:
        """Seconds to wait before a call costing `cost` fits in the shop's bucket (0 if unknown)."""
        with self._lock:
            state = self._buckets.get(shop)
            if state is None or state.restore_rate <= 0:
                return 0.0
            now = self._clock()
            missing = min(cost, state.maximum) - state.available_at(now)
            if missing <= 0:
                return 0.0
            return missing / state.restore_rate

    def spend(self, shop: str, cost: float) -> None:
        """Count a call we are about to make, so concurrent callers in this process see it."""
        with self._lock:
            state = self._buckets.get(shop)
            if state is not None:
                now = self._clock()
                state.available, state.observed_at = state.available_at(now) - cost, now

    def observe(self, shop: str, throttle_status: dict | None) -> None:
        """Take Shopify's own numbers from a response."""
        if not isinstance(throttle_status, dict):
            return
        try:
            state = BucketState(
                maximum=float(throttle_status["maximumAvailable"]),
                available=float(throttle_status["currentlyAvailable"]),
                restore_rate=float(throttle_status["restoreRate"]),
                observed_at=self._clock(),
            )
        except (KeyError, TypeError, ValueError):
            return
        with self._lock:
            self._buckets[shop] = state


throttle = Throttle()
