"""API routes declared once, with what they accept and return, so the OpenAPI document is derived."""

from dataclasses import dataclass, field

from pydantic import BaseModel

from . import bp


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # the Flask rule relative to /api, e.g. "/production-orders/<id:order_id>"
    endpoint: str
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    headers: dict = field(default_factory=dict)
    public: bool = False
    conditional: bool = False  # reads If-Match (optimistic concurrency on the order)
    media: str = "application/json"  # of the success body; another type is documented as text
    body_media: str | None = None  # a request body that is not JSON (e.g. text/csv)


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, *, summary: str, **spec):
    """Register a view on the API blueprint and record its contract for the OpenAPI document."""

    def decorator(view):
        OPERATIONS.append(Operation(method=method, rule=rule, endpoint=f"api.{view.__name__}",
                                    summary=summary, **spec))
        return bp.route(rule, methods=[method], endpoint=view.__name__)(view)

    return decorator
