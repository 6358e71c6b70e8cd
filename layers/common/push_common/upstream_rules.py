"""Upstream field rules both features check before any call: limits, UTF-8 lengths, tag and
attribute value checks, and the pydantic error type that carries the upstream code.

A `tim_rule(...)` error raised inside a validator becomes a `FieldProblem` naming the upstream
error code the check prevents (see `validation._problem`). Push-only limits live in `push.rules`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MAX_TAGS_PER_LIST = 10
MAX_TAG_BYTES = 50
MAX_ATTR_VALUE_BYTES = 50
MAX_ATTR_NAME_BYTES = 50
INVALID_ATTRIBUTE = 90033  # a name that is not (and cannot be) one of the app's attributes


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


def check_attr_name(name: str) -> str:
    """A reference to one of the app's attribute names (a push condition key).

    A name of the wrong length can never be one the app has set, hence "invalid attribute".
    """
    if name == "" or utf8_length(name) > MAX_ATTR_NAME_BYTES:
        raise tim_rule("attribute name must be 1-50 UTF-8 bytes", INVALID_ATTRIBUTE)
    return name


Tag = Annotated[str, AfterValidator(check_tag)]
AttrName = Annotated[str, AfterValidator(check_attr_name)]
AttrValue = Annotated[str, AfterValidator(check_attr_value)]
