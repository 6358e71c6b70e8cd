"""`POST /v1/pushes/{push_id}/recall` (docs/architecture.md §13): `timpush/revoke` of a push's
task, with a replacement offline notification.

Order of checks: the record exists (404) → the actor may change it (403) → the body (422) →
the record's API family and state (409, decided locally before anything is called) → the shared
1/s gate (429) → one revoke. Idempotent: a push already `recalled`, or upstream 90050
("already revoked"), answers 200 with the record.
"""

from __future__ import annotations

from typing import Any

from push_common.body import decode_json_object
from push_common.errors import (
    Conflict,
    NotOwner,
    OutcomeUnknown,
    PushNotFound,
    RecallOutcomeUnknown,
)
from push_common.identity import Caller, may_change
from push_common.observability import count, logger
from push_common.push.elements import StrictModel
from push_common.push.families import TEST
from push_common.push.record_views import record_view
from push_common.push.records import RECALLED, SUBMITTED, Item, parse_iso_ms
from push_common.push.request import Notification
from push_common.push.service import PushDeps
from push_common.push.validation import validate_model
from push_common.push.wire import offline_push_info_of
from push_common.tim_client import UpstreamError
from push_common.upstream_api import TIMPUSH

# Tencent revokes tasks up to 24 h old (docs/upstream.md §3.4); 5 min less leaves room for clock
# skew and the call itself, so an accepted recall is never refused upstream as 90052.
RECALL_WINDOW_MS = (24 * 3600 - 5 * 60) * 1000
REVOKE_INTERVAL_MS = 1000  # timpush/revoke: 1 call per second (90051)
_ALREADY_REVOKED = 90050
_NOT_RECALLABLE_UPSTREAM = (90049, 90052)


class RecallRequest(StrictModel):
    """The replacement offline notification shown instead of the recalled one."""

    notification: Notification


def recall_push(
    push_id: str, raw: bytes, actor: Caller, deps: PushDeps, *, deadline: float | None
) -> dict[str, Any]:
    """200 body: the record, `status: recalled`. Raises the problems of the module docstring."""
    item = _record(push_id, deps)
    if not may_change(_str(item, "caller"), actor, deps.settings):
        raise NotOwner("only the push's creator or an ADMIN_PRINCIPALS member may recall it")
    data = decode_json_object(raw, max_bytes=deps.settings.max_body_bytes)
    req = validate_model(RecallRequest, data)
    if _str(item, "status") == RECALLED:
        return record_view(item)
    task_id = _recallable_task(item, deps)
    creds = deps.credentials()
    deps.pass_gate(
        creds, "revoke", REVOKE_INTERVAL_MS, code="recall_rate_limited", what="timpush/revoke"
    )
    body = {"TaskId": task_id, "OfflinePushInfo": offline_push_info_of(req.notification)}
    try:
        deps.client.call("revoke", body, service=TIMPUSH, deadline=deadline, at_most_once=True)
    except OutcomeUnknown as exc:
        raise RecallOutcomeUnknown(
            f"{exc.detail}; the push is unchanged here and a recall may be retried",
            upstream_code=exc.upstream_code,
        ) from exc
    except UpstreamError as exc:
        if exc.error_code in _NOT_RECALLABLE_UPSTREAM:
            raise Conflict(
                f"Tencent IM refused the recall ({exc.outcome.summary})",
                code="not_recallable",
                upstream_code=exc.error_code,
            ) from exc
        if exc.error_code != _ALREADY_REVOKED:
            raise
    deps.records.mark_recalled(push_id, deps.records.now_ms())
    count("PushRecalled")
    logger.info("push recalled", push_id=push_id, task_id=task_id, by=actor.name)
    return record_view(_record(push_id, deps))


def _recallable_task(item: Item, deps: PushDeps) -> str:
    """The TaskId of a push that may be recalled now, else 409."""
    if (_str(item, "upstream_api") or "all_member_push") != TIMPUSH:
        raise Conflict(
            "this push went through all_member_push, which has no recall",
            code="recall_not_supported",
        )
    if _str(item, "kind") == TEST:
        raise Conflict("a test send cannot be recalled", code="not_recallable")
    task_id = _str(item, "task_id")
    sent_ms = parse_iso_ms(_str(item, "sent_at"))
    if _str(item, "status") != SUBMITTED or not task_id or sent_ms is None:
        raise Conflict(
            f"only a submitted push can be recalled; this one is {_str(item, 'status')!r}",
            code="not_recallable",
        )
    if deps.records.now_ms() - sent_ms >= RECALL_WINDOW_MS:
        raise Conflict(
            "a push can be recalled up to 24 hours (less 5 minutes) after it was sent",
            code="not_recallable",
        )
    return task_id


def _record(push_id: str, deps: PushDeps) -> Item:
    item = deps.records.get(push_id)
    if not item:
        raise PushNotFound(f"no push {push_id!r}")
    return item


def _str(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))
