"""The `Push Requested` use case: same validation, quota and signing as HTTP, plus outcomes.

Retryable failures raise so EventBridge / Lambda retry (and finally dead-letter) the event;
everything else is answered with a `Push Failed` event and not retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from push_common.edge.eventbridge import parse_event_envelope
from push_common.errors import GatewayError
from push_common.observability import logger
from push_common.push.idempotency import submit_once_traced
from push_common.push.outcomes import PUSH_FAILED, PUSH_SENT, failed_detail, publish, sent_detail
from push_common.push.request import PushRequestedDetail
from push_common.push.service import PushContext, PushDeps
from push_common.push.validation import validate_model

# Tomorrow is too late for an EventBridge retry; the requester decides what to do instead.
_NOT_RETRIED_FROM_EVENTS = frozenset({"daily_quota_exhausted"})


@dataclass(frozen=True)
class PushRequestedEvent:
    event_id: str
    source: str
    idempotency_key: str  # detail.idempotency_key, else the event id
    detail: dict[str, Any]

    def request(self) -> PushRequestedDetail:
        """The detail validated exactly like an HTTP body (422 with field problems)."""
        return validate_model(PushRequestedDetail, self.detail)


def parse_push_requested(event: dict[str, Any]) -> PushRequestedEvent:
    """An EventBridge `Push Requested` event; its detail is validated by `request()`."""
    envelope = parse_event_envelope(event)
    key = envelope.detail.get("idempotency_key")
    return PushRequestedEvent(
        event_id=envelope.event_id,
        source=envelope.source,
        idempotency_key=key if isinstance(key, str) and key else envelope.event_id,
        detail=envelope.detail,
    )


def event_caller(source: str) -> str:
    """How an EventBridge requester appears in policy and logs.

    An event carries no IAM principal, only its `source`; `BROADCAST_ALL_PRINCIPALS` may list
    `eventbridge:<source>` to let that source push to everyone (who may put events on the bus at
    all is the bus policy's business).
    """
    return f"eventbridge:{source}"


def retry_event(exc: GatewayError) -> bool:
    return exc.retryable and exc.code not in _NOT_RETRIED_FROM_EVENTS


def handle_push_requested(
    event: PushRequestedEvent, deps: PushDeps, *, deadline: float | None
) -> dict[str, Any]:
    """Run the push once per (source, key) and publish its outcome exactly once."""
    ids = {"request_event_id": event.event_id, "key": event.idempotency_key, "source": event.source}
    ctx = PushContext(
        caller=event_caller(event.source),
        idempotency_scope=event.source,
        idempotency_key=event.idempotency_key,
        deadline=deadline,
    )
    try:
        result, replayed = submit_once_traced(event.request(), ctx, deps)
    except GatewayError as exc:
        if retry_event(exc):
            logger.warning("push will be retried", extra={"code": exc.code, **ids})
            raise
        logger.warning("push failed", extra={"code": exc.code, "detail": exc.detail, **ids})
        publish(deps.settings, PUSH_FAILED, failed_detail(exc, **ids))
        return {"outcome": "failed", "code": exc.code}
    if not replayed:  # a redelivery must not announce the same push twice
        publish(deps.settings, PUSH_SENT, sent_detail(result, **ids))
    return {"outcome": "sent", "replayed": replayed, **result}
