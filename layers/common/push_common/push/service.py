"""The steps of a push: local checks → wire body → quota slot → one signed upstream call.

Everything that can be checked locally is checked before a quota slot is taken, so a request
that could never succeed costs nothing. `push.submission` runs these steps around the push
record (docs/architecture.md §2, §12).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from push_common.credentials import AdminCredentials
from push_common.errors import (
    FieldProblem,
    GatewayError,
    OutcomeUnknown,
    QuotaExceeded,
    ValidationFailed,
)
from push_common.push.families import UpstreamCall, upstream_call
from push_common.push.policy import check_attribute_names, check_caller_policy
from push_common.push.records import PushRecords
from push_common.push.request import PushRequest
from push_common.push.rules import BATCH_INTERVAL_MS, MAX_WIRE_BODY_BYTES, UPSTREAM_INTERVAL_MS
from push_common.push.wire import wire_size
from push_common.quota import IntervalWait, QuotaStore, Reservation
from push_common.quota_calendar import QuotaCalendar
from push_common.rate_gate import RateGate
from push_common.settings import Settings
from push_common.tim_client import TimClient, UpstreamError, UpstreamUnreachable

# The Scheduler adapter loads with the first scheduled push (docs/decisions.md §22).
if TYPE_CHECKING:
    from push_common.schedules import Schedules


@dataclass(frozen=True, kw_only=True)
class PushContext:
    """Who asks, through which channel, under which idempotency scope, and by when."""

    caller: str  # the normalised caller (push_common.identity): policy, scope, records
    caller_session: str | None = None  # the raw principal (an STS session ARN), for the record
    channel: str = "http"  # http | eventbridge | schedule
    event_source: str | None = None
    idempotency_scope: str | None = None
    idempotency_key: str | None = None
    request_event_id: str | None = None  # the `Push Requested` event, for the record
    deadline: float | None = None  # time.monotonic() value
    # How long a push may wait for the quota interval; None: as long as the deadline allows
    # (events have ~30 s, a synchronous HTTP caller prefers a 429 after ~2 s).
    max_interval_wait_seconds: float | None = None


@dataclass
class PushDeps:
    settings: Settings
    client: TimClient
    credentials: Callable[[], AdminCredentials]
    quota: Callable[[AdminCredentials], QuotaStore]
    attribute_names: Callable[[Iterable[str]], tuple[str, ...]]
    records: PushRecords
    # (credentials, gate name, interval ms) → the shared per-second gate of that upstream call.
    gate: Callable[[AdminCredentials, str, int], RateGate] | None = None
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    # EventBridge Scheduler (docs/architecture.md §14); built on first use by the push functions.
    schedules: Callable[[], Schedules] | None = None

    def open_gate(self, creds: AdminCredentials, name: str, interval_ms: int) -> RateGate:
        """The shared gate, with the quota's safety margin: the pass is recorded just before the
        call leaves, so clock skew and network jitter must not bring two calls within the limit."""
        assert self.gate is not None
        return self.gate(creds, name, interval_ms + self.settings.quota_safety_margin_ms)

    def pass_gate(
        self, creds: AdminCredentials, name: str, interval_ms: int, *, code: str, what: str
    ) -> None:
        """Wait for the shared gate of `name` (at most QUOTA_MAX_WAIT_MS), else 429 `code`."""
        if self.gate is None:
            return
        self.open_gate(creds, name, interval_ms).wait_pass(
            max_wait_seconds=self.settings.quota_max_wait_ms / 1000,
            code=code,
            what=what,
            sleep=self.sleep,
            monotonic=self.monotonic,
        )


def msg_random_for(ctx: PushContext) -> int:
    """uint32 MsgRandom: derived from the idempotency scope so every retry carries the same one."""
    if ctx.idempotency_key is None:
        return secrets.randbits(32)
    scoped = f"{ctx.idempotency_scope or ''}\n{ctx.idempotency_key}".encode()
    return int.from_bytes(hashlib.sha256(scoped).digest()[:4], "big")


def push_id_for(ctx: PushContext) -> str:
    """A keyed push's id is derived from (scope, key), so every retry finds the same record."""
    if ctx.idempotency_key is None:
        return str(uuid.uuid4())
    scoped = f"push-id\n{ctx.idempotency_scope or ''}\n{ctx.idempotency_key}".encode()
    return str(uuid.UUID(bytes=hashlib.sha256(scoped).digest()[:16], version=4))


