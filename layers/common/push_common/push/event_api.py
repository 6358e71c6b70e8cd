"""The `Push Requested` use case: the same checks, record, quota and signing as HTTP.

Retryable failures that certainly created no task raise, so EventBridge / Lambda retry (and
finally dead-letter) the event; every other outcome is published once and not retried. A push
whose outcome is unknown is published as `Push Outcome Unknown` and never raised: a redelivery
finds its record and sends nothing (docs/architecture.md §4, docs/decisions.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from push_common import clients
from push_common.edge.eventbridge import parse_event_envelope
from push_common.errors import GatewayError
from push_common.identity import Caller, event_caller
from push_common.observability import logger
from push_common.push import deps
from push_common.push.deps import SAMPLE_BODY
from push_common.push.outcomes import (
    PUSH_DRY_RUN,
    PUSH_FAILED,
    PUSH_OUTCOME_UNKNOWN,
    PUSH_PENDING_APPROVAL,
    PUSH_SCHEDULED,
    PUSH_SENT,
    EventIds,
    dry_run_detail,
    failed_detail,
    pending_detail,
    problem_detail,
    publish,
    sent_detail,
)
from push_common.push.policy import check_event_source, needs_approval
from push_common.push.records import (
    OUTCOME_UNKNOWN,
    PENDING_APPROVAL,
    SCHEDULED,
    SUBMITTED,
    PushAnswer,
)
from push_common.push.request import PushRequestedDetail
from push_common.push.service import PushContext, PushDeps, dry_run
from push_common.push.submission import submit_push
from push_common.push.validation import validate_model

# Tomorrow is too late for an EventBridge retry; the requester decides what to do instead. (A 90047
# right after midnight asks for a few seconds only: that one is retried.)
_LONGEST_QUOTA_RETRY_SECONDS = 60


@dataclass(frozen=True)
class PushRequestedEvent:
    event_id: str
    source: str
    idempotency_key: str  # detail.idempotency_key, else the event id
    detail: dict[str, Any]
    account: str | None = None  # the account the event was put from
    own_account: str | None = None  # this stack's account

    @property
    def caller(self) -> Caller:
        """`eventbridge:<source>`, qualified by the account when that is not ours."""
        return event_caller(self.source, self.account, self.own_account)

    def request(self) -> PushRequestedDetail:
        """The detail validated exactly like an HTTP body (422 with field problems)."""
        return validate_model(PushRequestedDetail, self.detail)


def parse_push_requested(
    event: dict[str, Any], own_account: str | None = None
) -> PushRequestedEvent:
    """An EventBridge `Push Requested` event; its detail is validated by `request()`."""
    envelope = parse_event_envelope(event)
    key = envelope.detail.get("idempotency_key")
    return PushRequestedEvent(
        event_id=envelope.event_id,
        source=envelope.source,
        idempotency_key=key if isinstance(key, str) and key else envelope.event_id,
        detail=envelope.detail,
        account=envelope.account,
        own_account=own_account,
    )


class RetryEvent(Exception):
    """Raised so EventBridge / Lambda deliver the event again (nothing was sent)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


def _retry(code: str, retryable: bool, retry_after: int | None) -> bool:
    if code == "caller_budget_exhausted":
        return False  # the budget renews at the reset: hours away, beyond any redelivery
    if code == "daily_quota_exhausted":
        return retry_after is not None and retry_after <= _LONGEST_QUOTA_RETRY_SECONDS
    return retryable


