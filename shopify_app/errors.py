"""The one error type of the app. Everything a client can get wrong ends up as one of these.

Pure Python: the domain raises them, `error_handlers` renders them as SPEC §3's JSON shape.
"""


class AppError(Exception):
    """An error with a stable machine code, an HTTP status and a sentence for humans."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: dict | None = None, *, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def to_dict(self) -> dict:
        """The body of the error response."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class Unauthorized(AppError):
    status, code = 401, "unauthorized"

    def __init__(self, message: str = "A valid Shopify session token is required.", details=None):
        # App Bridge fetches a fresh session token and retries when it sees this header.
        super().__init__(message, details, headers={"X-Shopify-Retry-Invalid-Session-Request": "1"})


class AuthenticationFailed(AppError):
    """401 for a webhook or an OAuth redirect: no session token involved, so no App Bridge retry header."""

    status, code = 401, "unauthorized"


class NotFound(AppError):
    status, code = 404, "not_found"


class MalformedJSON(AppError):
    status, code = 400, "malformed_json"


class BadRequest(AppError):
    status, code = 400, "bad_request"


class VersionMismatch(AppError):
    status, code = 412, "version_mismatch"


class InvalidTransition(AppError):
    status, code = 409, "invalid_transition"


class ReadOnly(AppError):
    status, code = 409, "read_only"


class Conflict(AppError):
    status, code = 409, "conflict"


class ValidationFailed(AppError):
    status, code = 422, "validation_failed"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class RateLimited(AppError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"
