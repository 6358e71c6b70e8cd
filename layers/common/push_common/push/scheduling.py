"""Scheduled pushes (docs/architecture.md §14): schedule one, cancel one, show its record.

Scheduling checks everything a push needs now (so a schedule can only fail later for a change
of configuration), claims the record, holds a slot of the quota day of `send_at` and creates
the one-time schedule; the record becomes `scheduled` and answers every replay. Cancelling is
the conditional `scheduled → cancelled` (the dispatcher's `scheduled → sending` races it: one
of them wins), then the slot goes back and the schedule is deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from push_common.credentials import AdminCredentials
from push_common.errors import (
    FieldProblem,
    GatewayError,
    IdempotencyKeyReused,
    InternalError,
    NotCancellable,
    NotOwner,
    PushNotFound,
    ValidationFailed,
)
from push_common.identity import Caller, may_change
from push_common.observability import count, logger
from push_common.push.outcomes import PUSH_CANCELLED, publish
from push_common.push.record_views import record_view
from push_common.push.records import (
    SCHEDULED,
    SENDING,
    Claim,
    Item,
    NewPush,
    PushAnswer,
    answer_of,
    iso_ms,
)
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps, prepare, push_id_for, send_at_day
from push_common.push.submission import forgetting, lease_until_ms, new_push
from push_common.quota import HeldSlot, QuotaStore
from push_common.schedules import Schedules

_PUSH_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def schedules_of(deps: PushDeps) -> Schedules:
    if deps.schedules is None:
        raise InternalError("scheduled pushes are not configured for this function")
    return deps.schedules()


def schedule_push(req: PushRequest, ctx: PushContext, deps: PushDeps) -> PushAnswer:
    """Schedule the push (or answer from its record): 202 `scheduled` with that day's quota."""
    if req.send_at is None:
        raise InternalError("schedule_push needs send_at")
    push_id = push_id_for(ctx)
    try:
        send_at_ms, day = send_at_day(req.send_at, deps)
    except ValidationFailed:
        # A retry after send_at has passed still gets the answer its record holds.
        earlier = new_push(
            req, ctx, push_id=push_id, kind="broadcast", upstream_api=deps.settings.tim_push_api
        )
        if (replay := replay_of(earlier, deps)) is not None:
            return replay
        raise
    creds, call = prepare(req, ctx, deps, push_id=push_id)
    if not call.takes_quota:
        # The dispatcher sends broadcasts only; a test send goes out at once.
        problem = "send_at is not supported for test sends (audience.accounts); send it now"
        raise ValidationFailed(problem, errors=[FieldProblem("send_at", problem)])
    push = new_push(req, ctx, push_id=push_id, kind=call.kind, upstream_api=call.api)
    claimed = deps.records.claim(push, lease_until_ms=lease_until_ms(ctx, deps))
    if isinstance(claimed, PushAnswer):
        return claimed
    give_back = forgetting(claimed, deps)
    return schedule_claimed(claimed, send_at_ms, day, creds, ctx, deps, give_back=give_back)


