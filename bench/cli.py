"""What a bench script parses and prints: its failure type, argparse ranges, aligned tables."""

import argparse
import sys


class BenchError(Exception):
    """The benchmark could not measure what it meant to (not a finding about the app)."""


def print_table(headers: list[str], rows: list[list], right: set[int]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def bounded(kind, low, high):
    """An argparse type: `kind`, between `low` and `high` inclusive."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value
    return parse


def run(main) -> None:
    """Exit with `main()`'s status, or 2 with the reason when the bench itself failed."""
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        sys.exit(2)
