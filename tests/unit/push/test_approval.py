"""Approval before a push to everyone on moto (in-process): request, approve, reject, expiry
(docs/architecture.md §16).

The records, the quota item and EventBridge Scheduler are the real code over moto; Tencent is the
recording fake of tests/support/push_fakes.py; one clock drives records, quota and `now`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from push_common.errors import (
    ApprovalExpired,
    Forbidden,
    NotAnApprover,
    NotPending,
    PushNotFound,
    QuotaExceeded,
    SelfApproval,
)
from push_common.identity import Caller
from push_common.push.approval import approve_push, reject_push
from push_common.push.http_api import handle_push
from push_common.push.policy import needs_approval
from push_common.push.records import PushAnswer
from push_common.push.request import PushRequest
from push_common.push.service import msg_random_for
from push_common.push.validation import validate_model
from push_common.settings import Settings
from push_common.tim_client import UpstreamError
from tests.support.env import BASE_ENV
from tests.support.push_fakes import raising
from tests.support.push_world import ORDERS, SALE, START, World, ctx, moto_world

ALICE = "arn:aws:iam::123456789012:role/approver-alice"
BOB = "arn:aws:iam::123456789012:user/bob"
OTHER = "arn:aws:iam::123456789012:role/other"
APPROVALS = {"APPROVAL_REQUIRED": "all", "APPROVERS": f"{ALICE},{BOB},{ORDERS}"}


@pytest.fixture
def world() -> Iterator[World]:
    with moto_world(APPROVALS) as world:
        yield world


def request(world: World, body: dict[str, Any] | None = None, **kw: Any) -> PushAnswer:
    answer = handle_push(json.dumps(body or SALE).encode(), ctx(**kw), world.deps())
    assert isinstance(answer, PushAnswer)
    return answer


def approve(world: World, push_id: str, by: str = ALICE) -> PushAnswer:
    return approve_push(push_id, Caller(by), world.deps(), deadline=None)


# --- configuration -----------------------------------------------------------------------------


def test_approvals_are_off_by_default() -> None:
    settings = Settings.from_env(BASE_ENV)
    assert (settings.approval_required, settings.approvers, settings.approval_ttl_hours) == (
        None,
        frozenset(),
        24,
    )
    assert not needs_approval(validate_model(PushRequest, SALE), settings)


def test_approval_required_without_approvers_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError, match="APPROVAL_REQUIRED=all needs APPROVERS"):
        Settings.from_env({**BASE_ENV, "APPROVAL_REQUIRED": "all", "APPROVERS": " , "})


@pytest.mark.parametrize("value", ["ALL", "yes", "tags", "true"])
def test_any_other_approval_scope_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ValidationError, match="APPROVAL_REQUIRED must be empty or 'all'"):
        Settings.from_env({**BASE_ENV, "APPROVAL_REQUIRED": value, "APPROVERS": ALICE})


def test_only_real_pushes_to_everyone_need_approval() -> None:
    settings = Settings.from_env({**BASE_ENV, **APPROVALS})
    tags = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "x"}}
    assert needs_approval(validate_model(PushRequest, SALE), settings)
    assert not needs_approval(validate_model(PushRequest, {**SALE, "dry_run": True}), settings)
    assert not needs_approval(validate_model(PushRequest, tags), settings)


# --- requesting --------------------------------------------------------------------------------


def test_a_push_to_everyone_waits_takes_nothing_and_sends_nothing(world: World) -> None:
    answer = request(world)
    assert (answer.status, answer.record_status) == (202, "pending_approval")
    assert answer.body == {
        "push_id": answer.push_id,
        "status": "pending_approval",
        "expires_at": "2026-11-27T02:00:00.000Z",  # START + 24 h, in UTC
    }
    assert world.client.calls == []
    assert world.quota()["used"] == 0 and world.quota()["scheduled"] == 0
    assert world.status(answer.push_id) == "pending_approval"
    # The same key replays the same answer; another body under it is refused.
    again = request(world)
    assert again.replayed and again.body == answer.body and again.status == 202


def test_a_dry_run_and_other_audiences_never_wait(world: World) -> None:
    dry = handle_push(json.dumps({**SALE, "dry_run": True}).encode(), ctx(), world.deps())
    assert isinstance(dry, tuple) and dry[0] == 200
    tags = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "x"}}
    sent = request(world, tags, key="tags-1")
    assert sent.record_status == "submitted" and len(world.client.calls) == 1


def test_the_request_is_checked_completely_before_it_waits(world: World) -> None:
    world.env["BROADCAST_ALL_PRINCIPALS"] = ALICE
    with pytest.raises(Forbidden) as refused:
        request(world)
    assert refused.value.code == "broadcast_not_allowed"
    listing = world.ddb.scan(TableName="push-records")["Items"]
    assert listing == []  # refused locally: no record


# --- approving ---------------------------------------------------------------------------------


def test_an_approval_sends_the_push_as_its_requester(world: World) -> None:
    pending = request(world)
    world.clock.now += 60
    answer = approve(world, pending.push_id)
    assert answer.status == 200
    record = dict(answer.body)
    assert record["status"] == "submitted" and record["task_id"] == "1400000000_1"
    assert record["caller"] == ORDERS  # the requester, not the approver
    assert (record["approved_by"], record["approved_at"]) == (ALICE, "2026-11-26T02:01:00.000Z")
    assert record["rejected_by"] is None and record["expires_at"] is None
    assert len(world.client.calls) == 1
    command, body, kwargs = world.client.calls[0]
    assert command == "im_push"
    assert kwargs["at_most_once"] is True
    # The same MsgRandom a fresh request under the requester's key would carry.
    assert body["MsgRandom"] == msg_random_for(ctx())
    assert world.quota()["used"] == 1
    # The requester's replay now answers the push's own 202.
    replay = request(world)
    assert replay.replayed and replay.body["status"] == "submitted"


def test_the_policy_is_checked_as_the_requester_not_the_approver(world: World) -> None:
    world.env["BROADCAST_ALL_PRINCIPALS"] = ORDERS  # the approver alone may not push to all
    pending = request(world)
    assert approve(world, pending.push_id).body["status"] == "submitted"


def test_the_requester_cannot_approve_their_own_push(world: World) -> None:
    pending = request(world)  # ORDERS is an approver too
    session = "arn:aws:sts::123456789012:assumed-role/orders/task-7"
    with pytest.raises(SelfApproval) as refused:
        approve(world, pending.push_id, by=session)
    assert (refused.value.status, refused.value.code) == (403, "self_approval")
    assert world.status(pending.push_id) == "pending_approval" and world.client.calls == []


def test_only_approvers_may_approve(world: World) -> None:
    pending = request(world)
    with pytest.raises(NotAnApprover) as refused:
        approve(world, pending.push_id, by=OTHER)
    assert (refused.value.status, refused.value.code) == (403, "not_an_approver")
    assert world.status(pending.push_id) == "pending_approval" and world.client.calls == []


def test_an_approvers_role_session_is_the_listed_role(world: World) -> None:
    pending = request(world)
    session = "arn:aws:sts::123456789012:assumed-role/approver-alice/laptop"
    answer = approve_push(pending.push_id, Caller(ALICE, session), world.deps(), deadline=None)
    assert answer.body["approved_by"] == ALICE


def test_a_push_not_pending_is_409_not_pending(world: World) -> None:
    pending = request(world)
    approve(world, pending.push_id)
    with pytest.raises(NotPending) as refused:
        approve(world, pending.push_id, by=BOB)
    assert (refused.value.status, refused.value.code) == (409, "not_pending")
    tags = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "x"}}
    sent = request(world, tags, key="tags-1")
    with pytest.raises(NotPending):
        approve(world, sent.push_id)
    assert len(world.client.calls) == 2


def test_an_unknown_push_is_404(world: World) -> None:
    with pytest.raises(PushNotFound):
        approve(world, "3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11")
    with pytest.raises(PushNotFound):
        reject_push("no/such", Caller(ALICE), world.deps())


def test_a_pending_push_expires_after_the_ttl(world: World) -> None:
    pending = request(world)
    world.clock.now += 24 * 3600 - 1
    assert world.status(pending.push_id) == "pending_approval"
    world.clock.now += 1
    with pytest.raises(ApprovalExpired) as refused:
        approve(world, pending.push_id)
    assert (refused.value.status, refused.value.code) == (409, "approval_expired")
    assert world.status(pending.push_id) == "expired"
    with pytest.raises(ApprovalExpired):  # and stays so
        approve(world, pending.push_id, by=BOB)
    with pytest.raises(ApprovalExpired):
        reject_push(pending.push_id, Caller(ALICE), world.deps())
    replay = request(world)
    assert replay.body == {**pending.body, "status": "expired"}
    assert world.client.calls == [] and world.quota()["used"] == 0


def test_the_ttl_is_configurable(world: World) -> None:
    world.env["APPROVAL_TTL_HOURS"] = "1"
    pending = request(world)
    assert pending.body["expires_at"] == "2026-11-26T03:00:00.000Z"
    world.clock.now += 3600
    with pytest.raises(ApprovalExpired):
        approve(world, pending.push_id)


def test_a_quota_refusal_leaves_the_push_pending(world: World) -> None:
    world.env["PUSH_DAILY_LIMIT"] = "1"
    tags = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "x"}}
    pending = request(world)
    request(world, tags, key="tags-1")  # the day's only slot
    with pytest.raises(QuotaExceeded) as refused:
        approve(world, pending.push_id)
    assert (refused.value.status, refused.value.code) == (429, "daily_quota_exhausted")
    item = world.item(pending.push_id)
    assert item["status"]["S"] == "pending_approval"
    assert "approved_by" not in item and "approved_at" not in item
    assert len(world.client.calls) == 1
    world.env["PUSH_DAILY_LIMIT"] = "2"  # e.g. the next day: the same approval goes through
    assert approve(world, pending.push_id, by=BOB).body["approved_by"] == BOB


def test_an_approved_push_draws_on_the_requesters_budget(world: World) -> None:
    # Budgets (docs/architecture.md §15) apply as to a fresh request by the requester: the
    # approver's own share (here the shared pool, with room left) is not what counts.
    world.env["QUOTA_BUDGETS"] = json.dumps({ORDERS: 1})
    tags = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "x"}}
    pending = request(world)
    request(world, tags, key="tags-1")  # the requester's only slot today
    with pytest.raises(QuotaExceeded) as refused:
        approve(world, pending.push_id)
    assert (refused.value.status, refused.value.code) == (429, "caller_budget_exhausted")
    assert ORDERS in refused.value.detail
    assert world.status(pending.push_id) == "pending_approval"
    assert len(world.client.calls) == 1
    world.env["QUOTA_BUDGETS"] = json.dumps({ORDERS: 2})
    assert approve(world, pending.push_id).body["status"] == "submitted"
    assert len(world.client.calls) == 2


def test_an_upstream_refusal_is_the_pushes_own_answer(world: World) -> None:
    pending = request(world)
    world.client.steps.append(raising(UpstreamError(60018, "busy")))
    answer = approve(world, pending.push_id)
    assert answer.status >= 500 and answer.body["code"]
    assert answer.record_status == "failed" and world.status(pending.push_id) == "failed"
    assert len(world.client.calls) == 1


def test_a_send_at_ahead_is_scheduled_on_approval(world: World) -> None:
    later = (START + timedelta(hours=2)).isoformat()
    pending = request(world, {**SALE, "send_at": later})
    assert pending.record_status == "pending_approval" and world.schedule_names() == []
    answer = approve(world, pending.push_id)
    assert answer.status == 200 and answer.body["status"] == "scheduled"
    assert answer.body["send_at"] == "2026-11-26T04:00:00.000Z"
    assert world.schedule_names() == [f"push-{pending.push_id}"]
    assert world.quota("2026-11-26")["scheduled"] == 1 and world.client.calls == []


def test_a_send_at_passed_while_waiting_is_sent_on_approval(world: World) -> None:
    soon = (START + timedelta(minutes=5)).isoformat()
    pending = request(world, {**SALE, "send_at": soon})
    world.clock.now += 600
    answer = approve(world, pending.push_id)
    assert answer.body["status"] == "submitted" and len(world.client.calls) == 1
    assert world.schedule_names() == []


# --- rejecting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("by", [ORDERS, ALICE], ids=["requester", "approver"])
def test_the_requester_or_an_approver_rejects(world: World, by: str) -> None:
    pending = request(world)
    record = reject_push(pending.push_id, Caller(by), world.deps())
    assert record["status"] == "rejected" and record["rejected_by"] == by
    assert record["rejected_at"] == "2026-11-26T02:00:00.000Z"
    with pytest.raises(NotPending):
        approve(world, pending.push_id, by=BOB)
    with pytest.raises(NotPending):
        reject_push(pending.push_id, Caller(ALICE), world.deps())
    replay = request(world)
    assert replay.body == {**pending.body, "status": "rejected"}
    assert world.client.calls == []


def test_anyone_else_may_not_reject(world: World) -> None:
    pending = request(world)
    with pytest.raises(NotAnApprover) as refused:
        reject_push(pending.push_id, Caller(OTHER), world.deps())
    assert refused.value.status == 403
    assert world.status(pending.push_id) == "pending_approval"


def test_a_rerun_of_a_failed_approved_push_needs_approval_again(world: World) -> None:
    pending = request(world)
    world.client.steps.append(raising(UpstreamError(60018, "busy")))
    approve(world, pending.push_id)
    rerun = request(world)
    assert rerun.record_status == "pending_approval" and not rerun.replayed
    item = world.item(pending.push_id)
    assert "approved_by" not in item
    assert approve(world, pending.push_id, by=BOB).body["status"] == "submitted"
