"""Outcome events published back to the bus (docs/architecture.md §4).

Every outcome carries `push_id` (when a record exists), `idempotency_key`, `request_event_id`
and `source`, so a consumer can tie it to its request and look the push up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common import clients
from push_common.errors import GatewayError
from push_common.observability import logger
from push_common.settings import Settings

PUSH_SENT = "Push Sent"
PUSH_FAILED = "Push Failed"
# Never "Push Failed": a consumer that re-requests a failed push under a new key would broadcast
# a second time if the first one was in fact sent.
PUSH_OUTCOME_UNKNOWN = "Push Outcome Unknown"
PUSH_DRY_RUN = "Push Dry Run"
# Scheduled pushes (docs/architecture.md §14).
PUSH_SCHEDULED = "Push Scheduled"
PUSH_CANCELLED = "Push Cancelled"
# Approval before a push to everyone (docs/architecture.md §16).
PUSH_PENDING_APPROVAL = "Push Pending Approval"


@dataclass(frozen=True)
class EventIds:
    """What ties an outcome to the event that requested it."""

    request_event_id: str | None
    idempotency_key: str | None
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "idempotency_key": self.idempotency_key,
            "request_event_id": self.request_event_id,
            "source": self.source,
        }


def sent_detail(body: Mapping[str, Any], ids: EventIds) -> dict[str, Any]:
    return {"push_id": body.get("push_id"), "task_id": body.get("task_id"), **ids.to_dict()}


def problem_detail(
    problem: Mapping[str, Any], ids: EventIds, *, push_id: str | None = None
) -> dict[str, Any]:
    """`Push Failed` / `Push Outcome Unknown` detail from a problem+json body."""
    detail: dict[str, Any] = {
        "push_id": push_id,
        "code": problem.get("code"),
        "detail": problem.get("detail"),
        "retryable": False,  # the event path already retried what it could
        **ids.to_dict(),
    }
    for optional in ("upstream_code", "errors"):
        if problem.get(optional) is not None:
            detail[optional] = problem[optional]
    return detail


def failed_detail(exc: GatewayError, ids: EventIds) -> dict[str, Any]:
    return problem_detail(exc.to_problem(), ids, push_id=exc.push_id)


def dry_run_detail(body: Mapping[str, Any], ids: EventIds) -> dict[str, Any]:
    return {
        "push_id": None,
        "upstream_request": body.get("upstream_request"),
        "quota": body.get("quota"),
        **ids.to_dict(),
    }


def publish(settings: Settings, detail_type: str, detail: dict[str, Any]) -> bool:
    """Put one outcome event; failures are logged, never raised (the push itself is done)."""
    if not settings.event_bus_name:
        logger.warning("no EVENT_BUS_NAME; outcome not published", detail_type=detail_type)
        return False
    entry = {
        "Source": settings.event_source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, ensure_ascii=False),
        "EventBusName": settings.event_bus_name,
    }
    try:
        out = clients.eventbridge().put_events(Entries=[entry])  # type: ignore[list-item]
    except (ClientError, BotoCoreError) as exc:
        logger.error(
            "outcome event not published", detail_type=detail_type, error=type(exc).__name__
        )
        return False
    if out.get("FailedEntryCount"):
        logger.error("outcome event rejected", detail_type=detail_type, entries=out.get("Entries"))
        return False
    return True


def pending_detail(body: Mapping[str, Any], ids: EventIds) -> dict[str, Any]:
    """`Push Pending Approval` detail, from the 202 body of a push waiting for approval."""
    return {"push_id": body.get("push_id"), "expires_at": body.get("expires_at"), **ids.to_dict()}
