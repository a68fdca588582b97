"""Creating and editing production orders: the order's fields and its component rows.

Every write of an order goes through this package: this module (creating and editing),
`transitions` (start, complete, cancel, reverse) and `sync_actions` (settling a stopped push). They
follow one pattern: `queries.lock_order` (the row lock on PostgreSQL, 404 for another shop's id),
then a function that checks `If-Match` (412), asks `lifecycle` what is allowed (409), validates the
input (422), applies it, appends exactly one event and commits through `commits.commit_change`.
"""

from sqlalchemy import insert, select
from sqlalchemy.orm.attributes import set_committed_value

from ..boms.service import active_bom_for_order
from ..db_types import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..shops.models import Shop
from ..validation import parse
from . import lifecycle, reversals
from .commits import check_version, commit_change, duplicate_reference, reference_taken
from .history import Changes, component_snapshot, materials_for_history
from .lifecycle import OrderStatus
from .models import Component, ProductionOrder
from .quantities import check_whole_units
from .row_replacement import ROW_FIELDS, materials_json, plan_rows
from .schemas import (MAX_COMPONENTS_PER_ORDER, ComponentFromBom, ComponentIn, ComponentPatch, OrderCreate,
                      OrderPatch)
from .shopify_ids import IdRef, check_ids, order_refs

ORDER_FIELDS = {  # schema field -> (API name, model attribute), for the fields PATCH may change
    "reference": ("reference", "reference"),
    "type": ("type", "type"),
    "location_id": ("locationId", "location_id"),
    "planned_start_date": ("plannedStartDate", "planned_start_date"),
    "notes": ("notes", "notes"),
    "sync_production_order_to_shopify": ("syncProductionOrderToShopify", "sync_to_shopify"),
    "labour_cost": ("labourCost", "labour_cost"),
    "overhead_cost": ("overheadCost", "overhead_cost"),
    "hold_days": ("holdDays", "hold_days"),
}
COMPONENT_FIELDS = ROW_FIELDS


# ---------------------------------------------------------------- helpers


def _fill_titles(row: dict, catalogue: dict) -> None:
    """A row typed by variant id shows Shopify's product title and SKU rather than a bare id."""
    entry = catalogue.get(row["variant_id"])
    if entry is not None:
        row["title"] = row["title"] or entry.title
        row["sku"] = row["sku"] or entry.sku
    for material in row["materials"]:
        entry = catalogue.get(material["variantId"])
        if entry is not None:
            material["title"] = material.get("title") or entry.title
            material["sku"] = material.get("sku") or entry.sku


def _check_produced_allowed(status: str, row, path: str) -> None:
    # An explicit null records nothing.
    if "quantity_produced" in row.model_fields_set and row.quantity_produced is not None:
        lifecycle.ensure_can_record_produced(status, path)



# ---------------------------------------------------------------- creating and editing


def create_order(shop: Shop, data, *, actor: str) -> ProductionOrder:
    """Create a draft order (with optional component rows) from a request body."""
    body = parse(OrderCreate, data)  # its rows cannot carry produced quantities: a new order is a draft
    if reference_taken(shop, body.reference):
        raise duplicate_reference(body.reference)
    for index, row in enumerate(body.components):
        check_whole_units(row.unit, {f"components[{index}].quantityPlanned": row.quantity_planned})
    rows = [{"variant_id": row.variant_id, "title": row.title, "sku": row.sku, "unit": row.unit,
             "quantity_planned": row.quantity_planned, "materials": materials_json(row.materials)}
            for row in body.components]
    catalogue = check_ids(shop, order_refs(body.location_id, [
        (index, row["variant_id"], row["title"], row["materials"]) for index, row in enumerate(rows)]))
    for row in rows:
        _fill_titles(row, catalogue)
    now = utcnow()
    order = ProductionOrder(
        shop_id=shop.id, reference=body.reference, reference_key=body.reference.lower(),
        type=body.type, status=OrderStatus.DRAFT.value, location_id=body.location_id,
        planned_start_date=body.planned_start_date, notes=body.notes,
        sync_to_shopify=body.sync_production_order_to_shopify, created_at=now, updated_at=now,
        labour_cost=body.labour_cost, overhead_cost=body.overhead_cost, hold_days=body.hold_days,
    )
    db.session.add(order)
    db.session.flush()  # assigns the order's id
    changes = Changes()
    for api_name, attr in ORDER_FIELDS.values():
        changes.record(api_name, None, getattr(order, attr))
    changes.record("status", None, order.status)
    if body.components:
        # One executemany for all rows: the ORM would insert them one by one on SQLite to learn
        # each id, and read them back with one SELECT for the history entry.
        db.session.execute(insert(Component), [
            {"shop_id": shop.id, "order_id": order.id, "quantity_produced": 0, **row} for row in rows])
        rows = db.session.scalars(
            select(Component).where(Component.order_id == order.id).order_by(Component.id)).all()
        changes.record("components", None, [component_snapshot(c) for c in rows])
    set_committed_value(order, "components", list(rows) if body.components else [])
    return commit_change(order, shop, "created", actor, changes, touch=False)  # the INSERT set version 1