def prepare(
    req: PushRequest, ctx: PushContext, deps: PushDeps, *, push_id: str
) -> tuple[AdminCredentials, UpstreamCall]:
    """Every local check, then the exact upstream call. Raises 403/422; consumes nothing.

    `push_id` is known first because `timpush/*` carries it as `DataId`.
    """
    api = deps.settings.tim_push_api
    creds = deps.credentials()
    check_caller_policy(req, admin=creds.identifier, caller=ctx.caller, settings=deps.settings)
    call = upstream_call(
        req, api=api, msg_random=msg_random_for(ctx), push_id=push_id, admin=creds.identifier
    )
    check_attribute_names(req, deps.attribute_names)
    if (size := wire_size(call.body)) > MAX_WIRE_BODY_BYTES:
        raise ValidationFailed(
            f"the upstream body would be {size} bytes; the limit is {MAX_WIRE_BODY_BYTES}",
            errors=[FieldProblem("message", "message and notification are too large", 90056)],
        )
    return creds, call


def dry_run(req: PushRequest, ctx: PushContext, deps: PushDeps) -> dict[str, Any]:
    """200 body of a dry run: the exact upstream request and (broadcasts) the quota forecast, of
    the day of `send_at` for a scheduled push."""
    day = None
    if req.send_at is not None:
        _, day = send_at_day(req.send_at, deps)
    creds, call = prepare(req, ctx, deps, push_id=push_id_for(ctx))
    out: dict[str, Any] = {"dry_run": True, "upstream_request": call.body}
    if call.takes_quota:
        out["quota"] = deps.quota(creds).snapshot(day, caller=ctx.caller).to_dict()
    return out


# A schedule may fire up to a minute late on AWS: it must still fall on its quota day.
SCHEDULE_DAY_END_MARGIN_MS = 120_000


def send_at_day(send_at: datetime, deps: PushDeps) -> tuple[int, str]:
    """(send_at in ms, its quota day), or 422 naming `send_at` (docs/architecture.md §14)."""
    settings = deps.settings
    calendar = QuotaCalendar(settings.zone)
    now = deps.records.now_ms()
    at = int(send_at.timestamp() * 1000)
    day = calendar.day(at)
    day_end = int(calendar.next_reset(day).timestamp() * 1000)
    problem = None
    if at <= now:
        problem = "send_at must be in the future"
    elif at - now > settings.schedule_max_days * 86_400_000:
        problem = f"send_at must be at most {settings.schedule_max_days} days ahead"
    elif at > day_end - SCHEDULE_DAY_END_MARGIN_MS:
        problem = (
            "send_at must be at least 2 minutes before the end of its quota day "
            f"(midnight {settings.quota_timezone})"
        )
    if problem is not None:
        raise ValidationFailed(
            f"invalid send_at: {problem}", errors=[FieldProblem("send_at", problem)]
        )
    return at, day


def reserve_slot(ctx: PushContext, store: QuotaStore, deps: PushDeps) -> Reservation:
    """Reserve a slot, waiting out the interval as long as the context allows rather than 429."""
    budget_end = float("inf")
    if ctx.max_interval_wait_seconds is not None:
        budget_end = deps.monotonic() + ctx.max_interval_wait_seconds
    if ctx.deadline is not None:
        # Leave room for the upstream call itself inside the invocation's time.
        budget_end = min(budget_end, ctx.deadline - deps.settings.upstream_read_timeout_seconds)
    if budget_end == float("inf"):
        budget_end = deps.monotonic() + deps.settings.quota_max_wait_ms / 1000
    return wait_out_interval(
        lambda: store.reserve(store.policy.pool_of(ctx.caller)), until=budget_end, deps=deps
    )


def wait_out_interval(
    take: Callable[[], Reservation], *, until: float, deps: PushDeps
) -> Reservation:
    """`take` a slot, sleeping through interval refusals while `until` (a monotonic instant)
    allows; the last IntervalWait is raised when it does not."""
    while True:
        try:
            return take()
        except IntervalWait as wait:
            pause = wait.wait_ms / 1000 + secrets.randbelow(20) / 1000
            if deps.monotonic() + pause > until:
                raise
            deps.sleep(pause)


