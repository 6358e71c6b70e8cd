"""A push, at most once, around its durable record (docs/architecture.md §12, docs/decisions.md §3).

1. every local check (policy, attribute names, sizes): a refusal here writes nothing;
2. claim the record (`sending`), or answer from it (a replay, an in-progress 409, a 422 for a
   reused key, or the recovery of a dead invocation's push as `outcome_unknown`);
3. reserve a quota slot: a refusal forgets the claim (local refusals leave no record). A push
   without an Idempotency-Key has nothing to replay, so it reserves first and claims after;

4. one upstream call; its outcome, whatever it is, is stored with the record and answered.

DynamoDB writes of an accepted push: the claim, the quota reservation, the outcome (three).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from push_common.credentials import AdminCredentials
from push_common.errors import GatewayError, InternalError, OutcomeUnknown
from push_common.observability import count, logger
from push_common.push.families import UpstreamCall
from push_common.push.records import (
    FAILED,
    OUTCOME_UNKNOWN,
    SUBMITTED,
    Claim,
    NewPush,
    PushAnswer,
    unknown_problem,
)
from push_common.push.request import PushRequest
from push_common.push.service import (
    PushContext,
    PushDeps,
    accepted_body,
    accepted_test_body,
    admit_test,
    deliver,
    deliver_test,
    prepare,
    push_id_for,
    reserve_slot,
)
from push_common.quota import QuotaStore

LEASE_MARGIN_SECONDS = 1.0


def normalised_request(req: PushRequest) -> dict[str, Any]:
    """The request as stored and compared for idempotency: normalised JSON, no dry_run."""
    data = req.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for local_only in ("dry_run", "idempotency_key"):
        data.pop(local_only, None)
    return data


def new_push(
    req: PushRequest, ctx: PushContext, *, push_id: str, kind: str, upstream_api: str
) -> NewPush:
    """The record-to-be of a request: its id, normalised request and hash, and who asked."""
    request = normalised_request(req)
    return NewPush(
        push_id=push_id,
        request=request,
        request_hash=hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest(),
        caller=ctx.caller,
        caller_session=ctx.caller_session,
        channel=ctx.channel,
        event_source=ctx.event_source,
        idempotency_key=ctx.idempotency_key,
        request_event_id=ctx.request_event_id,
        kind=kind,
        upstream_api=upstream_api,
    )


def submit_push(req: PushRequest, ctx: PushContext, deps: PushDeps) -> PushAnswer:
    """Run one push (or answer from its record). Raises only for refusals that left no record."""
    push_id = push_id_for(ctx)  # first: timpush carries it upstream as DataId
    creds, call = prepare(req, ctx, deps, push_id=push_id)
    push = new_push(req, ctx, push_id=push_id, kind=call.kind, upstream_api=call.api)
    if not call.takes_quota:
        return _submit_test(push, creds, call, ctx, deps)
    store = deps.quota(creds)
    if ctx.idempotency_key is None:
        # Nothing to replay without a key: take the slot first, so a refusal writes no record.
        reservation = reserve_slot(ctx, store, deps)
        try:
            claimed = deps.records.claim(push, lease_until_ms=lease_until_ms(ctx, deps))
        except BaseException:
            store.release(reservation)
            raise
        if not isinstance(claimed, Claim):  # a fresh random push_id cannot exist yet
            store.release(reservation)
            raise InternalError("a new push id collided with an existing record")
        return send_claimed(call, store, reservation, claimed, req, ctx, deps)
    claimed = deps.records.claim(push, lease_until_ms=lease_until_ms(ctx, deps))
    if isinstance(claimed, PushAnswer):
        if claimed.recovered:
            _note_unknown(claimed.push_id, ctx, "invocation died while sending")
        return claimed
    return reserve_and_send(
        call, store, claimed, req, ctx, deps, give_back=forgetting(claimed, deps)
    )


def forgetting(claim: Claim, deps: PushDeps) -> Callable[[GatewayError], None]:
    """The `give_back` of a fresh request: a refusal before any upstream call forgets the claim
    (a re-run keeps its earlier failure), so a local refusal leaves no record."""

    def forget(refusal: GatewayError) -> None:
        deps.records.abandon(claim, failure_answer(claim, refusal))

    return forget


def reserve_and_send(
    call: UpstreamCall,
    store: QuotaStore,
    claim: Claim,
    req: PushRequest,
    ctx: PushContext,
    deps: PushDeps,
    *,
    give_back: Callable[[GatewayError], None],
) -> PushAnswer:
    """Reserve a slot for a claimed push, then send it at most once (`send_claimed`).

    A refusal before any upstream call hands the claim back (`give_back`: a fresh request forgets
    it, an approval puts the push back to `pending_approval`) and raises.
    """
    try:
        reservation = reserve_slot(ctx, store, deps)
    except GatewayError as refusal:
        give_back(refusal)
        raise
    except Exception as exc:
        give_back(InternalError("quota reservation failed"))
        raise InternalError("the quota reservation failed unexpectedly") from exc
    return send_claimed(call, store, reservation, claim, req, ctx, deps)


def _submit_test(
    push: NewPush, creds: AdminCredentials, call: UpstreamCall, ctx: PushContext, deps: PushDeps
) -> PushAnswer:
    """A test send takes no quota slot; its rate gate plays the reservation's part."""
    claimed = deps.records.claim(push, lease_until_ms=lease_until_ms(ctx, deps))
    if isinstance(claimed, PushAnswer):
        if claimed.recovered:
            _note_unknown(claimed.push_id, ctx, "invocation died while sending")
        return claimed
    try:
        admit_test(creds, deps)
    except GatewayError as refusal:  # refused locally: no record, like a quota refusal
        deps.records.abandon(claimed, failure_answer(claimed, refusal))
        raise
    return _send_test(call, claimed, ctx, deps)


