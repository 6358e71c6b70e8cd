"""At most one broadcast per logical push on every path (docs/decisions.md §3).

Counted where it matters: the im_push CALLS the upstream sandbox received with the push's
MsgRandom (the sandbox itself de-duplicates MsgRandom like Tencent, so counting accepted pushes
alone could hide a second broadcast attempt), the quota slots used, and the `Push Sent` events.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from push_common.push.service import PushContext, msg_random_for
from tests.support.stack_client import Reply, StackProcess, request

pytestmark = pytest.mark.integration

CALLER = "arn:aws:iam::123456789012:role/orders-service"
PUSH = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "Your order shipped"}}


def event_msg_random(source: str, key: str) -> int:
    caller = f"eventbridge:{source}"
    return msg_random_for(PushContext(caller=caller, idempotency_scope=caller, idempotency_key=key))


def _sandbox(stack: StackProcess, what: str) -> Any:
    assert stack.sandbox_url is not None
    return request("GET", f"{stack.sandbox_url}/_sandbox/{what}").json()


def im_push_calls(stack: StackProcess, msg_random: int) -> int:
    """How many im_push calls upstream received for this MsgRandom (accepted or not)."""
    count = 0
    for call in _sandbox(stack, "calls")["calls"]:
        body = call["body"]
        body = json.loads(body) if isinstance(body, str) else body
        if call["command"] == "im_push" and isinstance(body, dict):
            count += body.get("MsgRandom") == msg_random
    return count


def accepted_pushes(stack: StackProcess, msg_random: int) -> int:
    return sum(p["msg_random"] == msg_random for p in _sandbox(stack, "pushes")["pushes"])


def quota_used(stack: StackProcess) -> int:
    used: int = request("GET", f"{stack.url}/v1/quota").json()["used"]
    return used


def put_event(stack: StackProcess, source: str, detail: dict[str, Any]) -> dict[str, Any]:
    entry = {"Source": source, "DetailType": "Push Requested", "Detail": json.dumps(detail)}
    reply = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]})
    assert reply.status == 200, reply.body
    result: dict[str, Any] = reply.json()["Entries"][0]
    return result


def push_sent_events(stack: StackProcess, key: str) -> list[dict[str, Any]]:
    events = request("GET", f"{stack.url}/_local/events").json()["events"]
    return [
        e
        for e in events
        if e["detail-type"] == "Push Sent" and e["detail"].get("idempotency_key") == key
    ]


def http_push(stack: StackProcess, key: str, body: dict[str, Any] = PUSH) -> Reply:
    headers = {"Idempotency-Key": key, "X-Local-Caller-Arn": CALLER}
    return request("POST", f"{stack.url}/v1/pushes", body, headers)


def test_same_event_delivered_ten_times_in_a_row_pushes_once(local_stack: StackProcess) -> None:
    key, source = f"order-{uuid.uuid4()}", "orders-service"
    msg_random = event_msg_random(source, key)
    used_before = quota_used(local_stack)

    results = [put_event(local_stack, source, {**PUSH, "idempotency_key": key}) for _ in range(10)]

    assert all("DeliveryError" not in r for r in results)
    assert im_push_calls(local_stack, msg_random) == 1
    assert quota_used(local_stack) - used_before == 1
    assert len(push_sent_events(local_stack, key)) == 1


def test_same_event_delivered_ten_times_at_once_pushes_once(local_stack: StackProcess) -> None:
    key, source = f"order-{uuid.uuid4()}", "orders-service"
    msg_random = event_msg_random(source, key)
    used_before = quota_used(local_stack)
    detail = {**PUSH, "idempotency_key": key}

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda _: put_event(local_stack, source, detail), range(10)))
    # Deliveries that met the first one in flight raised (EventBridge retries them): retry now.
    retried = [put_event(local_stack, source, detail) for r in results if "DeliveryError" in r]

    assert all("DeliveryError" not in r for r in retried)
    assert im_push_calls(local_stack, msg_random) == 1
    assert quota_used(local_stack) - used_before == 1
    assert len(push_sent_events(local_stack, key)) == 1


def test_event_id_is_the_key_when_the_detail_has_none(local_stack: StackProcess) -> None:
    source = f"billing-{uuid.uuid4()}"
    first = put_event(local_stack, source, PUSH)
    second = put_event(local_stack, source, PUSH)  # a new event: another push

    calls = [im_push_calls(local_stack, event_msg_random(source, r["EventId"]))
             for r in (first, second)]  # fmt: skip
    assert calls == [1, 1]


def test_twenty_concurrent_requests_with_one_key_push_once(local_stack: StackProcess) -> None:
    key = f"sale-{uuid.uuid4()}"
    msg_random = msg_random_for(
        PushContext(caller=CALLER, idempotency_scope=CALLER, idempotency_key=key)
    )

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda _: http_push(local_stack, key), range(20)))

    statuses = {r.status for r in replies}
    accepted = {(r.json()["push_id"], r.json()["task_id"]) for r in replies if r.status == 202}
    assert statuses <= {202, 409}
    assert len(accepted) == 1
    assert all(r.headers.get("retry-after") for r in replies if r.status == 409)
    assert im_push_calls(local_stack, msg_random) == 1


def test_replay_returns_the_original_answer(local_stack: StackProcess) -> None:
    key = f"sale-{uuid.uuid4()}"
    first, again = http_push(local_stack, key), http_push(local_stack, key)

    assert (first.status, again.status) == (202, 202)
    assert again.json()["push_id"] == first.json()["push_id"]
    assert again.json()["task_id"] == first.json()["task_id"]


def test_same_key_with_another_body_is_refused(local_stack: StackProcess) -> None:
    key = f"sale-{uuid.uuid4()}"
    assert http_push(local_stack, key).status == 202

    other = {**PUSH, "message": {"text": "something else"}}
    reply = http_push(local_stack, key, other)

    assert reply.status == 422
    assert reply.json()["code"] == "idempotency_key_reused"


def test_lost_answer_after_upstream_accepted_is_not_broadcast_twice(
    local_stack: StackProcess,
) -> None:
    # Given upstream accepts the push but answers after our read timeout (a lost response)
    key = f"sale-{uuid.uuid4()}"
    msg_random = msg_random_for(
        PushContext(caller=CALLER, idempotency_scope=CALLER, idempotency_key=key)
    )
    fault = {"command": "im_push", "kind": "accept_then_delay", "delay_seconds": 5.0, "times": 1}
    assert local_stack.sandbox_url is not None
    request("POST", f"{local_stack.sandbox_url}/_sandbox/faults", fault)

    timed_out = http_push(local_stack, key)
    retried = http_push(local_stack, key)

    # Then the caller learns the outcome is unknown; its retry with the same key replays that
    # answer and sends nothing (Tencent de-duplicates a MsgRandom for 1 s only).
    assert (timed_out.status, timed_out.json()["code"]) == (504, "outcome_unknown")
    assert timed_out.json()["retryable"] is False
    assert (retried.status, retried.json()) == (504, timed_out.json())
    assert retried.headers.get("idempotent-replayed") == "true"
    assert accepted_pushes(local_stack, msg_random) == 1
    assert im_push_calls(local_stack, msg_random) == 1
