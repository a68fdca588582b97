"""Numbers from untrusted text, bounded on their text before anything computes with them.

Turning the text `1e999999` into a Decimal is instant, but `int()` of it builds a million-digit
integer (seconds of CPU) and `abs()` under the default context overflows (a 500). So every number
a client sends is looked at as text first: JSON numbers in request bodies (`json_number`, the
decoder's hooks), integers in query strings (`QueryInt` in fields.py) and ids in URL paths
(`IdConverter`). What no field of this API could hold is refused before it becomes a number.
"""

from decimal import Decimal

from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from .db_types import MAX_ID

# A JSON number longer than this, or with a larger exponent, is nothing a client means: the
# longest double JavaScript prints is 24 characters ("-2.2250738585072014e-308"), and the API's
# largest value is 999999999.999. Within these bounds int(), abs() and comparisons of the Decimal
# take microseconds and cannot overflow the default decimal context (exponents up to ±999999).
MAX_NUMBER_CHARS = 100
MAX_EXPONENT = 400


class OutOfRange:
    """Stands in for a JSON number too long or too large to be read: every field type refuses it."""

    __slots__ = ("preview",)

    def __init__(self, text: str):
        self.preview = text[:20]

    def __repr__(self) -> str:
        return f"OutOfRange({self.preview!r}…)"


OUT_OF_RANGE_MESSAGE = "has too many digits or too large an exponent."


def json_number(text: str) -> Decimal | OutOfRange:
    """The decoder's hook for every JSON number: an exact Decimal, or OutOfRange."""
    if len(text) > MAX_NUMBER_CHARS:
        return OutOfRange(text)
    if ("e" in text or "E" in text) and abs(int(text.lower().partition("e")[2])) > MAX_EXPONENT:
        return OutOfRange(text)
    return Decimal(text)


def json_integer(text: str) -> Decimal | OutOfRange:
    """The decoder's hook for JSON integers (digits only): as exact as the others, and bounded alike."""
    if len(text) > MAX_NUMBER_CHARS:
        return OutOfRange(text)
    return Decimal(text)


class IdConverter(BaseConverter):
    """`<id:order_id>`: 1 to 10 ASCII digits naming an id that can exist, else 404.

    werkzeug's `int` converter matches `\\d+`, which takes other scripts' digits (`١٢` is 12) and
    digit strings of any length; and PostgreSQL refuses to compare an integer column with a
    number beyond its range, so such an id must never reach a query.
    """

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            # NotFound, not ValidationError: the latter lets werkzeug try the rule's other
            # methods and answer 405 for a PATCH to /orders/2147483648.
            raise NotFound("No record with this id.")
        return number

    def to_url(self, value) -> str:
        return str(int(value))
