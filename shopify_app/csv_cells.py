"""CSV as spreadsheets read it: formula neutralising on export, undone on import; streamed writing.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, tab or CR) as a
formula, so an exported text cell starting with one of them gets a leading `'` (OWASP's advice),
which spreadsheets show as text. An import takes such a cell back to the text it was.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
BYTE_ORDER_MARK = "\ufeff"  # lets Excel open the file as UTF-8
ROWS_PER_CHUNK = 500  # rows written into one chunk of the streamed response


def _looks_escaped_or_runnable(text: str) -> bool:
    # Text that already starts with quotes before a formula character gets one more quote too,
    # so that `restore` can always take exactly one off: the round trip holds for every text.
    return text.lstrip(ESCAPE).startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text, never run as a formula."""
    return ESCAPE + text if _looks_escaped_or_runnable(text) else text


def restore(cell: str) -> str:
    """The text an exported (neutralised) cell held; any other cell as it is."""
    return cell[1:] if cell.startswith(ESCAPE) and _looks_escaped_or_runnable(cell) else cell


def cell(value) -> str:
    """One value as a CSV cell: exact decimals, ISO dates, UTC timestamps with Z, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (date, int)):
        return str(value)
    return neutralise(str(value))


def stream_csv(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks of a few hundred rows: memory stays flat whatever the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BYTE_ORDER_MARK + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow([cell(value) for value in row])
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()
