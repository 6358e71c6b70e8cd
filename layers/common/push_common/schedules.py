"""EventBridge Scheduler: one one-time schedule per scheduled push (docs/architecture.md §14).

The schedule `push-<push_id>` in the stack's group fires `at(<send_at, UTC, whole seconds>)`
with `FlexibleTimeWindow` OFF, invokes the dispatcher with `{"push_id": ...}` through the
scheduler's execution role, retries for at most 300 s, parks failures in the DLQ and deletes
itself after completion. `ClientToken`s derive from the push id, so a retried call is the same
request to AWS.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common.aws_errors import as_dependency_error, error_code

SERVICE = "EventBridge Scheduler"
MAX_EVENT_AGE_SECONDS = 300
MAX_RETRY_ATTEMPTS = 10


def schedule_name(push_id: str) -> str:
    return f"push-{push_id}"


def at_expression(send_at_ms: int) -> str:
    """`at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded up so the push never fires before send_at."""
    instant = datetime.fromtimestamp(math.ceil(send_at_ms / 1000), UTC)
    return f"at({instant.strftime('%Y-%m-%dT%H:%M:%S')})"


@dataclass(frozen=True)
class ScheduleTarget:
    """Where schedules live and what they invoke (from the settings)."""

    group: str
    function_arn: str  # the dispatcher
    role_arn: str  # the scheduler's execution role (iam:PassRole is scoped to it)
    dlq_arn: str | None = None


class Schedules:
    """Create and delete the one-time schedules of pushes."""

    def __init__(self, client: Any, target: ScheduleTarget) -> None:
        self._client = client
        self._target = target

    def create(self, push_id: str, send_at_ms: int) -> None:
        """Create the schedule; one that already exists (a retried call) is fine."""
        target: dict[str, Any] = {
            "Arn": self._target.function_arn,
            "RoleArn": self._target.role_arn,
            "Input": json.dumps({"push_id": push_id}),
            "RetryPolicy": {
                "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                "MaximumRetryAttempts": MAX_RETRY_ATTEMPTS,
            },
        }
        if self._target.dlq_arn:
            target["DeadLetterConfig"] = {"Arn": self._target.dlq_arn}
        try:
            self._client.create_schedule(
                Name=schedule_name(push_id),
                GroupName=self._target.group,
                ScheduleExpression=at_expression(send_at_ms),
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                ClientToken=f"create-{push_id}",
                State="ENABLED",
                Target=target,
            )
        except ClientError as exc:
            if error_code(exc) == "ConflictException":
                return  # created by an earlier attempt of this push
            raise as_dependency_error(exc, service=SERVICE) from exc
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service=SERVICE) from exc

    def delete(self, push_id: str) -> bool:
        """Delete the schedule; False when it no longer exists (fired, or never created)."""
        try:
            self._client.delete_schedule(
                Name=schedule_name(push_id),
                GroupName=self._target.group,
                ClientToken=f"delete-{push_id}",
            )
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return False
            raise as_dependency_error(exc, service=SERVICE) from exc
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service=SERVICE) from exc
        return True
