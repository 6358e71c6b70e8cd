"""`Push Sent` / `Push Failed` events published back to the bus (docs/architecture.md §4)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common import clients
from push_common.errors import GatewayError
from push_common.observability import logger
from push_common.settings import Settings

PUSH_SENT = "Push Sent"
PUSH_FAILED = "Push Failed"


def sent_detail(
    result: dict[str, Any], *, request_event_id: str, key: str, source: str
) -> dict[str, Any]:
    return {
        "push_id": result.get("push_id"),
        "task_id": result.get("task_id"),
        "idempotency_key": key,
        "request_event_id": request_event_id,
        "source": source,
    }


def failed_detail(
    exc: GatewayError, *, request_event_id: str, key: str, source: str
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "code": exc.code,
        "detail": exc.detail,
        "retryable": False,
        "idempotency_key": key,
        "request_event_id": request_event_id,
        "source": source,
    }
    if exc.upstream_code is not None:
        detail["upstream_code"] = exc.upstream_code
    if exc.errors:
        detail["errors"] = [e.to_dict() for e in exc.errors]
    return detail


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
