"""Scheduled pushes over real HTTP on the local stack (docs/architecture.md §14): a push fires
by itself at `send_at`, a cancel before it sends nothing and gives the slot back, replays answer
from the record, a dry run stores nothing, a full day is 409, and `GET /v1/quota?date=` counts
the held slots. Each test uses its own quota day, so they share one stack."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.stack_client import StackProcess, request

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Shanghai")
LIMIT = 3
SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
OTHER = "arn:aws:iam::123456789012:role/someone-else"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log: Path = tmp_path_factory.mktemp("sched-stack") / "stack.log"
    env = {"PUSH_MIN_INTERVAL_MS": "0", "PUSH_DAILY_LIMIT": str(LIMIT)}
    started = StackProcess(log, env).start()
    request("GET", f"{started.url}/v1/quota")  # a warm push_api: `soon(3)` stays in the future
    yield started
    started.stop()


def soon(seconds: float) -> str:
    """`seconds` from now, with an offset; skips the test too close to the quota day's end."""
    at = datetime.now(ZONE) + timedelta(seconds=seconds)
    if at.date() != (at + timedelta(minutes=3)).date():
        pytest.skip("too close to midnight in Asia/Shanghai for a same-day schedule")
    return at.isoformat(timespec="milliseconds")


def on_day(days_ahead: int, hour: int = 12) -> tuple[str, str]:
    """(send_at at `hour` o'clock Shanghai time, that quota day) `days_ahead` days from today."""
    day = datetime.now(ZONE).date() + timedelta(days=days_ahead)
    at = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)
    return at.isoformat(), day.isoformat()


def schedule(stack: StackProcess, send_at: str, key: str | None = None, **extra: Any) -> Any:
    headers = {"idempotency-key": key} if key else {}
    return request("POST", f"{stack.url}/v1/pushes", {**SALE, "send_at": send_at, **extra}, headers)


def events(stack: StackProcess, detail_type: str, push_id: str) -> list[dict[str, Any]]:
    published = request("GET", f"{stack.url}/_local/events").json()["events"]
    return [
        e
        for e in published
        if e["detail-type"] == detail_type and e["detail"].get("push_id") == push_id
    ]


def pending(stack: StackProcess) -> list[str]:
    schedules = request("GET", f"{stack.url}/_local/schedules").json()["schedules"]
    return [s["input"]["push_id"] for s in schedules]


def sandbox_pushes(stack: StackProcess) -> int:
    assert stack.sandbox_url is not None
    return len(request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()["pushes"])


def quota(stack: StackProcess, day: str | None = None) -> Any:
    query = f"?date={day}" if day else ""
    return request("GET", f"{stack.url}/v1/quota{query}").json()


def wait_for(check: Any, seconds: float) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if result := check():
            return result
        time.sleep(0.2)
    return check()


def test_a_scheduled_push_fires_by_itself(stack: StackProcess) -> None:
    before = sandbox_pushes(stack)
    scheduled = schedule(stack, soon(3))
    assert scheduled.status == 202, scheduled.body
    body = scheduled.json()
    push_id = body["push_id"]
    assert (body["status"], body["quota"]["scheduled"]) == ("scheduled", 1)
    assert push_id in pending(stack)
    start = time.monotonic()
    sent = wait_for(lambda: events(stack, "Push Sent", push_id), 10)
    print(f"scheduled push fired {time.monotonic() - start:.1f} s after it was scheduled for +3 s")
    assert sent and sent[0]["detail"]["task_id"]
    assert push_id not in pending(stack)
    assert sandbox_pushes(stack) == before + 1
    today = quota(stack)
    assert today["scheduled"] == 0 and today["used"] >= 1


