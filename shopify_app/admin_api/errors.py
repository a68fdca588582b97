"""Typed failures of calls to Shopify. Messages never contain tokens or secrets."""


class ShopifyError(Exception):
    """Base of every failure talking to Shopify."""


class ShopifyUnavailable(ShopifyError):
    """Transient: a timeout, a dropped connection, a 5xx or a 429. Worth retrying later."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class OAuthRefused(ShopifyError):
    """Shopify's token endpoint refused the grant (a 4xx with an OAuth `error` code)."""

    def __init__(self, status: int, error: str, description: str = ""):
        super().__init__(f"Shopify refused the token request: {error} (HTTP {status})")
        self.status, self.error, self.description = status, error, description

    @property
    def grant_dead(self) -> bool:
        """The refresh token can never work again: only `invalid_grant` says so (RFC 6749 §5.2).

        Any other refusal, a 401 included (`invalid_client` during a secret rotation, say), is about
        our request or credentials, not the shop's tokens: forgetting them would lock the shop out
        until the merchant reopens the app.
        """
        return self.error == "invalid_grant"


class ReauthRequired(ShopifyError):
    """The shop's refresh token is dead: only the merchant opening the app (a new exchange) helps."""

    def __init__(self, shop_domain: str):
        super().__init__(f"{shop_domain} must open the app in Shopify admin to reconnect it")
        self.shop_domain = shop_domain


class GraphQLError(ShopifyError):
    """The Admin API refused the document itself (top-level `errors` other than throttling)."""

    def __init__(self, errors: list):
        messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        super().__init__(f"Shopify refused the request: {messages[:500]}")
        self.errors = errors
