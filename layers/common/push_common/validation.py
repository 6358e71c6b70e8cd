"""Turn request data into typed requests, or a 422 listing every field problem.

Shared by the push and audience paths. Each `FieldProblem` names the JSON path of the field
(`audience.tags.any[3]`, `users["a.b"]`) and the upstream error code the check prevents: our own
rules carry it in the error context (`upstream_rules.tim_rule`), built-in pydantic errors (types,
ranges) get it from the caller's `code_for(field, error_type)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from push_common.errors import BadRequest, FieldProblem, ValidationFailed

CodeFor = Callable[[str, str], int | None]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_MESSAGES = {"extra_forbidden": "unknown field", "missing": "field required"}


def field_path(loc: Sequence[int | str], union_tags: Collection[str] = ()) -> str:
    """JSON path of a pydantic location: ints are indexes, odd keys are quoted.

    `union_tags` are discriminator values pydantic inserts after a list index; they are not
    fields of the request and are dropped.
    """
    path = ""
    previous: int | str | None = None
    for part in loc:
        if part == "[key]" or (isinstance(previous, int) and part in union_tags):
            pass
        elif isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part)}]"
        previous = part
    return path


def validate_model[M: BaseModel](
    model: type[M],
    data: Mapping[str, Any],
    *,
    code_for: CodeFor | None = None,
    union_tags: Collection[str] = (),
) -> M:
    """Validate `data` as `model`, raising ValidationFailed (422) with every field problem.

    The features wrap this with their own `code_for` under the same name
    (`push.validation.validate_model`, `audience.validation.validate_model`).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e, code_for, union_tags) for e in exc.errors(include_url=False)]
        raise invalid(problems) from None
    except RecursionError:
        raise BadRequest("body is nested too deeply") from None


def invalid(problems: Sequence[FieldProblem]) -> ValidationFailed:
    count = len(problems)
    return ValidationFailed(
        f"{count} field(s) failed validation; nothing was sent", errors=problems
    )


def raise_if(problems: Sequence[FieldProblem]) -> None:
    if problems:
        raise invalid(problems)


def _problem(
    error: Mapping[str, Any], code_for: CodeFor | None, union_tags: Collection[str]
) -> FieldProblem:
    loc = tuple(error["loc"])
    field = field_path(loc, union_tags) or "body"
    message = _MESSAGES.get(error["type"], str(error["msg"]))
    if loc[-1:] == ("[key]",):
        message = f"key: {message}"
    if error["type"] == "tim_rule":
        upstream = (error.get("ctx") or {}).get("upstream_code")
    elif error["type"] == "extra_forbidden" or code_for is None:
        upstream = None  # rejecting unknown fields is our rule, not upstream's
    else:
        upstream = code_for(field, error["type"])
    return FieldProblem(field, message, upstream)
