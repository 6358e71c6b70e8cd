"""The local EventBridge Scheduler (devstack/schedules.py) against moto server on loopback:
due schedules fire once through `invoke` and are deleted, later ones stay pending, a failing
invocation is retried (docs/architecture.md §14)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack import aws
from devstack.schedules import LocalScheduler, parse_schedule
from devstack.workers import InvocationError

GROUP = "PushScheduleGroup"
FUNCTION = "arn:aws:lambda:ap-southeast-1:123456789012:function:PushDispatchFunction"


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    server = aws.MotoServer()
    url = server.start()
    try:
        environ = aws.endpoint_env(url, url, "ap-southeast-1")
        aws.client("scheduler", environ).create_schedule_group(Name=GROUP)
        yield environ
    finally:
        server.stop()


def create(env: dict[str, str], name: str, at: datetime) -> None:
    aws.client("scheduler", env).create_schedule(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": FUNCTION,
            "RoleArn": "arn:aws:iam::1:role/r",
            "Input": json.dumps({"push_id": name}),
        },
    )


def test_due_schedules_fire_once_and_later_ones_stay_pending(env: dict[str, str]) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()
    failures = {"flaky": 1}

    def invoke(function: str, event: dict[str, Any]) -> Any:
        with lock:
            calls.append((function, event))
            if failures.get(event["push_id"], 0) > 0:
                failures[event["push_id"]] -= 1
                raise InvocationError({"errorType": "RetryLater", "errorMessage": "not yet"})
        return {"outcome": "sent"}

    now = datetime.now(UTC)
    create(env, "due", now - timedelta(seconds=1))
    create(env, "flaky", now - timedelta(seconds=1))
    create(env, "later", now + timedelta(hours=1))
    scheduler = LocalScheduler(env, [GROUP], invoke)
    scheduler.start()
    try:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and len(scheduler.fired) < 2:
            time.sleep(0.1)
        pending = [s.to_dict() for s in scheduler.pending()]
    finally:
        scheduler.stop()
    fired = sorted(f["input"]["push_id"] for f in scheduler.fired)
    assert fired == ["due", "flaky"]
    assert sorted(e["push_id"] for _, e in calls) == ["due", "flaky", "flaky"]  # one retry
    assert {f for f, _ in calls} == {"PushDispatchFunction"}
    assert [p["name"] for p in pending] == ["later"]
    assert pending[0]["target"] == "PushDispatchFunction"


def test_only_one_time_at_schedules_are_read() -> None:
    assert parse_schedule(GROUP, {"Name": "n", "ScheduleExpression": "rate(5 minutes)"}) is None
    local = parse_schedule(
        GROUP,
        {
            "Name": "n",
            "ScheduleExpression": "at(2026-11-30T01:00:00)",
            "ScheduleExpressionTimezone": "Asia/Shanghai",
            "Target": {"Arn": FUNCTION, "Input": "not json"},
        },
    )
    assert local is not None
    assert local.to_dict()["fires_at"] == "2026-11-29T17:00:00Z"
    assert (local.function, local.payload) == ("PushDispatchFunction", {})
