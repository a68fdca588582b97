"""The shop's settings screen."""

from flask import jsonify

from ..production.representations import SettingsOut, settings_json
from ..shops import service
from ..shops.scoping import current_shop
from .http import json_body
from .registry import operation


@operation("GET", "/settings", summary="The shop's settings", response=SettingsOut)
def get_settings():
    return jsonify(settings_json(current_shop().settings))


@operation("PUT", "/settings", summary="Replace the shop's settings", body=service.SettingsIn,
           response=SettingsOut, errors=(400, 422))
def put_settings():
    shop = current_shop()
    return jsonify(settings_json(service.update_settings(shop, json_body())))
