"""The audience slice of `openapi/openapi.yaml` (the oracle is `tests.support.openapi_spec`)."""

from __future__ import annotations

from typing import Any

from tests.support.openapi_spec import document, documented_routes, operation, resolve, validator

__all__ = [
    "audience_routes",
    "documented_routes",
    "load_doc",
    "validate_request",
    "validate_response",
]

# The operation tags of the audience routes (the document also holds the push routes).
AUDIENCE_TAGS = frozenset({"attribute-names", "attributes", "tags"})


def load_doc() -> dict[str, Any]:
    return document()


def audience_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of the audience operations (tagged with one of AUDIENCE_TAGS)."""
    return {
        (method, path)
        for method, path in documented_routes()
        if AUDIENCE_TAGS & set(operation(method, path).get("tags", ()))
    }


def validate_response(method: str, path: str, status: int, content_type: str, body: Any) -> None:
    """Raise unless `status` is documented for the route and `body` matches its schema."""
    response = resolve(operation(method, path)["responses"][str(status)])
    validator(response["content"][content_type]["schema"]).validate(body)


def validate_request(method: str, path: str, body: Any) -> None:
    schema = resolve(operation(method, path)["requestBody"])["content"]["application/json"][
        "schema"
    ]
    validator(schema).validate(body)
