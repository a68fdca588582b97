"""CSV export of the order list and of the BOMs, and the BOM import (SPEC §11)."""

from flask import Response, current_app, jsonify, request, stream_with_context

from ..boms import service as bom_service
from ..boms.export import HEADER as BOM_HEADER, bom_rows
from ..boms.importing import decode, plan_import
from ..boms.schemas import BomLineOut
from ..csv_cells import stream_csv
from ..errors import PayloadTooLarge, UnsupportedMediaType
from ..production import availability
from ..production.export import HEADER as ORDER_HEADER, order_rows
from ..production.representations import ResponseModel
from ..shops.scoping import current_shop
from ..validation import parse
from .orders import ListQuery
from .registry import operation

CSV_TYPE = "text/csv"
_READ_SIZE = 64 * 1024


class ImportedBomOut(ResponseModel):
    id: int | None  # null in a preview: nothing was created
    name: str
    output_variant_id: str
    output_title: str
    output_sku: str
    hold_days: int
    lines: list[BomLineOut]


class ImportOut(ResponseModel):
    boms: list[ImportedBomOut]


def _csv_response(header: list[str], rows, filename: str) -> Response:
    # stream_with_context keeps the request (and its database session) open while rows are read.
    return Response(stream_with_context(stream_csv(header, rows)), mimetype=CSV_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@operation("GET", "/production-orders.csv", summary="The order list as CSV, one row per component (same filters)",
           query=ListQuery, media=CSV_TYPE, errors=(422, 503))
def export_orders_csv():
    query = parse(ListQuery, request.args.to_dict())
    shop = current_shop()
    # Shopify is asked before the first byte, so its failure is still a clean 503.
    among = availability.short_draft_ids(shop, query.q) if query.shortage == "true" else None
    return _csv_response(ORDER_HEADER, order_rows(shop, status=query.status, q=query.q, among=among,
                                                  hold=query.hold),
                         "production-orders.csv")


@operation("GET", "/boms.csv", summary="The bills of materials as CSV, one row per line", media=CSV_TYPE)
def export_boms_csv():
    return _csv_response(BOM_HEADER, bom_rows(current_shop()), "boms.csv")


def _csv_body() -> bytes:
    """The request body as bytes: text/csv in UTF-8, at most BOM_IMPORT_MAX_BYTES (chunked or not)."""
    mimetype, charset = request.mimetype, request.mimetype_params.get("charset", "utf-8").lower()
    if mimetype not in (CSV_TYPE, "text/plain") or charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Send the file as Content-Type: text/csv in UTF-8.",
                                   {"Content-Type": (request.content_type or "")[:100]})
    limit = current_app.config["BOM_IMPORT_MAX_BYTES"]
    message = f"The file is larger than {limit} bytes; split it into smaller files."
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(message)  # refused before reading a byte
    request.max_content_length = limit + 1
    chunks, size = [], 0
    while chunk := request.stream.read(_READ_SIZE):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(message)
    return b"".join(chunks)


def _import_json(boms, ids) -> dict:
    """What was (or would be) created: each BOM with its resolved variants, titles and SKUs."""
    return ImportOut(boms=[ImportedBomOut(
        id=bom_id, name=bom.name, output_variant_id=bom.output_variant_id, output_title=bom.output_title,
        output_sku=bom.output_sku, hold_days=bom.hold_days,
        lines=[{"variant_id": line.variant_id, "title": line.title, "sku": line.sku or "",
                "quantity_per_unit": line.quantity_per_unit} for line in bom.lines],
    ) for bom, bom_id in zip(boms, ids)]).model_dump(mode="json")


def _checked_plan():
    shop = current_shop()
    plan = plan_import(shop, decode(_csv_body()))
    plan.refuse_if_any()
    return shop, plan


@operation("POST", "/boms/import/preview", summary="What a BOM CSV file would create, or every problem by line",
           body_media=CSV_TYPE, response=ImportOut, errors=(413, 415, 422))
def preview_boms_import():
    _, plan = _checked_plan()
    return jsonify(_import_json(plan.boms, [None] * len(plan.boms)))


@operation("POST", "/boms/import", summary="Create BOMs from a CSV file: all of them or none",
           body_media=CSV_TYPE, response=ImportOut, status=201, errors=(413, 415, 422))
def import_boms_csv():
    shop, plan = _checked_plan()
    boms = bom_service.create_boms(shop, plan.boms)
    return jsonify(_import_json(boms, [bom.id for bom in boms])), 201
