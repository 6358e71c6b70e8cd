"""Upstream limits (upstream doc §10) and a pydantic error type that carries the upstream code.

A `TimRuleError` raised inside a validator becomes a `FieldProblem` naming the upstream error code
the check prevents (see `validation.problems_from`).
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

MAX_TAGS_PER_LIST = 10
MAX_TAG_BYTES = 50
MAX_ATTR_VALUE_BYTES = 50
MAX_LIFETIME_SECONDS = 604_800
MAX_WIRE_BODY_BYTES = 10_240
MAX_DESC_PLUS_EXT_BYTES = 3_072
UINT32_MAX = 4_294_967_295
UPSTREAM_INTERVAL_MS = 1_000  # im_push: consecutive pushes must be more than 1 s apart


def tim_rule(message: str, upstream_code: int | None) -> PydanticCustomError:
    """A validation error whose context names the upstream code it prevents."""
    return PydanticCustomError("tim_rule", message, {"upstream_code": upstream_code})


def utf8_length(value: str) -> int:
    """Byte length as Tencent counts it; lone surrogates cannot be sent at all."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise tim_rule("must be valid Unicode (no lone surrogates)", None) from exc


def check_tag(tag: str) -> str:
    if tag == "":
        raise tim_rule("tag must not be empty", 90040)
    if utf8_length(tag) > MAX_TAG_BYTES:
        raise tim_rule(f"tag is longer than {MAX_TAG_BYTES} UTF-8 bytes", 90020)
    return tag


def check_attr_value(value: str) -> str:
    if value == "":
        raise tim_rule("attribute value must not be empty", 90030)
    if utf8_length(value) > MAX_ATTR_VALUE_BYTES:
        raise tim_rule(f"attribute value is longer than {MAX_ATTR_VALUE_BYTES} UTF-8 bytes", 90030)
    return value


def check_text(value: str) -> str:
    """Free text sent upstream must be encodable: JSON would otherwise carry a lone surrogate."""
    utf8_length(value)
    return value
