"""Approval before a push to everyone over real HTTP on the local stack (docs/architecture.md §16):
a push to everyone waits, approvers find it, the requester cannot approve it, an approver's
approval sends it once (Tencent sandbox), a reject or withdrawal closes it, an event push
publishes `Push Pending Approval` then `Push Sent` with the same push_id, and the stack refuses to
start with APPROVAL_REQUIRED=all and no APPROVERS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack_client import Reply, StackFactory, StackProcess, request

pytestmark = pytest.mark.integration

SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
REQUESTER = "arn:aws:iam::123456789012:role/orders"
ALICE = "arn:aws:iam::123456789012:role/approver-alice"
ALICE_SESSION = "arn:aws:sts::123456789012:assumed-role/approver-alice/laptop"
BOB = "arn:aws:iam::123456789012:user/bob"
STRANGER = "arn:aws:iam::123456789012:role/someone-else"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log: Path = tmp_path_factory.mktemp("approval-stack") / "stack.log"
    env = {"PUSH_MIN_INTERVAL_MS": "0", "APPROVAL_REQUIRED": "all", "APPROVERS": f"{ALICE},{BOB}"}
    started = StackProcess(log, env).start()
    yield started
    started.stop()


def as_(caller: str, **headers: str) -> dict[str, str]:
    return {"x-local-caller-arn": caller, **headers}


def push(stack: StackProcess, key: str, body: dict[str, Any] | None = None) -> Reply:
    headers = as_(REQUESTER, **{"idempotency-key": key})
    return request("POST", f"{stack.url}/v1/pushes", body or SALE, headers)


def act(stack: StackProcess, push_id: str, action: str, caller: str) -> Reply:
    return request("POST", f"{stack.url}/v1/pushes/{push_id}/{action}", b"", as_(caller))


def sandbox_pushes(stack: StackProcess) -> list[dict[str, Any]]:
    pushes: list[dict[str, Any]] = request("GET", f"{stack.url}/_local/pushes").json()["pushes"]
    return pushes


def events(stack: StackProcess, push_id: str) -> list[str]:
    published = request("GET", f"{stack.url}/_local/events").json()["events"]
    return [e["detail-type"] for e in published if e["detail"].get("push_id") == push_id]


def test_a_push_to_everyone_waits_for_a_second_person(stack: StackProcess) -> None:
    before = len(sandbox_pushes(stack))
    pending = push(stack, "sale-http-1")
    assert pending.status == 202, pending.body
    body = pending.json()
    assert set(body) == {"push_id", "status", "expires_at"} and body["status"] == "pending_approval"
    push_id = body["push_id"]
    assert push(stack, "sale-http-1").json() == body  # a replay answers the same
    assert len(sandbox_pushes(stack)) == before  # nothing sent
    # Approvers find it.
    listed = request("GET", f"{stack.url}/v1/pushes?status=pending_approval").json()["pushes"]
    assert push_id in {p["push_id"] for p in listed}
    record = request("GET", f"{stack.url}/v1/pushes/{push_id}").json()
    assert (record["status"], record["expires_at"]) == ("pending_approval", body["expires_at"])
    # The requester may not approve it, nor may a stranger.
    own = act(stack, push_id, "approve", "arn:aws:sts::123456789012:assumed-role/orders/task-1")
    assert (own.status, own.json()["code"]) == (403, "self_approval")
    assert own.headers["content-type"] == "application/problem+json"
    stranger = act(stack, push_id, "approve", STRANGER)
    assert (stranger.status, stranger.json()["code"]) == (403, "not_an_approver")
    # An approver (any session of the listed role) lets it go: sent once, as the requester.
    approved = act(stack, push_id, "approve", ALICE_SESSION)
    assert approved.status == 200, approved.body
    record = approved.json()
    assert (record["status"], record["caller"], record["approved_by"]) == (
        "submitted",
        REQUESTER,
        ALICE,
    )
    assert record["approved_at"] and record["task_id"] and record["expires_at"] is None
    after = sandbox_pushes(stack)
    assert len(after) == before + 1 and after[-1]["task_id"] == record["task_id"]
    again = act(stack, push_id, "approve", BOB)
    assert (again.status, again.json()["code"]) == (409, "not_pending")
    assert len(sandbox_pushes(stack)) == before + 1
    replay = push(stack, "sale-http-1").json()
    assert (replay["status"], replay["task_id"]) == ("submitted", record["task_id"])


def test_the_requester_withdraws_and_an_approver_rejects(stack: StackProcess) -> None:
    before = len(sandbox_pushes(stack))
    first = push(stack, "sale-http-2").json()["push_id"]
    second = push(stack, "sale-http-3").json()["push_id"]
    assert act(stack, first, "reject", STRANGER).json()["code"] == "not_an_approver"
    withdrawn = act(stack, first, "reject", REQUESTER)
    assert withdrawn.status == 200
    assert (withdrawn.json()["status"], withdrawn.json()["rejected_by"]) == ("rejected", REQUESTER)
    rejected = act(stack, second, "reject", BOB).json()
    assert (rejected["status"], rejected["rejected_by"]) == ("rejected", BOB)
    assert act(stack, second, "approve", ALICE).json()["code"] == "not_pending"
    assert push(stack, "sale-http-3").json()["status"] == "rejected"
    assert len(sandbox_pushes(stack)) == before


def test_a_dry_run_and_a_tag_push_do_not_wait(stack: StackProcess) -> None:
    dry = request("POST", f"{stack.url}/v1/pushes", {**SALE, "dry_run": True}, as_(REQUESTER))
    assert dry.status == 200 and dry.json()["dry_run"] is True
    tags = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "VIP"}}
    sent = push(stack, "tags-1", tags)
    assert (sent.status, sent.json()["status"]) == (202, "submitted")


def test_an_event_push_publishes_pending_then_sent_with_the_same_push_id(
    stack: StackProcess,
) -> None:
    entry = {
        "Source": "orders-service",
        "DetailType": "Push Requested",
        "Detail": json.dumps({**SALE, "idempotency_key": "ev-approve-1"}),
    }
    put = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]}).json()
    assert put["FailedEntryCount"] == 0, put
    published = request("GET", f"{stack.url}/_local/events").json()["events"]
    (pending,) = [e for e in published if e["detail-type"] == "Push Pending Approval"]
    detail = pending["detail"]
    push_id = detail["push_id"]
    assert detail["idempotency_key"] == "ev-approve-1" and detail["expires_at"]
    assert detail["request_event_id"] == put["Entries"][0]["EventId"]
    assert events(stack, push_id) == ["Push Pending Approval"]
    record = request("GET", f"{stack.url}/v1/pushes/{push_id}").json()
    assert (record["status"], record["caller"]) == (
        "pending_approval",
        "eventbridge:orders-service",
    )
    approved = act(stack, push_id, "approve", BOB)
    assert approved.status == 200 and approved.json()["status"] == "submitted"
    assert events(stack, push_id) == ["Push Pending Approval", "Push Sent"]
    published = request("GET", f"{stack.url}/_local/events").json()["events"]
    (sent,) = [e for e in published if e["detail-type"] == "Push Sent"
               and e["detail"]["push_id"] == push_id]  # fmt: skip
    assert sent["detail"]["task_id"] == approved.json()["task_id"]
    assert sent["detail"]["idempotency_key"] == "ev-approve-1"


def test_the_stack_refuses_approvals_without_approvers(stack_factory: StackFactory) -> None:
    with pytest.raises(RuntimeError) as failed:
        stack_factory(APPROVAL_REQUIRED="all")
    assert "APPROVAL_REQUIRED=all needs APPROVERS" in str(failed.value)
    with pytest.raises(RuntimeError) as failed:
        stack_factory(APPROVAL_REQUIRED="yes", APPROVERS=ALICE)
    assert "APPROVAL_REQUIRED must be empty or 'all'" in str(failed.value)
