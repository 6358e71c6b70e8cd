"""Push records in DynamoDB: one item per push, which is also its idempotency entry.

docs/architecture.md §12. Every status change is a conditional write guarded by the `attempt`
token of the invocation that claimed the push, so two invocations can never both send it and a
late writer cannot overwrite what another one decided. A record in `sending` whose lease has
passed belongs to an invocation that died, possibly after writing bytes to Tencent: whoever
finds it turns it into `outcome_unknown` and never sends it (at most once).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common.aws_errors import as_dependency_error, error_code
from push_common.errors import IdempotencyInProgress, IdempotencyKeyReused

SENDING = "sending"
SUBMITTED = "submitted"
FAILED = "failed"
OUTCOME_UNKNOWN = "outcome_unknown"
RECALLED = "recalled"
# Scheduled pushes (docs/architecture.md §14): `scheduled` → `sending` (the dispatcher) or
# `cancelled` (DELETE), each a conditional write, so exactly one of them wins.
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
# Approval before a push to everyone (docs/architecture.md §16): `pending_approval` → `sending`
# or `scheduled` (approved), `rejected` or `expired`, each a conditional write.
PENDING_APPROVAL = "pending_approval"
REJECTED = "rejected"
EXPIRED = "expired"
# Every record is listed under one partition of the `by_created` index: at Tencent's 100 pushes
# a day that partition stays tiny, and one Query serves "newest first" without a Scan.
LIST_PARTITION = "push"
_MAX_CLAIM_ROUNDS = 3

Item = dict[str, Any]


def iso_ms(ms: int) -> str:
    """UTC instant with milliseconds and `Z`, the format of every instant in a record."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{ms % 1000:03d}Z"
    )


@dataclass(frozen=True, kw_only=True)
class NewPush:
    """What is known about a push before it is claimed."""

    push_id: str
    request: Mapping[str, Any]  # the accepted request, normalised, without dry_run
    request_hash: str
    caller: str
    caller_session: str | None = None
    channel: str = "http"
    event_source: str | None = None
    idempotency_key: str | None = None
    request_event_id: str | None = None
    kind: str = "broadcast"
    upstream_api: str = "all_member_push"


@dataclass(frozen=True)
class Claim:
    """This invocation owns the push (status `sending`) until it finishes or its lease ends."""

    push_id: str
    attempt: str
    rerun: bool  # a failed push that created no task is being tried again


@dataclass(frozen=True, kw_only=True)
class PushAnswer:
    """What the caller is answered, fresh or from the record."""

    push_id: str
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    record_status: str
    replayed: bool = False
    # A failed push that certainly created no task and may succeed later: its retry runs again.
    rerunnable: bool = False
    # True when this invocation found a dead invocation's push and declared it unknown.
    recovered: bool = False


