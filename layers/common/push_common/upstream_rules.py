"""Upstream field rules both features check before any call: limits, UTF-8 lengths, tag and
attribute value checks, and the pydantic error type that carries the upstream code.

A `tim_rule(...)` error raised inside a validator becomes a `FieldProblem` naming the upstream
error code the check prevents (see `validation._problem`). Push-only limits live in `push.rules`.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

MAX_TAGS_PER_LIST = 10
MAX_TAG_BYTES = 50
MAX_ATTR_VALUE_BYTES = 50


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