def handle_push_requested(
    event: PushRequestedEvent, deps: PushDeps, *, deadline: float | None
) -> dict[str, Any]:
    """Run the push once per (caller, key) and publish its outcome once."""
    ids = EventIds(event.event_id, event.idempotency_key, event.source)
    # The requester is `eventbridge:[<account>/]<source>` (push_common.identity); it is also
    # the idempotency scope, so another account reusing a source and key is another push.
    caller = event.caller.name
    ctx = PushContext(
        caller=caller,
        channel="eventbridge",
        event_source=event.source,
        idempotency_scope=caller,
        idempotency_key=event.idempotency_key,
        request_event_id=event.event_id,
        deadline=deadline,
        max_interval_wait_seconds=None,  # an event may wait as long as its invocation lasts
    )
    log = {"request_event_id": ids.request_event_id, "key": ids.idempotency_key, "caller": caller}
    try:
        check_event_source(event.source, deps.settings)  # a refusal is Push Failed, not retried
        req = event.request()
        if req.dry_run:
            body = dry_run(req, ctx, deps)
            publish(deps.settings, PUSH_DRY_RUN, dry_run_detail(body, ids))
            return {"outcome": "dry_run"}
        if needs_approval(req, deps.settings):
            from push_common.push.approval import request_approval  # docs/decisions.md §22

            answer = request_approval(req, ctx, deps)
        elif req.send_at is not None:
            from push_common.push.scheduling import schedule_push  # docs/decisions.md §22

            answer = schedule_push(req, ctx, deps)
        else:
            answer = submit_push(req, ctx, deps)
    except GatewayError as exc:  # refused before anything was sent; no record
        if _retry(exc.code, exc.retryable, exc.retry_after):
            logger.warning("push will be retried", extra={"code": exc.code, **log})
            raise
        logger.warning("push failed", extra={"code": exc.code, "detail": exc.detail, **log})
        publish(deps.settings, PUSH_FAILED, failed_detail(exc, ids))
        return {"outcome": "failed", "code": exc.code}
    except Exception:
        # Nothing was sent (the submission turns errors after sending into outcome_unknown):
        # let EventBridge deliver the event again.
        logger.exception("unexpected error before sending; the event is retried", extra=log)
        raise
    return _publish_answer(answer, ids, deps, log)


def _publish_answer(
    answer: PushAnswer, ids: EventIds, deps: PushDeps, log: dict[str, Any]
) -> dict[str, Any]:
    summary = {
        "push_id": answer.push_id,
        "task_id": answer.body.get("task_id"),
        "replayed": answer.replayed,
    }
    if answer.replayed:  # a redelivery never announces the same push twice
        return {"outcome": answer.record_status, **summary}
    if answer.record_status == SUBMITTED:
        publish(deps.settings, PUSH_SENT, sent_detail(answer.body, ids))
        return {"outcome": "sent", **summary}
    if answer.record_status == PENDING_APPROVAL:
        publish(deps.settings, PUSH_PENDING_APPROVAL, pending_detail(answer.body, ids))
        return {"outcome": PENDING_APPROVAL, **summary}
    if answer.record_status == SCHEDULED:
        detail = {"push_id": answer.push_id, "send_at": answer.body.get("send_at"), **ids.to_dict()}
        publish(deps.settings, PUSH_SCHEDULED, detail)
        return {"outcome": SCHEDULED, **summary}
    code = str(answer.body.get("code"))
    if answer.record_status == OUTCOME_UNKNOWN:
        detail = problem_detail(answer.body, ids, push_id=answer.push_id)
        publish(deps.settings, PUSH_OUTCOME_UNKNOWN, detail)
        return {"outcome": OUTCOME_UNKNOWN, "code": code, **summary}
    retry_after = answer.headers.get("Retry-After")
    if answer.rerunnable and _retry(code, True, int(retry_after) if retry_after else None):
        logger.warning(
            "push will be retried", extra={"code": code, "push_id": answer.push_id, **log}
        )
        raise RetryEvent(code, str(answer.body.get("detail")))
    publish(deps.settings, PUSH_FAILED, problem_detail(answer.body, ids, push_id=answer.push_id))
    return {"outcome": "failed", "code": code, **summary}


_SAMPLE_EVENT = {
    "version": "0",
    "id": "00000000-0000-0000-0000-000000000000",
    "detail-type": "Push Requested",
    "source": "snapshot",
    "account": "000000000000",
    "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": SAMPLE_BODY,
}


def prime() -> None:
    """`deps.prime()` plus what the event path builds before its first I/O: the EventBridge
    client and the envelope and detail validators (SnapStart; docs/architecture.md §10)."""
    deps.prime()
    clients.eventbridge()
    parse_push_requested(dict(_SAMPLE_EVENT)).request()
