"""/api/boms: reusable bills of materials."""

from flask import jsonify, request

from ..boms import service
from ..boms.schemas import BomIn, BomListOut, BomOut, BomPatch
from ..costing.blocks import bom_costs
from ..shops.scoping import current_shop
from .http import json_body
from .registry import operation

BOM = "/boms/<id:bom_id>"


def bom_json(bom, costs: dict | None = None) -> dict:
    """A BOM as the API shows it (`costs` from costing.blocks.bom_costs, when read for many)."""
    cost, currency = (costs if costs is not None else bom_costs(bom.shop_id, [bom]))[bom.id]
    return BomOut(
        estimated_unit_cost=cost, cost_currency=currency,
        id=bom.id, name=bom.name, output_variant_id=bom.output_variant_id, output_title=bom.output_title,
        output_sku=bom.output_sku, active=bom.active, hold_days=bom.hold_days,
        created_at=bom.created_at, updated_at=bom.updated_at,
        lines=[{"variant_id": line.variant_id, "title": line.title, "sku": line.sku,
                "quantity_per_unit": line.quantity_per_unit} for line in bom.lines],
    ).model_dump(mode="json")


@operation("GET", "/boms", summary="The shop's bills of materials (activeOnly=true for the order form)",
           response=BomListOut)
def list_boms():
    active = True if request.args.get("activeOnly") == "true" else None
    boms = service.list_boms(current_shop(), active=active)
    costs = bom_costs(current_shop().id, boms)
    return jsonify({"items": [bom_json(b, costs) for b in boms]})


@operation("POST", "/boms", summary="Create a bill of materials", body=BomIn, response=BomOut, status=201,
           errors=(400, 422))
def create_bom():
    bom = service.create_bom(current_shop(), json_body())
    return jsonify(bom_json(bom)), 201


@operation("GET", BOM, summary="One bill of materials", response=BomOut, errors=(404,))
def get_bom(bom_id: int):
    return jsonify(bom_json(service.get_bom(current_shop(), bom_id)))


@operation("PATCH", BOM, summary="Edit a bill of materials (lines, when sent, replace all lines)",
           body=BomPatch, response=BomOut, errors=(400, 404, 422))
def update_bom(bom_id: int):
    bom = service.get_bom(current_shop(), bom_id)
    return jsonify(bom_json(service.update_bom(bom, json_body())))


@operation("DELETE", BOM, summary="Delete a bill of materials (orders keep their snapshots)", status=204,
           errors=(404,))
def delete_bom(bom_id: int):
    service.delete_bom(service.get_bom(current_shop(), bom_id))
    return "", 204
