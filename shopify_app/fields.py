"""Field types shared by the request and response schemas (pydantic).

JSON numbers arrive as `Decimal` (the body is parsed with numbers.json_number), so quantities
are exact from the wire to the database; a number too long to read arrives as `OutOfRange`, which
every type here refuses. Lax coercions that would let a client send a number as a
string, a date as a timestamp or a boolean as 0/1 are switched off per field.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema

from .db_types import MAX_ID
from .numbers import OUT_OF_RANGE_MESSAGE, OutOfRange

MAX_QUANTITY = Decimal("999999999.999")
QUANTITY_PLACES = 3

# [0-9], not \d: the regex engine's \d also matches other scripts' digits (Arabic-Indic, fullwidth).
VARIANT_GID_PATTERN = r"^gid://shopify/ProductVariant/[0-9]+$"
LOCATION_GID_PATTERN = r"^gid://shopify/Location/[0-9]+$"


def _number_only(value):
    if isinstance(value, OutOfRange):
        raise ValueError(OUT_OF_RANGE_MESSAGE)
    # bool is an int in Python; a JSON true must not become quantity 1.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("must be a JSON number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("must be a finite number")
    return Decimal(value)


def _id(value):
    # JSON integers arrive as Decimal (the body parser keeps every number exact). The range is
    # checked before int(), which is the step that costs time on a huge number.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, OutOfRange)):
        raise ValueError("must be a whole JSON number")
    if isinstance(value, OutOfRange) or not 1 <= value <= MAX_ID:
        raise ValueError(f"must be a whole number from 1 to {MAX_ID}")
    if isinstance(value, Decimal) and value != value.to_integral_value():
        raise ValueError("must be a whole JSON number")
    return int(value)


Id = Annotated[int, BeforeValidator(_id), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID})]

_QUERY_INT = re.compile(r"[0-9]{1,9}")


def _query_int(value):
    # Query strings are text: pydantic's lax int would also take "+5", " 5", "5_0" and "5.0".
    if not isinstance(value, str) or not _QUERY_INT.fullmatch(value):
        raise ValueError("must be a whole number of at most 9 digits 0-9")
    return int(value)


# Put after the field's bounds (Annotated[int, Field(ge=…), QueryDigits]), which then stay
# `minimum`/`maximum` in the JSON Schema.
QueryDigits = BeforeValidator(_query_int)

MAX_HOLD_DAYS = 365


def _hold_days(value):
    # Bounds before int(), as for ids: comparing a huge Decimal is cheap, converting it is not.
    number = _number_only(value)
    if number != number.to_integral_value() or not 0 <= number <= MAX_HOLD_DAYS:
        raise ValueError(f"must be a whole number of days from 0 to {MAX_HOLD_DAYS}")
    return int(number)


# Days output stays in Shopify's quality_control after completion (SPEC §10).
HoldDays = Annotated[int, BeforeValidator(_hold_days),
                     WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_HOLD_DAYS})]


def _three_places(value: Decimal) -> Decimal:
    # Range first: quantize() cannot handle huge exponents such as 1e400.
    if abs(value) > MAX_QUANTITY:
        raise ValueError(f"must be at most {MAX_QUANTITY}")
    if value != value.quantize(Decimal("0.001")):
        raise ValueError(f"may have at most {QUANTITY_PLACES} decimal places")
    # Drop trailing zeros so 2.500 and 2.5 are the same value everywhere.
    return value.normalize() if value != 0 else Decimal(0)


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def decimal_to_json(value: Decimal) -> int | float:
    """Render an exact quantity as a JSON number.

    Quantities have at most 12 significant digits, which a double holds exactly and Python
    prints back in its shortest round-tripping form, so the text on the wire is exact.
    """
    return int(value) if value == value.to_integral_value() else float(value)


_as_number = PlainSerializer(decimal_to_json, when_used="json")

Quantity = Annotated[
    Decimal, BeforeValidator(_number_only), AfterValidator(_three_places),
    AfterValidator(_non_negative), _as_number,
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_QUANTITY), "multipleOf": 0.001}),
]
PositiveQuantity = Annotated[
    Decimal, BeforeValidator(_number_only), AfterValidator(_three_places),
    AfterValidator(_positive), _as_number,
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": float(MAX_QUANTITY), "multipleOf": 0.001}),
]
# Output only: a signed quantity (history entries and sync adjustments can be negative).
SignedQuantity = Annotated[Decimal, _as_number, WithJsonSchema({"type": "number"})]

VariantGID = Annotated[str, StringConstraints(strict=True, pattern=VARIANT_GID_PATTERN, max_length=64)]
LocationGID = Annotated[str, StringConstraints(strict=True, pattern=LOCATION_GID_PATTERN, max_length=64)]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value):
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date written as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


IsoDate = Annotated[date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]

def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it for every database alike.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


NoNul = AfterValidator(_no_nul)
# The same rule, as the OpenAPI document states it (AfterValidator leaves no trace in the schema).
NO_NUL_PATTERN = "^[^\\u0000]*$"
# A name a person types: no leading or trailing spaces (the pages trim before sending).
# Whitespace spelled out: Python's \s and ECMAScript's (the OpenAPI document's readers) differ
# (\u0085 and \u001c-\u001f for Python, \ufeff for ECMAScript); this class means the same in both.
_SPACE = "\\t\\n\\u000b\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
TRIMMED_PATTERN = f"^[^{_SPACE}\\u0000]([^\\u0000]*[^{_SPACE}\\u0000])?$"
ShortText = Annotated[str, StringConstraints(strict=True, max_length=255, pattern=NO_NUL_PATTERN), NoNul]

StrictBool = Annotated[bool, Field(strict=True)]  # true/false only, never 0/1 or "true"
SET_BY_SERVER = "is set by the server and cannot be sent."

OrderType = Literal["assembly", "disassembly"]
Unit = Literal["pcs", "cm", "kg", "L", "m2"]
SyncMode = Literal["on_complete", "live"]

# Money the merchant types (labour, overhead per order): cents at most, and a ceiling well above
# any batch a workshop runs, so a slip of the keyboard is refused rather than priced in.
MAX_MONEY = Decimal("99999999.99")


def _money_places(value: Decimal) -> Decimal:
    if abs(value) > MAX_MONEY:
        raise ValueError(f"must be at most {MAX_MONEY}")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("may have at most 2 decimal places")
    return value.normalize() if value != 0 else Decimal(0)


MoneyIn = Annotated[
    Decimal, BeforeValidator(_number_only), AfterValidator(_money_places), AfterValidator(_non_negative),
    _as_number, WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_MONEY), "multipleOf": 0.01}),
]
# Output only: money computed by the app, already rounded (2 places, an output's unit cost 4).
MoneyOut = Annotated[Decimal, _as_number, WithJsonSchema({"type": "number"})]
CostUpdate = Literal["off", "batch", "weighted_average"]
ShortagePolicy = Literal["warn", "block"]