def deliver(
    call: UpstreamCall,
    store: QuotaStore,
    res: Reservation,
    ctx: PushContext,
    deps: PushDeps,
) -> str:
    """Send the push once; its TaskId, or raise with the quota reconciled to what happened.

    `OutcomeUnknown` keeps the slot (a task may exist); every other error means Tencent
    certainly created no task, and the slot goes back unless Tencent says the day is over.
    """
    try:
        return _call_upstream(call, ctx, deps)
    except UpstreamUnreachable:
        store.release(res)  # the push never left this host
        raise
    except UpstreamError as exc:
        if exc.error_code != 90024:
            raise _settle(exc, store, res) from exc
        # The first answer says another push came less than 1 s before ours: Tencent created no
        # task, so waiting out ITS interval (1 s, whatever ours is) and trying once is safe.
        store.note_upstream_push(store.now_ms())
        deps.sleep(max(store.policy.min_gap_ms, UPSTREAM_INTERVAL_MS + 50) / 1000)
        try:
            return _call_upstream(call, ctx, deps)
        except UpstreamUnreachable:
            store.release(res)
            raise
        except UpstreamError as again:
            raise _settle(again, store, res) from again
    except OutcomeUnknown:
        raise
    except GatewayError:
        # E.g. the secret could not be re-read to sign again: raised between attempts, after
        # answers that created no task.
        store.release(res)
        raise


def admit_test(creds: AdminCredentials, deps: PushDeps) -> None:
    """Wait for the shared `timpush/batch` gate (docs/upstream.md §1.5), else 429.

    A test send takes no quota slot, but batch calls are limited per second; the gate keeps every
    Lambda together under that limit. A refusal here is local: nothing was sent.
    """
    deps.pass_gate(
        creds,
        "batch",
        BATCH_INTERVAL_MS,
        code="test_send_rate_limited",
        what="timpush/batch",
    )


def deliver_test(call: UpstreamCall, ctx: PushContext, deps: PushDeps) -> str:
    """Send an admitted test send once; its TaskId, or raise (`deliver`'s contract:
    `OutcomeUnknown` when a task may exist, any other error means none was created)."""
    return _call_upstream(call, ctx, deps)


def accepted_test_body(push_id: str, task_id: str) -> dict[str, Any]:
    """The 202 body of a test send: no `quota` (it took no slot)."""
    return {"push_id": push_id, "task_id": task_id, "status": "submitted"}


def accepted_body(
    push_id: str, task_id: str, res: Reservation, store: QuotaStore
) -> dict[str, Any]:
    """The 202 body of a push Tencent accepted."""
    snapshot = store.policy.day_snapshot(res.day, used=res.used, scheduled=res.scheduled)
    return {
        "push_id": push_id,
        "task_id": task_id,
        "status": "submitted",
        "quota": snapshot.brief(),
    }


def _call_upstream(call: UpstreamCall, ctx: PushContext, deps: PushDeps) -> str:
    # Every command that may create a task is at most once (docs/decisions.md §3).
    out = deps.client.call(
        call.command, call.body, service=call.service, deadline=ctx.deadline, at_most_once=True
    )
    return str(out.get("TaskId", ""))


# Tencent's clock and ours may disagree by a few seconds around midnight: a 90047 this soon after
# our reset is most likely yesterday's count on Tencent's side, not today's quota used up.
RESET_GRACE_SECONDS = 10


def _settle(exc: UpstreamError, store: QuotaStore, res: Reservation) -> Exception:
    """Reconcile the quota with an answer that created no task; return the error to raise."""
    calendar = store.policy.calendar
    if exc.error_code == 90047:
        now = store.now_ms()
        if calendar.seconds_since_reset(now) < RESET_GRACE_SECONDS:
            store.release(res)
            return QuotaExceeded(
                "Tencent IM still counts the previous day; retry in a few seconds",
                code="daily_quota_exhausted",
                upstream_code=90047,
                retry_after=RESET_GRACE_SECONDS,
            )
        store.mark_exhausted(res.day)
        return QuotaExceeded(
            "Tencent IM reports the daily push quota used up",
            code="daily_quota_exhausted",
            upstream_code=90047,
            retry_after=calendar.seconds_until_reset(now),
        )
    store.release(res)
    if exc.error_code == 90024:
        return QuotaExceeded(
            "Tencent IM still reports pushes too close together",
            code="push_interval",
            upstream_code=90024,
            retry_after=max(1, store.policy.min_gap_ms // 1000),
        )
    return exc
