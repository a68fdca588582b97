"""Settings of the loopback fake Shopify (one frozen dataclass, so a running fake never drifts)."""

from dataclasses import dataclass, field

FAULT_KINDS = ("http_500", "http_503", "http_429", "throttled", "timeout", "lost_response")
DEFAULT_SCOPES = "read_products,read_locations,write_inventory,read_inventory"


def _all_kinds() -> dict:
    return {kind: 1.0 for kind in FAULT_KINDS}


@dataclass(frozen=True)
class FakeShopifyConfig:
    """How the fake authenticates, charges, throttles and misbehaves.

    - api_key / api_secret: the app's credentials; the secret verifies session tokens in token exchange.
    - schema_path: Admin GraphQL introspection JSON (.json or .json.gz); when set every document is
      validated against it and invalid ones get HTTP 200 with top-level `errors`, as Shopify does.
    - bucket_max / restore_rate / mutation_cost: the per-shop leaky bucket (points, points per second).
    - fault_rate (0..1), fault_seed, fault_kinds (weights over FAULT_KINDS): the seeded fault plan.
    - timeout_delay: seconds a `timeout` fault stalls before processing (the client gave up by then).
    - access_token_ttl / refresh_token_ttl: lifetimes of expiring offline tokens, in seconds.
    - scopes: the scope string returned with every token.
    """

    api_key: str = "devshop-api-key"
    api_secret: str = "devshop-api-secret"
    schema_path: str | None = None
    bucket_max: float = 2000.0
    restore_rate: float = 100.0
    mutation_cost: int = 10
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: dict = field(default_factory=_all_kinds)
    timeout_delay: float = 2.0
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 90 * 24 * 3600
    scopes: str = DEFAULT_SCOPES

    def __post_init__(self):
        # Fail at construction, not on the first faulty request deep inside a test run.
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}; known: {FAULT_KINDS}")
        if self.fault_rate > 0 and not any(weight > 0 for weight in self.fault_kinds.values()):
            raise ValueError("fault_rate > 0 needs at least one fault kind with a positive weight")
        if self.bucket_max <= 0 or self.restore_rate < 0:
            raise ValueError("bucket_max must be positive and restore_rate non-negative")
