"""Turn raw bytes into a `PushRequest`, or into a precise 400 / 413 / 422 problem."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from push_common.errors import BadRequest, FieldProblem, PayloadTooLarge, ValidationFailed
from push_common.push.elements import ELEMENT_TYPES

# Upstream code a built-in pydantic error (type, range, missing...) prevents, by field prefix.
# Our own rules carry their code in the error context instead (rules.tim_rule).
_CODE_BY_PREFIX: tuple[tuple[str, dict[str, int]], ...] = (
    ("offline_ttl_seconds", {"int_type": 90044, "int_parsing": 90044, "*": 90026}),
    ("message", {"*": 90002}),
    ("notification", {"*": 90043}),
    ("audience.tags", {"*": 90032}),
    ("sender", {"*": 90008}),
)
_OUR_RULES = frozenset({"extra_forbidden", "missing"})


def parse_json_object(raw: bytes, *, max_bytes: int) -> dict[str, Any]:
    """Decode a UTF-8 JSON object body; anything else is a 400 (or 413 when too large)."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"body is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def validate_model[M: BaseModel](model: type[M], data: dict[str, Any]) -> M:
    """Validate `data` or raise one 422 listing every field problem with its upstream code."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [problem_from(err) for err in exc.errors(include_url=False)]
        raise ValidationFailed(
            f"{len(problems)} field(s) failed validation; nothing was sent", errors=problems
        ) from exc
    except RecursionError as exc:
        raise BadRequest("body is nested too deeply") from exc


def problem_from(err: ErrorDetails) -> FieldProblem:
    field = field_path(err["loc"])
    ctx = err.get("ctx") or {}
    code = ctx.get("upstream_code") if err["type"] == "tim_rule" else _code_for(field, err["type"])
    return FieldProblem(field=field or "(body)", message=err["msg"], upstream_code=code)


def field_path(loc: tuple[int | str, ...]) -> str:
    """('audience','tags','any',3) -> 'audience.tags.any[3]' (union tags dropped)."""
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and part in ELEMENT_TYPES:
            pass  # discriminated-union tag inserted by pydantic, not a real field
        else:
            out += f".{part}" if out else part
        previous = part
    return out


def _code_for(field: str, error_type: str) -> int | None:
    if error_type in _OUR_RULES:
        return None
    for prefix, codes in _CODE_BY_PREFIX:
        if field == prefix or field.startswith((prefix + ".", prefix + "[")):
            return codes.get(error_type, codes.get("*"))
    return None
