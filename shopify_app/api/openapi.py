"""The OpenAPI 3.1 document, derived from the registered operations and their pydantic models."""

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..db_types import MAX_ID
from .http import IF_MATCH_PATTERN
from .registry import OPERATIONS, Operation

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_REF = "#/components/schemas/{model}"
_ERROR_TEXT = {
    400: "The body is not a JSON object",
    401: "Missing or invalid session token",
    404: "Unknown id, or another shop's",
    409: "Not allowed in the order's current status",
    412: "If-Match does not name the current version",
    413: "The body is larger than 1 MiB",
    415: "The body is not of the content type this operation reads",
    422: "Invalid input; details are keyed by JSON path",
    429: "Too many requests for this shop; see Retry-After",
    503: "The database, or Shopify where the operation asks it, is unreachable; see Retry-After",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(BaseModel):
    error: ErrorBody


def _path(rule: str) -> tuple[str, list[dict]]:
    params = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "id" else {"type": "string"}}
        for converter, name in _PARAM.findall(rule)
    ]
    return "/api" + _PARAM.sub(r"{\2}", rule), params


def _without_null(prop: dict) -> dict:
    # A query string cannot carry null: an optional parameter is simply left out.
    prop = {k: v for k, v in prop.items() if not (k == "default" and v is None)}
    branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
    return {**prop, **branches[0]} if len(branches) == 1 else ({**prop, "anyOf": branches} if branches else prop)


def _query_params(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(by_alias=True)
    return [
        {"name": name, "in": "query", "required": False, "schema": _without_null(prop)}
        for name, prop in schema["properties"].items()
    ]


def _operation(op: Operation, refs: dict) -> dict:
    path_params = _path(op.rule)[1]
    doc: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api."),
        "summary": op.summary,
        "parameters": path_params + (_query_params(op.query) if op.query else []),
        "responses": {},
    }
    if not op.public:
        doc["security"] = [{"sessionToken": []}]
    if op.conditional:
        doc["parameters"].append({"name": "If-Match", "in": "header", "required": False,
                                  "schema": {"type": "string", "pattern": IF_MATCH_PATTERN, "example": '"3"'}})
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    if op.body_media is not None:
        doc["requestBody"] = {"required": True, "content": {op.body_media: {"schema": {"type": "string"}}}}
    success: dict[str, Any] = {"description": "OK"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": refs[(op.response, "serialization")]}}
    elif op.media != "application/json":
        success["content"] = {op.media: {"schema": {"type": "string"}}}
    if op.headers:
        success["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                              for name, text in op.headers.items()}
    doc["responses"][str(op.status)] = success
    error_codes = set(op.errors) | ({401, 429} if not op.public else set()) | {503}
    if op.body is not None or op.body_media is not None:
        error_codes |= {400, 413}
    for code in sorted(error_codes):
        doc["responses"][str(code)] = {"description": _ERROR_TEXT[code], "content": {
            "application/json": {"schema": {"$ref": _REF.format(model="ErrorOut")}}}}
    return doc


def build_document(title: str, version: str) -> dict:
    """The whole OpenAPI document for the registered operations."""
    models = {(ErrorOut, "serialization")}
    for op in OPERATIONS:
        if op.body is not None:
            models.add((op.body, "validation"))
        if op.response is not None:
            models.add((op.response, "serialization"))
    refs, definitions = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                           ref_template=_REF, by_alias=True)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path, _ = _path(op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"sessionToken": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A Shopify App Bridge session token",
            }},
        },
    }
