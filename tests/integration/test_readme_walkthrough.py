"""The README walkthrough as a newcomer runs it: tag three users, push to a tag, see who got it."""

from __future__ import annotations

import uuid

import pytest

from tests.support.stack_client import StackProcess, request

pytestmark = pytest.mark.integration


def test_tag_three_users_push_to_one_tag_and_see_the_recipients(local_stack: StackProcess) -> None:
    run = uuid.uuid4().hex[:8]
    alice, bob, carol = (f"{name}-{run}" for name in ("alice", "bob", "carol"))
    vip = f"vip-{run}"

    tagged = request(
        "POST",
        f"{local_stack.url}/v1/users/tags",
        {"users": {alice: [vip], bob: [vip, "beta"], carol: ["beta"]}},
    )
    pushed = request(
        "POST",
        f"{local_stack.url}/v1/pushes",
        {"audience": {"tags": {"any": [vip]}}, "message": {"text": "VIP sale starts now"}},
    )
    reached = request("GET", f"{local_stack.url}/_local/pushes").json()["pushes"]

    assert tagged.status == 200 and sorted(tagged.json()["succeeded"]) == sorted(
        [alice, bob, carol]
    )
    assert pushed.status == 202
    [push] = [p for p in reached if p["task_id"] == pushed.json()["task_id"]]
    assert push["recipients"] == sorted([alice, bob])
