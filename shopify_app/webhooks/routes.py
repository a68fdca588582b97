"""POST /webhooks: verify, deduplicate, dispatch, answer fast."""

import json
import logging
import re
from datetime import datetime

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from ..errors import BadRequest, AuthenticationFailed
from ..extensions import db
from .handlers import HANDLERS, Delivery
from .models import WebhookDelivery
from .verify import webhook_is_authentic

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

_FRACTION = re.compile(r"(\.\d{6})\d+")


def _parse_time(value: str | None) -> datetime | None:
    # Shopify sends nanoseconds; Python keeps microseconds.
    if not value:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00"))
    except ValueError:
        return None


def _delivery() -> Delivery:
    headers = request.headers
    try:
        payload = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise BadRequest("The webhook body is not JSON.") from None
    return Delivery(
        topic=headers.get("X-Shopify-Topic", ""),
        shop_domain=headers.get("X-Shopify-Shop-Domain", "").lower(),
        webhook_id=headers.get("X-Shopify-Webhook-Id", ""),
        triggered_at=_parse_time(headers.get("X-Shopify-Triggered-At")),
        payload=payload if isinstance(payload, dict) else {},
    )


@bp.post("/webhooks")
def receive():
    config = current_app.config
    body = request.get_data(cache=True)  # the raw bytes, before anything parses them
    secrets = [config["SHOPIFY_API_SECRET"], config["SHOPIFY_API_SECRET_PREVIOUS"]]
    if not webhook_is_authentic(body, request.headers.get("X-Shopify-Hmac-Sha256"), secrets):
        raise AuthenticationFailed("The webhook signature does not match.")
    delivery = _delivery()
    if not delivery.webhook_id or not delivery.topic or not delivery.shop_domain:
        raise BadRequest("The webhook is missing its topic, shop or id headers.")
    if db.session.get(WebhookDelivery, delivery.webhook_id) is not None:
        return jsonify({"status": "duplicate"})

    handler = HANDLERS.get(delivery.topic)
    if handler is None:
        log.info("webhook topic %s from %s has no handler; acknowledged", delivery.topic, delivery.shop_domain)
        outcome = "unhandled_topic"
    else:
        outcome = handler(delivery)
    db.session.add(WebhookDelivery(webhook_id=delivery.webhook_id, topic=delivery.topic,
                                   shop_domain=delivery.shop_domain, outcome=outcome))
    try:
        db.session.commit()
    except IntegrityError:
        # The same delivery, retried while we processed it, committed first.
        db.session.rollback()
        return jsonify({"status": "duplicate"})
    log.info("webhook %s %s from %s: %s", delivery.webhook_id, delivery.topic, delivery.shop_domain, outcome)
    return jsonify({"status": outcome})
