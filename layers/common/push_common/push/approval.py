"""Approval before a push to everyone (docs/architecture.md §16, docs/decisions.md §21).

With APPROVAL_REQUIRED=all, a push whose audience is `{"all": true}` is checked completely and
recorded as `pending_approval` (202, nothing taken, nothing sent). A second person, listed in
APPROVERS, approves it: the approval claims the pending record with one conditional write
(`pending_approval → sending`, not past `expires_at`), so of concurrent approvals exactly one
wins, and the push then goes through the same steps as a fresh request (`submission.
reserve_and_send`, or `scheduling.schedule_claimed` for a `send_at` still ahead), as its
requester. A refusal before any upstream call puts it back to `pending_approval`. Rejecting is
the conditional `pending_approval → rejected`; a pending push past its expiry becomes `expired`
when someone next tries to approve or reject it.
"""

from __future__ import annotations

import json
from typing import Any

from push_common.errors import (
    ApprovalExpired,
    GatewayError,
    NotAnApprover,
    NotPending,
    PushNotFound,
    SelfApproval,
    ValidationFailed,
)
from push_common.identity import Caller, is_listed, same_principal
from push_common.observability import count, logger
from push_common.push.outcomes import (
    PUSH_FAILED,
    PUSH_OUTCOME_UNKNOWN,
    PUSH_SCHEDULED,
    PUSH_SENT,
    EventIds,
    problem_detail,
    publish,
    sent_detail,
)
from push_common.push.record_views import PUSH_ID, record_view
from push_common.push.records import (
    EXPIRED,
    OUTCOME_UNKNOWN,
    PENDING_APPROVAL,
    REJECTED,
    SCHEDULED,
    SUBMITTED,
    Claim,
    Item,
    PushAnswer,
    iso_ms,
)
from push_common.push.request import PushRequest
from push_common.push.scheduling import replay_of, schedule_claimed
from push_common.push.service import PushContext, PushDeps, prepare, push_id_for, send_at_day
from push_common.push.submission import lease_until_ms, new_push, reserve_and_send
from push_common.push.validation import validate_model


def pending_body(
    push_id: str, expires_at_ms: int, status: str = PENDING_APPROVAL
) -> dict[str, Any]:
    """The 202 body of a push waiting for approval (and of its replays once closed)."""
    return {"push_id": push_id, "status": status, "expires_at": iso_ms(expires_at_ms)}


def request_approval(req: PushRequest, ctx: PushContext, deps: PushDeps) -> PushAnswer:
    """Check everything a push needs now, then record it `pending_approval` (or answer from its
    record: an Idempotency-Key replay gets the same answer)."""
    push_id = push_id_for(ctx)
    if req.send_at is not None:
        try:
            send_at_day(req.send_at, deps)
        except ValidationFailed:
            # A retry after send_at has passed still gets the answer its record holds.
            api = deps.settings.tim_push_api
            earlier = new_push(req, ctx, push_id=push_id, kind="broadcast", upstream_api=api)
            if (replay := replay_of(earlier, deps)) is not None:
                return replay
            raise
    _, call = prepare(req, ctx, deps, push_id=push_id)
    push = new_push(req, ctx, push_id=push_id, kind=call.kind, upstream_api=call.api)
    claimed = deps.records.claim(push, lease_until_ms=lease_until_ms(ctx, deps))
    if isinstance(claimed, PushAnswer):
        return claimed
    expires_ms = deps.records.now_ms() + deps.settings.approval_ttl_hours * 3_600_000
    answer = PushAnswer(
        push_id=push_id,
        status=202,
        body=pending_body(push_id, expires_ms),
        record_status=PENDING_APPROVAL,
    )
    if not deps.records.mark_pending(claimed, answer, expires_at_ms=expires_ms):
        logger.error("push pending approval but its record was taken over", push_id=push_id)
    count("PushPendingApproval")
    logger.info(
        "push waiting for approval",
        push_id=push_id,
        caller=ctx.caller,
        expires_at=iso_ms(expires_ms),
    )
    return answer


def approve_push(
    push_id: str, actor: Caller, deps: PushDeps, *, deadline: float | None
) -> PushAnswer:
    """`POST /v1/pushes/{push_id}/approve`: the push proceeds as if it had just been requested.

    200 with the record (`submitted` or `scheduled`), or the push's own problem answer when it
    failed or its outcome is unknown; raises 403 / 404 / 409 and, for refusals before any
    upstream call (quota, policy), with the record back in `pending_approval`.
    """
    item = _item(push_id, deps)
    requester = _s(item, "caller")
    if same_principal(requester, actor.name):
        raise SelfApproval(
            "a push to everyone needs a second person: its requester cannot approve it"
        )
    if not is_listed(actor.name, deps.settings.approvers):
        raise NotAnApprover("only a principal listed in APPROVERS may approve a push")
    _check_pending(item, deps)
    ctx = _requester_context(item, deps, deadline)
    req = validate_model(PushRequest, json.loads(_s(item, "request")))
    send_at_ms = None if req.send_at is None else int(req.send_at.timestamp() * 1000)
    if send_at_ms is not None and send_at_ms <= deps.records.now_ms():
        req = req.model_copy(update={"send_at": None})  # its time has come: send it now
        send_at_ms = None
    # Checked again against the configuration of this moment, as the requester (policy, names).
    creds, call = prepare(req, ctx, deps, push_id=push_id)
    day = send_at_day(req.send_at, deps)[1] if req.send_at is not None else None
    claim = deps.records.approve(push_id, by=actor.name, lease_until_ms=lease_until_ms(ctx, deps))
    if claim is None:  # another approval (or a reject) won, or the window has just passed
        logger.info("approval claim lost", push_id=push_id, by=actor.name)
        _check_pending(deps.records.get(push_id) or {}, deps)
        raise NotPending("the push is no longer waiting for approval")
    logger.info("push approved", push_id=push_id, by=actor.name, caller=requester)
    count("PushApproved")

    def back_to_pending(refusal: GatewayError) -> None:
        if not deps.records.unapprove(claim):
            logger.error("approved push not put back to pending", push_id=push_id)
        logger.warning("approved push refused before sending", push_id=push_id, code=refusal.code)

    if send_at_ms is not None and day is not None:
        answer = schedule_claimed(
            claim, send_at_ms, day, creds, ctx, deps, give_back=back_to_pending
        )
    else:
        store = deps.quota(creds)
        answer = reserve_and_send(call, store, claim, req, ctx, deps, give_back=back_to_pending)
    if _s(item, "channel") == "eventbridge":
        _publish(answer, _ids(item), deps)
    return _answer(claim, answer, deps)


