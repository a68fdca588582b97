"""GET /healthz: the process is up and its database answers (for load balancers)."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    # A failing query raises OperationalError, which the error handlers turn into a 503.
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return jsonify({"status": "ok", "database": "ok"})
