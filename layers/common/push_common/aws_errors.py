"""Translate AWS SDK failures into domain errors, so callers never see `ClientError`."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from push_common.errors import DependencyUnavailable, GatewayError

# Every AWS service we call answers throttling with one of these codes.
THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "Throttling",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def as_dependency_error(exc: Exception, *, service: str) -> GatewayError:
    """A 503 with `Retry-After` naming the AWS service (never the request contents)."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in THROTTLE_CODES:
            return DependencyUnavailable(
                f"{service} is throttling requests", code="aws_throttled", retry_after=1
            )
        return DependencyUnavailable(
            f"{service} answered {code}", code="aws_unavailable", retry_after=2
        )
    if isinstance(exc, BotoCoreError):
        return DependencyUnavailable(
            f"{service} is unreachable", code="aws_unavailable", retry_after=2
        )
    raise exc
