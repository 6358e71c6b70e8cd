"""Audience requests: validation with the audience's upstream codes (see push_common.validation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from push_common import validation
from push_common.validation import field_path, invalid, raise_if

ACCOUNT_NOT_STRING = 60015

__all__ = ["ACCOUNT_NOT_STRING", "field_path", "invalid", "raise_if", "validate_model"]


def _code_for(field: str, error_type: str) -> int | None:
    # An account id that is not a string is what upstream answers with 60015.
    if error_type == "string_type" and field.startswith("accounts["):
        return ACCOUNT_NOT_STRING
    return None


def validate_model[M: BaseModel](model: type[M], data: Mapping[str, Any]) -> M:
    """Validate `data` as `model`, raising ValidationFailed (422) with every field problem."""
    return validation.validate_model(model, data, code_for=_code_for)
