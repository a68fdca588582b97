"""The SQL bench's rule: a request's statement count may grow by a constant per Shopify call, never
per row.

Saving or starting an order checks its ids with Shopify in `nodes` calls of up to 250 ids, and each
call keeps the shop's cost budget in the database when REDIS_URL is unset: a few statements per
call, so ceil(ids / 250) times. That is bounded by the calls, not by the rows. Anything else that
changes with the number of rows (an N+1 query, a write per row, a statement per batch of rows) is a
finding.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Growth:
    per_call: int | None  # statements each Shopify call adds; None when the calls do not vary (or no fit)
    per_row: bool         # statements change with the rows beyond the per-call part
    calls_per_row: bool   # the calls themselves are not ceil(ids / limit) plus a constant


def judge(points: list[tuple[list[int], int]], ids_per_call: int) -> Growth:
    """`points`: for one operation at each order size, (the number of ids of each Shopify call it
    made, its statement count). The statements must be `base + per_call * calls` at every size, with
    one integer `per_call` >= 0; the calls must be ceil(ids / `ids_per_call`) plus a constant (a
    request may make more than one check, but never a call per row)."""
    calls = [len(ids) for ids, _ in points]
    slack = {len(ids) - math.ceil(sum(ids) / ids_per_call) for ids, _ in points}
    counts = [statements for _, statements in points]
    low, high = calls.index(min(calls)), calls.index(max(calls))
    if calls[low] == calls[high]:
        return Growth(None, len(set(counts)) > 1, len(slack) > 1)
    per_call, remainder = divmod(counts[high] - counts[low], calls[high] - calls[low])
    fits = remainder == 0 and per_call >= 0 and all(
        count == counts[low] + per_call * (made - calls[low]) for made, count in zip(calls, counts))
    return Growth(per_call if fits else None, not fits, len(slack) > 1)
