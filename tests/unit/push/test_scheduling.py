"""Scheduled pushes on moto (in-process): schedule, replay, cancel, fire (docs/architecture.md §14).

The records, the quota item and EventBridge Scheduler are the real code over moto; Tencent is
the recording fake of tests/support/push_fakes.py; one clock drives records, quota and `now`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from push_common.errors import (
    GatewayError,
    IdempotencyKeyReused,
    NotCancellable,
    NotOwner,
    PushNotFound,
    ScheduleDayFull,
    ValidationFailed,
)
from push_common.identity import Caller
from push_common.push.dispatch import RetryLater, dispatch, parse_dispatch
from push_common.push.request import PushRequest
from push_common.push.scheduling import cancel_push, schedule_push
from push_common.push.service import dry_run, push_id_for
from push_common.push.validation import validate_model
from push_common.schedules import at_expression
from tests.support.push_fakes import CREDS
from tests.support.push_world import ORDERS, SALE, START, World, ctx, moto_world

OTHER = "arn:aws:iam::123456789012:role/other"
ADMIN = "arn:aws:iam::123456789012:role/admin"


@pytest.fixture
def world() -> Iterator[World]:
    with moto_world({"ADMIN_PRINCIPALS": ADMIN}) as world:
        yield world


def req(send_at: str | None, **extra: Any) -> PushRequest:
    body = {**SALE, **extra}
    if send_at is not None:
        body["send_at"] = send_at
    return validate_model(PushRequest, body)


def at(delta: timedelta) -> str:
    return (START + delta).isoformat()


# --- send_at -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send_at", "why"),
    [
        ("2026-11-26T12:00:00", "offset"),  # naive
        ("2026-11-26", "offset"),  # a date only
        ("2026-11-26 12:00:00+08:00", "offset"),  # not RFC 3339's T
    ],
)
def test_send_at_needs_an_rfc3339_instant_with_an_offset(send_at: str, why: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        req(send_at)
    assert [p.field for p in refused.value.errors] == ["send_at"]
    assert why in refused.value.errors[0].message


@pytest.mark.parametrize(
    ("delta", "problem"),
    [
        (timedelta(0), "in the future"),
        (timedelta(seconds=-1), "in the future"),
        (timedelta(days=30, seconds=1), "at most 30 days"),
        # 23:58:00.001 Asia/Shanghai: less than 2 minutes before the end of its quota day
        (timedelta(hours=13, minutes=58, milliseconds=1), "2 minutes before"),
    ],
)
def test_send_at_window(world: World, delta: timedelta, problem: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        schedule_push(req(at(delta)), ctx(), world.deps())
    assert refused.value.errors[0].field == "send_at"
    assert problem in refused.value.errors[0].message
    assert world.schedules() == []


@pytest.mark.parametrize(
    "delta", [timedelta(milliseconds=1), timedelta(hours=13, minutes=58), timedelta(days=30)]
)
def test_send_at_edges_that_are_allowed(world: World, delta: timedelta) -> None:
    answer = schedule_push(req(at(delta)), ctx(), world.deps())
    assert answer.status == 202


def test_the_same_instant_with_another_offset_is_the_same_request(world: World) -> None:
    first = schedule_push(req("2026-11-26T12:00:00+08:00"), ctx(), world.deps())
    again = schedule_push(req("2026-11-26T04:00:00Z"), ctx(), world.deps())
    assert again.replayed and again.body == first.body
    assert first.body["send_at"] == "2026-11-26T04:00:00.000Z"


def test_at_expression_is_utc_rounded_up_to_the_second() -> None:
    ms = int(datetime(2026, 11, 26, 4, 0, 0, 1000, tzinfo=UTC).timestamp() * 1000)
    assert at_expression(ms) == "at(2026-11-26T04:00:01)"
    assert at_expression(ms - 1) == "at(2026-11-26T04:00:00)"


# --- scheduling ----------------------------------------------------------------------------


def test_scheduling_holds_a_slot_of_that_day_and_creates_one_schedule(world: World) -> None:
    answer = schedule_push(req("2026-11-27T09:00:00+08:00"), ctx(), world.deps())
    assert answer.status == 202
    assert answer.body == {
        "push_id": answer.push_id,
        "status": "scheduled",
        "send_at": "2026-11-27T01:00:00.000Z",
        "quota": {
            "limit": 3,
            "used": 0,
            "scheduled": 1,
            "remaining": 2,
            "resets_at": "2026-11-28T00:00:00+08:00",
            "next_push_not_before": None,
            "timezone": "Asia/Shanghai",
        },
    }
    (schedule,) = world.schedules()
    assert schedule["Name"] == f"push-{answer.push_id}"
    assert schedule["ScheduleExpression"] == "at(2026-11-27T01:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    target = schedule["Target"]
    assert json.loads(target["Input"]) == {"push_id": answer.push_id}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 300
    assert target["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:ap-southeast-1:123456789012:dlq"}
    assert world.quota("2026-11-27")["scheduled"] == 1
    assert world.quota()["scheduled"] == 0
    assert world.client.calls == []
    record = world.deps().records.get(answer.push_id) or {}
    assert record["status"]["S"] == "scheduled"
    assert record["send_at"]["S"] == "2026-11-27T01:00:00.000Z"


def test_a_replay_answers_from_the_record_and_holds_nothing_more(world: World) -> None:
    first = schedule_push(req(at(timedelta(hours=1))), ctx(), world.deps())
    again = schedule_push(req(at(timedelta(hours=1))), ctx(), world.deps())
    assert again.replayed and again.body == first.body
    assert len(world.schedules()) == 1
    assert world.quota()["scheduled"] == 1


def test_a_replay_after_send_at_still_answers_from_the_record(world: World) -> None:
    first = schedule_push(req(at(timedelta(seconds=3))), ctx(), world.deps())
    world.clock.now += 10
    dispatch(first.push_id, world.deps(), deadline=None)
    again = schedule_push(req(at(timedelta(seconds=3))), ctx(), world.deps())
    assert again.replayed and again.body["status"] == "submitted"
    with pytest.raises(ValidationFailed):  # without a key there is nothing to replay
        schedule_push(req(at(timedelta(seconds=3))), ctx(key=None), world.deps())
    with pytest.raises(IdempotencyKeyReused):
        schedule_push(req(at(timedelta(seconds=4))), ctx(), world.deps())


def test_a_full_day_is_409_and_leaves_no_record(world: World) -> None:
    for n in range(3):
        schedule_push(req(at(timedelta(hours=1))), ctx(key=f"k{n}"), world.deps())
    with pytest.raises(ScheduleDayFull) as refused:
        schedule_push(req(at(timedelta(hours=1))), ctx(key="k3"), world.deps())
    assert (refused.value.status, refused.value.code) == (409, "schedule_day_full")
    assert len(world.schedules()) == 3
    # and an immediate push finds no free slot today either
    snapshot = world.quota()
    assert (snapshot["scheduled"], snapshot["remaining"]) == (3, 0)


def test_a_dry_run_shows_that_days_quota_and_stores_nothing(world: World) -> None:
    schedule_push(req("2026-11-28T09:00:00+08:00"), ctx(key="held"), world.deps())
    out = dry_run(req("2026-11-28T10:00:00+08:00", dry_run=True), ctx(), world.deps())
    assert out["quota"]["scheduled"] == 1
    assert out["quota"]["resets_at"] == "2026-11-29T00:00:00+08:00"
    assert len(world.schedules()) == 1


# --- cancelling ----------------------------------------------------------------------------


def test_the_creator_cancels_gives_the_slot_back_and_deletes_the_schedule(world: World) -> None:
    answer = schedule_push(req(at(timedelta(hours=1))), ctx(), world.deps())
    view = cancel_push(answer.push_id, Caller(ORDERS), world.deps())
    assert (view["push_id"], view["status"]) == (answer.push_id, "cancelled")
    assert view["send_at"] and view["status"] == "cancelled" and view["request"]["send_at"]
    assert world.schedules() == []
    assert world.quota()["scheduled"] == 0
    replay = schedule_push(req(at(timedelta(hours=1))), ctx(), world.deps())
    assert replay.replayed and replay.body["status"] == "cancelled"
    with pytest.raises(NotCancellable):
        cancel_push(answer.push_id, Caller(ORDERS), world.deps())


def test_only_the_creator_or_an_admin_may_cancel(world: World) -> None:
    answer = schedule_push(req(at(timedelta(hours=1))), ctx(), world.deps())
    with pytest.raises(NotOwner) as refused:
        cancel_push(answer.push_id, Caller(OTHER), world.deps())
    assert (refused.value.status, refused.value.code) == (403, "not_owner")
    session = "arn:aws:sts::123456789012:assumed-role/admin/ops"
    assert cancel_push(answer.push_id, Caller(ADMIN, session), world.deps())["status"]


@pytest.mark.parametrize("push_id", ["3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11", "", "x" * 3000])
def test_an_unknown_push_is_404(world: World, push_id: str) -> None:
    with pytest.raises(PushNotFound) as refused:
        cancel_push(push_id, Caller(ORDERS), world.deps())
    assert (refused.value.status, refused.value.code) == (404, "push_not_found")


# --- firing --------------------------------------------------------------------------------


def test_it_fires_once_using_its_held_slot(world: World) -> None:
    answer = schedule_push(req(at(timedelta(seconds=3))), ctx(), world.deps())
    world.clock.now += 3
    out = dispatch(answer.push_id, world.deps(), deadline=world.clock.now + 50)
    assert out["outcome"] == "sent" and out["task_id"]
    assert len(world.client.calls) == 1
    snapshot = world.quota()
    assert (snapshot["used"], snapshot["scheduled"], snapshot["remaining"]) == (1, 0, 2)
    record = world.deps().records.get(answer.push_id) or {}
    assert (record["status"]["S"], record["channel"]["S"]) == ("submitted", "schedule")
    again = dispatch(answer.push_id, world.deps(), deadline=world.clock.now + 50)
    assert again["outcome"] == "not_scheduled"
    assert len(world.client.calls) == 1
    with pytest.raises(NotCancellable):
        cancel_push(answer.push_id, Caller(ORDERS), world.deps())


def test_a_cancelled_or_unknown_push_sends_nothing(world: World) -> None:
    answer = schedule_push(req(at(timedelta(seconds=3))), ctx(), world.deps())
    cancel_push(answer.push_id, Caller(ORDERS), world.deps())
    world.clock.now += 3
    assert dispatch(answer.push_id, world.deps(), deadline=None)["outcome"] == "not_scheduled"
    assert dispatch("nope", world.deps(), deadline=None)["outcome"] == "unknown_push"
    assert world.client.calls == []
    assert parse_dispatch({"push_id": "p"}) == "p"
    assert parse_dispatch({"push_id": 3}) is None
    assert parse_dispatch("x") is None


def test_it_waits_out_the_interval_within_its_own_time(world: World) -> None:
    deps = world.deps()
    held = schedule_push(req(at(timedelta(seconds=3))), ctx(), deps)
    world.clock.now += 3
    deps.quota(CREDS).reserve()  # an immediate push right now
    before = world.clock.now
    assert dispatch(held.push_id, deps, deadline=world.clock.now + 50)["outcome"] == "sent"
    assert world.clock.now - before >= 1.04  # waited the interval + margin (float sums)


def test_a_push_that_no_longer_passes_the_policy_fails_and_frees_its_slot(world: World) -> None:
    answer = schedule_push(req(at(timedelta(seconds=3))), ctx(), world.deps())
    world.env["BROADCAST_ALL_PRINCIPALS"] = ADMIN  # orders may no longer push to everyone
    world.clock.now += 3
    out = dispatch(answer.push_id, world.deps(), deadline=None)
    assert (out["outcome"], out["code"]) == ("failed", "no_longer_valid")
    assert world.client.calls == []
    assert world.quota()["scheduled"] == 0
    record = world.deps().records.get(answer.push_id) or {}
    assert record["status"]["S"] == "failed"
    assert json.loads(record["error"]["S"])["code"] == "no_longer_valid"


def test_a_late_fire_moves_to_a_free_slot_of_today_or_is_missed(world: World) -> None:
    deps = world.deps()
    late = schedule_push(req(at(timedelta(hours=1))), ctx(key="late"), deps)
    missed = schedule_push(req(at(timedelta(hours=2))), ctx(key="missed"), deps)
    world.clock.now += 86400  # both fire a day late
    for n in range(2):  # tomorrow: 2 held, and 3 - 2 = 1 free
        schedule_push(req(at(timedelta(days=1, hours=3))), ctx(key=f"t{n}"), world.deps())
    assert dispatch(late.push_id, world.deps(), deadline=None)["outcome"] == "sent"
    world.clock.now += 2
    out = dispatch(missed.push_id, world.deps(), deadline=None)
    assert (out["outcome"], out["code"]) == ("failed", "schedule_missed")
    assert world.quota("2026-11-26")["scheduled"] == 0  # the old day's slots are back
    today = world.quota()
    assert (today["used"], today["scheduled"], today["remaining"]) == (1, 2, 0)


def test_a_fire_while_still_being_scheduled_is_retried(world: World) -> None:
    deps = world.deps()
    answer = schedule_push(req(at(timedelta(seconds=3))), ctx(), deps)
    claim = deps.records.fire(answer.push_id, lease_until_ms=world.clock.ms() + 60_000)
    assert claim is not None  # someone else is sending it
    with pytest.raises(RetryLater):
        dispatch(answer.push_id, deps, deadline=None)
    assert deps.records.reschedule(claim) is True
    assert dispatch(answer.push_id, deps, deadline=None)["outcome"] == "sent"


def test_a_dependency_failure_puts_it_back_and_retries(world: World) -> None:
    deps = world.deps()
    answer = schedule_push(req(at(timedelta(seconds=3))), ctx(), deps)

    def broken() -> Any:
        raise GatewayError("secret unavailable", code="aws_unavailable")

    deps.credentials = broken
    with pytest.raises(RetryLater):
        dispatch(answer.push_id, deps, deadline=None)
    assert (world.deps().records.get(answer.push_id) or {})["status"]["S"] == "scheduled"


def test_scheduler_unavailable_is_503_with_no_orphan_slot_or_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ServiceUnavailableException", "Message": "down"}},
            "CreateSchedule",
        )

    monkeypatch.setattr(world.scheduler, "create_schedule", unavailable)
    request = req(at(timedelta(hours=1)))
    with pytest.raises(GatewayError) as refused:
        schedule_push(request, ctx(key="down-1"), world.deps())
    assert (refused.value.status, refused.value.retryable) == (503, True)
    when = datetime.fromisoformat(at(timedelta(hours=1))).astimezone(ZoneInfo("Asia/Shanghai"))
    day = world.quota(when.date().isoformat())
    assert day["scheduled"] == 0  # the held slot was given back
    push_id = push_id_for(ctx(key="down-1"))
    assert world.deps().records.get(push_id) is None  # and the claim forgotten
    assert world.schedules() == []


def test_a_test_send_cannot_be_scheduled(world: World) -> None:
    world.env["TIM_PUSH_API"] = "timpush"
    request = validate_model(
        PushRequest,
        {
            "audience": {"accounts": ["alice"]},
            "notification": {"title": "Try", "body": "Try this"},
            "send_at": at(timedelta(hours=1)),
        },
    )
    with pytest.raises(ValidationFailed) as refused:
        schedule_push(request, ctx(key="test-1"), world.deps())
    assert refused.value.errors[0].field == "send_at"
    assert world.schedules() == []