def test_a_push_cancelled_before_it_fires_sends_nothing(stack: StackProcess) -> None:
    before = sandbox_pushes(stack)
    push_id = schedule(stack, soon(3)).json()["push_id"]
    other = request(
        "DELETE", f"{stack.url}/v1/pushes/{push_id}", headers={"x-local-caller-arn": OTHER}
    )
    assert (other.status, other.json()["code"]) == (403, "not_owner")
    cancelled = request("DELETE", f"{stack.url}/v1/pushes/{push_id}")
    assert cancelled.status == 200, cancelled.body
    assert (cancelled.json()["push_id"], cancelled.json()["status"]) == (push_id, "cancelled")
    assert push_id not in pending(stack)
    assert quota(stack)["scheduled"] == 0  # the slot is back
    time.sleep(5)  # past send_at + 2 s
    assert sandbox_pushes(stack) == before
    assert events(stack, "Push Cancelled", push_id)
    assert not events(stack, "Push Sent", push_id)
    again = request("DELETE", f"{stack.url}/v1/pushes/{push_id}")
    assert (again.status, again.json()["code"]) == (409, "not_cancellable")
    unknown = request("DELETE", f"{stack.url}/v1/pushes/3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11")
    assert (unknown.status, unknown.json()["code"]) == (404, "push_not_found")


def test_a_replay_answers_from_the_record(stack: StackProcess) -> None:
    send_at, day = on_day(2)
    first = schedule(stack, send_at, key="sched-replay")
    again = schedule(stack, send_at, key="sched-replay")
    assert (first.status, again.status) == (202, 202)
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert quota(stack, day)["scheduled"] == 1


def test_a_dry_run_shows_that_days_quota_and_stores_nothing(stack: StackProcess) -> None:
    send_at, day = on_day(3)
    schedule(stack, send_at)
    dry = schedule(stack, send_at, dry_run=True)
    assert dry.status == 200
    assert dry.json()["quota"]["scheduled"] == 1
    assert dry.json()["quota"]["resets_at"].startswith(
        (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    )
    assert quota(stack, day)["scheduled"] == 1


def test_a_full_day_is_409_and_the_days_quota_says_why(stack: StackProcess) -> None:
    send_at, day = on_day(4)
    for _ in range(LIMIT):
        assert schedule(stack, send_at).status == 202
    full = schedule(stack, send_at)
    assert (full.status, full.json()["code"]) == (409, "schedule_day_full")
    snapshot = quota(stack, day)
    assert (snapshot["used"], snapshot["scheduled"], snapshot["remaining"]) == (0, LIMIT, 0)
    assert snapshot["next_push_not_before"] is None


@pytest.mark.parametrize("send_at", ["2026-11-30T09:00:00", "yesterday", "2020-01-01T00:00:00Z"])
def test_a_bad_send_at_is_422_naming_it(stack: StackProcess, send_at: str) -> None:
    refused = schedule(stack, send_at)
    assert refused.status == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["send_at"]


@pytest.mark.parametrize("day", ["2020-01-01", "someday", "2999-01-01"])
def test_a_bad_quota_date_is_422_naming_it(stack: StackProcess, day: str) -> None:
    refused = request("GET", f"{stack.url}/v1/quota?date={day}")
    assert refused.status == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["date"]


def test_an_event_with_send_at_publishes_push_scheduled(stack: StackProcess) -> None:
    send_at, day = on_day(5)
    entry = {
        "Source": "orders-service",
        "DetailType": "Push Requested",
        "Detail": __import__("json").dumps({**SALE, "send_at": send_at, "idempotency_key": "ev-1"}),
    }
    put = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]}).json()
    assert put["FailedEntryCount"] == 0, put
    published = request("GET", f"{stack.url}/_local/events").json()["events"]
    (scheduled,) = [e for e in published if e["detail-type"] == "Push Scheduled"]
    detail = scheduled["detail"]
    assert detail["idempotency_key"] == "ev-1"
    assert detail["request_event_id"] == put["Entries"][0]["EventId"]
    assert detail["send_at"] == datetime.fromisoformat(send_at).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert detail["push_id"] in pending(stack)
    assert quota(stack, day)["scheduled"] == 1
