"""Validation of incoming documents against the Admin GraphQL introspection schema."""

import gzip
import json
from functools import lru_cache

from graphql import GraphQLError, build_client_schema, validate
from graphql.execution.values import get_variable_values


@lru_cache(maxsize=4)
def load_schema(path: str):
    """Build a GraphQLSchema from an introspection JSON file (plain or gzipped); cached per path."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return build_client_schema(data.get("data", data))


def format_error(error: GraphQLError) -> dict:
    """A GraphQL error as Shopify shapes it: message, locations and an extensions code."""
    body = error.formatted
    body.setdefault("extensions", {}).setdefault("code", "GRAPHQL_VALIDATION_FAILED")
    return body


def document_errors(schema, document) -> list[dict]:
    """Validation errors of a parsed document ([] when valid)."""
    return [format_error(error) for error in validate(schema, document)]


def variable_errors(schema, operation, variables: dict) -> list[dict]:
    """Errors coercing `variables` against the operation's declared types ([] when they fit)."""
    result = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(result, list):
        return [dict(format_error(error), extensions={"code": "INVALID_VARIABLE"}) for error in result]
    return []
