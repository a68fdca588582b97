"""A seeded, thread-safe fault plan: which GraphQL request (in arrival order) misbehaves, and how."""

import random
import threading

from .config import FAULT_KINDS


class FaultPlan:
    """Draws None (no fault) or a fault kind per request; the same seed gives the same sequence."""

    def __init__(self, rate: float, seed: int, kinds: dict):
        self.rate = float(rate)
        self._kinds = [kind for kind in FAULT_KINDS if kinds.get(kind, 0) > 0]
        self._weights = [float(kinds[kind]) for kind in self._kinds]
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.history: list[str | None] = []

    def next(self) -> str | None:
        """The fault for the next request. Always consumes two draws so the plan depends only on the seed."""
        with self._lock:
            roll, pick = self._rng.random(), self._rng.random()
            kind = None
            if self._kinds and roll < self.rate:
                kind = self._choose(pick)
            self.history.append(kind)
            return kind

    def _choose(self, pick: float) -> str:
        threshold = pick * sum(self._weights)
        for kind, weight in zip(self._kinds, self._weights):
            threshold -= weight
            if threshold < 0:
                return kind
        return self._kinds[-1]

    @classmethod
    def preview(cls, rate: float, seed: int, kinds: dict, count: int) -> list:
        """The first `count` draws of a fresh plan (what a fake with these settings will do)."""
        plan = cls(rate, seed, kinds)
        return [plan.next() for _ in range(count)]
