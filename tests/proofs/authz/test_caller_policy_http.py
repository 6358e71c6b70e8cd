"""Senders and `{"all": true}` per caller, over real HTTP against the local stack
(docs/architecture.md §5).

The adapter signs nothing but fills the IAM identity API Gateway would, from the
`X-Local-Caller-Arn` header (a default developer ARN without it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.config import DEFAULT_CALLER_ARN
from tests.support.stack_client import Reply, StackFactory, StackProcess, request

pytestmark = pytest.mark.integration

BROADCASTER = "arn:aws:iam::111122223333:role/broadcaster"
OPS = "arn:aws:iam::111122223333:user/ops"
OTHER = "arn:aws:iam::111122223333:role/orders-service"
POLICY_ENV = {
    "ALLOWED_SENDERS": "ops-bot, alerts",
    "BROADCAST_ALL_PRINCIPALS": f"{BROADCASTER}, {OPS}",
}
ALL = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
VIP = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "Sale starts now"}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log = tmp_path_factory.mktemp("authz-stack") / "stack.log"
    running = StackProcess(log, {"PUSH_MIN_INTERVAL_MS": "0", **POLICY_ENV}).start()
    request("POST", f"{running.sandbox_url}/_sandbox/users", {"accounts": ["ops-bot", "alice"]})
    yield running
    running.stop()


def push(stack: StackProcess, body: dict[str, Any], caller: str | None) -> Reply:
    headers = {"x-local-caller-arn": caller} if caller else {}
    return request("POST", f"{stack.url}/v1/pushes", body, headers)


def upstream_pushes(stack: StackProcess) -> list[dict[str, Any]]:
    pushes: list[dict[str, Any]] = request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()[
        "pushes"
    ]
    return pushes


def quota_used(stack: StackProcess) -> int:
    return int(request("GET", f"{stack.url}/v1/quota").json()["used"])


def assert_refused(reply: Reply, code: str) -> None:
    assert reply.status == 403, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert (problem["code"], problem["status"], problem["retryable"]) == (code, 403, False)


def accepted_log_lines(stack: StackProcess) -> list[dict[str, Any]]:
    lines = []
    for line in stack.log_text().splitlines():
        if line.startswith("{") and '"push accepted"' in line:
            lines.append(json.loads(line))
    return lines


@pytest.mark.parametrize("sender", ["mallory", "ops-bot-2", "OPS-BOT", "Alerts"])
def test_sender_outside_allowed_senders_is_refused_before_anything_is_spent(stack, sender):
    before_used, before_pushes = quota_used(stack), len(upstream_pushes(stack))
    assert_refused(push(stack, {**VIP, "sender": sender}, BROADCASTER), "sender_not_allowed")
    assert_refused(
        push(stack, {**VIP, "sender": sender, "dry_run": True}, BROADCASTER), "sender_not_allowed"
    )
    assert (quota_used(stack), len(upstream_pushes(stack))) == (before_used, before_pushes)


def test_allowed_sender_reaches_upstream_as_from_account(stack) -> None:
    reply = push(stack, {**VIP, "sender": "ops-bot"}, OTHER)
    assert reply.status == 202, reply.body
    task = reply.json()["task_id"]
    assert [p["from_account"] for p in upstream_pushes(stack) if p["task_id"] == task] == [
        "ops-bot"
    ]


def test_admin_identifier_is_always_an_allowed_sender(stack) -> None:
    reply = push(stack, {**VIP, "sender": "administrator", "dry_run": True}, OTHER)
    assert reply.status == 200, reply.body
    assert reply.json()["upstream_request"]["From_Account"] == "administrator"


@pytest.mark.parametrize("caller", [OTHER, None, f"{BROADCASTER}-2", BROADCASTER.upper()])
def test_all_audience_is_refused_for_principals_not_listed(stack, caller) -> None:
    before = len(upstream_pushes(stack))
    assert_refused(push(stack, ALL, caller), "broadcast_not_allowed")
    assert_refused(push(stack, {**ALL, "dry_run": True}, caller), "broadcast_not_allowed")
    assert len(upstream_pushes(stack)) == before


def test_unlisted_principal_may_still_target_tags(stack) -> None:
    assert push(stack, VIP, OTHER).status == 202


@pytest.mark.parametrize("caller", [BROADCASTER, OPS])
def test_listed_principal_broadcasts_and_is_recorded_as_the_caller(stack, caller) -> None:
    reply = push(stack, ALL, caller)
    assert reply.status == 202, reply.body
    push_id = reply.json()["push_id"]
    (line,) = [x for x in accepted_log_lines(stack) if x.get("push_id") == push_id]
    assert (line["caller"], line["audience"]) == (caller, "all")


def test_caller_without_header_is_the_adapters_default_principal(stack) -> None:
    reply = push(stack, VIP, None)
    assert reply.status == 202, reply.body
    push_id = reply.json()["push_id"]
    (line,) = [x for x in accepted_log_lines(stack) if x.get("push_id") == push_id]
    assert line["caller"] == DEFAULT_CALLER_ARN


def test_without_the_list_any_authenticated_caller_may_broadcast(stack_factory: StackFactory):
    open_stack = stack_factory(ALLOWED_SENDERS="")
    assert push(open_stack, ALL, OTHER).status == 202
    assert_refused(push(open_stack, {**ALL, "sender": "ops-bot"}, OTHER), "sender_not_allowed")
