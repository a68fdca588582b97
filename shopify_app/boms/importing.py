"""BOM CSV import (SPEC §11): read the file, resolve SKUs, check every line; then all BOMs or none.

Two layouts, told apart by the header row: the file `GET /api/boms.csv` writes (7 named columns),
or columns by position: `bom name, output SKU or variant GID, material SKU or variant GID,
quantity per unit[, hold days]`. Every problem is reported by line number (the header is line 1),
and the BOM service's own checks decide what a valid BOM is.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import BadRequest, PayloadTooLarge, ValidationFailed
from ..fields import MAX_HOLD_DAYS, VARIANT_GID_PATTERN
from ..shops.models import Shop
from ..csv_cells import restore
from . import service
from .export import HEADER as EXPORT_HEADER
from .schemas import BomIn
from .variant_lookup import Variant, find_variants

MAX_ROWS = 5000
# Different SKUs one file may name: 10 search queries, about 1,000 cost points, one bucket's worth,
# so an import answers in seconds instead of waiting out Shopify's throttle.
MAX_SKUS = 500
MAX_CELL_CHARS = 255
POSITIONAL = ("bom name", "output", "material", "quantity per unit", "hold days")
_GID = re.compile(VARIANT_GID_PATTERN)
_DECIMAL = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,12})?$")
_WHOLE = re.compile(r"^[0-9]{1,6}$")
# JSON paths of the BOM service's errors -> what the CSV calls them.
_LABELS = {"name": "bom name", "outputVariantId": "output", "outputTitle": "output title",
           "outputSku": "output SKU", "holdDays": "hold days", "lines": "the BOM", "variantId": "material",
           "title": "material title", "sku": "material SKU", "quantityPerUnit": "quantity per unit"}
_LINE_PATH = re.compile(r"^lines\[(\d+)\]\.?(.*)$")


@dataclass
class Row:
    line: int
    name: str
    output: str     # a SKU or a variant GID
    material: str
    quantity: Decimal | None
    hold_days: int | None


@dataclass
class Plan:
    """What the file would create, or every problem by line number."""

    boms: list[BomIn] = field(default_factory=list)
    problems: dict[int, list[str]] = field(default_factory=dict)

    def problem(self, line: int, message: str) -> None:
        if message not in self.problems.setdefault(line, []):
            self.problems[line].append(message)

    def refuse_if_any(self) -> None:
        """ValidationFailed listing every problem as `details["line N"]`, when there is one."""
        if self.problems:
            count = len(self.problems)
            raise ValidationFailed(
                f"{count} {'line has' if count == 1 else 'lines have'} problems; nothing was imported.",
                {f"line {line}": messages for line, messages in sorted(self.problems.items())})


def decode(raw: bytes) -> str:
    """The file as text: UTF-8 (with or without a byte order mark) and nothing else."""
    if b"\x00" in raw:
        raise BadRequest("The file contains NUL bytes: it is not a CSV text file.",
                         {"body": "must be CSV text, not a binary file"})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise BadRequest(f"The file is not UTF-8 text (line {line}). Save it as \"CSV UTF-8\" and try again.",
                         {f"line {line}": [f"byte {error.start + 1} of the file is not UTF-8"]}) from None


def _read_row(plan: Plan, line: int, cells: list[str], exported: bool) -> Row | None:
    expected = (len(EXPORT_HEADER),) if exported else (4, 5)
    if len(cells) not in expected:
        plan.problem(line, f"has {len(cells)} columns; expected {' or '.join(map(str, expected))}")
        return None
    if any(len(c) > MAX_CELL_CHARS for c in cells):
        plan.problem(line, f"has a cell longer than {MAX_CELL_CHARS} characters")
        return None
    cells = [restore(c.strip()).strip() for c in cells]
    if exported:
        name, output_id, output_sku, material_id, material_sku, quantity, hold = cells
        # The SKU first: a variant GID means nothing in another shop, the SKU does.
        output, material = output_sku or output_id, material_sku or material_id
    else:
        name, output, material, quantity, *rest = cells
        hold = rest[0] if rest else ""
    for label, value in (("bom name", name), ("output", output), ("material", material),
                         ("quantity per unit", quantity)):
        if not value:
            plan.problem(line, f"{label} is required")
    number = None
    if quantity and not _DECIMAL.match(quantity):
        plan.problem(line, "quantity per unit must be a number like 0.25 (a dot for decimals, no formula)")
    elif quantity:
        number = Decimal(quantity)
    days = 0
    if hold and (not _WHOLE.match(hold) or int(hold) > MAX_HOLD_DAYS):
        plan.problem(line, f"hold days must be a whole number from 0 to {MAX_HOLD_DAYS}")
        days = None
    elif hold:
        days = int(hold)
    return Row(line, name, output, material, number, days)


def read_rows(text: str) -> tuple[list[Row], Plan]:
    """The data rows of the file (lines with a problem already reported in the plan)."""
    plan = Plan()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, exported = [], None
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines and the empty rows spreadsheets save
            if exported is None:
                exported = [c.strip().lower() for c in cells] == EXPORT_HEADER
                continue
            if len(rows) >= MAX_ROWS:
                raise PayloadTooLarge(f"A BOM import may have at most {MAX_ROWS} lines; split the file.")
            row = _read_row(plan, reader.line_num, cells, exported)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        plan.problem(reader.line_num, f"is not valid CSV ({error})")
    if exported is None or not rows and not plan.problems:
        raise ValidationFailed("The file has no lines to import after its header row.",
                               {"line 2": ["a header row, then one line per material, is expected"]})
    return rows, plan


def _describe(ref: str, role: str) -> str:
    return f"{role} {'variant' if _GID.match(ref) else 'SKU'} {ref!r}"


def _resolve(plan: Plan, row: Row, ref: str, role: str, by_sku, by_id) -> Variant | None:
    if _GID.match(ref):
        variant = by_id.get(ref)
        if variant is None:
            plan.problem(row.line, f"{_describe(ref, role)} does not exist in this shop")
        return variant
    matches = by_sku.get(ref, [])
    if not matches:
        plan.problem(row.line, f"{_describe(ref, role)} matches no variant in this shop")
        return None
    if len(matches) > 1:
        plan.problem(row.line, f"{_describe(ref, role)} matches {len(matches)} variants; use a variant GID")
        return None
    return matches[0]


def _check_with_service(plan: Plan, rows: list[Row], body: dict) -> BomIn | None:
    """The BOM service's verdict, its JSON paths turned into line numbers."""
    try:
        return service.check_bom(body)
    except ValidationFailed as error:
        for path, message in error.details.items():
            match = _LINE_PATH.match(path)
            row = rows[int(match.group(1))] if match and int(match.group(1)) < len(rows) else rows[0]
            field_name = (match.group(2) if match else path) or "lines"
            plan.problem(row.line, f"{_LABELS.get(field_name, field_name)} {message.rstrip('.')}")
        return None


