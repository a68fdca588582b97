"""What is left to reverse of a completed order (SPEC §11), as pure arithmetic over plain values.

A reversal's row *covers* part of the original row it undoes. How much depends on the reversal's
status: a draft covers what it plans; in progress, the larger of planned and produced (completion
sets planned to produced, so it can only shrink); completed, what it produced. A reversal
cancelled as a draft lost its rows (covers nothing); one cancelled in progress keeps what it
produced, because those units were taken apart and a live push of them stays pushed (SPEC §2, §5).
The reversals of one order, added up per row, never cover more than the original produced.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

FLIPPED_TYPE = {"assembly": "disassembly", "disassembly": "assembly"}
REFERENCE_MAX = 64


@dataclass(frozen=True)
class Cover:
    """One reversal row: which original row it undoes and its quantities."""

    original_row_id: int
    status: str
    planned: Decimal
    produced: Decimal


def covered(status: str, planned: Decimal, produced: Decimal) -> Decimal:
    """How much of its original row one reversal row takes, by the reversal's status."""
    if status == "draft":
        return planned
    if status == "in_progress":
        return max(planned, produced)
    return produced  # completed (planned == produced) or cancelled in progress (what was taken apart)


def remaining(produced: dict[int, Decimal], covers: list[Cover]) -> dict[int, Decimal]:
    """Per original row id: what it produced minus what every reversal in `covers` takes.

    Never negative: the edits that could overdraw a row are refused (see `overdrawn`)."""
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for cover in covers:
        taken[cover.original_row_id] += covered(cover.status, cover.planned, cover.produced)
    return {row_id: max(Decimal(0), quantity - taken[row_id]) for row_id, quantity in produced.items()}


def overdrawn(available: dict[int, Decimal], wanted: dict[int, Decimal]) -> dict[int, Decimal]:
    """Rows (original row id -> what is left for them) whose wanted cover exceeds what is left."""
    return {row_id: available.get(row_id, Decimal(0)) for row_id, quantity in wanted.items()
            if quantity > available.get(row_id, Decimal(0))}


def reversible(left: dict[int, Decimal]) -> bool:
    """Something of the original is still left to reverse."""
    return any(quantity > 0 for quantity in left.values())


def reversal_reference(original: str, n: int) -> str:
    """`<original>-R<n>`, the original's part shortened when the whole would pass 64 characters."""
    suffix = f"-R{n}"
    return original[:REFERENCE_MAX - len(suffix)] + suffix
