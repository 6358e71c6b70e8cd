"""The push use case with fakes: policy, MsgRandom, quota reconciliation, dry run.

The quota rules are docs/architecture.md §6 and docs/decisions.md §4.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from push_common.errors import (
    DependencyUnavailable,
    FieldProblem,
    Forbidden,
    GatewayError,
    OutcomeUnknown,
    QuotaExceeded,
)
from push_common.push import service
from push_common.push.request import PushRequest
from push_common.push.rules import UINT32_MAX
from push_common.push.service import PushContext, PushDeps
from push_common.push.submission import submit_push
from push_common.quota import IntervalWait, Reservation
from push_common.tim_client import UpstreamError
from tests.support.push_fakes import NOW_MS, TODAY, Harness, harness, raising

CALLER = "arn:aws:iam::123456789012:user/orders-service"
OPS = "arn:aws:iam::123456789012:role/ops"
CTX = PushContext(caller=CALLER)
SALE = {"text": "Sale starts now"}
RESERVED = Reservation(day=TODAY, at_ms=NOW_MS, used=4)


def request(**fields: Any) -> PushRequest:
    data: dict[str, Any] = {"audience": {"all": True}, "message": SALE, **fields}
    return PushRequest.model_validate(data)


@dataclass(frozen=True)
class Refusal:
    """A refusal, raised before the record (no record) or answered from it (recorded)."""

    status: int
    code: str
    upstream_code: int | None
    retry_after: int | None
    retryable: bool
    errors: tuple[FieldProblem, ...]
    kind: type[GatewayError] | None  # the class when raised; None when answered
    recorded: bool


def submit(req: PushRequest, ctx: PushContext, deps: PushDeps) -> dict[str, Any]:
    answer = submit_push(req, ctx, deps)
    assert answer.status == 202, answer.body
    return dict(answer.body)


def refused(h: Harness, req: PushRequest, ctx: PushContext = CTX) -> Refusal:
    try:
        answer = submit_push(req, ctx, h.deps())
    except GatewayError as exc:
        return Refusal(
            exc.status, exc.code, exc.upstream_code, exc.retry_after, exc.retryable, exc.errors,
            type(exc), recorded=False,
        )  # fmt: skip
    body = answer.body
    assert answer.status >= 400 and body["push_id"] == answer.push_id
    retry_after = answer.headers.get("Retry-After")
    return Refusal(
        answer.status, body["code"], body.get("upstream_code"),
        int(retry_after) if retry_after else None, body["retryable"], (), None, recorded=True,
    )  # fmt: skip


# --- caller policy -------------------------------------------------------------------------------


def test_sender_not_in_allowed_senders_is_403() -> None:
    h = harness(ALLOWED_SENDERS="ops-bot")
    error = refused(h, request(sender="marketing-bot"))
    assert (error.kind, error.status, error.code) == (Forbidden, 403, "sender_not_allowed")
    assert (h.quota.calls, h.client.calls) == ([], [])


@pytest.mark.parametrize("sender", ["ops-bot", "administrator"], ids=["allowed", "admin"])
def test_allowed_and_admin_senders_push(sender: str) -> None:
    h = harness(ALLOWED_SENDERS="ops-bot, billing-bot")
    submit(request(sender=sender), CTX, h.deps())
    assert h.client.calls[0][1]["From_Account"] == sender


def test_no_sender_sends_no_from_account() -> None:
    h = harness()
    submit(request(), CTX, h.deps())
    assert "From_Account" not in h.client.calls[0][1]


def test_broadcast_outside_allowed_principals_is_403() -> None:
    h = harness(BROADCAST_ALL_PRINCIPALS=OPS)
    error = refused(h, request())
    assert (error.kind, error.status, error.code) == (Forbidden, 403, "broadcast_not_allowed")
    assert (h.quota.calls, h.client.calls) == ([], [])


def test_broadcast_inside_allowed_principals_pushes() -> None:
    h = harness(BROADCAST_ALL_PRINCIPALS=f"{OPS},{CALLER}")
    assert submit(request(), CTX, h.deps())["status"] == "submitted"


def test_broadcast_restriction_leaves_tag_pushes_alone() -> None:
    h = harness(BROADCAST_ALL_PRINCIPALS=OPS)
    req = request(audience={"tags": {"any": ["vip"]}})
    assert submit(req, CTX, h.deps())["status"] == "submitted"


def test_unknown_attribute_name_is_422_with_90033_before_anything_is_spent() -> None:
    h = harness()
    req = request(audience={"attributes": {"any": {"city": "NY", "tier": "gold"}}})
    error = refused(h, req)
    assert error.status == 422
    assert [(p.field, p.upstream_code) for p in error.errors] == [
        ("audience.attributes.any.tier", 90033)
    ]
    assert (h.quota_opened, h.client.calls) == (0, [])


def test_known_attribute_names_push() -> None:
    h = harness()
    req = request(audience={"attributes": {"all": {"city": "NY", "sex": "F"}}})
    submit(req, CTX, h.deps())
    assert h.names_wanted == [["city", "sex"]]
    assert h.client.calls[0][1]["Condition"] == {"AttrsAnd": {"city": "NY", "sex": "F"}}


def test_attribute_names_are_not_asked_for_other_audiences() -> None:
    h = harness()
    submit(request(audience={"tags": {"any": ["vip"]}}), CTX, h.deps())
    assert h.names_wanted == []


# --- MsgRandom -----------------------------------------------------------------------------------


def keyed(scope: str, key: str) -> PushContext:
    return PushContext(caller=scope, idempotency_scope=scope, idempotency_key=key)


def test_msg_random_is_derived_from_scope_and_key() -> None:
    digest = hashlib.sha256(f"{CALLER}\norder-1".encode()).digest()
    assert service.msg_random_for(keyed(CALLER, "order-1")) == int.from_bytes(digest[:4], "big")


def test_same_scope_and_key_give_the_same_msg_random() -> None:
    first = service.msg_random_for(keyed(CALLER, "order-1"))
    assert service.msg_random_for(keyed(CALLER, "order-1")) == first


@pytest.mark.parametrize(
    "other", [keyed(OPS, "order-1"), keyed(CALLER, "order-2")], ids=["scope", "key"]
)
def test_another_scope_or_key_gives_another_msg_random(other: PushContext) -> None:
    assert service.msg_random_for(other) != service.msg_random_for(keyed(CALLER, "order-1"))


def test_without_a_key_msg_random_is_a_fresh_uint32(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    def randbits(bits: int) -> int:
        asked.append(bits)
        return UINT32_MAX

    monkeypatch.setattr(secrets, "randbits", randbits)
    assert service.msg_random_for(CTX) == UINT32_MAX
    assert asked == [32]


def test_keyed_push_sends_the_derived_msg_random() -> None:
    h = harness()
    ctx = keyed(CALLER, "order-1")
    submit(request(), ctx, h.deps())
    assert h.client.calls[0][1]["MsgRandom"] == service.msg_random_for(ctx)
    assert 0 <= h.client.calls[0][1]["MsgRandom"] <= UINT32_MAX


# --- submit: success and upstream outcomes -------------------------------------------------------


def test_submit_reserves_then_pushes_once() -> None:
    h = harness()
    out = submit(request(), CTX, h.deps())
    assert h.quota.methods() == ["reserve"]
    command, body, options = h.client.calls[0]
    assert (command, len(h.client.calls)) == ("im_push", 1)
    assert options["at_most_once"] is True  # a push that may have run is never re-sent
    assert body["MsgBody"] == [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}
    ]
    assert out["task_id"] == "1400000000_1"
    assert out["status"] == "submitted"
    assert out["quota"] == {
        "limit": 100,
        "used": 4,
        "remaining": 96,
        "resets_at": "2026-11-27T00:00:00+08:00",
    }


def test_daily_quota_from_upstream_marks_the_day_exhausted() -> None:
    h = harness()
    h.client.steps = [raising(UpstreamError(90047, "exceed max push count"))]
    error = refused(h, request())
    assert (error.status, error.code, error.upstream_code) == (429, "daily_quota_exhausted", 90047)
    assert error.retry_after == 14 * 3600  # 10:00 → midnight Asia/Shanghai
    assert h.quota.calls[1:] == [("mark_exhausted", TODAY)]


def test_interval_from_upstream_waits_and_retries_once() -> None:
    h = harness()
    h.client.steps = [raising(UpstreamError(90024))]
    out = submit(request(), CTX, h.deps())
    assert out["task_id"] == "1400000000_1"
    assert len(h.client.calls) == 2
    assert h.client.calls[0][1] == h.client.calls[1][1]  # same body, same MsgRandom
    assert h.sleeps == [1.05]  # interval 1000 ms + safety margin 50 ms
    assert h.quota.methods() == ["reserve", "note_upstream_push"]


def test_interval_from_upstream_twice_releases_and_is_429() -> None:
    h = harness()
    h.client.steps = [raising(UpstreamError(90024)), raising(UpstreamError(90024))]
    error = refused(h, request())
    assert (error.status, error.code, error.upstream_code) == (429, "push_interval", 90024)
    assert error.retry_after == 1
    assert len(h.client.calls) == 2
    assert h.quota.calls == [
        ("reserve", None),
        ("note_upstream_push", NOW_MS),
        ("release", RESERVED),
    ]


@pytest.mark.parametrize(
    ("upstream_code", "code"),
    [
        (90045, "push_feature_disabled"),
        (90056, "upstream_invalid_request"),
        (70009, "upstream_auth_failed"),
        (60021, "upstream_ip_not_allowed"),
    ],
)
def test_definite_rejection_releases_the_slot(upstream_code: int, code: str) -> None:
    h = harness()
    h.client.steps = [raising(UpstreamError(upstream_code))]
    error = refused(h, request())
    assert (error.status, error.code, error.upstream_code) == (502, code, upstream_code)
    assert h.quota.calls == [("reserve", None), ("release", RESERVED)]
    assert len(h.client.calls) == 1


@pytest.mark.parametrize(
    ("unknown", "status"),
    [
        (OutcomeUnknown("Tencent IM answered 91000", timed_out=False, upstream_code=91000), 502),
        (OutcomeUnknown("Tencent IM answered 99999", timed_out=False, upstream_code=99999), 502),
        (OutcomeUnknown("no answer from Tencent IM", timed_out=True), 504),
    ],
    ids=["internal-error", "unknown-code", "timeout"],
)
def test_outcome_unknown_keeps_the_slot_and_is_recorded_not_retryable(
    unknown: OutcomeUnknown, status: int
) -> None:
    h = harness()
    h.client.steps = [raising(unknown)]
    error = refused(h, request())
    assert (error.status, error.code, error.retryable, error.recorded) == (
        status,
        "outcome_unknown",
        False,
        True,
    )
    assert error.upstream_code == unknown.upstream_code
    assert h.quota.methods() == ["reserve"]
    assert len(h.client.calls) == 1
    assert h.records.calls[-1] == ("finish", "outcome_unknown")


def test_unexpected_error_while_sending_is_outcome_unknown() -> None:
    h = harness()
    h.client.steps = [raising(RuntimeError("boom"))]
    error = refused(h, request())
    assert (error.status, error.code, error.retryable) == (502, "outcome_unknown", False)
    assert h.quota.methods() == ["reserve"]


# --- quota waits (docs/architecture.md §6: a short wait beats a 429) ------------------------


def test_short_interval_is_waited_out() -> None:
    h = harness()
    h.quota.refusals = [IntervalWait(300)]
    submit(request(), CTX, h.deps())
    assert h.quota.methods() == ["reserve", "reserve"]
    assert len(h.sleeps) == 1
    assert 0.3 <= h.sleeps[0] < 0.32


def test_long_interval_is_429_without_waiting() -> None:
    h = harness()
    h.quota.refusals = [IntervalWait(5000)]
    error = refused(h, request())
    assert (error.status, error.code, error.retry_after) == (429, "push_interval", 5)
    assert (h.sleeps, h.client.calls) == ([], [])


def test_exhausted_day_is_429_without_calling_upstream() -> None:
    h = harness()
    h.quota.refusals = [QuotaExceeded("used up", code="daily_quota_exhausted", retry_after=50400)]
    error = refused(h, request())
    assert (error.status, error.code, error.retry_after) == (429, "daily_quota_exhausted", 50400)
    assert h.client.calls == []


# --- dry run -------------------------------------------------------------------------------------


def test_dry_run_reserves_nothing_and_calls_nothing() -> None:
    h = harness()
    ctx = keyed(CALLER, "order-1")
    out = service.dry_run(request(dry_run=True, offline_ttl_seconds=60), ctx, h.deps())
    assert out == {
        "dry_run": True,
        "upstream_request": {
            "MsgRandom": service.msg_random_for(ctx),
            "MsgLifeTime": 60,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}],
        },
        "quota": {
            "limit": 100,
            "used": 3,
            "scheduled": 0,
            "remaining": 97,
            "resets_at": "2026-11-27T00:00:00+08:00",
            "next_push_not_before": None,
            "timezone": "Asia/Shanghai",
        },
    }
    assert h.quota.methods() == ["snapshot"]
    assert h.client.calls == []


def test_dry_run_applies_the_caller_policy() -> None:
    h = harness(BROADCAST_ALL_PRINCIPALS=OPS)
    with pytest.raises(Forbidden):
        service.dry_run(request(dry_run=True), CTX, h.deps())
    assert h.quota.calls == []


# --- the record around the push ------------------------------------------------------------------


def test_keyed_retry_replays_the_stored_answer_and_sends_nothing() -> None:
    h = harness()
    ctx = keyed(CALLER, "order-7")
    first = submit_push(request(), ctx, h.deps())
    again = submit_push(request(), ctx, h.deps())
    assert (again.replayed, again.body, again.push_id) == (True, first.body, first.push_id)
    assert len(h.client.calls) == 1 and h.quota.methods() == ["reserve"]


def test_outcome_unknown_is_replayed_never_sent_again() -> None:
    h = harness()
    h.client.steps = [raising(OutcomeUnknown("no answer", timed_out=True))]
    ctx = keyed(CALLER, "order-8")
    first = submit_push(request(), ctx, h.deps())
    again = submit_push(request(), ctx, h.deps())
    assert (first.status, again.status, again.replayed) == (504, 504, True)
    assert again.body["code"] == "outcome_unknown" and len(h.client.calls) == 1


def test_retryable_failure_without_a_task_runs_again_under_the_same_push_id() -> None:
    h = harness()
    h.client.steps = [raising(UpstreamError(60018))]
    ctx = keyed(CALLER, "order-9")
    first = submit_push(request(), ctx, h.deps())
    again = submit_push(request(), ctx, h.deps())
    assert (first.status, first.rerunnable, again.status) == (503, True, 202)
    assert again.push_id == first.push_id and len(h.client.calls) == 2
    assert h.client.calls[0][1]["MsgRandom"] == h.client.calls[1][1]["MsgRandom"]


def test_unkeyed_quota_refusal_writes_no_record_at_all() -> None:
    h = harness()
    h.quota.refusals = [IntervalWait(5000)]
    refused(h, request())
    assert (h.records.records, h.records.calls) == ({}, [])


def test_local_quota_refusal_leaves_no_record() -> None:
    h = harness()
    h.quota.refusals = [IntervalWait(5000)]
    refused(h, request(), keyed(CALLER, "order-10"))
    assert h.records.records == {}
    assert [name for name, _ in h.records.calls] == ["claim", "abandon"]


def test_a_daily_quota_answer_right_after_our_reset_does_not_close_the_new_day() -> None:
    h = harness()
    h.quota.clock_ms = NOW_MS - 10 * 3600 * 1000 + 3000  # 00:00:03 Asia/Shanghai
    h.client.steps = [raising(UpstreamError(90047))]
    error = refused(h, request())
    assert (error.status, error.code, error.retry_after) == (429, "daily_quota_exhausted", 10)
    assert "mark_exhausted" not in h.quota.methods()


def test_a_sent_push_is_answered_202_even_when_its_record_cannot_be_written() -> None:
    h = harness()
    h.records.finish_error = DependencyUnavailable("DynamoDB is down", code="aws_unavailable")
    answer = submit_push(request(), keyed(CALLER, "order-11"), h.deps())
    assert (answer.status, answer.body["status"]) == (202, "submitted")
    assert len(h.client.calls) == 1
