"""The Push service over real HTTP: a local stack started with TIM_PUSH_API=timpush, the sandbox
speaking `v4/timpush/*` (docs/architecture.md §13). A push, a test send, a recall twice, a report,
and at most once for a lost revoke answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.stack_client import Reply, StackFactory, StackProcess, request

pytestmark = pytest.mark.integration

NOTE = {"title": "Sale cancelled", "body": "Sorry"}


@pytest.fixture
def stack(stack_factory: StackFactory) -> Iterator[StackProcess]:
    yield stack_factory(TIM_PUSH_API="timpush")


def sandbox(
    stack: StackProcess, method: str, route: str, body: dict[str, Any] | None = None
) -> Reply:
    assert stack.sandbox_url is not None
    return request(method, f"{stack.sandbox_url}/_sandbox/{route}", body)


def test_push_test_send_recall_and_report(stack: StackProcess) -> None:
    sandbox(stack, "POST", "users", {"accounts": ["alice", "bob"]})
    sent = request(
        "POST",
        f"{stack.url}/v1/pushes",
        {"audience": {"all": True}, "message": {"text": "Sale"}, "keep_in_history": True},
    )
    assert sent.status == 202, sent.body
    push_id = sent.json()["push_id"]

    test = request(
        "POST",
        f"{stack.url}/v1/pushes",
        {"audience": {"accounts": ["alice"]}, "notification": {"title": "T", "body": "B"}},
    )
    assert test.status == 202 and "quota" not in test.json()

    pushes = sandbox(stack, "GET", "pushes").json()["pushes"]
    assert [(p["command"], p["data_id"]) for p in pushes] == [
        ("push", push_id),
        ("batch", test.json()["push_id"]),
    ]
    assert pushes[0]["body"]["OnlineOnlyFlag"] == 0 and "MsgLifeTime" not in pushes[0]["body"]
    assert pushes[0]["recipients"] == ["alice", "bob"]
    quota = request("GET", f"{stack.url}/v1/quota").json()
    assert quota["used"] == 1  # the test send took no slot

    report = request("GET", f"{stack.url}/v1/pushes/{push_id}/report")
    assert report.status == 200, report.body
    assert (report.json()["total"], report.json()["delivered"]) == (2, 2)

    first = request("POST", f"{stack.url}/v1/pushes/{push_id}/recall", {"notification": NOTE})
    again = request("POST", f"{stack.url}/v1/pushes/{push_id}/recall", {"notification": NOTE})
    assert (first.status, again.status) == (200, 200)
    assert first.json()["status"] == "recalled" and first.json()["upstream_api"] == "timpush"
    assert again.json() == first.json()
    revokes = [
        c for c in sandbox(stack, "GET", "calls").json()["calls"] if c["command"] == "revoke"
    ]
    assert len(revokes) == 1

    test_recall = request(
        "POST", f"{stack.url}/v1/pushes/{test.json()['push_id']}/recall", {"notification": NOTE}
    )
    assert (test_recall.status, test_recall.json()["code"]) == (409, "not_recallable")


def test_a_lost_revoke_answer_is_not_repeated_and_a_retry_is_safe(stack: StackProcess) -> None:
    sent = request(
        "POST", f"{stack.url}/v1/pushes", {"audience": {"all": True}, "message": {"text": "x"}}
    )
    push_id = sent.json()["push_id"]
    sandbox(stack, "POST", "faults", {"kind": "accept_then_close", "command": "revoke"})
    lost = request("POST", f"{stack.url}/v1/pushes/{push_id}/recall", {"notification": NOTE})
    assert (lost.status, lost.json()["code"]) == (504, "recall_outcome_unknown")
    calls = sandbox(stack, "GET", "calls").json()["calls"]
    assert len([c for c in calls if c["command"] == "revoke"]) == 1  # never re-sent
    retry = request("POST", f"{stack.url}/v1/pushes/{push_id}/recall", {"notification": NOTE})
    assert (retry.status, retry.json()["status"]) == (200, "recalled")  # upstream said 90050


def test_audience_routes_use_the_timpush_paths(stack: StackProcess) -> None:
    added = request("POST", f"{stack.url}/v1/users/tags", {"users": {"alice": ["vip"]}})
    assert added.json() == {"succeeded": ["alice"], "failed": []}
    got = request("GET", f"{stack.url}/v1/users/tags?accounts=alice").json()
    assert got == {"users": {"alice": ["vip"]}}
    commands = {c["command"] for c in sandbox(stack, "GET", "calls").json()["calls"]}
    assert {"add_tag", "get_tag"} <= commands
    assert not {c for c in commands if c.startswith("im_")}