def update_order(order: ProductionOrder, shop: Shop, data, *, actor: str, expected_version=None) -> ProductionOrder:
    """Change an order's fields and, with `components`, its whole list of rows: all or nothing.

    A request that changes nothing writes nothing.
    """
    check_version(order, expected_version)
    lifecycle.ensure_editable(order.status)
    body = parse(OrderPatch, data)
    names = body.model_fields_set - {"components"}
    new_values = {ORDER_FIELDS[name][1]: getattr(body, name) for name in names}
    reversals.check_fields(order, new_values)
    flag = new_values.get("sync_to_shopify", order.sync_to_shopify)
    location = new_values.get("location_id", order.location_id)
    lifecycle.check_sync_fields(order.status, flag, location)
    if "reference" in new_values and reference_taken(shop, new_values["reference"], except_id=order.id):
        raise duplicate_reference(new_values["reference"])
    plan = None
    if "components" in body.model_fields_set:
        if body.components is None:
            raise ValidationFailed("components must be the list of the order's rows.",
                                   {"components": "must be a list (send [] to remove every row)."})
        plan = plan_rows(order, body.components)
        if plan.added:
            reversals.refuse_new_row(order, "components")
    refs = list(plan.refs) if plan else []
    if new_values.get("location_id") and new_values["location_id"] != order.location_id:
        refs.insert(0, IdRef("locationId", new_values["location_id"], "Location"))
    catalogue = check_ids(shop, refs)
    if plan is not None:
        kept = {row.id: (f"components[{index}]", {}) for index, row in enumerate(body.components)
                if row.id is not None}
        for component, values in plan.changed:
            kept[component.id][1].update(values)
        reversals.check_rows(order, kept)  # last: it locks the original until the commit

    changes = Changes()
    api_names = {attr: api_name for api_name, attr in ORDER_FIELDS.values()}
    for attr, value in new_values.items():
        if changes.record(api_names[attr], getattr(order, attr), value):
            setattr(order, attr, value)
    if "reference" in changes:
        order.reference_key = order.reference.lower()
    flushed = plan is not None and _apply_rows(order, shop, plan, catalogue, changes)
    if not changes:
        return order
    return commit_change(order, shop, "updated", actor, changes, touch=not flushed)


def _apply_rows(order: ProductionOrder, shop: Shop, plan, catalogue: dict, changes: Changes) -> bool:
    """Apply a whole-form save's rows; True when new rows were flushed (the order's UPDATE with them)."""
    api_names = {attr: api_name for api_name, attr in ROW_FIELDS.items()}
    for component in plan.removed:
        changes.record(f"components.{component.id}", component_snapshot(component), None)
        order.components.remove(component)  # delete-orphan: the row is deleted at flush
    for component, values in plan.changed:
        for attr, value in values.items():
            old, new = getattr(component, attr), value
            if attr == "materials":
                old, new = materials_for_history(old), materials_for_history(new)
            changes.record(f"components.{component.id}.{api_names[attr]}", old, new)
            setattr(component, attr, value)
    added = []
    for row in plan.added:
        _fill_titles(row, catalogue)
        component = Component(shop_id=shop.id, **row)
        order.components.append(component)
        added.append(component)
    if not added:
        return False
    order.updated_at = utcnow()  # one UPDATE of the order (one version), flushed with the new rows
    db.session.flush()
    for component in added:
        changes.record(f"components.{component.id}", None, component_snapshot(component))
    return True


