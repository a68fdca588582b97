"""Issued OAuth tokens of the fake: expiring pairs, rotation and retirement, authorization codes."""

import secrets
from dataclasses import dataclass


@dataclass
class AccessToken:
    token: str
    shop: str
    scope: str
    expires_at: float | None  # None: a non-expiring offline token
    retired: bool = False


@dataclass
class RefreshToken:
    token: str
    shop: str
    access_token: str
    expires_at: float
    retired: bool = False


class TokenRegistry:
    """Every token the fake has issued. Shares the store's lock: a rotation is one atomic step."""

    def __init__(self, lock, clock):
        self._lock = lock
        self._clock = clock
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[tuple[str, str], bool] = {}

    def issue(self, shop: str, scope: str, *, expiring: bool, access_ttl: int = 3600,
              refresh_ttl: int = 90 * 24 * 3600) -> dict:
        """Issue a token for `shop` and return the body Shopify's token endpoint would answer.

        An expiring pair retires every earlier expiring token of the shop: Shopify keeps one
        expiring offline token per app and shop, so a stray exchange kills a worker's refresh chain.
        """
        with self._lock:
            now = self._clock()
            access = AccessToken("shpat_" + secrets.token_hex(16), shop, scope,
                                 now + access_ttl if expiring else None)
            if not expiring:
                self.access[access.token] = access
                return {"access_token": access.token, "scope": scope}
            self._retire_expiring(shop)
            refresh = RefreshToken("shprt_" + secrets.token_hex(16), shop, access.token, now + refresh_ttl)
            self.access[access.token] = access
            self.refresh[refresh.token] = refresh
            return {"access_token": access.token, "scope": scope, "expires_in": int(access_ttl),
                    "refresh_token": refresh.token, "refresh_token_expires_in": int(refresh_ttl)}

    def rotate(self, shop: str, refresh_token: str, scope: str, *, access_ttl: int, refresh_ttl: int):
        """Trade a live refresh token of `shop` for a new pair (the old pair is retired); None if dead."""
        with self._lock:
            record = self.refresh.get(refresh_token)
            if record is None or record.shop != shop or record.retired or record.expires_at <= self._clock():
                return None
            return self.issue(shop, scope, expiring=True, access_ttl=access_ttl, refresh_ttl=refresh_ttl)

    def live_access(self, token: str | None, shop: str) -> AccessToken | None:
        """The token's record if it is a live access token of `shop`."""
        with self._lock:
            record = self.access.get(token or "")
            if record is None or record.shop != shop or record.retired:
                return None
            if record.expires_at is not None and record.expires_at <= self._clock():
                return None
            return record

    def retire(self, token: str) -> None:
        """Retire one access or refresh token (e.g. a migrated non-expiring token)."""
        with self._lock:
            for table in (self.access, self.refresh):
                if token in table:
                    table[token].retired = True

    def revoke_shop(self, shop: str) -> None:
        """Retire every token of `shop`, as an uninstall does."""
        with self._lock:
            for record in (*self.access.values(), *self.refresh.values()):
                if record.shop == shop:
                    record.retired = True

    def add_code(self, shop: str, code: str) -> None:
        """Register an authorization code that the code grant will accept once."""
        with self._lock:
            self.codes[(shop, code)] = True

    def take_code(self, shop: str, code: str) -> bool:
        """Consume a registered code; False if unknown or already used."""
        with self._lock:
            return self.codes.pop((shop, code), False)

    def _retire_expiring(self, shop: str) -> None:
        for record in self.refresh.values():
            if record.shop == shop and not record.retired:
                record.retired = True
        for record in self.access.values():
            if record.shop == shop and record.expires_at is not None:
                record.retired = True
