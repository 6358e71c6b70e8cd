"""Domain errors and their RFC 9457 problem rendering.

Every failure a caller can see is one of these classes; the HTTP handlers map them to
responses in exactly one place and the EventBridge handler maps them to `Push Failed` events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_TYPE_PREFIX = "urn:tim-push-gateway:problem:"


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: where, why, and which upstream error code the check prevents."""

    field: str
    message: str
    upstream_code: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.upstream_code is not None:
            out["upstream_code"] = self.upstream_code
        return out


class GatewayError(Exception):
    """Base of all errors a caller sees. Subclasses fix status, code and title."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: Sequence[FieldProblem] = (),
        upstream_code: int | None = None,
        retry_after: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.errors = tuple(errors)
        self.upstream_code = upstream_code
        self.retry_after = retry_after
        self.retryable = self.default_retryable if retryable is None else retryable
        # Set once a push record exists, so the caller can look the push up (extension member).
        self.push_id: str | None = None

    def to_problem(self) -> dict[str, Any]:
        """The `application/problem+json` body (never contains secrets: callers build `detail`)."""
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "retryable": self.retryable,
        }
        if self.upstream_code is not None:
            body["upstream_code"] = self.upstream_code
        if self.errors:
            body["errors"] = [e.to_dict() for e in self.errors]
        if self.push_id is not None:
            body["push_id"] = self.push_id
        return body

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class BadRequest(GatewayError):
    status = 400
    default_code = "invalid_body"
    title = "Request body is not a JSON object"


class Forbidden(GatewayError):
    status = 403
    default_code = "forbidden"
    title = "Not allowed for this caller"


class NotOwner(Forbidden):
    """403: only the push's creator or an ADMIN_PRINCIPALS entry may cancel or recall it."""

    default_code = "not_owner"
    title = "Only the push's creator or an admin may change it"


class SelfApproval(Forbidden):
    """403: the requester of a push cannot approve it; a second person must."""

    default_code = "self_approval"
    title = "A push cannot be approved by its requester"


class NotAnApprover(Forbidden):
    """403: only APPROVERS may approve (and, besides the requester, reject) a pending push."""

    default_code = "not_an_approver"
    title = "Only an approver may do this"


class NotFound(GatewayError):
    status = 404
    default_code = "not_found"
    title = "No such route"


class PushNotFound(NotFound):
    """404: no record with this push_id (never pushed, or expired after PUSH_RETENTION_DAYS)."""

    default_code = "push_not_found"
    title = "No such push"


class MethodNotAllowed(GatewayError):
    status = 405
    default_code = "method_not_allowed"
    title = "Method not allowed on this route"

    def __init__(self, detail: str, *, allow: list[str]) -> None:
        super().__init__(detail)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allow)}


class ReindexRefused(GatewayError):
    """409: an attribute-names update is well-formed but would move or drop existing names."""

    status = 409
    default_code = "reindex_refused"
    title = "Update would move or drop existing attribute names"


class NotCancellable(GatewayError):
    """409: only a `scheduled` push can be cancelled."""

    status = 409
    default_code = "not_cancellable"
    title = "The push can no longer be cancelled"


class NotPending(GatewayError):
    """409: only a `pending_approval` push can be approved or rejected."""

    status = 409
    default_code = "not_pending"
    title = "The push is not waiting for approval"


class ApprovalExpired(GatewayError):
    """409: the push waited longer than APPROVAL_TTL_HOURS; its record is now `expired`."""

    status = 409
    default_code = "approval_expired"
    title = "The push's approval window has passed"


class ScheduleDayFull(GatewayError):
    """409: the quota day of `send_at` has no slot left (sent + scheduled = limit)."""

    status = 409
    default_code = "schedule_day_full"
    title = "No quota slot left on the day of send_at"


class IdempotencyInProgress(GatewayError):
    status = 409
    default_code = "idempotency_in_progress"
    title = "A request with this Idempotency-Key is still in progress"
    default_retryable = True


class PayloadTooLarge(GatewayError):
    status = 413
    default_code = "payload_too_large"
    title = "Request body too large"


class ValidationFailed(GatewayError):
    status = 422
    default_code = "validation_failed"
    title = "Request failed validation"


class IdempotencyKeyReused(GatewayError):
    status = 422
    default_code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


class QuotaExceeded(GatewayError):
    """429: `code` is `daily_quota_exhausted`, `caller_budget_exhausted` or `push_interval`;
    `retry_after` always set."""

    status = 429
    default_code = "daily_quota_exhausted"
    title = "Push quota exceeded"
    default_retryable = True


class RateLimited(GatewayError):
    """429 with Retry-After: a per-second upstream limit shared by all Lambdas (rate_gate)."""

    status = 429
    default_code = "rate_limited"
    title = "Too many calls of this kind right now"
    default_retryable = True


class Conflict(GatewayError):
    """409: the push exists but is in no state for this (e.g. `not_recallable`)."""

    status = 409
    default_code = "conflict"
    title = "The push is in no state for this request"


class DependencyUnavailable(GatewayError):
    status = 503
    default_code = "upstream_unavailable"
    title = "A dependency is unavailable"
    default_retryable = True


class OutcomeUnknown(GatewayError):
    """Tencent may or may not have created the push task; the gateway never sends it again.

    504 when the answer timed out, 502 for any other maybe-sent answer (HTTP error, garbage,
    an internal-error or unknown code). Not retryable: a retry would be a second broadcast.
    """

    status = 502
    default_code = "outcome_unknown"
    title = "The push may or may not have been sent"

    def __init__(self, detail: str, *, timed_out: bool, upstream_code: int | None = None) -> None:
        super().__init__(detail, upstream_code=upstream_code, retryable=False)
        self.timed_out = timed_out
        self.status = 504 if timed_out else 502  # type: ignore[misc]  # status varies per cause


class RecallOutcomeUnknown(GatewayError):
    """A revoke whose answer was lost: the record is unchanged and a retry is safe (revoke is
    idempotent upstream: a second one answers 90050, "already revoked")."""

    status = 504
    default_code = "recall_outcome_unknown"
    title = "The recall may or may not have reached Tencent"
    default_retryable = True


class ConfigurationError(GatewayError):
    """500: the function's environment is invalid (a named variable); nothing can be sent until
    it is fixed, and every request says so instead of guessing."""

    status = 500
    default_code = "configuration_error"
    title = "The gateway is misconfigured"


class InternalError(GatewayError):
    """A bug: answered as problem+json `internal_error`, never as a bare 500."""

    title = "Internal error"


class UpstreamTimeout(GatewayError):
    status = 504
    default_code = "upstream_timeout"
    title = "Tencent IM did not answer in time"
    default_retryable = True


class SecretInvalid(GatewayError):
    """500: the admin secret is missing, unreadable or malformed (an operator must fix it)."""

    status = 500
    default_code = "secret_invalid"
    title = "The Tencent IM admin secret is misconfigured"
