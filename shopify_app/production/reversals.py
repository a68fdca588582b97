"""Reversals in the database: what is left to reverse, the rules an edit of a reversal obeys, and
the links both ways. The arithmetic is `reversal_rules`; the order service calls the guards here.

Race safety: every write that can change what a reversal covers first locks the *original*
order (its row lock on PostgreSQL, SQLite's write lock taken before anything is read), then
reads what the other reversals cover. Two reversals of one order edited at once therefore
take turns, and the second sees what the first committed.
"""

from decimal import Decimal

from sqlalchemy import func, select

from ..errors import InvalidTransition, ValidationFailed
from ..extensions import db
from ..sync import ledger
from . import holds, lifecycle, reversal_rules
from .models import Component, ProductionOrder
from .reversal_rules import Cover

# On a reversal these stay as copied: its push must be exactly the negation of the reversed part.
FIXED_ORDER_FIELDS = {"type": "type", "location_id": "locationId", "sync_to_shopify": "syncProductionOrderToShopify"}
FIXED_ROW_FIELDS = {"variant_id": "variantId", "unit": "unit", "materials": "materials"}
FIXED_TEXT = "is copied from the order this one reverses and cannot change."


def lock_original(original_id: int) -> None:
    """Serialise every write that changes what the reversals of `original_id` cover."""
    ledger.take_write_lock()
    db.session.execute(select(ProductionOrder.id).where(ProductionOrder.id == original_id).with_for_update())


def _produced(original_id: int) -> dict[int, Decimal]:
    rows = db.session.execute(select(Component.id, Component.quantity_produced)
                              .where(Component.order_id == original_id))
    return {row_id: Decimal(produced) for row_id, produced in rows}


def _covers(original_id: int, except_order_id: int | None = None) -> list[Cover]:
    query = (select(Component.reverses_component_id, ProductionOrder.status, Component.quantity_planned,
                    Component.quantity_produced)
             .join(ProductionOrder, ProductionOrder.id == Component.order_id)
             .where(ProductionOrder.reversal_of == original_id, Component.reverses_component_id.is_not(None)))
    if except_order_id is not None:
        query = query.where(ProductionOrder.id != except_order_id)
    return [Cover(row_id, status, Decimal(planned), Decimal(produced))
            for row_id, status, planned, produced in db.session.execute(query)]


def left_to_reverse(original_id: int, except_order_id: int | None = None) -> dict[int, Decimal]:
    """Per row of the original: what no reversal (other than `except_order_id`) covers yet."""
    return reversal_rules.remaining(_produced(original_id), _covers(original_id, except_order_id))


def reversal_count(original_id: int) -> int:
    """Reversals of the order, whatever their status (a cancelled one keeps its reference)."""
    return db.session.scalar(select(func.count()).where(ProductionOrder.reversal_of == original_id))


def ensure_reversible(original: ProductionOrder) -> dict[int, Decimal]:
    """What is left per row of a completed order, or InvalidTransition (409)."""
    lifecycle.ensure_can_reverse(original.status, curing=holds.is_held(original))
    left = left_to_reverse(original.id)
    if not reversal_rules.reversible(left):
        raise InvalidTransition("Everything this order produced is already reversed (or being reversed).",
                                {"reversible": False})
    return left


# ---------------------------------------------------------------- edits of a reversal


def check_fields(order: ProductionOrder, new_values: dict) -> None:
    """An edit of a reversal may not change its type, location or sync flag (422)."""
    if order.reversal_of is None:
        return
    problems = {FIXED_ORDER_FIELDS[attr]: FIXED_TEXT for attr, value in new_values.items()
                if attr in FIXED_ORDER_FIELDS and value != getattr(order, attr)}
    if problems:
        raise ValidationFailed("A reversal sends exactly the opposite of what it reverses; "
                               "only its quantities, reference, date and notes can change.", problems)


def refuse_new_row(order: ProductionOrder, path: str = "$") -> None:
    """A reversal's rows come from the original order only."""
    if order.reversal_of is not None:
        raise ValidationFailed("A reversal's rows come from the order it reverses; no row can be added.",
                               {path: "A reversal cannot take new rows."})


def check_rows(order: ProductionOrder, rows: dict[int, tuple[str, dict]]) -> None:
    """Check an edit of a reversal's rows, or ValidationFailed naming each row (422).

    `rows`: component id -> (its path in the request, {attribute: new value}) for the rows the edit
    keeps; rows left out are removed (they cover nothing). Fixed fields must not change, and no
    row may cover more than the other reversals leave of its original row. Locks the original."""
    if order.reversal_of is None:
        return
    by_id = {component.id: component for component in order.components}
    problems, wanted, paths = {}, {}, {}
    for component_id, (path, values) in rows.items():
        component = by_id[component_id]
        for attr, api_name in FIXED_ROW_FIELDS.items():
            if attr in values and values[attr] != getattr(component, attr):
                problems[_at(path, api_name)] = FIXED_TEXT
        planned = values.get("quantity_planned", component.quantity_planned)
        produced = values.get("quantity_produced", component.quantity_produced)
        if component.reverses_component_id is not None:
            wanted[component.reverses_component_id] = reversal_rules.covered(order.status, Decimal(planned),
                                                                            Decimal(produced))
            field = "quantityProduced" if Decimal(produced) > Decimal(planned) else "quantityPlanned"
            paths[component.reverses_component_id] = (_at(path, field), component)
    if problems:
        raise ValidationFailed("Some rows are not valid; nothing was saved.", problems)
    lock_original(order.reversal_of)
    for row_id, left in reversal_rules.overdrawn(left_to_reverse(order.reversal_of, order.id), wanted).items():
        path, component = paths[row_id]
        name = component.title or component.sku or component.variant_id
        problems[path] = (f"at most {_plain(left)} {component.unit} of “{name}” is left to reverse "
                          "(what the original produced, less its other reversals).")
    if problems:
        raise ValidationFailed("A reversal cannot take back more than the original order produced; "
                               "nothing was saved.", problems)


def _at(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


# ---------------------------------------------------------------- the links, for the representation


def links(order: ProductionOrder) -> dict:
    """`reversalOf` (and its reference), `reversedBy`, `reversible` and `leftToReverse`, read fresh: another
    order's writes (a reversal created, edited or completed) change them without this order's version."""
    out = {"reversal_of": order.reversal_of, "reversal_of_reference": None, "reversed_by": [], "reversible": False,
           "left_to_reverse": []}
    if order.reversal_of is not None:
        out["reversal_of_reference"] = db.session.scalar(
            select(ProductionOrder.reference).where(ProductionOrder.id == order.reversal_of,
                                                    ProductionOrder.shop_id == order.shop_id))
    if lifecycle.can_be_reversed(order.status):
        out["reversed_by"] = [
            {"id": order_id, "reference": reference, "status": status}
            for order_id, reference, status in db.session.execute(
                select(ProductionOrder.id, ProductionOrder.reference, ProductionOrder.status)
                .where(ProductionOrder.reversal_of == order.id, ProductionOrder.shop_id == order.shop_id)
                .order_by(ProductionOrder.id))]
        left = left_to_reverse(order.id)
        out["reversible"] = reversal_rules.reversible(left) and not holds.is_held(order)  # see ensure_can_reverse
        out["left_to_reverse"] = [{"component_id": row_id, "quantity": quantity}
                                  for row_id, quantity in sorted(left.items()) if quantity > 0]
    return out
