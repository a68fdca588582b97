"""Quantity rules that depend on a row's unit (pure: no Flask, no database)."""

from decimal import Decimal

from ..errors import ValidationFailed

WHOLE_UNITS = frozenset({"pcs"})  # counted, never measured: Shopify stocks whole pieces
WHOLE_UNIT_MESSAGE = ("must be a whole number: this row is counted in pieces (pcs). "
                      "Choose a measured unit such as kg for fractions.")


def whole_unit_problems(unit: str, quantities: dict[str, Decimal | None]) -> dict[str, str]:
    """{path: message} for each quantity with a fraction on a row counted in whole units."""
    if unit not in WHOLE_UNITS:
        return {}
    return {path: WHOLE_UNIT_MESSAGE for path, value in quantities.items()
            if value is not None and Decimal(value) != Decimal(value).to_integral_value()}


def check_whole_units(unit: str, quantities: dict[str, Decimal | None]) -> None:
    """Refuse fractions of pieces (422 keyed by the quantity's path)."""
    problems = whole_unit_problems(unit, quantities)
    if problems:
        raise ValidationFailed("A row counted in pieces (pcs) takes whole numbers only.", problems)
