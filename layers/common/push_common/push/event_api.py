"""The `Push Requested` use case: same validation, quota and signing as HTTP, plus outcomes.

Retryable failures raise so EventBridge / Lambda retry (and finally dead-letter) the event;
everything else is answered with a `Push Failed` event and not retried.
"""

from __future__ import annotations

from typing import Any

from push_common.edge.eventbridge import PushRequestedEvent
from push_common.errors import GatewayError
from push_common.observability import logger
from push_common.push.idempotency import submit_once_traced
from push_common.push.outcomes import PUSH_FAILED, PUSH_SENT, failed_detail, publish, sent_detail
from push_common.push.policy import check_event_source
from push_common.push.service import PushContext, PushDeps

# Tomorrow is too late for an EventBridge retry; the requester decides what to do instead.
_NOT_RETRIED_FROM_EVENTS = frozenset({"daily_quota_exhausted"})


def retry_event(exc: GatewayError) -> bool:
    return exc.retryable and exc.code not in _NOT_RETRIED_FROM_EVENTS


def handle_push_requested(
    event: PushRequestedEvent, deps: PushDeps, *, deadline: float | None
) -> dict[str, Any]:
    """Run the push once per (caller, key) and publish its outcome exactly once."""
    ids = {"request_event_id": event.event_id, "key": event.idempotency_key, "source": event.source}
    # The requester is `eventbridge:[<account>/]<source>` (push_common.identity); it is also
    # the idempotency scope, so another account reusing a source and key is another push.
    caller = event.caller.name
    ctx = PushContext(
        caller=caller,
        idempotency_scope=caller,
        idempotency_key=event.idempotency_key,
        deadline=deadline,
    )
    try:
        check_event_source(event.source, deps.settings)  # a refusal is Push Failed, not retried
        result, replayed = submit_once_traced(event.request(), ctx, deps)
    except GatewayError as exc:
        if retry_event(exc):
            logger.warning(
                "push will be retried", extra={"code": exc.code, "caller": caller, **ids}
            )
            raise
        logger.warning(
            "push failed", extra={"code": exc.code, "detail": exc.detail, "caller": caller, **ids}
        )
        publish(deps.settings, PUSH_FAILED, failed_detail(exc, **ids))
        return {"outcome": "failed", "code": exc.code}
    if not replayed:  # a redelivery must not announce the same push twice
        publish(deps.settings, PUSH_SENT, sent_detail(result, **ids))
    return {"outcome": "sent", "replayed": replayed, **result}
