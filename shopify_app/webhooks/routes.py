"""POST /webhooks: verify, check the body confirms the headers, deduplicate, dispatch, answer fast."""

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import AuthenticationFailed
from ..extensions import db
from .delivery import Delivery, parse_delivery, read_body
from .handlers import HANDLERS
from .models import WebhookDelivery
from .trust import reason_to_ignore
from .verify import webhook_is_authentic

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)


def _seen_before(delivery: Delivery) -> bool:
    """A repeated X-Shopify-Webhook-Id (a retry) or X-Shopify-Event-Id (the same event again)."""
    seen = WebhookDelivery.webhook_id == delivery.webhook_id
    if delivery.event_id is not None:
        seen = or_(seen, WebhookDelivery.event_id == delivery.event_id)
    return db.session.scalar(select(WebhookDelivery.webhook_id).where(seen).limit(1)) is not None


@bp.post("/webhooks")
def receive():
    config = current_app.config
    body = read_body()  # the raw bytes, before anything parses them
    secrets = [config["SHOPIFY_API_SECRET"], config["SHOPIFY_API_SECRET_PREVIOUS"]]
    if not webhook_is_authentic(body, request.headers.get("X-Shopify-Hmac-Sha256"), secrets):
        raise AuthenticationFailed("The webhook signature does not match.")
    delivery = parse_delivery(body)
    ignored = reason_to_ignore(delivery.topic, delivery.shop_domain, delivery.payload)
    if ignored is not None:
        # Acknowledged (Shopify must not retry it) and not remembered: a genuine delivery with
        # these ids may still come.
        log.warning("webhook %s %s for %s ignored: %s", delivery.webhook_id, delivery.topic,
                    delivery.shop_domain, ignored)
        return jsonify({"status": ignored})
    if _seen_before(delivery):
        return jsonify({"status": "duplicate"})

    handler = HANDLERS.get(delivery.topic)
    if handler is None:
        log.info("webhook topic %s from %s has no handler; acknowledged", delivery.topic, delivery.shop_domain)
        outcome = "unhandled_topic"
    else:
        outcome = handler(delivery)
    db.session.add(WebhookDelivery(webhook_id=delivery.webhook_id, event_id=delivery.event_id,
                                   topic=delivery.topic, shop_domain=delivery.shop_domain, outcome=outcome))
    try:
        db.session.commit()
    except IntegrityError:
        # The same delivery or event, retried while we processed it, committed first.
        db.session.rollback()
        return jsonify({"status": "duplicate"})
    log.info("webhook %s %s from %s: %s", delivery.webhook_id, delivery.topic, delivery.shop_domain, outcome)
    return jsonify({"status": outcome})
