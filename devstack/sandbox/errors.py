"""Tencent's response envelope and the exception that carries a refusal to it."""

from __future__ import annotations

from typing import Any

JsonObj = dict[str, Any]


class ApiError(Exception):
    """A refusal with Tencent's ErrorCode; it becomes an ActionStatus FAIL envelope."""

    def __init__(self, code: int, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info


def ok(**fields: Any) -> JsonObj:
    """Success envelope plus API-specific sibling fields."""
    return {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", **fields}


def fail(code: int, info: str) -> JsonObj:
    """Failure envelope."""
    return {"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info}


def utf8_len(text: str) -> int:
    """Length in UTF-8 bytes, the unit of every Tencent size limit."""
    return len(text.encode("utf-8"))


def is_int(value: Any) -> bool:
    """A JSON integer (bools are not, though Python says so)."""
    return type(value) is int


def is_number(value: Any) -> bool:
    """A JSON number."""
    return type(value) in (int, float)
