"""The `POST /v1/pushes`, `DELETE /v1/pushes/{push_id}`, approve / reject and `GET /v1/quota`
use cases, fed by the edge with plain values."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from push_common.body import decode_json_object
from push_common.errors import FieldProblem, ValidationFailed
from push_common.identity import Caller
from push_common.push.policy import needs_approval
from push_common.push.records import PushAnswer
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps, dry_run
from push_common.push.submission import submit_push
from push_common.push.validation import validate_model
from push_common.quota_calendar import QuotaCalendar

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def handle_push(
    raw: bytes, ctx: PushContext, deps: PushDeps
) -> PushAnswer | tuple[int, dict[str, Any]]:
    """A dry run's (200, body), or the push's answer (fresh or replayed from its record)."""
    data = decode_json_object(raw, max_bytes=deps.settings.max_body_bytes)
    req = validate_model(PushRequest, data)
    if req.dry_run:
        return 200, dry_run(req, ctx, deps)
    if needs_approval(req, deps.settings):
        from push_common.push.approval import request_approval  # docs/decisions.md §22

        return request_approval(req, ctx, deps)
    if req.send_at is not None:
        from push_common.push.scheduling import schedule_push  # docs/decisions.md §22

        return schedule_push(req, ctx, deps)
    return submit_push(req, ctx, deps)


def handle_cancel(push_id: str, actor: Caller, deps: PushDeps) -> dict[str, Any]:
    """Cancel a scheduled push (docs/architecture.md §14)."""
    from push_common.push.scheduling import cancel_push  # docs/decisions.md §22

    return cancel_push(push_id, actor, deps)


def handle_quota(
    deps: PushDeps, query: dict[str, str] | None = None, *, caller: str | None = None
) -> dict[str, Any]:
    """The app's quota today, or on `?date=YYYY-MM-DD`, with `caller`'s budget in it
    (docs/architecture.md §3.2, §14, §15)."""
    day = quota_date((query or {}).get("date"), deps)
    return deps.quota(deps.credentials()).snapshot(day, caller=caller).to_dict()


def quota_date(raw: str | None, deps: PushDeps) -> str | None:
    """A quota day from today to SCHEDULE_MAX_DAYS ahead (in QUOTA_TIMEZONE), else 422."""
    if raw is None:
        return None
    today = date.fromisoformat(QuotaCalendar(deps.settings.zone).day(deps.records.now_ms()))
    last = today + timedelta(days=deps.settings.schedule_max_days)
    try:
        day = date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not today <= day <= last:
        problem = f"date must be a YYYY-MM-DD day from {today} to {last}"
        raise ValidationFailed(f"invalid date: {problem}", errors=[FieldProblem("date", problem)])
    return day.isoformat()


def handle_approve(
    push_id: str, actor: Caller, deps: PushDeps, *, deadline: float | None
) -> PushAnswer:
    """Approve a push waiting for approval (docs/architecture.md §16)."""
    from push_common.push.approval import approve_push  # docs/decisions.md §22

    return approve_push(push_id, actor, deps, deadline=deadline)


def handle_reject(push_id: str, actor: Caller, deps: PushDeps) -> dict[str, Any]:
    """Reject (or, by its requester, withdraw) a push waiting for approval."""
    from push_common.push.approval import reject_push  # docs/decisions.md §22

    return reject_push(push_id, actor, deps)
