"""Admin GraphQL calls: token, throttling, retries with backoff and jitter, typed errors.

Transient failures (timeouts, dropped connections, 5xx, 429, THROTTLED) are retried here a few
times with the same request body, so an idempotency key in the variables is resent unchanged.
When they persist, ShopifyUnavailable tells the caller to try again later.
"""

import logging
import random
import time

import requests
from flask import current_app

from ..auth.token_refresh import access_token_for, forget_dead_tokens
from ..shops.models import Shop
from . import deadline
from .client import CONNECT_TIMEOUT, admin_origin, retry_after
from .errors import GraphQLError, ShopifyUnavailable
from .throttle import throttle

log = logging.getLogger(__name__)

_session = requests.Session()
_unit_cost: dict[str, float] = {}  # operation name -> cost Shopify last asked for, per unit of `size`
DEFAULT_COST = 50.0
MAX_THROTTLE_WAITS = 20


def known_cost(operation: str, size: int = 1) -> float:
    """What a call of `operation` costs as far as Shopify has told this process (0 before any answer)."""
    return _unit_cost.get(operation, 0.0) * max(size, 1)


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: about base·2^attempt, capped, never synchronised across workers."""
    ceiling = min(cap, base * (2 ** attempt))
    return random.uniform(ceiling / 2, ceiling)


class AdminGraphQL:
    """Calls the Admin GraphQL API of one shop."""

    def __init__(self, shop: Shop, *, sleep=time.sleep):
        config = current_app.config
        self.shop = shop
        self.url = f"{admin_origin(shop.domain)}/admin/api/{config['SHOPIFY_API_VERSION']}/graphql.json"
        self.retries = int(config.get("SYNC_HTTP_RETRIES", 4))
        self.backoff_base = float(config.get("SYNC_BACKOFF_BASE_SECONDS", 0.5))
        self.backoff_max = float(config.get("SYNC_BACKOFF_MAX_SECONDS", 60))
        self.read_timeout = float(config.get("SHOPIFY_HTTP_TIMEOUT_SECONDS", 20))
        self.sleep = sleep
        self.calls = 0  # HTTP requests made, for benchmarks and logs

    def execute(self, operation: str, document: str, variables: dict, *, size: int = 1) -> dict:
        """The `data` of a successful call, or ShopifyUnavailable / GraphQLError / ReauthRequired.

        `size` is how many things the call asks for (ids in a `nodes` query): its cost scales with it.
        """
        body = {"query": document, "variables": variables, "operationName": operation}
        token = access_token_for(self.shop)
        refreshed = False
        transient = throttled = 0
        while True:
            reserved = self._wait_for_bucket(operation, size, throttled)
            try:
                response = self._post(body, token)
            except requests.RequestException as exc:
                throttle.release(self.shop.domain, reserved)
                transient = self._transient(transient, f"no answer from Shopify ({type(exc).__name__})")
                continue
            payload = self._json(response)
            cost = ((payload or {}).get("extensions") or {}).get("cost") or {}
            throttle.observe(self.shop.domain, cost.get("throttleStatus"), reserved)
            if response.status_code == 401 and not refreshed:
                # The token may have been revoked or expired early: refresh once, then resend.
                token, refreshed = access_token_for(self.shop, rejected_token=token), True
                continue
            if response.status_code == 401:
                forget_dead_tokens(self.shop)  # raises ReauthRequired
            if 400 <= response.status_code < 500 and response.status_code != 429:
                # Our request is wrong (bad URL, version, permissions): resending will not help.
                raise GraphQLError([{"message": f"Shopify answered HTTP {response.status_code}"}])
            if response.status_code == 429 or response.status_code >= 500:
                transient = self._transient(transient, f"Shopify answered HTTP {response.status_code}",
                                            retry_after(response))
                continue
            if payload is None:
                transient = self._transient(transient, "Shopify answered with something that is not JSON")
                continue
            if cost.get("requestedQueryCost"):
                _unit_cost[operation] = float(cost["requestedQueryCost"]) / max(size, 1)
            errors = payload.get("errors")
            if errors and _is_throttled(errors):
                throttled += 1
                if throttled > MAX_THROTTLE_WAITS:
                    raise ShopifyUnavailable("Shopify kept throttling the request")
                continue  # the bucket estimate now says how long to wait
            if errors:
                raise GraphQLError(errors if isinstance(errors, list) else [errors])
            return payload.get("data") or {}

    def _post(self, body: dict, token: str):
        self.calls += 1
        return _session.post(self.url, json=body, timeout=deadline.timeouts(CONNECT_TIMEOUT, self.read_timeout),
                             headers={"X-Shopify-Access-Token": token, "Accept": "application/json"})

    def _wait_for_bucket(self, operation: str, size: int, throttled: int) -> float:
        """Reserve the call's cost in the shop's shared budget and sleep until it is restored;
        returns the points reserved (the answer settles them)."""
        cost = _unit_cost.get(operation, DEFAULT_COST) * max(size, 1)
        delay, reserved = throttle.reserve(self.shop.domain, cost)
        if throttled and delay > 0:
            # Something else spends this shop's points (another app's client, a store that was
            # down): our estimate was wrong once, so leave it some room.
            delay += random.uniform(0, delay * min(throttled, 3))
        if delay > 0:
            deadline.allow_wait(delay, "Shopify's cost bucket is empty")
            self.sleep(delay)
        return reserved

    def _transient(self, attempt: int, reason: str, retry_after: float | None = None) -> int:
        if attempt >= self.retries or (retry_after is not None and retry_after > self.backoff_max):
            # Out of patience, or told to come back later than we would wait in-process.
            raise ShopifyUnavailable(reason, retry_after=retry_after)
        delay = retry_after if retry_after is not None else backoff_delay(attempt, self.backoff_base, self.backoff_max)
        deadline.allow_wait(delay, reason)
        log.info("%s for %s; retrying in %.2fs", reason, self.shop.domain, delay)
        self.sleep(delay)
        return attempt + 1

    @staticmethod
    def _json(response):
        try:
            payload = response.json()
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None


def _is_throttled(errors) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)

