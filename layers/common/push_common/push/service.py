"""The push use case: policy → wire body → quota → one signed upstream call → result.

Everything that can be checked locally is checked before a quota slot is taken, so a request
that could never succeed costs nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from push_common.credentials import AdminCredentials
from push_common.errors import FieldProblem, QuotaExceeded, ValidationFailed
from push_common.observability import count, logger
from push_common.push.policy import check_attribute_names, check_caller_policy
from push_common.push.request import PushRequest
from push_common.push.rules import MAX_WIRE_BODY_BYTES, UPSTREAM_INTERVAL_MS
from push_common.push.wire import im_push_body, wire_size
from push_common.quota import IntervalWait, QuotaSnapshot, QuotaStore, Reservation
from push_common.settings import Settings
from push_common.tim_client import TimClient, UpstreamError, UpstreamUnreachable


@dataclass(frozen=True)
class PushContext:
    """Who asks, under which idempotency scope, and by when the answer is due."""

    caller: str
    idempotency_scope: str | None = None
    idempotency_key: str | None = None
    deadline: float | None = None  # time.monotonic() value


@dataclass
class PushDeps:
    settings: Settings
    client: TimClient
    credentials: Callable[[], AdminCredentials]
    quota: Callable[[AdminCredentials], QuotaStore]
    attribute_names: Callable[[Iterable[str]], tuple[str, ...]]
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


def msg_random_for(ctx: PushContext) -> int:
    """uint32 MsgRandom: derived from the idempotency scope so every retry carries the same one."""
    if ctx.idempotency_key is None:
        return secrets.randbits(32)
    scoped = f"{ctx.idempotency_scope or ''}\n{ctx.idempotency_key}".encode()
    return int.from_bytes(hashlib.sha256(scoped).digest()[:4], "big")


def prepare(
    req: PushRequest, ctx: PushContext, deps: PushDeps
) -> tuple[AdminCredentials, dict[str, Any]]:
    """Every local check, then the exact wire body. Raises 403/422; consumes nothing."""
    creds = deps.credentials()
    check_caller_policy(req, admin=creds.identifier, caller=ctx.caller, settings=deps.settings)
    check_attribute_names(req, deps.attribute_names)
    body = im_push_body(req, msg_random=msg_random_for(ctx), sender=req.sender)
    if (size := wire_size(body)) > MAX_WIRE_BODY_BYTES:
        raise ValidationFailed(
            f"the upstream body would be {size} bytes; the limit is {MAX_WIRE_BODY_BYTES}",
            errors=[FieldProblem("message", "message and notification are too large", 90056)],
        )
    return creds, body


def dry_run(req: PushRequest, ctx: PushContext, deps: PushDeps) -> dict[str, Any]:
    """200 body of a dry run: the exact upstream request and the quota forecast."""
    creds, body = prepare(req, ctx, deps)
    return {
        "dry_run": True,
        "upstream_request": body,
        "quota": deps.quota(creds).snapshot().to_dict(),
    }


def submit(req: PushRequest, ctx: PushContext, deps: PushDeps) -> dict[str, Any]:
    """202 body of a push accepted upstream; raises a GatewayError otherwise."""
    creds, body = prepare(req, ctx, deps)
    store = deps.quota(creds)
    reservation = _reserve_waiting(store, ctx, deps)
    task_id = _send(body, store, reservation, ctx, deps)
    snapshot = QuotaSnapshot(
        limit=deps.settings.push_daily_limit,
        used=reservation.used,
        resets_at=store.policy.calendar.next_reset(reservation.day),
        next_push_not_before=None,
        timezone=deps.settings.quota_timezone,
    )
    push_id = str(uuid.uuid4())
    count("PushAccepted")
    logger.info(
        "push accepted",
        push_id=push_id,
        task_id=task_id,
        caller=ctx.caller,
        audience=_audience_kind(req),
        quota_used=reservation.used,
    )
    return {
        "push_id": push_id,
        "task_id": task_id,
        "status": "submitted",
        "quota": snapshot.brief(),
    }


def _reserve_waiting(store: QuotaStore, ctx: PushContext, deps: PushDeps) -> Reservation:
    """Reserve a slot, waiting out a short interval rather than answering 429 at once."""
    budget_end = deps.monotonic() + deps.settings.quota_max_wait_ms / 1000
    if ctx.deadline is not None:
        budget_end = min(budget_end, ctx.deadline - deps.settings.upstream_read_timeout_seconds)
    while True:
        try:
            return store.reserve()
        except IntervalWait as wait:
            pause = wait.wait_ms / 1000 + secrets.randbelow(20) / 1000
            if deps.monotonic() + pause > budget_end:
                raise
            deps.sleep(pause)


def _send(
    body: dict[str, Any], store: QuotaStore, res: Reservation, ctx: PushContext, deps: PushDeps
) -> str:
    try:
        return _call_im_push(body, ctx, deps)
    except UpstreamUnreachable:
        store.release(res)  # the push never left this host
        raise
    except UpstreamError as exc:
        if exc.error_code != 90024:
            raise _settle(exc, store, res) from exc
        # Upstream saw a push we did not record: wait out ITS interval (1 s, whatever ours is
        # configured to), then retry once with the same body and MsgRandom.
        store.note_upstream_push(store.now_ms())
        deps.sleep(max(store.policy.min_gap_ms, UPSTREAM_INTERVAL_MS + 50) / 1000)
        try:
            return _call_im_push(body, ctx, deps)
        except UpstreamError as again:
            raise _settle(again, store, res) from again


def _call_im_push(body: dict[str, Any], ctx: PushContext, deps: PushDeps) -> str:
    # A timed-out push may have been accepted: never re-send it blindly (no read-timeout retry).
    out = deps.client.call("im_push", body, deadline=ctx.deadline, retry_read_timeout=False)
    return str(out.get("TaskId", ""))


def _settle(exc: UpstreamError, store: QuotaStore, res: Reservation) -> Exception:
    """Reconcile the quota with upstream's verdict and return the error to raise."""
    if exc.error_code == 90047:
        store.mark_exhausted(res.day)
        return QuotaExceeded(
            "Tencent IM reports the daily push quota used up",
            code="daily_quota_exhausted",
            upstream_code=90047,
            retry_after=store.policy.calendar.seconds_until_reset(store.now_ms()),
        )
    if exc.error_code == 90024:
        store.release(res)
        return QuotaExceeded(
            "Tencent IM still reports pushes too close together",
            code="push_interval",
            upstream_code=90024,
            retry_after=max(1, store.policy.min_gap_ms // 1000),
        )
    if exc.outcome.releases_quota:
        store.release(res)
    return exc


def _audience_kind(req: PushRequest) -> str:
    audience = req.audience
    return "all" if audience.all else "tags" if audience.tags is not None else "attributes"
