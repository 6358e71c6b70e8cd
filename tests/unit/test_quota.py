"""Quota store on moto (in-process): limits, interval, midnight, release and reconciliation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from push_common.errors import DependencyUnavailable, QuotaExceeded, ScheduleDayFull
from push_common.quota import QUOTA_KEY_ATTRIBUTE, IntervalWait, QuotaPolicy, QuotaStore
from push_common.quota_calendar import QuotaCalendar

ZONE = ZoneInfo("Asia/Shanghai")
TABLE = "push-quota"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": QUOTA_KEY_ATTRIBUTE, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": QUOTA_KEY_ATTRIBUTE, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 12, 0, 0, tzinfo=ZONE))


def store(ddb: Any, clock: Clock, *, limit: int = 3, interval_ms: int = 1000) -> QuotaStore:
    policy = QuotaPolicy(
        limit=limit, interval_ms=interval_ms, margin_ms=50, calendar=QuotaCalendar(ZONE)
    )
    return QuotaStore(ddb, TABLE, "1400000000", policy, clock=clock)


def test_first_reservation_creates_the_day(ddb: Any, clock: Clock) -> None:
    reservation = store(ddb, clock).reserve()
    assert (reservation.day, reservation.used) == ("2026-11-26", 1)


def test_limit_reached_refuses_until_midnight(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=3)
    for _ in range(3):
        quota.reserve()
        clock.advance(2)
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve()
    assert refused.value.code == "daily_quota_exhausted"
    assert refused.value.retry_after == 12 * 3600 - 6  # 12:00:06 → midnight Asia/Shanghai


def test_interval_refusal_says_how_long_to_wait(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    quota.reserve()
    clock.advance(0.4)
    with pytest.raises(IntervalWait) as refused:
        quota.reserve()
    assert refused.value.code == "push_interval"
    assert refused.value.wait_ms == 650  # 1000 ms interval + 50 ms margin - 400 ms elapsed
    assert refused.value.retry_after == 1


def test_exactly_the_interval_is_not_enough(ddb: Any, clock: Clock) -> None:
    # Upstream wants pushes MORE than 1 s apart (90024 at exactly 1 s).
    quota = store(ddb, clock)
    quota.reserve()
    clock.advance(1.0)
    with pytest.raises(IntervalWait):
        quota.reserve()
    clock.advance(0.05)
    assert quota.reserve().used == 2


def test_new_day_resets_the_count_but_keeps_the_interval(ddb: Any) -> None:
    clock = Clock(datetime(2026, 11, 26, 23, 59, 59, 500_000, tzinfo=ZONE))
    quota = store(ddb, clock, limit=1)
    quota.reserve()
    clock.advance(0.7)  # 00:00:00.2 next day: new day, but only 700 ms after the last push
    with pytest.raises(IntervalWait):
        quota.reserve()
    clock.advance(0.5)
    reservation = quota.reserve()
    assert (reservation.day, reservation.used) == ("2026-11-27", 1)


def test_release_gives_the_slot_back(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=1)
    quota.release(quota.reserve())
    clock.advance(2)
    assert quota.reserve().used == 1


def test_release_of_yesterday_does_not_touch_today(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=5)
    yesterday = quota.reserve()
    clock.advance(86400)
    quota.reserve()
    quota.release(yesterday)
    assert quota.snapshot().used == 1


def test_mark_exhausted_believes_upstream(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=100)
    reservation = quota.reserve()
    quota.mark_exhausted(reservation.day)
    clock.advance(2)
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve()
    assert refused.value.code == "daily_quota_exhausted"
    assert quota.snapshot().to_dict()["remaining"] == 0


def test_upstream_push_we_did_not_record_moves_the_interval(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    quota.reserve()
    clock.advance(5)
    quota.note_upstream_push(quota.now_ms())
    with pytest.raises(IntervalWait):
        quota.reserve()


def test_snapshot_reports_design_fields(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=100)
    quota.reserve()
    clock.advance(0.25)
    snap = quota.snapshot().to_dict()
    assert snap == {
        "limit": 100,
        "used": 1,
        "scheduled": 0,
        "remaining": 99,
        "resets_at": "2026-11-27T00:00:00+08:00",
        "next_push_not_before": "2026-11-26T12:00:01.050000+08:00",
        "timezone": "Asia/Shanghai",
    }


def test_snapshot_of_an_unused_app(ddb: Any, clock: Clock) -> None:
    snap = store(ddb, clock).snapshot().to_dict()
    assert (snap["used"], snap["remaining"], snap["next_push_not_before"]) == (0, 3, None)


class ThrottledClient:
    """A DynamoDB client that throttles every call (as under a hot partition)."""

    def update_item(self, **_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "UpdateItem",
        )

    get_item = update_item


def test_throttled_dynamodb_is_a_503_with_retry_after(clock: Clock) -> None:
    quota = store(ThrottledClient(), clock)
    with pytest.raises(DependencyUnavailable) as refused:
        quota.reserve()
    assert (refused.value.status, refused.value.code, refused.value.retry_after) == (
        503,
        "aws_throttled",
        1,
    )


def test_each_reservation_reports_the_slots_used_for_the_dashboard(ddb: Any, clock: Clock) -> None:
    from push_common.observability import metrics

    metrics.clear_metrics()
    quota = store(ddb, clock)
    quota.reserve()
    clock.advance(2)
    quota.reserve()
    assert metrics.metric_set["QuotaUsed"]["Value"] == [1.0, 2.0]
    metrics.clear_metrics()


# --- held slots of scheduled pushes (docs/architecture.md §14) ---------------------------------

TODAY, TOMORROW = "2026-11-26", "2026-11-27"


def test_holding_counts_against_that_day_only(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=3)
    held = quota.hold(TOMORROW)
    assert (held.day, held.used, held.scheduled) == (TOMORROW, 0, 1)
    assert quota.snapshot(TOMORROW).to_dict()["remaining"] == 2
    assert quota.snapshot().to_dict()["scheduled"] == 0
    assert quota.reserve().used == 1  # today untouched


def test_an_immediate_push_never_takes_a_held_slot(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=3)
    quota.hold(TODAY)
    quota.hold(TODAY)
    reservation = quota.reserve()
    assert (reservation.used, reservation.scheduled) == (1, 2)
    clock.advance(2)
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve()
    assert refused.value.code == "daily_quota_exhausted"
    assert "held by scheduled pushes" in refused.value.detail
    snap = quota.snapshot().to_dict()
    assert (snap["used"], snap["scheduled"], snap["remaining"]) == (1, 2, 0)


def test_a_full_day_refuses_another_schedule(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=2)
    quota.reserve()
    quota.hold(TODAY)
    with pytest.raises(ScheduleDayFull) as refused:
        quota.hold(TODAY)
    assert (refused.value.status, refused.value.code) == (409, "schedule_day_full")
    quota.hold(TOMORROW)
    quota.hold(TOMORROW)
    with pytest.raises(ScheduleDayFull):
        quota.hold(TOMORROW)


def test_unhold_gives_the_slot_back(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=1)
    quota.hold(TODAY)
    with pytest.raises(QuotaExceeded):
        quota.reserve()
    assert quota.unhold(TODAY) is True
    assert quota.unhold(TODAY) is False  # nothing left to give back
    assert quota.reserve().used == 1


def test_firing_uses_the_held_slot_and_keeps_the_interval(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=2)
    quota.hold(TODAY)
    quota.reserve()  # the one free slot
    with pytest.raises(IntervalWait):
        quota.fire(TODAY)
    clock.advance(1.1)
    fired = quota.fire(TODAY)
    assert (fired.day, fired.used, fired.scheduled) == (TODAY, 2, 0)
    snap = quota.snapshot().to_dict()
    assert (snap["used"], snap["scheduled"], snap["remaining"]) == (2, 0, 0)


def test_firing_on_a_new_day_rolls_it_over_and_keeps_the_interval(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=2)
    clock.advance(12 * 3600 - 0.5)  # 23:59:59.5
    quota.reserve()
    quota.hold(TOMORROW)
    clock.advance(0.6)  # 00:00:00.1 the next day, 0.6 s after the last push
    with pytest.raises(IntervalWait):
        quota.fire(TOMORROW)
    clock.advance(0.5)
    fired = quota.fire(TOMORROW)
    assert (fired.day, fired.used, fired.scheduled) == (TOMORROW, 1, 0)


def test_a_late_fire_moves_to_a_free_slot_of_today(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=2)
    quota.hold(TODAY)
    clock.advance(13 * 3600)  # the next day: the old slot is given back
    fired = quota.fire(TODAY)
    assert (fired.day, fired.used) == (TOMORROW, 1)
    assert quota.snapshot(TODAY).to_dict()["scheduled"] == 0


def test_a_late_fire_never_takes_a_held_slot(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=1)
    quota.hold(TODAY)
    quota.hold(TOMORROW)
    clock.advance(13 * 3600)
    with pytest.raises(QuotaExceeded) as missed:
        quota.fire(TODAY)
    assert missed.value.code == "schedule_missed"
    assert quota.snapshot().to_dict()["scheduled"] == 1  # tomorrow's hold is intact
