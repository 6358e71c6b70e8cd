"""Caller budgets over real HTTP and `/_local/events` on the local stack, as
docs/architecture.md §15 states them: a scheduled push counts against its caller's budget of its
day and a cancel gives it back; an event over its source's budget publishes `Push Failed` and
sends nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.integration.test_scheduled_pushes import on_day
from tests.support.stack_client import StackFactory, StackProcess, request

pytestmark = pytest.mark.integration

MARKETING = "arn:aws:iam::123456789012:role/marketing"
SESSION = "arn:aws:sts::123456789012:assumed-role/marketing/campaign-tool"
SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
BUDGETS = {MARKETING: 1, "eventbridge:ops-alerts": 1}


def as_marketing(stack: StackProcess, method: str, path: str, body: Any = None) -> Any:
    return request(method, f"{stack.url}{path}", body, {"X-Local-Caller-Arn": SESSION})


def test_a_scheduled_push_takes_its_days_budget_and_a_cancel_gives_it_back(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(PUSH_DAILY_LIMIT="5", QUOTA_BUDGETS=json.dumps(BUDGETS))
    send_at, day = on_day(2)

    first = as_marketing(stack, "POST", "/v1/pushes", {**SALE, "send_at": send_at})
    second = as_marketing(stack, "POST", "/v1/pushes", {**SALE, "send_at": send_at})
    share = as_marketing(stack, "GET", f"/v1/quota?date={day}").json()["caller"]
    today = as_marketing(stack, "POST", "/v1/pushes", SALE)  # today's budget is its own

    assert first.status == 202, first.body
    assert (second.status, second.json()["code"]) == (429, "caller_budget_exhausted")
    assert day in second.json()["detail"]
    assert share == {"name": MARKETING, "budget": 1, "used": 0, "scheduled": 1, "remaining": 0}
    assert today.status == 202, today.body

    cancelled = as_marketing(stack, "DELETE", f"/v1/pushes/{first.json()['push_id']}")
    assert cancelled.status == 200
    freed = as_marketing(stack, "GET", f"/v1/quota?date={day}").json()["caller"]
    assert (freed["scheduled"], freed["remaining"]) == (0, 1)
    again = as_marketing(stack, "POST", "/v1/pushes", {**SALE, "send_at": send_at})
    assert again.status == 202, again.body


def test_an_event_over_its_sources_budget_publishes_push_failed(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(PUSH_DAILY_LIMIT="5", QUOTA_BUDGETS=json.dumps(BUDGETS))
    keys = [f"alert-{uuid.uuid4()}" for _ in range(2)]
    for key in keys:
        detail = {**SALE, "idempotency_key": key}
        entry = {
            "Source": "ops-alerts",
            "DetailType": "Push Requested",
            "Detail": json.dumps(detail),
        }
        reply = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]})
        assert reply.status == 200, reply.body

    published = request("GET", f"{stack.url}/_local/events").json()["events"]
    outcomes = {e["detail"].get("idempotency_key"): e for e in published}
    pushes = request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()["pushes"]

    assert outcomes[keys[0]]["detail-type"] == "Push Sent"
    assert outcomes[keys[1]]["detail-type"] == "Push Failed"
    assert outcomes[keys[1]]["detail"]["code"] == "caller_budget_exhausted"
    assert len(pushes) == 1
