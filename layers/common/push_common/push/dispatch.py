"""The dispatcher: a scheduled push fires (docs/architecture.md §14).

EventBridge Scheduler invokes it with `{"push_id": ...}` at `send_at`. It fires exactly once (the
conditional `scheduled → sending`; a cancel racing it loses or wins as a whole), checks the push
again against the configuration of this moment, uses the slot held for it (or moves to a free
slot of today after a late retry), waits out the interval within its own time and sends under
the same at-most-once rule as every push (`submission.send_claimed`). Outcomes are published
with the push_id. Unknown, cancelled or already fired pushes send nothing.
"""

from __future__ import annotations

import json
from typing import Any

from push_common.errors import Forbidden, GatewayError, QuotaExceeded, ValidationFailed
from push_common.observability import count, logger
from push_common.push.outcomes import (
    PUSH_FAILED,
    PUSH_OUTCOME_UNKNOWN,
    PUSH_SENT,
    EventIds,
    problem_detail,
    publish,
    sent_detail,
)
from push_common.push.records import (
    OUTCOME_UNKNOWN,
    SCHEDULED,
    SENDING,
    SUBMITTED,
    Claim,
    Item,
    PushAnswer,
)
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps, prepare, wait_out_interval
from push_common.push.submission import error_of, failure_answer, lease_until_ms, send_claimed
from push_common.push.validation import validate_model
from push_common.quota import QuotaStore, Reservation


class RetryLater(Exception):
    """Nothing was sent and the push is still scheduled: raised so the invocation is retried."""


def parse_dispatch(event: Any) -> str | None:
    """The push id of a Scheduler invocation `{"push_id": "..."}`, else None."""
    push_id = event.get("push_id") if isinstance(event, dict) else None
    return push_id if isinstance(push_id, str) and push_id else None


def dispatch(push_id: str, deps: PushDeps, *, deadline: float | None) -> dict[str, Any]:
    """Fire one scheduled push; a summary of what happened (for logs and the local stack)."""
    item = deps.records.get(push_id)
    if item is None:
        logger.warning("dispatch of an unknown push", push_id=push_id)
        return {"outcome": "unknown_push", "push_id": push_id}
    status = _s(item, "status")
    if (
        status == SENDING
        and int(item.get("lease_until_ms", {}).get("N", "0")) > deps.records.now_ms()
    ):
        # Still being scheduled (the schedule fired before the record said `scheduled`), or a
        # duplicate delivery while another invocation sends it: try again later.
        raise RetryLater(f"push {push_id} is being scheduled or sent; retry")
    if status != SCHEDULED:
        logger.info("dispatch of a push that is not scheduled", push_id=push_id, status=status)
        return {"outcome": "not_scheduled", "status": status, "push_id": push_id}
    ctx = PushContext(
        caller=_s(item, "caller"),
        caller_session=_s(item, "caller_session") or None,
        channel="schedule",
        event_source=_s(item, "event_source") or None,
        idempotency_scope="schedule",
        idempotency_key=push_id,  # a stable MsgRandom per push
        deadline=deadline,
        max_interval_wait_seconds=None,
    )
    claim = deps.records.fire(push_id, lease_until_ms=lease_until_ms(ctx, deps))
    if claim is None:  # cancelled (or fired) meanwhile: the other writer won
        return {"outcome": "not_scheduled", "push_id": push_id}
    return _fire(item, claim, ctx, deps)


def _fire(item: Item, claim: Claim, ctx: PushContext, deps: PushDeps) -> dict[str, Any]:
    push_id, day, pool = claim.push_id, _s(item, "quota_day"), _s(item, "quota_pool") or None
    ids = EventIds(
        _s(item, "request_event_id") or None,
        _s(item, "idempotency_key") or None,
        _s(item, "event_source") or None,
    )
    request = {k: v for k, v in json.loads(_s(item, "request")).items() if k != "send_at"}
    try:
        creds = deps.credentials()
        store = deps.quota(creds)
        try:
            req = validate_model(PushRequest, request)
            _, call = prepare(req, ctx, deps, push_id=push_id)
        except (ValidationFailed, Forbidden) as changed:
            return _no_longer_valid(claim, changed, store, (day, pool), ids, deps)
        try:
            reservation = _fire_slot(store, (day, pool), ctx, deps)
        except QuotaExceeded as refusal:
            if refusal.code != "schedule_missed":
                raise
            store.unhold(day, pool)  # the old day's slot
            return _failed(claim, refusal, ids, deps)
    except GatewayError as exc:  # dependencies, or the interval beyond our time: not sent
        if not deps.records.reschedule(claim):
            logger.error("fired push not put back to scheduled", push_id=push_id)
        logger.warning("scheduled push will be retried", push_id=push_id, code=exc.code)
        raise RetryLater(f"{exc.code}: {exc.detail}") from exc
    answer = send_claimed(call, store, reservation, claim, req, ctx, deps)
    return _publish(answer, ids, deps)


def _fire_slot(
    store: QuotaStore, held: tuple[str, str | None], ctx: PushContext, deps: PushDeps
) -> Reservation:
    """The held slot (or a free one of today, from the caller's budget), waiting out the
    interval within our deadline. `held`: the quota day and budget pool of the held slot."""
    until = float("inf") if ctx.deadline is None else ctx.deadline
    until -= deps.settings.upstream_read_timeout_seconds
    pool = store.policy.pool_of(ctx.caller)
    return wait_out_interval(lambda: store.fire(*held, pool=pool), until=until, deps=deps)


def _no_longer_valid(
    claim: Claim,
    changed: GatewayError,
    store: QuotaStore,
    held: tuple[str, str | None],
    ids: EventIds,
    deps: PushDeps,
) -> dict[str, Any]:
    refusal = ValidationFailed(
        f"the scheduled push no longer passes the checks of the current configuration: "
        f"{changed.detail}",
        code="no_longer_valid",
        errors=changed.errors,
    )
    outcome = _failed(claim, refusal, ids, deps)
    store.unhold(*held)
    return outcome


def _failed(claim: Claim, refusal: GatewayError, ids: EventIds, deps: PushDeps) -> dict[str, Any]:
    answer = failure_answer(claim, refusal)
    answer = PushAnswer(
        push_id=answer.push_id,
        status=answer.status,
        body=answer.body,
        headers=answer.headers,
        record_status=answer.record_status,
    )  # never re-run: the schedule is over
    deps.records.finish(claim, answer, error=error_of(refusal))
    logger.warning("scheduled push failed", push_id=claim.push_id, code=refusal.code)
    return _publish(answer, ids, deps)


def _publish(answer: PushAnswer, ids: EventIds, deps: PushDeps) -> dict[str, Any]:
    summary = {"push_id": answer.push_id, "task_id": answer.body.get("task_id")}
    if answer.record_status == SUBMITTED:
        count("ScheduledPushSent")
        publish(deps.settings, PUSH_SENT, sent_detail(answer.body, ids))
        return {"outcome": "sent", **summary}
    code = str(answer.body.get("code"))
    detail = problem_detail(answer.body, ids, push_id=answer.push_id)
    if answer.record_status == OUTCOME_UNKNOWN:
        publish(deps.settings, PUSH_OUTCOME_UNKNOWN, detail)
        return {"outcome": OUTCOME_UNKNOWN, "code": code, **summary}
    publish(deps.settings, PUSH_FAILED, detail)
    return {"outcome": "failed", "code": code, **summary}


def _s(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))
