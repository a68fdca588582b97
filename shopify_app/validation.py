"""Turn untrusted JSON into validated pydantic models, or one `ValidationFailed` keyed by JSON path."""

from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from .errors import ValidationFailed
from .fields import LOCATION_GID_PATTERN, NO_NUL_PATTERN, TRIMMED_PATTERN, VARIANT_GID_PATTERN

M = TypeVar("M", bound=BaseModel)


def _omit_sentinel_defaults(schema: dict) -> None:
    # PATCH models use None as "not sent"; a documented default of null for a field that may not
    # be null would contradict its own type, so the schema leaves the default out.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and "anyOf" not in prop:
            del prop["default"]


class RequestModel(BaseModel):
    """Base of every request body: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_alias=True, validate_by_name=False,
        extra="forbid", json_schema_extra=_omit_sentinel_defaults,
    )

    # Fields a client sees in responses but may not send here, with the reason the error gives.
    not_writable: ClassVar[dict[str, str]] = {}


_PATTERN_MESSAGES = {
    TRIMMED_PATTERN: "must not be blank or start or end with spaces.",
    NO_NUL_PATTERN: "must not contain the NUL character.",
    VARIANT_GID_PATTERN: "must be a product variant id like gid://shopify/ProductVariant/123.",
    LOCATION_GID_PATTERN: "must be a location id like gid://shopify/Location/123.",
}


def json_path(loc: tuple) -> str:
    """('components', 0, 'quantityPlanned') -> 'components[0].quantityPlanned'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "$"


def _message(error: dict, model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":
        name = error["loc"][-1]
        if len(error["loc"]) == 1 and name in model.not_writable:
            return model.not_writable[name]
        return "is not a known field."
    if error["type"] == "missing":
        return "is required."
    if error["type"] == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(error.get("ctx", {}).get("pattern"), error["msg"])
    message = error["msg"]
    # pydantic prefixes custom messages with "Value error, "; the path already says what.
    return message.removeprefix("Value error, ")


def parse(model: type[M], data) -> M:
    """Validate `data` against `model`, raising ValidationFailed with every problem found."""
    if not isinstance(data, dict):
        raise ValidationFailed("The request body must be a JSON object.", {"$": "must be an object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = {}
        for error in exc.errors():
            details.setdefault(json_path(error["loc"]), _message(error, model))
        raise ValidationFailed("Some fields are not valid; see details.", details) from None
