"""Push requests: decoded JSON → `PushRequest`, or a 422 naming each field and upstream code.

The body is decoded by `push_common.body.decode_json_object` (400 / 413) first."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from push_common import validation
from push_common.push.elements import ELEMENT_TYPES

__all__ = ["validate_model"]

# Upstream code a built-in pydantic error (type, range...) prevents, by field prefix.
# Our own rules carry their code in the error context instead (rules.tim_rule).
_CODE_BY_PREFIX: tuple[tuple[str, dict[str, int]], ...] = (
    ("offline_ttl_seconds", {"int_type": 90044, "int_parsing": 90044, "*": 90026}),
    ("message", {"*": 90002}),
    ("notification", {"*": 90043}),
    ("sender", {"*": 90008}),
)


def _code_for(field: str, error_type: str) -> int | None:
    for prefix, codes in _CODE_BY_PREFIX:
        if field == prefix or field.startswith((prefix + ".", prefix + "[")):
            return codes.get(error_type, codes.get("*"))
    return None


def validate_model[M: BaseModel](model: type[M], data: dict[str, Any]) -> M:
    """Validate `data` or raise one 422 listing every field problem with its upstream code."""
    return validation.validate_model(model, data, code_for=_code_for, union_tags=ELEMENT_TYPES)