def plan_import(shop: Shop, text: str) -> Plan:
    """Every BOM the file describes, checked and resolved; or the plan's problems by line."""
    rows, plan = read_rows(text)
    refs = [ref for row in rows for ref in (row.output, row.material) if ref]
    if len({ref for ref in refs if not _GID.match(ref)}) > MAX_SKUS:
        raise PayloadTooLarge(f"The file names more than {MAX_SKUS} different SKUs; split it into smaller files "
                              "(or name variants by GID).")
    by_sku, by_id = find_variants(shop, [r for r in refs if not _GID.match(r)], [r for r in refs if _GID.match(r)])
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.name, []).append(row)
    taken = service.existing_names(shop, [name for name in groups if name])
    for name, members in groups.items():
        first = members[0]
        if name in taken:
            plan.problem(first.line, f"a bill of materials named {name!r} already exists in this shop")
        output = _resolve(plan, first, first.output, "output", by_sku, by_id) if first.output else None
        good, lines = [], []
        for row in members:
            if row.output != first.output or row.hold_days != first.hold_days:
                plan.problem(row.line, f"names another output or hold days than line {first.line} of the same BOM")
                continue
            material = _resolve(plan, row, row.material, "material", by_sku, by_id) if row.material else None
            if material is None or row.quantity is None or row.hold_days is None:
                continue
            good.append(row)
            lines.append({"variantId": material.id, "title": material.title[:255], "sku": material.sku[:255],
                          "quantityPerUnit": row.quantity})
        if output is None or not name or not lines:
            continue
        body = {"name": name, "outputVariantId": output.id, "outputTitle": output.title[:255],
                "outputSku": output.sku[:255], "holdDays": first.hold_days, "lines": lines}
        checked = _check_with_service(plan, good, body)
        if checked is not None:
            plan.boms.append(checked)
    return plan
