"""Typed errors: every non-2xx answer becomes one, built from the gateway's problem+json body.

TimPushError
├── ConfigurationError          no endpoint, no credentials, bad arguments (nothing was sent)
├── TransportError              no HTTP answer (connection failed, timed out)
│   └── ResponseTimeout           sent, but no answer in time: the outcome is unknown
└── ProblemError                the gateway answered with an error status
    ├── RefusedError              4xx: the request was refused; nothing happened
    │   BadRequest 400, Forbidden 403, NotFound 404, Conflict 409, PayloadTooLarge 413,
    │   ValidationFailed 422, RateLimited 429
    └── ServerError               5xx: upstream or AWS failure
        InternalError 500, UpstreamRejected 502, ServiceUnavailable 503, UpstreamTimeout 504,
        OutcomeUnknown (code outcome_unknown / recall_outcome_unknown, 502 or 504)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class TimPushError(Exception):
    """Base of every error the SDK raises."""


class ConfigurationError(TimPushError):
    """The client cannot send anything: missing endpoint, credentials or region."""


class TransportError(TimPushError):
    """No HTTP answer: the connection failed or timed out.

    `idempotency_key` is set for a push: retrying with the same key can never send it twice.
    """

    def __init__(self, message: str, *, idempotency_key: str | None = None) -> None:
        super().__init__(message)
        self.idempotency_key = idempotency_key


class ResponseTimeout(TransportError):
    """The request was sent but no answer came in time; a push may or may not have been sent."""


@dataclass(frozen=True)
class FieldError:
    """One field problem of a 4xx answer (`errors` of the problem body)."""

    field: str
    message: str
    upstream_code: int | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ProblemError(TimPushError):
    """An error answer of the gateway (RFC 9457 problem+json), with every member it carried."""

    def __init__(
        self,
        status: int,
        problem: Mapping[str, Any],
        *,
        retry_after: float | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self.status = status
        self.problem = dict(problem)
        self.code = str(problem.get("code") or f"http_{status}")
        self.title = str(problem.get("title") or "")
        # API Gateway's own refusals (IAM auth, throttling) are {"message": ...}, not problem+json.
        self.detail = str(
            problem.get("detail") or problem.get("message") or self.title or f"HTTP {status}"
        )
        self.retryable = bool(problem.get("retryable", False))
        self.upstream_code = _int_or_none(problem.get("upstream_code"))
        self.push_id = _str_or_none(problem.get("push_id"))
        self.retry_after = retry_after
        self.errors = [_field_error(e) for e in problem.get("errors") or [] if isinstance(e, dict)]
        self.idempotency_key = idempotency_key
        super().__init__(f"{status} {self.code}: {self.detail}")


class RefusedError(ProblemError):
    """4xx: the gateway refused the request; nothing was sent."""


class BadRequest(RefusedError):
    """400: the body is not UTF-8 JSON, or not an object."""


class Forbidden(RefusedError):
    """403: not allowed for this caller (sender, audience, signature, ownership, approval)."""


class NotFound(RefusedError):
    """404: e.g. `push_not_found`."""


class Conflict(RefusedError):
    """409: the push is not in a state that allows this (e.g. `not_cancellable`)."""


class PayloadTooLarge(RefusedError):
    """413: the body is too large."""


class ValidationFailed(RefusedError):
    """422: `errors` names each field and the upstream code the check prevents."""


class RateLimited(RefusedError):
    """429: quota or rate limit; `retry_after` says when a slot opens."""


class ServerError(ProblemError):
    """5xx: upstream or an AWS dependency failed."""


class InternalError(ServerError):
    """500: a bug in the gateway."""


class UpstreamRejected(ServerError):
    """502: Tencent IM refused the call (`upstream_code` says why)."""


class ServiceUnavailable(ServerError):
    """503: upstream or an AWS dependency is unavailable; retryable after `retry_after`."""


class UpstreamTimeout(ServerError):
    """504: Tencent IM did not answer in time."""


class OutcomeUnknown(ServerError):
    """The push may or may not have been sent (`push_id` says which record to look at).

    Never retried by the SDK: the gateway replays this answer for the same key and sends nothing.
    """


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    500: InternalError,
    502: UpstreamRejected,
    503: ServiceUnavailable,
    504: UpstreamTimeout,
}
OUTCOME_UNKNOWN_CODES = frozenset({"outcome_unknown", "recall_outcome_unknown"})


def problem_error(
    status: int,
    body: bytes,
    *,
    retry_after: float | None = None,
    idempotency_key: str | None = None,
) -> ProblemError:
    """The typed error for an error answer; tolerates a body that is not problem+json."""
    problem = _parse(body, status)
    if retry_after is None:
        retry_after = _seconds_or_none(problem.get("retry_after"))
    if problem.get("code") in OUTCOME_UNKNOWN_CODES:
        kind: type[ProblemError] = OutcomeUnknown
    else:
        kind = _BY_STATUS.get(status) or (RefusedError if status < 500 else ServerError)
    return kind(status, problem, retry_after=retry_after, idempotency_key=idempotency_key)


def _parse(body: bytes, status: int) -> dict[str, Any]:
    try:
        parsed = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    # Not ours (a proxy, a load balancer): keep a short, printable excerpt as the detail.
    excerpt = body[:200].decode("utf-8", "replace").strip()
    return {"status": status, "detail": excerpt or f"HTTP {status}"}


def _field_error(raw: Mapping[str, Any]) -> FieldError:
    return FieldError(
        field=str(raw.get("field", "")),
        message=str(raw.get("message", "")),
        upstream_code=_int_or_none(raw.get("upstream_code")),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _seconds_or_none(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None
