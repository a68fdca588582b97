"""The only code that writes bills of materials; every query is scoped to the shop."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db_types import utcnow
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..shops.models import Shop
from ..validation import parse
from .models import Bom, BomLine
from .schemas import BomIn, BomPatch


def get_bom(shop: Shop, bom_id: int) -> Bom:
    """One BOM of `shop` with its lines, or NotFound (also for another shop's id)."""
    # bom_id is in range: a path id passed IdConverter, a bomId the Id field.
    bom = db.session.scalars(
        select(Bom).where(Bom.id == bom_id, Bom.shop_id == shop.id).options(selectinload(Bom.lines))
    ).one_or_none()
    if bom is None:
        raise NotFound("No bill of materials with this id.", {"id": bom_id})
    return bom


def list_boms(shop: Shop, *, active: bool | None = None) -> list[Bom]:
    """The shop's BOMs by name."""
    query = select(Bom).where(Bom.shop_id == shop.id).options(selectinload(Bom.lines)).order_by(Bom.name, Bom.id)
    if active is not None:
        query = query.where(Bom.active.is_(active))
    return db.session.scalars(query).all()


def _check_lines(output_variant_id: str, lines) -> None:
    problems = {}
    seen = set()
    for index, line in enumerate(lines):
        if line.variant_id == output_variant_id:
            problems[f"lines[{index}].variantId"] = "is the BOM's own output; a product cannot consume itself."
        elif line.variant_id in seen:
            problems[f"lines[{index}].variantId"] = "repeats a material; list each variant once."
        seen.add(line.variant_id)
    if problems:
        raise ValidationFailed("Some lines of the bill of materials are not valid; see details.", problems)


def _set_lines(bom: Bom, lines, known_skus: dict | None = None) -> None:
    known_skus = known_skus or {}
    bom.lines = [BomLine(position=i, variant_id=line.variant_id, title=line.title,
                         sku=line.sku if line.sku is not None else known_skus.get(line.variant_id, ""),
                         quantity_per_unit=line.quantity_per_unit) for i, line in enumerate(lines)]


def check_bom(data) -> BomIn:
    """A new BOM's body validated by every rule a BOM must meet, or ValidationFailed keyed by JSON path."""
    body = parse(BomIn, data)
    _check_lines(body.output_variant_id, body.lines)
    return body


def _add_bom(shop: Shop, body: BomIn) -> Bom:
    now = utcnow()
    bom = Bom(shop_id=shop.id, name=body.name, output_variant_id=body.output_variant_id,
              output_title=body.output_title, output_sku=body.output_sku, active=body.active,
              hold_days=body.hold_days, created_at=now, updated_at=now)
    _set_lines(bom, body.lines)
    db.session.add(bom)
    return bom


def create_bom(shop: Shop, data) -> Bom:
    """Create a BOM from a request body."""
    bom = _add_bom(shop, check_bom(data))
    db.session.commit()
    return bom


def create_boms(shop: Shop, bodies: list[BomIn]) -> list[Bom]:
    """Create several checked BOMs (from `check_bom`) in one transaction: all of them or none."""
    boms = [_add_bom(shop, body) for body in bodies]
    db.session.commit()
    return boms


def existing_names(shop: Shop, names) -> set[str]:
    """Which of `names` the shop's BOMs already use."""
    names = list(set(names))
    if not names:
        return set()
    return set(db.session.scalars(select(Bom.name).where(Bom.shop_id == shop.id, Bom.name.in_(names))))


def update_bom(bom: Bom, data) -> Bom:
    """Change a BOM. Orders that already used it keep their snapshot of its lines."""
    body = parse(BomPatch, data)
    sent = body.model_fields_set
    output = body.output_variant_id if "output_variant_id" in sent else bom.output_variant_id
    lines = body.lines if "lines" in sent else bom.lines
    _check_lines(output, lines)
    for field in ("name", "output_variant_id", "output_title", "output_sku", "active", "hold_days"):
        if field in sent:
            setattr(bom, field, getattr(body, field))
    if "lines" in sent:
        known_skus = {line.variant_id: line.sku for line in bom.lines}
        bom.lines.clear()
        db.session.flush()  # the (bom, variant) unique constraint must not see old and new lines at once
        _set_lines(bom, body.lines, known_skus)
    bom.updated_at = utcnow()
    db.session.commit()
    return bom


def delete_bom(bom: Bom) -> None:
    """Delete a BOM; orders built from it are unaffected (they hold snapshots)."""
    db.session.delete(bom)
    db.session.commit()


def active_bom_for_order(shop: Shop, bom_id: int) -> Bom:
    """The BOM a component is being added from: it must be this shop's and active."""
    try:
        bom = get_bom(shop, bom_id)
    except NotFound:
        raise ValidationFailed("No bill of materials with this id.", {"bomId": "does not exist in this shop."}) from None
    if not bom.active:
        raise ValidationFailed("This bill of materials is inactive; activate it before using it.",
                               {"bomId": "is inactive."})
    return bom
