"""The committed OpenAPI document as a response oracle: is this answer documented, exactly?

Shared by the contract, audience and fuzz tests. JSON Schema 2020-12, as
OpenAPI 3.1 uses it; `$ref`s point into the document's `components`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from openapi.generate import load

METHODS = ("get", "put", "post", "patch", "delete")


@cache
def document() -> dict[str, Any]:
    """`openapi/openapi.yaml`, parsed once per process."""
    return load()


def documented_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the document."""
    return {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in METHODS
        if method in item
    }


def operation(method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = document()["paths"][path][method.lower()]
    return op


def resolve(node: Mapping[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s (local ones only) to the node they name."""
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return dict(node)


def validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """A validator for `schema` whose `$ref`s resolve against the document's components."""
    return Draft202012Validator({**schema, "components": document()["components"]})


def request_schema(method: str, path: str) -> dict[str, Any]:
    body = resolve(operation(method, path)["requestBody"])
    schema: dict[str, Any] = body["content"]["application/json"]["schema"]
    return schema


def response_problems(
    method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
) -> list[str]:
    """Why this answer breaks the document (empty when it matches). `headers` keys lowercase."""
    responses = operation(method, path)["responses"]
    if str(status) not in responses:
        return [f"undocumented status {status}: {body[:300]!r}"]
    response = resolve(responses[str(status)])
    problems = _header_problems(response, headers)
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if content_type not in response.get("content", {}):
        return [*problems, f"{status} with undocumented content type {content_type!r}"]
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [*problems, f"{status} body is not UTF-8 JSON ({exc}): {body[:300]!r}"]
    schema = response["content"][content_type]["schema"]
    errors = sorted(validator(schema).iter_errors(data), key=lambda e: list(e.path))
    return problems + [f"{status} body: {e.message} at {list(e.path)}" for e in errors]


def _header_problems(response: Mapping[str, Any], headers: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for name, ref in response.get("headers", {}).items():
        header = resolve(ref)
        value = headers.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append(f"missing required header {name}")
            continue
        parsed: Any = int(value) if value.isdigit() else value
        if not validator(header["schema"]).is_valid(parsed):
            problems.append(f"header {name}={value!r} does not match its schema")
    return problems