def _send_test(
    call: UpstreamCall,
    claim: Claim,
    ctx: PushContext,
    deps: PushDeps,
) -> PushAnswer:
    """A test send (`timpush/batch`): no quota slot; otherwise the same record and at most once."""
    task_id = _sent_once(lambda: deliver_test(call, ctx, deps), claim, ctx, deps)
    if isinstance(task_id, PushAnswer):
        return task_id
    answer = PushAnswer(
        push_id=claim.push_id,
        status=202,
        body=accepted_test_body(claim.push_id, task_id),
        record_status=SUBMITTED,
    )
    _record(claim, answer, deps, task_id=task_id, sent_at_ms=deps.records.now_ms())
    count("TestSendAccepted")
    logger.info("test send accepted", push_id=claim.push_id, task_id=task_id, caller=ctx.caller)
    return answer


def send_claimed(
    call: UpstreamCall,
    store: QuotaStore,
    reservation: Any,
    claim: Claim,
    req: PushRequest,
    ctx: PushContext,
    deps: PushDeps,
) -> PushAnswer:
    task_id = _sent_once(lambda: deliver(call, store, reservation, ctx, deps), claim, ctx, deps)
    if isinstance(task_id, PushAnswer):
        return task_id
    sent_at = deps.records.now_ms()
    answer = PushAnswer(
        push_id=claim.push_id,
        status=202,
        body=accepted_body(claim.push_id, task_id, reservation, store),
        record_status=SUBMITTED,
    )
    _record(claim, answer, deps, task_id=task_id, sent_at_ms=sent_at)
    count("PushAccepted")
    logger.info(
        "push accepted",
        push_id=claim.push_id,
        task_id=task_id,
        caller=ctx.caller,
        caller_session=ctx.caller_session,
        audience=_audience_kind(req),
        quota_used=reservation.used,
    )
    return answer


def _sent_once(
    send: Callable[[], str], claim: Claim, ctx: PushContext, deps: PushDeps
) -> str | PushAnswer:
    """Run the one upstream send of a claimed push: its TaskId, or the recorded failure.

    `send` follows `deliver`'s contract: `OutcomeUnknown` when a task may exist, any other
    `GatewayError` when Tencent certainly created none.
    """
    try:
        return send()
    except OutcomeUnknown as unknown:
        return _unknown(claim, unknown, ctx, deps)
    except GatewayError as refusal:
        answer = failure_answer(claim, refusal)
        _record(claim, answer, deps, error=error_of(refusal))
        logger.warning("push failed", push_id=claim.push_id, code=refusal.code)
        return answer
    except Exception:
        # A bug after the call may have started: the safe reading is that it was sent.
        logger.exception("unexpected error while sending a push", push_id=claim.push_id)
        internal = OutcomeUnknown("internal error while sending the push", timed_out=False)
        return _unknown(claim, internal, ctx, deps)


def _unknown(claim: Claim, exc: OutcomeUnknown, ctx: PushContext, deps: PushDeps) -> PushAnswer:
    problem = unknown_problem(claim.push_id, exc.detail, status=exc.status)
    if exc.upstream_code is not None:
        problem["upstream_code"] = exc.upstream_code
    answer = PushAnswer(
        push_id=claim.push_id, status=exc.status, body=problem, record_status=OUTCOME_UNKNOWN
    )
    _record(claim, answer, deps, error=error_of(exc))
    _note_unknown(claim.push_id, ctx, exc.detail)
    return answer


def _record(claim: Claim, answer: PushAnswer, deps: PushDeps, **fields: Any) -> None:
    """Store the outcome; the caller gets the answer even when the record cannot be written.

    A record left in `sending` is recovered as `outcome_unknown` once its lease ends, so a
    failed write can never lead to a second send, only to a more cautious answer later.
    """
    try:
        stored = deps.records.finish(claim, answer, **fields)
    except GatewayError:
        logger.exception("push outcome not recorded", push_id=claim.push_id)
        return
    if not stored:
        logger.error("push outcome not recorded: the record was taken over", push_id=claim.push_id)


def _note_unknown(push_id: str, ctx: PushContext, detail: str) -> None:
    count("PushOutcomeUnknown")
    logger.error("push outcome unknown", push_id=push_id, caller=ctx.caller, detail=detail)


def failure_answer(claim: Claim, exc: GatewayError) -> PushAnswer:
    exc.push_id = claim.push_id
    return PushAnswer(
        push_id=claim.push_id,
        status=exc.status,
        body=exc.to_problem(),
        headers=exc.headers(),
        record_status=FAILED,
        rerunnable=exc.retryable,
    )


def error_of(exc: GatewayError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "detail": exc.detail}
    if exc.upstream_code is not None:
        error["upstream_code"] = exc.upstream_code
    return error


def lease_until_ms(ctx: PushContext, deps: PushDeps) -> int:
    """Until when a `sending` record belongs to this invocation: its deadline, plus a margin
    for the Lambda's own end (the handler answers ~0.5 s early) and clock skew."""
    if ctx.deadline is None:
        seconds = float(deps.settings.push_lease_seconds)
    else:
        seconds = max(0.0, ctx.deadline - deps.monotonic()) + LEASE_MARGIN_SECONDS
    return deps.records.now_ms() + int(seconds * 1000)


def _audience_kind(req: PushRequest) -> str:
    audience = req.audience
    if audience.accounts is not None:
        return "accounts"
    return "all" if audience.all else "tags" if audience.tags is not None else "attributes"
