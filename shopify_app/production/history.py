"""Building the `changes` of an order event: field -> [old, new], in JSON-ready values."""

from datetime import date, datetime
from decimal import Decimal

from ..fields import decimal_to_json
from ..timefmt import iso_utc


def jsonable(value):
    """A value as it is stored in an event (and shown by the API)."""
    if isinstance(value, Decimal):
        return decimal_to_json(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


class Changes(dict):
    """Collects field -> [old, new] pairs, skipping fields whose value did not change."""

    def record(self, field: str, old, new) -> bool:
        """Record a change of `field`; returns False (and records nothing) when old == new."""
        if old == new:
            return False
        self[field] = [jsonable(old), jsonable(new)]
        return True


def component_snapshot(component) -> dict:
    """A component row as history keeps it (camelCase, like the API)."""
    return {
        "id": component.id, "variantId": component.variant_id, "title": component.title,
        "sku": component.sku, "unit": component.unit,
        "quantityPlanned": component.quantity_planned, "quantityProduced": component.quantity_produced,
        "materials": materials_for_history(component.materials),
    }


def materials_for_history(materials: list[dict]) -> list[dict]:
    """Stored materials keep quantities as exact strings; history shows them as JSON numbers."""
    return [{**m, "quantityPerUnit": Decimal(m["quantityPerUnit"])} for m in materials]