def add_component(order: ProductionOrder, shop: Shop, data, *, actor: str, expected_version=None) -> ProductionOrder:
    """Add a component row to an editable order."""
    check_version(order, expected_version)
    lifecycle.ensure_editable(order.status)
    reversals.refuse_new_row(order)
    from_bom = isinstance(data, dict) and "bomId" in data
    row = parse(ComponentFromBom if from_bom else ComponentIn, data)
    _check_produced_allowed(order.status, row, "quantityProduced")
    if len(order.components) >= MAX_COMPONENTS_PER_ORDER:
        raise ValidationFailed(
            f"An order can have at most {MAX_COMPONENTS_PER_ORDER} component rows.",
            {"$": "too many component rows"},
        )
    if from_bom:
        # A snapshot: later edits or deactivation of the BOM do not change this row.
        bom = active_bom_for_order(shop, row.bom_id)
        variant_id, title, sku = bom.output_variant_id, bom.output_title, bom.output_sku
        materials = [{"variantId": line.variant_id, "title": line.title,
                      "quantityPerUnit": str(line.quantity_per_unit)} for line in bom.lines]
    else:
        variant_id, title, sku, materials = row.variant_id, row.title, row.sku, materials_json(row.materials)
    check_whole_units(row.unit, {"quantityPlanned": row.quantity_planned, "quantityProduced": row.quantity_produced})
    values = {"variant_id": variant_id, "title": title, "sku": sku, "materials": materials}
    _fill_titles(values, check_ids(shop, order_refs(None, [(len(order.components), variant_id, title, materials)],
                                                    prefix="")))
    component = Component(
        shop_id=shop.id, unit=row.unit, quantity_planned=row.quantity_planned,
        quantity_produced=row.quantity_produced or 0, **values,
    )
    order.components.append(component)
    db.session.flush()
    changes = Changes()
    changes.record(f"components.{component.id}", None, component_snapshot(component))
    if from_bom and bom.hold_days > order.hold_days:
        # The BOM's curing time becomes the order's (the longest one, when several BOMs are added).
        changes.record("holdDays", order.hold_days, bom.hold_days)
        order.hold_days = bom.hold_days
    return commit_change(order, shop, "component_added", actor, changes)


def update_component(order, component, shop: Shop, data, *, actor: str, expected_version=None) -> ProductionOrder:
    """Change fields of one component row (PATCH)."""
    check_version(order, expected_version)
    lifecycle.ensure_editable(order.status)
    patch = parse(ComponentPatch, data)
    _check_produced_allowed(order.status, patch, "quantityProduced")
    sent = {attr for attr in COMPONENT_FIELDS.values() if attr in patch.model_fields_set}
    merged = {attr: getattr(patch, attr) if attr in sent else getattr(component, attr)
              for attr in ("unit", "quantity_planned", "quantity_produced")}
    check_whole_units(merged["unit"], {"quantityPlanned": merged["quantity_planned"],
                                       "quantityProduced": merged["quantity_produced"]})
    refs = []
    if "variant_id" in sent and patch.variant_id != component.variant_id:
        refs.append(IdRef("variantId", patch.variant_id, "Variant"))
    if "materials" in sent:
        refs += [IdRef(f"materials[{n}].variantId", m.variant_id, f"Material {n + 1}")
                 for n, m in enumerate(patch.materials)]
    check_ids(shop, refs)
    reversals.check_rows(order, {component.id: ("", {
        attr: materials_json(patch.materials) if attr == "materials" else getattr(patch, attr)
        for attr in sent if attr in reversals.FIXED_ROW_FIELDS or getattr(patch, attr) is not None})})
    changes = Changes()
    for api_name, attr in COMPONENT_FIELDS.items():
        if attr not in patch.model_fields_set:
            continue
        value = materials_json(patch.materials) if attr == "materials" else getattr(patch, attr)
        old, new = getattr(component, attr), value
        if attr == "materials":
            old, new = materials_for_history(old), materials_for_history(new)
        if changes.record(f"components.{component.id}.{api_name}", old, new):
            setattr(component, attr, value)
    if not changes:
        return order
    return commit_change(order, shop, "component_updated", actor, changes)


def remove_component(order, component, shop: Shop, *, actor: str, expected_version=None) -> ProductionOrder:
    """Delete one component row."""
    check_version(order, expected_version)
    lifecycle.ensure_editable(order.status)
    changes = Changes()
    changes.record(f"components.{component.id}", component_snapshot(component), None)
    order.components.remove(component)  # delete-orphan: the row is deleted at flush
    return commit_change(order, shop, "component_removed", actor, changes)