def reject_push(push_id: str, actor: Caller, deps: PushDeps) -> dict[str, Any]:
    """`POST /v1/pushes/{push_id}/reject`: an approver refuses it, or its requester withdraws it;
    the `rejected` record's view."""
    item = _item(push_id, deps)
    requester = _s(item, "caller")
    if not (
        same_principal(requester, actor.name) or is_listed(actor.name, deps.settings.approvers)
    ):
        raise NotAnApprover(
            "only a principal listed in APPROVERS or the push's requester may reject it"
        )
    _check_pending(item, deps)
    answer = pending_body(push_id, _expires_ms(item), status=REJECTED)
    rejected = deps.records.close_pending(push_id, status=REJECTED, answer=answer, by=actor.name)
    if rejected is None:  # an approval (or another reject) won
        _check_pending(deps.records.get(push_id) or {}, deps)
        raise NotPending("the push is no longer waiting for approval")
    count("PushRejected")
    logger.info("push rejected", push_id=push_id, by=actor.name, caller=requester)
    return record_view(rejected)


def _item(push_id: str, deps: PushDeps) -> Item:
    item = deps.records.get(push_id) if PUSH_ID.fullmatch(push_id) else None
    if item is None:
        raise PushNotFound(f"no push with id {push_id!r}")
    return item


def _check_pending(item: Item, deps: PushDeps) -> None:
    """409 `not_pending`, or `approval_expired` (the record becomes `expired`) past its window."""
    status = _s(item, "status")
    if status == EXPIRED:
        raise ApprovalExpired(f"the push waited longer than {deps.settings.approval_ttl_hours} h")
    if status != PENDING_APPROVAL:
        raise NotPending(
            f"the push is {status or 'gone'}; only a pending_approval push can be approved or "
            "rejected"
        )
    if deps.records.now_ms() < _expires_ms(item):
        return
    push_id = _s(item, "push_id")
    answer = pending_body(push_id, _expires_ms(item), status=EXPIRED)
    if deps.records.close_pending(push_id, status=EXPIRED, answer=answer) is not None:
        count("PushApprovalExpired")
        logger.info("pending push expired", push_id=push_id)
    raise ApprovalExpired(
        f"the push waited longer than {deps.settings.approval_ttl_hours} h for approval; "
        "request it again"
    )


def _requester_context(item: Item, deps: PushDeps, deadline: float | None) -> PushContext:
    """The context the push was requested with: its requester (policy, budgets, records), its
    idempotency scope and key (the same MsgRandom), its channel; this invocation's deadline."""
    caller = _s(item, "caller")
    return PushContext(
        caller=caller,
        caller_session=_s(item, "caller_session") or None,
        channel=_s(item, "channel") or "http",
        event_source=_s(item, "event_source") or None,
        idempotency_scope=caller,
        idempotency_key=_s(item, "idempotency_key") or None,
        request_event_id=_s(item, "request_event_id") or None,
        deadline=deadline,
        max_interval_wait_seconds=deps.settings.quota_max_wait_ms / 1000,
    )


def _answer(claim: Claim, answer: PushAnswer, deps: PushDeps) -> PushAnswer:
    """200 with the record when the push went out (or was scheduled), else its own answer."""
    if answer.record_status not in (SUBMITTED, SCHEDULED):
        return answer
    item = deps.records.get(claim.push_id) or {}
    return PushAnswer(
        push_id=claim.push_id,
        status=200,
        body=record_view(item),
        record_status=answer.record_status,
    )


def _ids(item: Item) -> EventIds:
    return EventIds(
        _s(item, "request_event_id") or None,
        _s(item, "idempotency_key") or None,
        _s(item, "event_source") or None,
    )


def _publish(answer: PushAnswer, ids: EventIds, deps: PushDeps) -> None:
    """The outcome of an approved event push, as the event path would have published it."""
    if answer.record_status == SUBMITTED:
        publish(deps.settings, PUSH_SENT, sent_detail(answer.body, ids))
    elif answer.record_status == SCHEDULED:
        detail = {"push_id": answer.push_id, "send_at": answer.body.get("send_at"), **ids.to_dict()}
        publish(deps.settings, PUSH_SCHEDULED, detail)
    elif answer.record_status == OUTCOME_UNKNOWN:
        publish(
            deps.settings,
            PUSH_OUTCOME_UNKNOWN,
            problem_detail(answer.body, ids, push_id=answer.push_id),
        )
    else:
        publish(
            deps.settings, PUSH_FAILED, problem_detail(answer.body, ids, push_id=answer.push_id)
        )


def _expires_ms(item: Item) -> int:
    return int(item.get("approval_expires_ms", {}).get("N", "0"))


def _s(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))
