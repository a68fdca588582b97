"""One view of Shopify's leaky bucket per shop, shared by every process that calls the shop.

Every GraphQL answer reports `extensions.cost.throttleStatus` (bucket size, points available,
restore rate). Before a call a process *reserves* its cost: the shared estimate is debited at once
(it may go below zero) and the caller sleeps until the points it reserved have been restored. So N
workers on one shop queue behind each other's reservations instead of all waking when the bucket
has room for one call, and Shopify never has to answer THROTTLED.

An answer replaces the estimate with Shopify's own numbers minus the points other callers have
reserved and not yet had answered (`inflight`): their reservations survive an answer that does not
include them yet. A reservation whose caller died never gets answered; `inflight` is forgotten once
nobody has touched the bucket for INFLIGHT_TTL seconds.

Where the shared state lives (see `budget_stores.py`): Redis when `REDIS_URL` is set, otherwise the
app's database; outside an app (unit tests, scripts) this process's memory.
"""

import threading
import time
from dataclasses import dataclass, replace

INFLIGHT_TTL = 120.0  # longer than any call may take (timeouts and retries included)


@dataclass(frozen=True)
class BucketState:
    maximum: float
    available: float      # may be negative: reservations waiting for points to be restored
    restore_rate: float
    inflight: float       # points reserved by callers whose answer has not arrived
    at: float             # when `available` was true (seconds, the store's clock)

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + max(0.0, now - self.at) * self.restore_rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` points (at most a full bucket) are available."""
        if self.restore_rate <= 0:
            return 0.0
        missing = min(cost, self.maximum) - self.available_at(now)
        return max(0.0, missing / self.restore_rate)


def reserve(state: BucketState | None, cost: float, now: float):
    """Debit `cost` now; (new state, (seconds to wait before sending, points reserved))."""
    if state is None:
        return None, (0.0, 0.0)  # nothing known yet: the first answer will tell
    delay = state.wait_for(cost, now)
    inflight = state.inflight if now - state.at < INFLIGHT_TTL else 0.0
    return replace(state, available=state.available_at(now) - min(cost, state.maximum),
                   inflight=inflight + cost, at=now), (delay, cost)


def observe(state: BucketState | None, status: dict | None, reserved: float, now: float) -> BucketState | None:
    """Shopify's numbers from an answer to a call that had reserved `reserved` points."""
    try:
        maximum = float(status["maximumAvailable"])
        available = float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return release(state, reserved, now)
    inflight = 0.0
    if state is not None and now - state.at < INFLIGHT_TTL:
        inflight = max(0.0, state.inflight - reserved)
    return BucketState(maximum, available - inflight, rate, inflight, now)


def release(state: BucketState | None, reserved: float, now: float) -> BucketState | None:
    """A reserved call got no numbers back (no answer, HTTP error): stop counting it in flight."""
    if state is None:
        return None
    return replace(state, inflight=max(0.0, state.inflight - reserved))


class MemoryBudget:
    """The bucket estimates of this process only (no app: unit tests, scripts)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._states: dict[str, BucketState] = {}
        self._lock = threading.Lock()

    def update(self, shop: str, change):
        """Apply `change(state, now) -> (state, result)` atomically; returns the result."""
        with self._lock:
            state, result = change(self._states.get(shop), self._clock())
            if state is None:
                self._states.pop(shop, None)
            else:
                self._states[shop] = state
            return result

    def read(self, shop: str, look):
        with self._lock:
            return look(self._states.get(shop), self._clock())


class Throttle:
    """The per-shop budget, in whichever store this app shares (see budget_stores.py)."""

    def __init__(self, store=None):
        self._store = store
        self._memory = MemoryBudget()

    def _budget(self):
        if self._store is not None:
            return self._store
        from .budget_stores import store_for_app  # late: needs the app (and the database)

        return store_for_app() or self._memory

    def reserve(self, shop: str, cost: float) -> tuple[float, float]:
        """Count a call costing `cost` now; (seconds to sleep before sending it, points reserved)."""
        return self._budget().update(shop, lambda state, now: reserve(state, cost, now))

    def observe(self, shop: str, throttle_status: dict | None, reserved: float = 0.0) -> None:
        """Take Shopify's own numbers from the answer to a call that reserved `reserved` points."""
        self._budget().update(shop, lambda state, now: (observe(state, throttle_status, reserved, now), None))

    def release(self, shop: str, reserved: float) -> None:
        """The reserved call got no usable answer."""
        self._budget().update(shop, lambda state, now: (release(state, reserved, now), None))

    def delay_for(self, shop: str, cost: float) -> float:
        """Seconds a call costing `cost` would wait now (nothing is reserved); with cost 0, until
        every reservation already made is paid for."""
        return self._budget().read(shop, lambda state, now: state.wait_for(cost, now) if state else 0.0)


throttle = Throttle()
