"""Timestamps on the wire: ISO-8601, UTC, with a `Z`."""

from datetime import datetime, timezone


def iso_utc(value: datetime) -> str:
    """2026-11-27T05:33:42.123456Z"""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