def schedule_claimed(
    claimed: Claim,
    send_at_ms: int,
    day: str,
    creds: AdminCredentials,
    ctx: PushContext,
    deps: PushDeps,
    *,
    give_back: Callable[[GatewayError], None],
) -> PushAnswer:
    """Hold a slot of `day`, create the schedule and mark the claimed push `scheduled`.

    A refusal hands the claim back (`give_back`: a fresh request forgets it, an approval puts the
    push back to `pending_approval`) and raises; nothing is held then.
    """
    store = deps.quota(creds)
    try:
        held = store.hold(day, store.policy.pool_of(ctx.caller))
    except GatewayError as refusal:
        give_back(refusal)
        raise
    except Exception as exc:
        give_back(InternalError("quota reservation failed"))
        raise InternalError("the quota reservation failed unexpectedly") from exc
    try:
        schedules_of(deps).create(claimed.push_id, send_at_ms)
    except Exception as exc:
        if not isinstance(exc, GatewayError):
            logger.exception("schedule not created", push_id=claimed.push_id)
        store.unhold(day, held.pool)
        failed = exc if isinstance(exc, GatewayError) else InternalError("schedule not created")
        give_back(failed)
        if failed is exc:
            raise
        raise failed from exc
    answer = PushAnswer(
        push_id=claimed.push_id,
        status=202,
        body=scheduled_body(claimed.push_id, send_at_ms, held, store),
        record_status=SCHEDULED,
    )
    marked = deps.records.mark_scheduled(
        claimed, answer, send_at_ms=send_at_ms, quota_day=day, quota_pool=held.pool
    )
    if not marked:
        logger.error("push scheduled but its record was taken over", push_id=claimed.push_id)
    count("PushScheduled")
    logger.info(
        "push scheduled",
        push_id=claimed.push_id,
        send_at=iso_ms(send_at_ms),
        quota_day=day,
        caller=ctx.caller,
        scheduled_that_day=held.scheduled,
    )
    return answer


def replay_of(push: NewPush, deps: PushDeps) -> PushAnswer | None:
    """The stored answer of this keyed push, when its record is finished and matches."""
    if push.idempotency_key is None:
        return None
    item = deps.records.get(push.push_id)
    if item is None or _s(item, "status") in ("", SENDING):
        return None
    if _s(item, "request_hash") != push.request_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body"
        )
    return answer_of(item, replayed=True)


def scheduled_body(
    push_id: str, send_at_ms: int, held: HeldSlot, store: QuotaStore
) -> dict[str, Any]:
    """The 202 body of a scheduled push: the full quota object of its day."""
    quota = store.policy.day_snapshot(held.day, used=held.used, scheduled=held.scheduled)
    return {
        "push_id": push_id,
        "status": SCHEDULED,
        "send_at": iso_ms(send_at_ms),
        "quota": quota.to_dict(),
    }


def cancel_push(push_id: str, actor: Caller, deps: PushDeps) -> dict[str, Any]:
    """`DELETE /v1/pushes/{push_id}`: the cancelled record's view, or 403 / 404 / 409."""
    item = deps.records.get(push_id) if _PUSH_ID.fullmatch(push_id) else None
    if item is None:
        raise PushNotFound(f"no push with id {push_id!r}")
    if not may_change(_s(item, "caller"), actor, deps.settings):
        raise NotOwner("only the push's creator or an ADMIN_PRINCIPALS member may cancel it")
    status = _s(item, "status")
    if status != SCHEDULED:
        raise NotCancellable(f"the push is {status}; only a scheduled push can be cancelled")
    answer = {**json.loads(_s(item, "answer") or "{}"), "status": "cancelled"}
    cancelled = deps.records.cancel(push_id, by=actor.name, answer=answer)
    if cancelled is None:  # the dispatcher (or another cancel) won
        now = deps.records.get(push_id) or {}
        raise NotCancellable(
            f"the push is {_s(now, 'status') or 'gone'}; only a scheduled push can be cancelled"
        )
    deps.quota(deps.credentials()).unhold(_s(item, "quota_day"), _s(item, "quota_pool") or None)
    try:
        schedules_of(deps).delete(push_id)
    except GatewayError:
        # Harmless: when it fires, the dispatcher finds the push cancelled and sends nothing.
        logger.warning("schedule of a cancelled push not deleted", push_id=push_id)
    publish(
        deps.settings,
        PUSH_CANCELLED,
        {
            "push_id": push_id,
            "send_at": _s(item, "send_at") or None,
            "cancelled_by": actor.name,
            "idempotency_key": _s(item, "idempotency_key") or None,
            "request_event_id": _s(item, "request_event_id") or None,
            "source": _s(item, "event_source") or None,
        },
    )
    count("PushCancelled")
    logger.info("push cancelled", push_id=push_id, by=actor.name)
    return record_view(cancelled)


def _s(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))