class PushRecords:
    """Reads and writes push records; every write is conditional."""

    def __init__(
        self,
        ddb: Any,
        table: str,
        *,
        retention_days: int,
        now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._ddb = ddb
        self._table = table
        self._retention_s = retention_days * 86400
        self._now_ms = now_ms

    def now_ms(self) -> int:
        return self._now_ms()

    # --- claiming ---------------------------------------------------------------------------

    def claim(self, push: NewPush, *, lease_until_ms: int) -> Claim | PushAnswer:
        """Own the push, or the answer its record already holds (a replay).

        Raises 422 `idempotency_key_reused` when the key was used with another request and 409
        `idempotency_in_progress` while another live invocation is sending it.
        """
        for _ in range(_MAX_CLAIM_ROUNDS):
            attempt = str(uuid.uuid4())
            try:
                old = self._try_claim(push, attempt, lease_until_ms)
            except _Taken as taken:
                # dynalite (the local stand-in) does not return the item on a failed condition.
                item = taken.item or self.get(push.push_id) or {}
                found = self._settle_existing(push, item)
                if found is not None:
                    return found
                continue  # the record changed under us (deleted or recovered): look again
            return Claim(push.push_id, attempt, rerun=old is not None)
        raise IdempotencyInProgress(
            "this push's record keeps changing; retry shortly", retry_after=1
        )

    def _try_claim(self, push: NewPush, attempt: str, lease_until_ms: int) -> Item | None:
        now = self._now_ms()
        created = iso_ms(now)
        values: dict[str, Any] = {
            ":sending": _s(SENDING),
            ":failed": _s(FAILED),
            ":true": {"BOOL": True},
            ":hash": _s(push.request_hash),
            ":created": _s(created),
            ":created_ms": _n(now),
            ":list_pk": _s(LIST_PARTITION),
            ":list_sk": _s(f"{created}#{push.push_id}"),
            ":caller": _s(push.caller),
            ":channel": _s(push.channel),
            ":kind": _s(push.kind),
            ":api": _s(push.upstream_api),
            ":request": _s(_dumps(push.request)),
            ":lease": _n(lease_until_ms),
            ":attempt": _s(attempt),
            ":expires": _n(now // 1000 + self._retention_s),
        }
        assigned = {
            "status": ":sending",
            "created_at": "if_not_exists(#created_at, :created)",
            "created_ms": "if_not_exists(#created_ms, :created_ms)",
            "list_pk": ":list_pk",
            "list_sk": "if_not_exists(#list_sk, :list_sk)",
            "caller": ":caller",
            "channel": ":channel",
            "kind": ":kind",
            "upstream_api": ":api",
            "request": ":request",
            "request_hash": ":hash",
            "lease_until_ms": ":lease",
            "attempt": ":attempt",
            "expires_at": ":expires",
        }
        for name, value in (
            ("caller_session", push.caller_session),
            ("event_source", push.event_source),
            ("idempotency_key", push.idempotency_key),
            ("request_event_id", push.request_event_id),
        ):
            if value is not None:
                values[f":{name}"] = _s(value)
                assigned[name] = f":{name}"
        removed = (
            "answer",
            "answer_status",
            "answer_headers",
            "error",
            "rerunnable",
            # a re-run of a failed approved push asks for approval again
            "approved_by",
            "approved_at",
            "approval_expires_at",
            "approval_expires_ms",
        )
        update = _set(assigned) + " REMOVE " + ", ".join(f"#{name}" for name in removed)
        try:
            out = self._ddb.update_item(
                TableName=self._table,
                Key={"push_id": _s(push.push_id)},
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(#push_id) OR (#status = :failed AND "
                "#rerunnable = :true AND #request_hash = :hash)",
                ExpressionAttributeNames=_names(*assigned, *removed, "push_id"),
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                old: Item = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
                raise _Taken(old) from None
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        old = out.get("Attributes") or {}
        return old if "status" in old else None

    def _settle_existing(self, push: NewPush, item: Item) -> PushAnswer | None:
        if not item:
            return None
        if _str(item, "request_hash") != push.request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request body"
            )
        if _str(item, "status") != SENDING:
            return answer_of(item, replayed=True)
        lease = int(item.get("lease_until_ms", {}).get("N", "0"))
        now = self._now_ms()
        if now < lease:
            wait = min(60, max(1, math.ceil((lease - now) / 1000)))
            raise IdempotencyInProgress(
                "a request with this Idempotency-Key is still being sent", retry_after=wait
            )
        return self._recover(item)

    def _recover(self, item: Item) -> PushAnswer | None:
        """A dead invocation's `sending` record: it may have sent, so the outcome is unknown."""
        push_id = _str(item, "push_id")
        problem = unknown_problem(
            push_id,
            "the invocation sending this push stopped before recording Tencent's answer; it "
            "may have been sent and will not be sent again",
            status=502,
        )
        try:
            self._write_final(
                push_id,
                _str(item, "attempt"),
                record_status=OUTCOME_UNKNOWN,
                http_status=502,
                body=problem,
                headers={},
                error={"code": "outcome_unknown", "detail": problem["detail"]},
            )
        except _Taken:
            return None
        return PushAnswer(
            push_id=push_id,
            status=502,
            body=problem,
            record_status=OUTCOME_UNKNOWN,
            recovered=True,
        )

    # --- finishing --------------------------------------------------------------------------

    def finish(
        self,
        claim: Claim,
        answer: PushAnswer,
        *,
        task_id: str | None = None,
        sent_at_ms: int | None = None,
        error: Mapping[str, Any] | None = None,
    ) -> bool:
        """Store the outcome; False (logged by the caller) when the claim was lost meanwhile."""
        return self._conclude(
            claim,
            answer,
            record_status=answer.record_status,
            error=error,
            task_id=task_id,
            sent_at_ms=sent_at_ms,
            rerunnable=answer.rerunnable,
        )

    def _conclude(self, claim: Claim, answer: PushAnswer, **fields: Any) -> bool:
        """`sending` → the state `fields` give, with `answer` stored for replays; False when
        the claim was lost meanwhile."""
        fields.setdefault("error", None)
        try:
            self._write_final(
                claim.push_id,
                claim.attempt,
                http_status=answer.status,
                body=answer.body,
                headers=answer.headers,
                **fields,
            )
        except _Taken:
            return False
        return True

    def abandon(self, claim: Claim, answer: PushAnswer) -> None:
        """Nothing was sent (refused locally): forget a fresh claim, or keep the failure."""
        if claim.rerun:
            error = {"code": answer.body.get("code"), "detail": answer.body.get("detail")}
            self.finish(claim, answer, error=error)
            return
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key={"push_id": _s(claim.push_id)},
                ConditionExpression="#attempt = :attempt",
                ExpressionAttributeNames={"#attempt": "attempt"},
                ExpressionAttributeValues={":attempt": _s(claim.attempt)},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc

    def _write_final(
        self,
        push_id: str,
        attempt: str,
        *,
        record_status: str,
        http_status: int,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        error: Mapping[str, Any] | None,
        task_id: str | None = None,
        sent_at_ms: int | None = None,
        rerunnable: bool = False,
        extra: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        values: dict[str, Any] = {
            ":status": _s(record_status),
            ":answer_status": _n(http_status),
            ":answer": _s(_dumps(body)),
            ":headers": _s(_dumps(headers)),
            ":rerunnable": {"BOOL": rerunnable},
            ":attempt": _s(attempt),
            ":sending": _s(SENDING),
        }
        assigned = {
            "status": ":status",
            "answer_status": ":answer_status",
            "answer": ":answer",
            "answer_headers": ":headers",
            "rerunnable": ":rerunnable",
        }
        for name, value in (
            ("task_id", _s(task_id) if task_id else None),
            ("sent_at", _s(iso_ms(sent_at_ms)) if sent_at_ms is not None else None),
            ("error", _s(_dumps(error)) if error else None),
        ):
            if value is not None:
                values[f":{name}"] = value
                assigned[name] = f":{name}"
        for name, value in (extra or {}).items():
            values[f":{name}"] = value
            assigned[name] = f":{name}"
        written = self._update_if(
            push_id,
            UpdateExpression=_set(assigned) + " REMOVE #lease_until_ms",
            ConditionExpression="#attempt = :attempt AND #status = :sending",
            ExpressionAttributeNames=_names(*assigned, "lease_until_ms", "attempt"),
            ExpressionAttributeValues=values,
        )
        if written is None:
            raise _Taken({})

    # --- scheduled pushes (docs/architecture.md §14) -----------------------------------------

    def mark_scheduled(
        self,
        claim: Claim,
        answer: PushAnswer,
        *,
        send_at_ms: int,
        quota_day: str,
        quota_pool: str | None = None,
    ) -> bool:
        """`sending` → `scheduled`: the slot is held (in `quota_pool`'s budget, if any) and the
        schedule exists."""
        extra = {"send_at": _s(iso_ms(send_at_ms)), "quota_day": _s(quota_day)}
        if quota_pool is not None:
            extra["quota_pool"] = _s(quota_pool)
        return self._conclude(claim, answer, record_status=SCHEDULED, extra=extra)

    def fire(self, push_id: str, *, lease_until_ms: int) -> Claim | None:
        """`scheduled` → `sending` for the dispatcher; None when it is not scheduled (any more)."""
        attempt = str(uuid.uuid4())
        fired = self._update_if(
            push_id,
            UpdateExpression="SET #status = :sending, #attempt = :attempt, "
            "#lease_until_ms = :lease, #channel = :schedule",
            ConditionExpression="#status = :scheduled",
            ExpressionAttributeNames=_names("status", "attempt", "lease_until_ms", "channel"),
            ExpressionAttributeValues={
                ":sending": _s(SENDING),
                ":scheduled": _s(SCHEDULED),
                ":attempt": _s(attempt),
                ":lease": _n(lease_until_ms),
                ":schedule": _s("schedule"),
            },
        )
        return None if fired is None else Claim(push_id, attempt, rerun=False)

    def reschedule(self, claim: Claim) -> bool:
        """`sending` → `scheduled` again: nothing was sent and the fire is retried later."""
        return (
            self._update_if(
                claim.push_id,
                UpdateExpression="SET #status = :scheduled REMOVE #lease_until_ms",
                ConditionExpression="#attempt = :attempt AND #status = :sending",
                ExpressionAttributeNames=_names("status", "attempt", "lease_until_ms"),
                ExpressionAttributeValues={
                    ":sending": _s(SENDING),
                    ":scheduled": _s(SCHEDULED),
                    ":attempt": _s(claim.attempt),
                },
            )
            is not None
        )

    def cancel(self, push_id: str, *, by: str, answer: Mapping[str, Any]) -> Item | None:
        """`scheduled` → `cancelled`; the new item, or None when it was not scheduled."""
        now = self._now_ms()
        out = self._update_if(
            push_id,
            UpdateExpression="SET #status = :cancelled, #cancelled_at = :at, "
            "#cancelled_by = :by, #answer = :answer",
            ConditionExpression="#status = :scheduled",
            ExpressionAttributeNames=_names("status", "cancelled_at", "cancelled_by", "answer"),
            ExpressionAttributeValues={
                ":cancelled": _s(CANCELLED),
                ":scheduled": _s(SCHEDULED),
                ":at": _s(iso_ms(now)),
                ":by": _s(by),
                ":answer": _s(_dumps(answer)),
            },
            ReturnValues="ALL_NEW",
        )
        if out is None:
            return None
        item: Item = out.get("Attributes") or {}
        return item

    # --- approval (docs/architecture.md §16) ------------------------------------------------

    def mark_pending(self, claim: Claim, answer: PushAnswer, *, expires_at_ms: int) -> bool:
        """`sending` → `pending_approval`: checked completely, nothing taken, nothing sent."""
        extra = {
            "approval_expires_at": _s(iso_ms(expires_at_ms)),
            "approval_expires_ms": _n(expires_at_ms),
        }
        return self._conclude(claim, answer, record_status=PENDING_APPROVAL, extra=extra)

    def approve(self, push_id: str, *, by: str, lease_until_ms: int) -> Claim | None:
        """`pending_approval` → `sending` (not yet expired) for one approver; None when another
        writer won or the approval window has passed."""
        attempt = str(uuid.uuid4())
        now = self._now_ms()
        approved = self._update_if(
            push_id,
            UpdateExpression="SET #status = :sending, #attempt = :attempt, "
            "#lease_until_ms = :lease, #approved_by = :by, #approved_at = :at",
            ConditionExpression="#status = :pending AND #approval_expires_ms > :now",
            ExpressionAttributeNames=_names(
                "status",
                "attempt",
                "lease_until_ms",
                "approved_by",
                "approved_at",
                "approval_expires_ms",
            ),
            ExpressionAttributeValues={
                ":sending": _s(SENDING),
                ":pending": _s(PENDING_APPROVAL),
                ":attempt": _s(attempt),
                ":lease": _n(lease_until_ms),
                ":by": _s(by),
                ":at": _s(iso_ms(now)),
                ":now": _n(now),
            },
        )
        return None if approved is None else Claim(push_id, attempt, rerun=False)

    def unapprove(self, claim: Claim) -> bool:
        """`sending` → `pending_approval` again: refused before any upstream call."""
        return (
            self._update_if(
                claim.push_id,
                UpdateExpression="SET #status = :pending "
                "REMOVE #lease_until_ms, #approved_by, #approved_at",
                ConditionExpression="#attempt = :attempt AND #status = :sending",
                ExpressionAttributeNames=_names(
                    "status", "attempt", "lease_until_ms", "approved_by", "approved_at"
                ),
                ExpressionAttributeValues={
                    ":sending": _s(SENDING),
                    ":pending": _s(PENDING_APPROVAL),
                    ":attempt": _s(claim.attempt),
                },
            )
            is not None
        )

    def close_pending(
        self, push_id: str, *, status: str, answer: Mapping[str, Any], by: str | None = None
    ) -> Item | None:
        """`pending_approval` → `rejected` (with `rejected_by`) or `expired`; the new item, or
        None when it was no longer pending."""
        now = self._now_ms()
        names = ["status", "answer"]
        values: dict[str, Any] = {
            ":status": _s(status),
            ":pending": _s(PENDING_APPROVAL),
            ":answer": _s(_dumps(answer)),
        }
        update = "SET #status = :status, #answer = :answer"
        if by is not None:
            names += ["rejected_by", "rejected_at"]
            values.update({":by": _s(by), ":at": _s(iso_ms(now))})
            update += ", #rejected_by = :by, #rejected_at = :at"
        out = self._update_if(
            push_id,
            UpdateExpression=update,
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames=_names(*names),
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        if out is None:
            return None
        item: Item = out.get("Attributes") or {}
        return item

    # --- after sending: recall and the cached report (docs/architecture.md §13) -------------

    def mark_recalled(self, push_id: str, at_ms: int) -> bool:
        """`submitted` → `recalled` with `recalled_at`; False when it was not `submitted`."""
        return (
            self._update_if(
                push_id,
                UpdateExpression="SET #status = :recalled, #recalled_at = :at",
                ConditionExpression="#status = :submitted",
                ExpressionAttributeNames=_names("status", "recalled_at"),
                ExpressionAttributeValues={
                    ":recalled": _s(RECALLED),
                    ":submitted": _s(SUBMITTED),
                    ":at": _s(iso_ms(at_ms)),
                },
            )
            is not None
        )

    def store_report(self, push_id: str, report: Mapping[str, Any], at_ms: int) -> None:
        """Keep the latest delivery report with the record, shared by every Lambda.

        A record that expired meanwhile is simply not written (nothing to cache on)."""
        self._update_if(
            push_id,
            UpdateExpression="SET #report = :report, #report_at_ms = :at",
            ConditionExpression="attribute_exists(#push_id)",
            ExpressionAttributeNames=_names("report", "report_at_ms", "push_id"),
            ExpressionAttributeValues={":report": _s(_dumps(report)), ":at": _n(at_ms)},
        )

    def _update_if(self, push_id: str, **update: Any) -> dict[str, Any] | None:
        """One conditional `UpdateItem` of a record; None when its condition failed."""
        try:
            out: dict[str, Any] = self._ddb.update_item(
                TableName=self._table, Key={"push_id": _s(push_id)}, **update
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        return out

    # --- reading ----------------------------------------------------------------------------

    def get(self, push_id: str) -> Item | None:
        """The raw item, or None."""
        try:
            out = self._ddb.get_item(
                TableName=self._table, Key={"push_id": _s(push_id)}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        item: Item | None = out.get("Item")
        return item


def parse_iso_ms(value: str) -> int | None:
    """Milliseconds of an instant written by `iso_ms`; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return round(parsed.timestamp() * 1000)


def unknown_problem(push_id: str, detail: str, *, status: int) -> dict[str, Any]:
    """The problem+json of an outcome-unknown push (docs/decisions.md §3)."""
    return {
        "type": "urn:tim-push-gateway:problem:outcome_unknown",
        "title": "The push may or may not have been sent",
        "status": status,
        "detail": detail,
        "code": "outcome_unknown",
        "retryable": False,
        "push_id": push_id,
    }


def answer_of(item: Item, *, replayed: bool) -> PushAnswer:
    """The answer stored with a finished record."""
    return PushAnswer(
        push_id=_str(item, "push_id"),
        status=int(item.get("answer_status", {}).get("N", "500")),
        body=json.loads(_str(item, "answer") or "{}"),
        headers=json.loads(_str(item, "answer_headers") or "{}"),
        record_status=_str(item, "status"),
        replayed=replayed,
        rerunnable=bool(item.get("rerunnable", {}).get("BOOL", False)),
    )


class _Taken(Exception):
    """A conditional write lost: the record is not (or no longer) ours."""

    def __init__(self, item: Item) -> None:
        super().__init__("conditional write lost")
        self.item = item


def _set(assigned: Mapping[str, str]) -> str:
    # Every attribute goes through a name placeholder: several are DynamoDB reserved words.
    return "SET " + ", ".join(f"#{name} = {value}" for name, value in assigned.items())


def _names(*attributes: str) -> dict[str, str]:
    return {f"#{name}": name for name in attributes}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _str(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
