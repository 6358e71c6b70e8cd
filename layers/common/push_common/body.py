"""Decode a request body into a JSON object, or raise the matching 400/413.

Takes the raw bytes (`push_common.edge.http.raw_body`), never the resolver's `json_body`, which
raises on a non-UTF-8 body before we could answer 400. Stricter than plain `json.loads`: a
repeated key (e.g. one account listed twice in `users`) would otherwise silently drop a value.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from push_common.errors import BadRequest, PayloadTooLarge


def decode_json_object(raw: bytes, *, max_bytes: int) -> dict[str, Any]:
    """The body as a dict: a UTF-8 JSON object of at most `max_bytes` bytes, no duplicate keys."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"body is {len(raw)} bytes; the limit is {max_bytes}")
    if not raw.strip():
        raise BadRequest("a JSON object body is required")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadRequest(f"duplicate key {json.dumps(key)} in body")
        out[key] = value
    return out


def _no_constant(name: str) -> NoReturn:
    raise BadRequest(f"{name} is not valid JSON")
