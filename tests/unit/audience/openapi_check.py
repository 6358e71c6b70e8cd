"""Read `openapi/openapi.yaml` and validate bodies against its schemas (JSON Schema 2020-12)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

DOC = Path(__file__).resolve().parents[3] / "openapi" / "openapi.yaml"
METHODS = ("get", "put", "post", "patch", "delete")
# The operation tags of the audience routes (the document also holds the push routes).
AUDIENCE_TAGS = frozenset({"attribute-names", "attributes", "tags"})


@cache
def load_doc() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DOC.read_text("utf-8"))
    return data


def documented_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the document."""
    return {
        (method.upper(), path)
        for path, item in load_doc()["paths"].items()
        for method in METHODS
        if method in item
    }


def audience_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of the audience operations (tagged with one of AUDIENCE_TAGS)."""
    paths = load_doc()["paths"]
    return {
        (method, path)
        for method, path in documented_routes()
        if AUDIENCE_TAGS & set(paths[path][method.lower()].get("tags", ()))
    }


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = load_doc()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _validate(schema: dict[str, Any], body: Any) -> None:
    root = {**schema, "components": load_doc()["components"]}
    Draft202012Validator(root).validate(body)


def validate_response(method: str, path: str, status: int, content_type: str, body: Any) -> None:
    """Raise unless `status` is documented for the route and `body` matches its schema."""
    operation = load_doc()["paths"][path][method.lower()]
    response = _resolve(operation["responses"][str(status)])
    _validate(response["content"][content_type]["schema"], body)


def validate_request(method: str, path: str, body: Any) -> None:
    operation = load_doc()["paths"][path][method.lower()]
    _validate(operation["requestBody"]["content"]["application/json"]["schema"], body)
