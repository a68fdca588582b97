"""The rows of a whole-form save (PATCH …/{id} with `components`): what is added, changed and removed.

Pure planning over the loaded order and the validated request: every problem of every row is
collected into one 422, so a save is refused as a whole before anything is written.
"""

from dataclasses import dataclass, field

from ..errors import ValidationFailed
from . import lifecycle
from .models import Component, ProductionOrder
from .quantities import whole_unit_problems
from .schemas import MAX_COMPONENTS_PER_ORDER
from .shopify_ids import IdRef, order_refs

# API name -> model attribute, in the order history records them.
ROW_FIELDS = {"variantId": "variant_id", "title": "title", "sku": "sku", "unit": "unit",
              "quantityPlanned": "quantity_planned", "quantityProduced": "quantity_produced",
              "materials": "materials"}


def materials_json(materials) -> list[dict]:
    """Materials as stored: quantities as exact strings inside JSON."""
    return [{"variantId": m.variant_id, "title": m.title, "sku": m.sku, "quantityPerUnit": str(m.quantity_per_unit)}
            for m in materials]


@dataclass
class RowPlan:
    """What the save does to the order's rows."""

    changed: list[tuple[Component, dict]] = field(default_factory=list)  # row, {attribute: new value}
    added: list[dict] = field(default_factory=list)                       # column values of new rows
    removed: list[Component] = field(default_factory=list)
    refs: list[IdRef] = field(default_factory=list)                       # ids Shopify must confirm


def _sent(row, attribute: str):
    value = getattr(row, attribute)
    return materials_json(value) if attribute == "materials" and value is not None else value


def plan_rows(order: ProductionOrder, rows) -> RowPlan:
    """Match the request's rows to the order's, or ValidationFailed listing every problem."""
    existing = {component.id: component for component in order.components}
    plan, problems, seen = RowPlan(), {}, set()
    if len(rows) > MAX_COMPONENTS_PER_ORDER:
        problems["components"] = f"at most {MAX_COMPONENTS_PER_ORDER} rows"
    for index, row in enumerate(rows):
        path = f"components[{index}]"
        sent = {attribute for attribute in ROW_FIELDS.values() if attribute in row.model_fields_set
                and getattr(row, attribute) is not None}
        if "quantity_produced" in sent and order.status != lifecycle.OrderStatus.IN_PROGRESS:
            problems[f"{path}.quantityProduced"] = "can be recorded only once the order has started."
        if row.id is not None:
            component = existing.get(row.id)
            if component is None or row.id in seen:
                problems[f"{path}.id"] = ("names the same row twice." if row.id in seen
                                          else "no such row on this order.")
                continue
            seen.add(row.id)
            values = {attribute: _sent(row, attribute) for attribute in sent
                      if _sent(row, attribute) != getattr(component, attribute)}
            merged = {attribute: values.get(attribute, getattr(component, attribute)) for attribute in ROW_FIELDS.values()}
            if values:
                plan.changed.append((component, values))
            if "variant_id" in values or "materials" in values:
                materials = merged["materials"] if "materials" in values else []
                refs = order_refs(None, [(index, merged["variant_id"], merged["title"], materials)])
                plan.refs += refs if "variant_id" in values else refs[1:]
        else:
            for api_name, attribute in (("variantId", "variant_id"), ("quantityPlanned", "quantity_planned")):
                if attribute not in sent:
                    problems[f"{path}.{api_name}"] = "is required for a new row."
            merged = {"variant_id": row.variant_id, "title": row.title or "", "sku": row.sku or "",
                      "unit": row.unit or "pcs", "quantity_planned": row.quantity_planned,
                      "quantity_produced": row.quantity_produced or 0,
                      "materials": _sent(row, "materials") or []}
            if row.variant_id is not None:
                plan.added.append(merged)
                plan.refs += order_refs(None, [(index, merged["variant_id"], merged["title"], merged["materials"])])
        problems.update(whole_unit_problems(merged["unit"], {
            f"{path}.quantityPlanned": merged["quantity_planned"],
            f"{path}.quantityProduced": merged["quantity_produced"]}))
    plan.removed = [component for component in order.components if component.id not in seen]
    if problems:
        raise ValidationFailed("Some rows are not valid; nothing was saved.", problems)
    return plan
