"""Exact accounts, whole units in Shopify (SPEC §5), as pure arithmetic: no Flask, no database.

An account is (shop, variant, location, quantity name). It keeps `exact`, the sum of the exact
contributions frozen into it by every order, and `whole`, the sum of the integer deltas frozen
into it. A push freezes, per account it touches, its order's exact change `x` and the integer
`floor(exact + x) - whole`, so Shopify stays at `start + floor(exact)`: fractions carry from one
order to the next instead of being rounded per order (four orders using 0.25 kg of wax move wax
by -1, then 0, 0, 0). A frozen delta that is abandoned is given back, and the next push touching
the account sends the correction.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

AVAILABLE = "available"
INCOMING = "incoming"  # planned output on its way (SPEC §10)
QUALITY_CONTROL = "quality_control"  # output curing before it may be sold (SPEC §10)


def floor(value: Decimal) -> int:
    """The whole units on the shelf: floor(2.75) = 2, floor(-0.25) = -1 (an opened bag is gone)."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Balance:
    """What one account holds: exact contributions and integer deltas frozen into it."""

    exact: Decimal = Decimal(0)
    whole: int = 0

    @property
    def remainder(self) -> Decimal:
        """The fraction counted here but not (yet) in Shopify; in [0, 1) once every delta is sent."""
        return self.exact - self.whole

    @property
    def settled(self) -> bool:
        """Shopify holds floor(exact) of it once the frozen deltas are applied."""
        return self.whole == floor(self.exact)


def freeze(balance: Balance, exact_change: Decimal) -> tuple[Balance, int]:
    """Freeze an order's exact change into the account: the new balance and the integer to send."""
    exact = balance.exact + exact_change
    delta = floor(exact) - balance.whole
    return Balance(exact, balance.whole + delta), delta


def give_back(balance: Balance, exact_change: Decimal, delta: int) -> Balance:
    """Return an abandoned frozen change (its push was given up): the next freeze corrects Shopify."""
    return Balance(balance.exact - exact_change, balance.whole - delta)


def exact_changes(contribution: dict, frozen: dict) -> dict:
    """Per account key: what the order contributes now minus what it has frozen so far.

    Keys present on either side are returned (a zero change included), so an account the order
    touched once is looked at again: an edit, a location move or a removed row converges.
    """
    return {key: contribution.get(key, Decimal(0)) - frozen.get(key, Decimal(0))
            for key in sorted(set(contribution) | set(frozen))}


def describe_remainder(balance: Balance) -> str | None:
    """What a carried fraction means to a merchant, or None when nothing is carried."""
    carried = balance.remainder
    if carried == 0:
        return None
    if balance.exact < 0:
        return (f"Shopify already took a whole unit for this: {_plain(carried)} of it is still unused, "
                f"so the next {_plain(carried)} used takes nothing more from Shopify.")
    return (f"{_plain(carried)} made but not yet added to Shopify: the next {_plain(1 - carried)} "
            "completes a whole unit.")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
