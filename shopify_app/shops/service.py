"""Reading and changing shops and their settings."""

from sqlalchemy import select

from ..extensions import db
from ..fields import CostUpdate, LocationGID, ShortagePolicy, SyncMode
from ..sync import outbox
from ..validation import RequestModel, parse
from .models import Shop, ShopSettings


class SettingsIn(RequestModel):
    """PUT /api/settings replaces the three original fields (none may be left out); the ones
    added later (SPEC §1) are optional and keep their stored value when left out."""

    sync_production_orders_to_shopify_by_default: bool
    default_location_id: LocationGID | None
    sync_mode: SyncMode
    cost_update: CostUpdate = None
    shortage_policy: ShortagePolicy = None
    planned_output_as_incoming: bool = None

    model_config = {**RequestModel.model_config, "strict": True}


def find_installed_shop(domain: str) -> Shop | None:
    """The shop with this domain, if the app is currently installed there."""
    shop = db.session.scalars(select(Shop).where(Shop.domain == domain)).one_or_none()
    return shop if shop is not None and shop.is_installed else None


def create_shop(domain: str, *, installed_at) -> Shop:
    """A new shop row with default settings (the caller commits)."""
    shop = Shop(domain=domain, installed_at=installed_at)
    shop.settings = ShopSettings(sync_by_default=False, sync_mode="on_complete", cost_update="off",
                                 shortage_policy="warn",
                                 planned_output_as_incoming=False)
    db.session.add(shop)
    return shop


def update_settings(shop: Shop, data) -> ShopSettings:
    """Replace the shop's settings with a validated request body."""
    body = parse(SettingsIn, data)
    settings = shop.settings
    switching_to_live = settings.sync_mode != "live" and body.sync_mode == "live"
    settings.sync_by_default = body.sync_production_orders_to_shopify_by_default
    settings.default_location_id = body.default_location_id
    settings.sync_mode = body.sync_mode
    if body.cost_update is not None:
        settings.cost_update = body.cost_update
    if body.shortage_policy is not None:
        settings.shortage_policy = body.shortage_policy
    if body.planned_output_as_incoming is not None:
        # Orders already started keep what they decided at start (SPEC §10).
        settings.planned_output_as_incoming = body.planned_output_as_incoming
    if switching_to_live:
        outbox.queue_live_pushes(shop.id)
    db.session.commit()
    return settings
