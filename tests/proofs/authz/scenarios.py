"""Each function driven through its code paths; every step checks the outcome it is there for.

A phase changes the settings (a long interval so reservations are refused) or the DynamoDB
answers (failed conditions without the old item, as the local stack's dynalite gives them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.sandbox import UpstreamSandbox
from push_common import caches, clients
from tests.proofs.authz.aws_calls import AwsCallRecorder, strip_old_item
from tests.proofs.authz.handlers import api_event, api_query, call_http, invoke, push_requested

PUSH, EVENT, AUDIENCE = "PushApiFunction", "PushEventFunction", "AudienceApiFunction"
DISPATCH = "PushDispatchFunction"
DYNALITE = "without-old-item"
SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
AUDIENCE_EVENTS = [
    "audience_put_attribute_names.json",
    "audience_get_attribute_names.json",
    "audience_patch_user_attributes.json",
    "audience_get_user_attributes.json",
    "audience_remove_user_attributes.json",
    "audience_add_user_tags.json",
    "audience_get_user_tags.json",
    "audience_remove_user_tags.json",
    "audience_clear_user_tags.json",
]


def expect(
    logical_id: str,
    event_file: str,
    status: int,
    key: str | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    answer = call_http(logical_id, api_event(event_file, key=key, body=body))
    assert answer.status == status, (event_file, answer.body)
    return answer.body


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def scheduled_sale(**extra: Any) -> dict[str, Any]:
    return {**SALE, "send_at": in_an_hour(), **extra}


def cancel(push_id: str, status: int) -> dict[str, Any]:
    event = api_event("push_api_delete_push.json")
    event["pathParameters"] = {"push_id": push_id}
    answer = call_http(PUSH, event)
    assert answer.status == status, answer.body
    return answer.body


def schedule(key: str | None = None) -> str:
    """A scheduled push, created through the HTTP function; its push_id."""
    body = expect(PUSH, "push_api_post_all.json", 202, key=key, body=scheduled_sale())
    assert body["status"] == "scheduled"
    return str(body["push_id"])


def refuse_reservations(patch: pytest.MonkeyPatch) -> None:
    """A long interval and no waiting: the next reservation is refused at once (429)."""
    patch.setenv("PUSH_MIN_INTERVAL_MS", "600000")
    patch.setenv("QUOTA_MAX_WAIT_MS", "0")
    caches.clear_all()


def like_dynalite(recorder: AwsCallRecorder) -> None:
    """Failed conditions come back without the old item from now on (see strip_old_item)."""
    clients.dynamodb().meta.events.register("after-call.dynamodb", strip_old_item)
    recorder.phase = DYNALITE


def seed_upstream(sandbox: UpstreamSandbox) -> None:
    """The sender account and the attribute names the event files use exist upstream."""
    sandbox.add_users("ops-bot", "alice", "bob")
    with sandbox.core.lock:
        sandbox.core.state.attr_names = {"0": "sex", "1": "city"}


def push_api(
    sandbox: UpstreamSandbox, patch: pytest.MonkeyPatch, recorder: AwsCallRecorder
) -> None:
    seed_upstream(sandbox)
    expect(PUSH, "push_api_get_quota.json", 200)
    expect(PUSH, "push_api_post_dry_run.json", 200)
    for event_file in ("push_api_post_all.json", "push_api_post_tags_or.json"):
        expect(PUSH, event_file, 202)
    expect(PUSH, "push_api_post_sender.json", 202)
    expect(PUSH, "push_api_post_attributes_and.json", 202)
    expect(PUSH, "push_api_post_invalid.json", 422)
    first = expect(PUSH, "push_api_post_idempotent.json", 202)
    assert expect(PUSH, "push_api_post_idempotent.json", 202) == first  # replayed
    assert expect(PUSH, "push_api_get_push.json", 200)["push_id"] == first["push_id"]
    listed = expect(PUSH, "push_api_list_pushes.json", 200)["pushes"]
    assert first["push_id"] in {push["push_id"] for push in listed}
    caller = "arn:aws:iam::123456789012:user/orders-service"
    by_caller = call_http(PUSH, api_query("push_api_list_pushes.json", caller=caller))
    assert by_caller.status == 200 and by_caller.body["pushes"], by_caller.body
    push_service(patch)
    # Scheduled pushes: dry run, schedule, cancel (docs/architecture.md §14).
    assert expect(PUSH, "push_api_post_all.json", 200, body=scheduled_sale(dry_run=True))
    push_id = schedule()
    assert cancel(push_id, 200)["status"] == "cancelled"
    assert cancel(push_id, 409)["code"] == "not_cancellable"
    approvals(patch)
    refuse_reservations(patch)
    assert expect(PUSH, "push_api_post_idempotent.json", 429, key=str(uuid.uuid4()))["code"]
    like_dynalite(recorder)
    assert expect(PUSH, "push_api_post_idempotent.json", 202) == first
    expect(PUSH, "push_api_post_all.json", 429)


APPROVER = "arn:aws:iam::123456789012:user/push-approver"  # push_api_post_approve.json's role


def approve_or_reject(name: str, push_id: str, status: int) -> dict[str, Any]:
    event = api_event(name)
    event["pathParameters"] = {"push_id": push_id}
    answer = call_http(PUSH, event)
    assert answer.status == status, (name, answer.body)
    return answer.body


def approvals(patch: pytest.MonkeyPatch) -> None:
    """APPROVAL_REQUIRED=all (docs/architecture.md §16): wait, approve (now and scheduled),
    reject, each through the HTTP function."""
    patch.setenv("APPROVAL_REQUIRED", "all")
    patch.setenv("APPROVERS", APPROVER)
    caches.clear_all()
    pending = expect(PUSH, "push_api_post_all.json", 202, key=str(uuid.uuid4()))
    assert pending["status"] == "pending_approval"
    sent = approve_or_reject("push_api_post_approve.json", pending["push_id"], 200)
    assert sent["status"] == "submitted"
    assert approve_or_reject("push_api_post_reject.json", pending["push_id"], 409)["code"]
    later = expect(
        PUSH, "push_api_post_all.json", 202, key=str(uuid.uuid4()), body=scheduled_sale()
    )
    assert approve_or_reject("push_api_post_approve.json", later["push_id"], 200)["status"] == (
        "scheduled"
    )
    withdrawn = expect(PUSH, "push_api_post_all.json", 202, key=str(uuid.uuid4()))
    rejected = approve_or_reject("push_api_post_reject.json", withdrawn["push_id"], 200)
    assert rejected["status"] == "rejected"
    patch.delenv("APPROVAL_REQUIRED")
    patch.delenv("APPROVERS")
    caches.clear_all()


def push_service(patch: pytest.MonkeyPatch) -> None:
    """TIM_PUSH_API=timpush: a push, a test send, its recall (twice) and report."""
    patch.setenv("TIM_PUSH_API", "timpush")
    caches.clear_all()
    sent = expect(PUSH, "push_api_post_all.json", 202)
    test = {"audience": {"accounts": ["alice"]}, "notification": {"title": "T", "body": "B"}}
    assert "quota" not in call_http(PUSH, api_event("push_api_post_all.json", body=test)).body
    for name, status in (
        ("push_api_post_recall.json", 200),
        ("push_api_post_recall.json", 200),  # idempotent
        ("push_api_get_report.json", 200),
        ("push_api_get_report.json", 200),  # cached in the record
    ):
        event = api_event(name)
        event["pathParameters"] = {"push_id": sent["push_id"]}
        answer = call_http(PUSH, event)
        assert answer.status == status, (name, answer.body)
    patch.setenv("TIM_PUSH_API", "all_member_push")
    caches.clear_all()


def push_event(
    sandbox: UpstreamSandbox, patch: pytest.MonkeyPatch, recorder: AwsCallRecorder
) -> None:
    sent = push_requested({**SALE, "idempotency_key": "sale-1"}, str(uuid.uuid4()))
    assert invoke(EVENT, sent)["outcome"] == "sent"
    assert invoke(EVENT, sent)["replayed"] is True  # redelivery
    invalid = push_requested({"audience": {}, "message": {"text": "x"}}, str(uuid.uuid4()))
    assert invoke(EVENT, invalid) == {"outcome": "failed", "code": "validation_failed"}
    later = push_requested(scheduled_sale(), str(uuid.uuid4()))
    assert invoke(EVENT, later)["outcome"] == "scheduled"
    patch.setenv("APPROVAL_REQUIRED", "all")
    patch.setenv("APPROVERS", APPROVER)
    caches.clear_all()
    waiting = push_requested({**SALE, "idempotency_key": "sale-approve"}, str(uuid.uuid4()))
    assert invoke(EVENT, waiting)["outcome"] == "pending_approval"
    patch.delenv("APPROVAL_REQUIRED")
    patch.delenv("APPROVERS")
    caches.clear_all()
    refuse_reservations(patch)
    with pytest.raises(Exception, match="interval"):  # retryable: EventBridge retries it
        invoke(EVENT, push_requested(SALE, str(uuid.uuid4())))
    like_dynalite(recorder)
    assert invoke(EVENT, sent)["replayed"] is True
    with pytest.raises(Exception, match="interval"):
        invoke(EVENT, push_requested(SALE, str(uuid.uuid4())))


def push_dispatch(
    sandbox: UpstreamSandbox, patch: pytest.MonkeyPatch, recorder: AwsCallRecorder
) -> None:
    seed_upstream(sandbox)
    sent, waiting, unknown = schedule(), schedule(), str(uuid.uuid4())
    recorder.clear()  # what the HTTP function did to schedule them is not the dispatcher's
    caches.clear_all()  # and the dispatcher starts cold
    assert invoke(DISPATCH, {"push_id": sent})["outcome"] == "sent"
    assert invoke(DISPATCH, {"push_id": sent})["outcome"] == "not_scheduled"
    assert invoke(DISPATCH, {"push_id": unknown})["outcome"] == "unknown_push"
    refuse_reservations(patch)
    like_dynalite(recorder)
    with pytest.raises(Exception, match="interval"):  # put back to scheduled and retried
        invoke(DISPATCH, {"push_id": waiting})


def audience_api(
    sandbox: UpstreamSandbox, patch: pytest.MonkeyPatch, recorder: AwsCallRecorder
) -> None:
    seed_upstream(sandbox)
    for event_file in AUDIENCE_EVENTS:
        expect(AUDIENCE, event_file, 200)


SCENARIOS: dict[str, Callable[[UpstreamSandbox, pytest.MonkeyPatch, AwsCallRecorder], None]] = {
    PUSH: push_api,
    EVENT: push_event,
    DISPATCH: push_dispatch,
    AUDIENCE: audience_api,
}
